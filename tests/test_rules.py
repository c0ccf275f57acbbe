from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from epix.codelists import CodeLists
from epix.model import IssuingAuthority, ItemFacts, PermitFacts, TradeParty
from epix.validation import rules
from epix.validation.rules import RULES, RuleContext, add_months, check_rules, is_scientific_name

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
ISSUED = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)
H = "/rsm:CITESEPermit/rsm:HeaderExchangedDocument"
C = "/rsm:CITESEPermit/rsm:SpecifiedSupplyChainConsignment"
I = f"{C}/ram:IncludedSupplyChainConsignmentItem[{{item}}]"
T = f"{I}/ram:IncludedSupplyChainTradeLineItem"
PATHS = {
    "business_process": "/rsm:CITESEPermit/rsm:SpecifiedExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:Value",
    "number": f"{H}/ram:ID",
    "issued_at": f"{H}/ram:IssueDateTime",
    "purpose": f"{H}/ram:PurposeCode",
    "valid_from": f"{H}/ram:EffectiveSpecifiedPeriod/ram:StartDateTime",
    "valid_until": f"{H}/ram:EffectiveSpecifiedPeriod/ram:EndDateTime",
    "replaces": f"{H}/ram:ReferenceReferencedDocument/ram:ID",
    "importer.country": f"{C}/ram:ConsigneeTradeParty/ram:PostalTradeAddress/ram:CountryID",
    "exporter.country": f"{C}/ram:ConsignorTradeParty/ram:PostalTradeAddress/ram:CountryID",
    "items": f"{C}/ram:IncludedSupplyChainConsignmentItem",
    "items.id": f"{I}/ram:ID",
    "items.scientific_name": f"{T}/ram:SpecifiedTradeProduct/ram:ScientificName",
    "items.appendix": f"{T}/ram:TypeCode",
    "items.source": f"{T}/ram:TypeExtensionCode",
    "items.origin_country": f"{I}/ram:OriginTradeCountry/ram:ID",
    "items.origin_permit_id": f"{I}/ram:AssociatedReferencedDocument/ram:ID",
}


def _item(id: str = "A", **changes) -> ItemFacts:
    base = ItemFacts(
        id=id, scientific_name="Python regius", description="live", appendix="II", source="C",
        quantity=Decimal(5), unit="PCS", origin_country="CH", origin_permit_id="25GH000011",
    )
    return replace(base, **changes)


def permit(type_code: str = "E", *, items: list[ItemFacts] | None = None, **changes) -> PermitFacts:
    """A valid permit of ``type_code`` issued by CH to FR, changed by ``changes``."""
    exporter, importer = TradeParty("Reptile Export AG", "CH"), TradeParty("Zoo de Lyon", "FR")
    if type_code == "I":
        exporter, importer = TradeParty("Ghana Reptiles Ltd", "GH"), TradeParty("Reptile Import AG", "CH")
    facts = PermitFacts(
        business_process="CITES PERMITTING", number="26CH000123", type_code=type_code, issued_at=ISSUED,
        purpose="T", valid_from=ISSUED, valid_until=datetime(2027, 5, 28, 23, 59, tzinfo=timezone.utc),
        issuer=IssuingAuthority("CH", "Federal Food Safety and Veterinary Office", "CH"),
        importer=importer, exporter=exporter, items=items if items is not None else [_item()],
    )
    facts.paths.update(PATHS)
    for name, value in changes.items():
        setattr(facts, name, value)
    return facts


@pytest.fixture(scope="module")
def ctx() -> RuleContext:
    return RuleContext(now=NOW, codelists=CodeLists.load())


def _only(findings, requirement):
    assert findings, f"expected a {requirement} finding"
    assert {f.requirement for f in findings} == {requirement}
    assert {f.code for f in findings} == {"EPX-303"}
    return findings


def test_rules_are_registered_in_order():
    names = [rule.__name__ for rule in RULES]
    assert names == [
        "doc_03_validity_period", "doc_04_dates_in_order", "doc_05_party_country", "doc_06_reexport_origin",
        "doc_07_appendix_i_wild_not_commercial", "doc_08_item_ids", "doc_09_replacement",
        "doc_10_scientific_name", "doc_11_business_process",
    ]


@pytest.mark.parametrize("type_code", ["E", "R", "I", "O"])
def test_valid_permits_of_each_type_pass_every_rule(ctx, type_code):
    assert check_rules(permit(type_code), ctx) == []


# DOC-03 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [(date(2026, 11, 28), 6, date(2027, 5, 28)), (date(2026, 8, 31), 6, date(2027, 2, 28)),
     (date(2027, 8, 31), 6, date(2028, 2, 29)), (date(2026, 1, 31), 1, date(2026, 2, 28)),
     (date(2026, 3, 15), 12, date(2027, 3, 15)), (date(2026, 12, 1), 36, date(2029, 12, 1))],
)
def test_calendar_month_arithmetic(start, months, end):
    assert add_months(start, months) == end


