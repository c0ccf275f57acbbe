"""The sample permits: valid against the schema and every DOC rule, and the sample files."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from epix import clock
from epix.messages.fieldmap import extract_facts
from epix.messages.permit import build_permit
from epix.model import PERMIT_TYPES, PermitFacts
from epix.safexml import parse, to_bytes
from epix.samples import (
    SAMPLE_ISSUED_AT,
    WRITERS,
    main,
    sample_permit,
    with_every_optional_part,
    write_permit_samples,
)
from epix.schemaset import default_schema_set

KINDS = list(PERMIT_TYPES.values())
REPO = Path(__file__).resolve().parent.parent
_NAME = re.compile(r"[A-Z][a-z]+ (spp\.|[a-z]+( [a-z]+)?)")
_TOKEN = re.compile(r"\S+")
_NUMBER = re.compile(r"[A-Z0-9/\-.]{1,35}")


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` calendar months later (the last day of a shorter month)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def rule_breaches(facts: PermitFacts, now: datetime) -> list[str]:
    """The DOC rules of permit-document.md section 4 that ``facts`` breaks (DOC-03 … DOC-11)."""
    breaches = []
    months = 12 if facts.type_code == "I" else 6
    if facts.valid_until > add_months(facts.issued_at, months):
        breaches.append("DOC-03")
    if (facts.valid_from or facts.issued_at) > facts.valid_until or facts.issued_at > now + timedelta(minutes=5):
        breaches.append("DOC-04")
    party = {"E": facts.exporter, "I": facts.importer}.get(facts.type_code)
    if party is not None and party.country != facts.issuer.country:
        breaches.append("DOC-05")
    if facts.type_code == "R" and not all(i.origin_country and i.origin_permit_id for i in facts.items):
        breaches.append("DOC-06")
    if any(i.appendix == "I" and i.source == "W" and facts.purpose == "T" for i in facts.items):
        breaches.append("DOC-07")
    ids = [i.id for i in facts.items]
    if len(set(ids)) != len(ids) or not all(_TOKEN.fullmatch(i or "") for i in ids):
        breaches.append("DOC-08")
    if facts.replaces is not None and not _NUMBER.fullmatch(facts.replaces):
        breaches.append("DOC-09")
    if not all(_NAME.fullmatch(i.scientific_name or "") for i in facts.items):
        breaches.append("DOC-10")
    if (facts.business_process or "").upper() != "CITES PERMITTING":
        breaches.append("DOC-11")
    return breaches


def test_the_rule_check_of_these_tests_can_fail():
    facts = sample_permit("re-export-certificate", items=2)
    facts.valid_until = facts.issued_at + timedelta(days=200)
    facts.exporter.country = "FR"
    facts.type_code = "E"
    facts.items[1].id = "A"
    facts.items[0].scientific_name = "python regius"
    facts.business_process = "CITES TRADING"
    assert rule_breaches(facts, clock.now()) == ["DOC-03", "DOC-05", "DOC-08", "DOC-10", "DOC-11"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("items", [1, 2, 5])
def test_each_sample_passes_every_rule(kind, items):
    facts = sample_permit(kind, items=items)
    assert facts.document_type == kind
    assert rule_breaches(facts, clock.now()) == []
    assert rule_breaches(with_every_optional_part(facts), clock.now()) == []
    schemas = default_schema_set()
    root = parse(to_bytes(build_permit(facts)))
    assert schemas.schema_for(root.tag).validate(root), schemas.schema_for(root.tag).error_log


def test_the_countries_follow_the_permit_type():
    export = sample_permit("export-permit", issuer="CH", partner="FR")
    assert (export.issuer.country, export.exporter.country, export.importer.country) == ("CH", "CH", "FR")
    imported = sample_permit("import-permit", issuer="CH", partner="FR")
    assert (imported.issuer.country, imported.importer.country, imported.exporter.country) == ("CH", "CH", "FR")
    re_export = sample_permit("re-export-certificate", items=3)
    assert all(i.origin_country and i.origin_permit_id and i.origin_permit_date for i in re_export.items)


def test_validity_stays_within_the_limit_of_the_type():
    for kind, months in [("export-permit", 6), ("re-export-certificate", 6), ("other-certificate", 6),
                         ("import-permit", 12)]:
        facts = sample_permit(kind, issued_at=datetime(2026, 8, 31, 23, 0, tzinfo=timezone.utc))
        assert facts.valid_from == facts.issued_at < facts.valid_until <= add_months(facts.issued_at, months)


def test_dates_follow_the_clock_or_the_issue_date():
    moment = datetime(2027, 3, 4, 5, 6, 7, tzinfo=timezone.utc)
    with clock.frozen(moment):
        assert sample_permit().issued_at == moment
    assert sample_permit(issued_at=SAMPLE_ISSUED_AT).number == "26CH000123"


def test_parties_and_numbers():
    facts = sample_permit("other-certificate", issuer="US-FWS", partner="DE", issued_at=SAMPLE_ISSUED_AT)
    assert facts.number == "26US000126"
    assert facts.issuer.party_id == "US-FWS" and facts.issuer.country == "US"
    assert facts.importer.country == "DE"
    assert sample_permit(number="CH/2026/77").number == "CH/2026/77"


def test_item_ids_are_unique_tokens():
    facts = sample_permit(items=30)
    ids = [i.id for i in facts.items]
    assert ids[:3] == ["A", "B", "C"] and ids[25:28] == ["Z", "AA", "AB"]
    assert len(set(ids)) == 30


def test_overrides_replace_facts():
    facts = sample_permit(purpose="Z", special_conditions=[])
    assert facts.purpose == "Z" and facts.special_conditions == []
    with pytest.raises(TypeError, match="unknown permit fact in \\['colour'\\]"):
        sample_permit(colour="green")
    with pytest.raises(ValueError, match="unknown permit kind 'permit'"):
        sample_permit("permit")
    with pytest.raises(ValueError, match="at least one item"):
        sample_permit(items=0)


def test_every_optional_part_does_not_change_the_sample():
    facts = sample_permit("re-export-certificate", items=2)
    before = repr(facts)
    complete = with_every_optional_part(facts)
    assert repr(facts) == before
    assert complete.transport_document and complete.endorsement_date
    assert all(i.marks and i.annual_quota and i.reexport_certificate_id and i.inspected_quantity == i.quantity
               for i in complete.items)


def test_the_sample_files_are_written_with_fixed_dates(tmp_path):
    paths = write_permit_samples(tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{kind}.xml" for kind in KINDS)
    schemas = default_schema_set()
    for path in paths:
        root = parse(path.read_bytes(), source=str(path))
        assert schemas.schema_for(root.tag).validate(root), (path, schemas.schema_for(root.tag).error_log)
        facts = extract_facts(root, schemas.fieldmap)
        assert facts.issued_at == SAMPLE_ISSUED_AT
        assert facts.document_type == path.stem
    first = {p.name: p.read_bytes() for p in paths}
    write_permit_samples(tmp_path)
    assert {p.name: p.read_bytes() for p in paths} == first


def test_the_command_runs_every_writer(tmp_path, capsys):
    assert write_permit_samples in WRITERS
    assert main([str(tmp_path / "documents")]) == 0
    printed = capsys.readouterr().out.split()
    assert {Path(p).name for p in printed} >= {f"{kind}.xml" for kind in KINDS}
    assert all(Path(p).is_file() for p in printed)
    assert main([]) == 2


def test_python_dash_m_epix_samples(tmp_path):
    result = subprocess.run([sys.executable, "-m", "epix.samples", str(tmp_path)], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "export-permit.xml").is_file()


@pytest.mark.parametrize("kind", KINDS)
def test_the_harness_validator_finds_nothing_in_a_sample(kind):
    from epix.validation import validate

    for facts in (sample_permit(kind, items=3), with_every_optional_part(sample_permit(kind, items=3))):
        report = validate(to_bytes(build_permit(facts)))
        assert report.kind == "permit"
        assert [str(f) for f in report.findings] == []
