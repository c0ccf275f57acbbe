from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from epix.cli import main
from epix.commands.validate import MAX_FILE_BYTES
from epix.messages.permit import build_permit
from epix.mutations import MUTATIONS
from epix.safexml import to_bytes
from epix.samples import sample_permit

ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    permit = build_permit(sample_permit(issued_at=ISSUED))
    made = {
        "good": to_bytes(permit, pretty=True),
        "bad": to_bytes(MUTATIONS['with_source_code("K")'].apply(permit), pretty=True),
        "two": to_bytes(MUTATIONS['with_scientific_name("python regius")'].apply(
            MUTATIONS['with_unit("BOX")'].apply(permit)), pretty=True),
        "empty": b"",
        "text": b"this is not XML\n",
        "binary": bytes(range(256)) * 4,
        "dtd": b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>',
    }
    paths = {}
    for name, data in made.items():
        paths[name] = tmp_path / f"{name}.xml"
        paths[name].write_bytes(data)
    paths["directory"] = tmp_path / "folder.xml"
    paths["directory"].mkdir()
    paths["missing"] = tmp_path / "missing.xml"
    return paths


def _run(capsys, *args: object) -> tuple[int, list[str], str]:
    code = main(["validate", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_valid_file_exits_0_with_a_summary(capsys, files):
    code, lines, err = _run(capsys, files["good"])
    assert code == 0
    assert lines == [f"{files['good']}: permit valid"]
    assert err == ""


def test_findings_exit_1_one_line_each_with_code_requirement_location_sentence(capsys, files):
    code, lines, _ = _run(capsys, files["two"])
    assert code == 1
    assert len(lines) == 3
    unit, name, summary = lines
    assert unit.startswith(f"{files['two']}:")
    assert " EPX-301 DOC-02 error at /rsm:CITESEPermit/" in unit
    assert unit.endswith("Unit of quantity 'BOX' of item 'A' is not in the UN/ECE Recommendation 20 unit codes (or PCS)")
    assert " EPX-303 DOC-10 error at " in name and "'python regius'" in name
    line_number = unit.split(":")[1]
    assert line_number.isdigit(), "each finding names the line of its node"
    assert summary == f"{files['two']}: permit invalid, 2 errors"


def test_several_files_the_worst_exit_code_wins(capsys, files):
    code, lines, _ = _run(capsys, files["good"], files["bad"])
    assert code == 1
    assert lines[0] == f"{files['good']}: permit valid"
    assert lines[-1] == f"{files['bad']}: permit invalid, 1 error"
    code, _, _ = _run(capsys, files["good"], files["missing"], files["bad"])
    assert code == 2


@pytest.mark.parametrize(
    ("name", "message", "exit_code"),
    [
        ("missing", "no such file", 2),
        ("directory", "is a directory, not a file", 2),
        ("empty", "the file is empty", 1),
        ("binary", "binary content, not an XML document", 1),
        ("text", "not an XML document the profile accepts (EPX-100): not well-formed XML", 1),
        ("dtd", "not an XML document the profile accepts (EPX-100): the document declares a DTD or entities", 1),
    ],
)
def test_bad_input_gets_one_clear_line_naming_the_file(capsys, files, name, message, exit_code):
    code, lines, err = _run(capsys, files[name])
    assert code == exit_code
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{files[name]}: {message}")
    assert "Traceback" not in err and err == ""


def test_file_over_50_mb_is_refused_without_reading_it(capsys, tmp_path):
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no 50 MB written or read
    assert os.stat(huge).st_blocks * 512 < 1024 * 1024, "the test file should be sparse"
    started = time.perf_counter()
    code, lines, _ = _run(capsys, huge)
    assert time.perf_counter() - started < 1.0
    assert code == 2
    assert lines == [f"{huge}: the file is 52,428,801 bytes, larger than the 50 MB (52,428,800 bytes) the validator reads"]


def test_file_of_exactly_50_mb_is_read(capsys, tmp_path):
    edge = tmp_path / "edge.xml"
    with edge.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES)  # zero bytes: binary content
    code, lines, _ = _run(capsys, edge)
    assert (code, lines) == (1, [f"{edge}: binary content, not an XML document"])


def test_json_output_is_a_list_of_objects_per_file(capsys, files):
    code, lines, _ = _run(capsys, "--format", "json", files["good"], files["bad"], files["missing"])
    assert code == 2
    data = json.loads("\n".join(lines))
    assert [entry["file"] for entry in data] == [str(files["good"]), str(files["bad"]), str(files["missing"])]
    assert data[0]["valid"] is True and data[0]["kind"] == "permit" and data[0]["findings"] == []
    [finding] = data[1]["findings"]
    assert finding["code"] == "EPX-301" and finding["requirement"] == "DOC-02"
    assert finding["location"].endswith("ram:TypeExtensionCode") and finding["line"]
    assert finding["text"].startswith("Source code 'K'")
    assert data[2] == {"file": str(files["missing"]), "valid": False, "problem": "no such file", "findings": []}


def test_usage_errors_exit_2(capsys, files, tmp_path):
    code, _, err = _run(capsys, "--trust", tmp_path / "no-pki", files["good"])
    assert code == 2 and "no such PKI folder" in err
    code, _, err = _run(capsys, "--schema-set", tmp_path / "none.toml", files["good"])
    assert code == 2 and "none.toml" in err and "cannot read" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "--format", "yaml", str(files["good"])])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["validate"])
    assert exit_info.value.code == 2