@pytest.mark.parametrize(("type_code", "months"), [("E", 6), ("R", 6), ("I", 12), ("O", 6)])
def test_doc_03_limit_in_calendar_months_by_type(ctx, type_code, months):
    at_limit = datetime.combine(add_months(ISSUED.date(), months), datetime.min.time(), timezone.utc).replace(hour=23)
    assert rules.doc_03_validity_period(permit(type_code, valid_until=at_limit), ctx) == []
    facts = permit(type_code, valid_until=at_limit + timedelta(days=1))
    [finding] = _only(rules.doc_03_validity_period(facts, ctx), "DOC-03")
    assert finding.location == PATHS["valid_until"]
    assert f"more than {months} months" in finding.text


def test_doc_03_six_months_after_31_august_ends_in_february(ctx):
    issued = datetime(2026, 8, 31, 9, 0, tzinfo=timezone.utc)
    ok = permit(issued_at=issued, valid_from=issued, valid_until=datetime(2027, 2, 28, 12, tzinfo=timezone.utc))
    late = permit(issued_at=issued, valid_from=issued, valid_until=datetime(2027, 3, 1, 0, tzinfo=timezone.utc))
    assert rules.doc_03_validity_period(ok, ctx) == []
    [finding] = rules.doc_03_validity_period(late, ctx)
    assert "2027-02-28 at the latest" in finding.text


@pytest.mark.parametrize(("purpose", "kind"), [("Q", "travelling exhibition"), ("P", "ownership")])
def test_doc_03_travelling_exhibition_and_ownership_certificates_three_years(ctx, purpose, kind):
    three_years = datetime(2029, 11, 28, 12, tzinfo=timezone.utc)
    assert rules.doc_03_validity_period(permit("O", purpose=purpose, valid_until=three_years), ctx) == []
    [finding] = rules.doc_03_validity_period(permit("O", purpose=purpose, valid_until=three_years + timedelta(days=1)), ctx)
    assert kind in finding.text and "36 months" in finding.text


def test_doc_03_travelling_exhibition_purpose_on_an_export_permit_stays_six_months(ctx):
    facts = permit("E", purpose="Q", valid_until=datetime(2027, 11, 28, tzinfo=timezone.utc))
    _only(rules.doc_03_validity_period(facts, ctx), "DOC-03")


def test_doc_03_says_nothing_without_dates(ctx):
    assert rules.doc_03_validity_period(permit(valid_until=None), ctx) == []
    assert rules.doc_03_validity_period(permit(issued_at=None), ctx) == []


# DOC-04 ------------------------------------------------------------------------------


def test_doc_04_valid_from_after_valid_until(ctx):
    facts = permit(valid_from=datetime(2027, 6, 1, tzinfo=timezone.utc))
    [finding] = _only(rules.doc_04_dates_in_order(facts, ctx), "DOC-04")
    assert finding.location == PATHS["valid_from"]
    assert "2027-06-01T00:00:00Z is after the end of validity" in finding.text


def test_doc_04_issue_date_after_valid_until_when_no_valid_from(ctx):
    facts = permit(valid_from=None, valid_until=ISSUED - timedelta(days=1))
    [finding] = _only(rules.doc_04_dates_in_order(facts, ctx), "DOC-04")
    assert finding.location == PATHS["issued_at"]
    assert "issue date" in finding.text


def test_doc_04_issue_date_in_the_future_with_five_minutes_of_skew(ctx):
    within = permit(issued_at=NOW + timedelta(minutes=5))
    assert rules.doc_04_dates_in_order(within, ctx) == []
    future = permit(issued_at=NOW + timedelta(minutes=5, seconds=1))
    [finding] = _only(rules.doc_04_dates_in_order(future, ctx), "DOC-04")
    assert finding.location == PATHS["issued_at"]
    assert "in the future" in finding.text


# DOC-05 ------------------------------------------------------------------------------


def test_doc_05_exporter_of_an_export_permit_in_the_issuing_country(ctx):
    facts = permit("E", exporter=TradeParty("Reptilien GmbH", "DE"))
    [finding] = _only(rules.doc_05_party_country(facts, ctx), "DOC-05")
    assert finding.location == PATHS["exporter.country"]
    assert "'DE'" in finding.text and "'CH'" in finding.text and "an export permit" in finding.text


def test_doc_05_importer_of_an_import_permit_in_the_issuing_country(ctx):
    facts = permit("I", importer=TradeParty("Zoo de Lyon", "FR"))
    [finding] = _only(rules.doc_05_party_country(facts, ctx), "DOC-05")
    assert finding.location == PATHS["importer.country"]


def test_doc_05_uses_the_party_id_when_the_authority_has_no_country(ctx):
    facts = permit("E", issuer=IssuingAuthority("US-FWS", "US Fish and Wildlife Service", None))
    _only(rules.doc_05_party_country(facts, ctx), "DOC-05")
    facts.exporter = TradeParty("Exporter Inc", "US")
    assert rules.doc_05_party_country(facts, ctx) == []


def test_doc_05_does_not_apply_to_re_export(ctx):
    assert rules.doc_05_party_country(permit("R", exporter=TradeParty("X", "DE")), ctx) == []


# DOC-06 ------------------------------------------------------------------------------


def test_doc_06_re_export_names_origin_country_and_permit_on_every_item(ctx):
    items = [_item("A"), _item("B", origin_country=None), _item("C", origin_permit_id=None)]
    findings = _only(rules.doc_06_reexport_origin(permit("R", items=items), ctx), "DOC-06")
    assert [f.location for f in findings] == [
        PATHS["items.origin_country"].replace("{item}", "2"), PATHS["items.origin_permit_id"].replace("{item}", "3"),
    ]
    assert "country of origin of item 'B'" in findings[0].text
    assert "origin permit of item 'C'" in findings[1].text


def test_doc_06_points_at_the_item_when_the_schema_has_no_path_for_the_fact(ctx):
    facts = permit("R", items=[_item(origin_permit_id=None)])
    del facts.paths["items.origin_permit_id"]
    [finding] = rules.doc_06_reexport_origin(facts, ctx)
    assert finding.location == I.format(item=1)


def test_doc_06_does_not_apply_to_export(ctx):
    assert rules.doc_06_reexport_origin(permit("E", items=[_item(origin_country=None, origin_permit_id=None)]), ctx) == []


# DOC-07 ------------------------------------------------------------------------------


def test_doc_07_appendix_i_wild_not_commercial(ctx):
    items = [_item("A"), _item("B", appendix="I", source="W")]
    [finding] = _only(rules.doc_07_appendix_i_wild_not_commercial(permit(items=items), ctx), "DOC-07")
    assert finding.location == PATHS["items.source"].replace("{item}", "2")
    assert finding.text.startswith("Item 'B' (Python regius)")


@pytest.mark.parametrize(("appendix", "source", "purpose"), [("I", "W", "S"), ("I", "C", "T"), ("II", "W", "T")])
def test_doc_07_allows_other_combinations(ctx, appendix, source, purpose):
    facts = permit(purpose=purpose, items=[_item(appendix=appendix, source=source)])
    assert rules.doc_07_appendix_i_wild_not_commercial(facts, ctx) == []


# DOC-08 ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["A B", "A\tB", " A", ""])
def test_doc_08_item_id_is_a_token(ctx, bad):
    [finding] = _only(rules.doc_08_item_ids(permit(items=[_item(bad)]), ctx), "DOC-08")
    assert finding.location == PATHS["items.id"].replace("{item}", "1")
    assert "not a token" in finding.text


def test_doc_08_item_ids_unique(ctx):
    items = [_item("A"), _item("B"), _item("A")]
    [finding] = _only(rules.doc_08_item_ids(permit(items=items), ctx), "DOC-08")
    assert finding.location == PATHS["items.id"].replace("{item}", "3")
    assert "already used by item 1" in finding.text


# DOC-09 ------------------------------------------------------------------------------


def test_doc_09_replacement_of_an_own_document_passes(ctx):
    assert rules.doc_09_replacement(permit(replaces="26CH000100"), ctx) == []
    assert rules.doc_09_replacement(permit(replaces="LOCAL-7"), ctx) == []


def test_doc_09_replacement_of_a_document_held_from_another_issuer(ctx):
    held = replace(ctx, known_issuers={"26FR000100": "FR"})
    [finding] = _only(rules.doc_09_replacement(permit(replaces="26FR000100"), held), "DOC-09")
    assert finding.location == PATHS["replaces"]
    assert "'FR'" in finding.text and "'CH'" in finding.text