def test_another_schema_set(capsys, files):
    schema_set = Path(__file__).resolve().parent.parent / "schemas" / "v2.schemaset.toml"
    code, lines, _ = _run(capsys, "--schema-set", schema_set, files["good"])
    assert (code, lines) == (0, [f"{files['good']}: permit valid"])


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    from epix.pki import init_pki

    folder = tmp_path_factory.mktemp("pki")
    init_pki(["CH", "FR"], folder)
    return folder


def test_trust_verifies_signatures_against_the_issuing_party(capsys, files, pki, tmp_path):
    from epix.signing import SigningKey, sign

    permit = build_permit(sample_permit(issued_at=datetime.now(timezone.utc).replace(microsecond=0)))
    signed = tmp_path / "signed.xml"
    signed.write_bytes(to_bytes(sign(permit, SigningKey.from_files(pki / "CH" / "signing.key", pki / "CH" / "signing.pem"))))
    code, lines, _ = _run(capsys, "--trust", pki, signed)
    assert (code, lines) == (0, [f"{signed}: permit valid; signature passed"])
    foreign = tmp_path / "foreign.xml"
    foreign.write_bytes(to_bytes(sign(permit, SigningKey.from_files(pki / "FR" / "signing.key", pki / "FR" / "signing.pem"))))
    code, lines, _ = _run(capsys, "--trust", pki, foreign)
    assert code == 1
    assert " EPX-202 SIG-04 " in lines[0]
    code, lines, _ = _run(capsys, "--trust", pki, files["good"])
    assert code == 1 and " EPX-200 " in lines[0]
    assert lines[-1].endswith("signature failed")


def test_console_script_runs_without_traceback(files):
    result = subprocess.run(
        [sys.executable, "-m", "epix", "validate", str(files["binary"]), str(files["missing"])],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout.splitlines() == [f"{files['binary']}: binary content, not an XML document",
                                          f"{files['missing']}: no such file"]
    assert "Traceback" not in result.stderr


SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
VALID_SAMPLES = sorted(p for p in SAMPLES.rglob("*.xml") if "signature-wrapping" not in p.parts)


@pytest.mark.parametrize("sample", VALID_SAMPLES, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_each_sample_document_exits_0(capsys, sample):
    code, out, err = _run(capsys, sample)
    assert code == 0, out + [err]


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_named_mutation_exits_1_with_its_code(capsys, tmp_path, name):
    from epix.safexml import parse

    mutation = MUTATIONS[name]
    original = parse((SAMPLES / f"{mutation.sample}.xml").read_bytes())
    mutated = tmp_path / "mutated.xml"
    mutated.write_bytes(to_bytes(mutation.apply(original)))
    code, out, err = _run(capsys, "--format", "json", mutated)
    assert code == 1, out + [err]
    reported = json.loads("\n".join(out))
    codes = {finding["code"] for entry in reported for finding in entry["findings"]}
    assert mutation.expected_code in codes, (name, codes)