# "A receiver that holds the replaced document checks that its issuer is the replacement's
# issuer (EPX-303 otherwise); a receiver that never received it cannot tell, and accepts
# (document numbers carry no party by convention)." (permit-document.md, DOC-09)
@pytest.mark.parametrize(("held", "replaces", "refused"), [
    ({"26CH000100": "CH"}, "26CH000100", False),     # held from the replacement's issuer
    ({"26CH000100": "FR"}, "26CH000100", True),      # held from another issuer, whatever the number says
    ({"LOCAL-7": "FR"}, "LOCAL-7", True),
    ({"26FR000100": "CH"}, "26FR000100", False),     # a number of CH that looks French
    ({}, "26FR000100", False),                       # never received: nobody can tell
    ({}, "26CH000100", False),
    ({}, "LOCAL-7", False),
    ({"26FR000999": "FR"}, "26FR000100", False),     # holds other numbers only
])
def test_doc_09_only_a_receiver_that_holds_the_replaced_document_judges_its_issuer(ctx, held, replaces, refused):
    findings = rules.doc_09_replacement(permit(replaces=replaces), replace(ctx, known_issuers=held))
    assert [f.code for f in findings] == (["EPX-303"] if refused else [])


def test_doc_09_known_issuers_decide_over_the_number(ctx):
    known = replace(ctx, known_issuers={"LOCAL-7": "FR", "26FR000100": "CH"})
    _only(rules.doc_09_replacement(permit(replaces="LOCAL-7"), known), "DOC-09")
    assert rules.doc_09_replacement(permit(replaces="26FR000100"), known) == []


def test_doc_09_a_document_cannot_replace_itself(ctx):
    [finding] = _only(rules.doc_09_replacement(permit(replaces="26CH000123"), ctx), "DOC-09")
    assert "names itself" in finding.text


def test_doc_09_a_delivered_replacement_names_what_it_replaces(ctx):
    replacement = replace(ctx, replacement=True)
    [finding] = _only(rules.doc_09_replacement(permit(), replacement), "DOC-09")
    assert "does not name the document it replaces" in finding.text
    assert rules.doc_09_replacement(permit(replaces="26CH000100"), replacement) == []


def test_doc_09_multi_authority_parties(ctx):
    us = IssuingAuthority("US-FWS", "US Fish and Wildlife Service", "US")
    assert rules.doc_09_replacement(permit(issuer=us, replaces="26US000001"), ctx) == []
    other = replace(ctx, known_issuers={"X-1": "US-NOAA"})
    _only(rules.doc_09_replacement(permit(issuer=us, replaces="X-1"), other), "DOC-09")


# DOC-10 ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Python regius", "Panthera tigris altaica", "Aloe spp.", "Ara macao",
                                  "Crocodylus niloticus", "Aster novae-angliae"])
def test_doc_10_accepts_binomials_trinomials_and_genus_spp(name):
    assert is_scientific_name(name)


@pytest.mark.parametrize("name", ["python regius", "Python Regius", "Python", "Python regius regius extra",
                                  "Aloe spp", "aloe spp.", "Python  regius", "Python regius ", "PYTHON REGIUS",
                                  "Python regius (Shaw)", ""])
def test_doc_10_refuses_other_names(ctx, name):
    assert not is_scientific_name(name)
    [finding] = _only(rules.doc_10_scientific_name(permit(items=[_item(scientific_name=name)]), ctx), "DOC-10")
    assert finding.location == PATHS["items.scientific_name"].replace("{item}", "1")
    assert repr(name) in finding.text


# DOC-11 ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["CITES PERMITTING", "CITES Permitting", "cites permitting"])
def test_doc_11_business_process_case_insensitive(ctx, value):
    assert rules.doc_11_business_process(permit(business_process=value), ctx) == []


def test_doc_11_other_business_process(ctx):
    [finding] = _only(rules.doc_11_business_process(permit(business_process="TRADE"), ctx), "DOC-11")
    assert finding.location == PATHS["business_process"]
    assert "'TRADE'" in finding.text


def test_check_rules_collects_findings_in_rule_order(ctx):
    facts = permit(business_process="TRADE", items=[_item("A B", scientific_name="python regius")],
                   valid_until=datetime(2028, 1, 1, tzinfo=timezone.utc))
    assert [f.requirement for f in check_rules(facts, ctx)] == ["DOC-03", "DOC-08", "DOC-10", "DOC-11"]


def test_rules_do_not_break_on_an_empty_record(ctx):
    assert check_rules(PermitFacts(), ctx) == []


@pytest.mark.parametrize("kind", ["export-permit", "re-export-certificate", "import-permit", "other-certificate"])
def test_sample_permits_read_through_the_field_map_pass_every_rule(ctx, kind):
    from epix.messages.permit import build_permit
    from epix.samples import sample_permit
    from epix.schemaset import default_schema_set

    facts = default_schema_set().fieldmap.extract(build_permit(sample_permit(kind, issued_at=ISSUED, items=3)))
    assert check_rules(facts, ctx) == []
    facts.items[2].id = "A"
    [finding] = check_rules(facts, ctx)
    assert finding.location == ("/rsm:CITESEPermit/rsm:SpecifiedSupplyChainConsignment/"
                                "ram:IncludedSupplyChainConsignmentItem[3]/ram:ID")
