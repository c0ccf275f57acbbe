"""Waivers: the file and its mistakes, which failures a waiver covers, the states, the exit code,
and a run with ``--waivers``: waived shown as waived with its reason in the console, junit.xml,
outcome.json and Allure, never as passed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from epix.report.outcomes import (
    BROKEN, FAILED, PASSED, WAIVED, WARNING, RunOutcome, ScenarioResult, summary_table, waived_list, waiver_list,
)
from epix.report.waivers import WaiverBook, WaiverFileError, read_waivers, waive_run

ROOT = Path(__file__).resolve().parents[1]
_MAIN = "import sys; from epix.cli import main; sys.exit(main(sys.argv[1:]))"
DAY = date(2026, 11, 29)

FILE = """\
[[waiver]]
party = "FR"
requirement = "PULL-03"
reason = "EPX codes come with release 2.4"
approved_by = "Pilot Task Force"
until = 2026-12-31

[[waiver]]
party = "FR"
scenario = "A request that names the wrong permit reveals nothing"
reason = "the adapter is being replaced"
approved_by = "J. Muster"
until = "2026-11-29"

[[waiver]]
party = "FR"
requirement = "LIF-02"
reason = "an old agreement"
approved_by = "Pilot Task Force"
until = 2026-11-28

[[waiver]]
party = "CH"
requirement = "PULL-03"
reason = "not for FR"
approved_by = "Pilot Task Force"
until = 2026-12-31
"""


def _file(tmp_path: Path, text: str, name: str = "waivers.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _result(outcome: str, *requirements: str, name: str = "A scenario", message: str = "") -> ScenarioResult:
    return ScenarioResult(f"steps/test_conformance.py::test_{name}", name, "pull", list(requirements), "pull",
                          outcome, message)


def _book(tmp_path: Path, text: str = FILE, party: str = "FR") -> WaiverBook:
    return WaiverBook.read(_file(tmp_path, text), party=party, day=DAY)


# ---------------------------------------------------------------------------
# The file


def test_a_waiver_file_is_read_with_its_fields(tmp_path: Path) -> None:
    first, second, *_ = read_waivers(_file(tmp_path, FILE))
    assert (first.number, first.party, first.requirement, first.scenario) == (1, "FR", "PULL-03", None)
    assert (first.reason, first.approved_by, first.until) == ("EPX codes come with release 2.4", "Pilot Task Force",
                                                              date(2026, 12, 31))
    assert second.scenario == "A request that names the wrong permit reveals nothing"
    assert second.until == date(2026, 11, 29)


@pytest.mark.parametrize(("entry", "said"), [
    ('party = "FR"\nrequirement = "PULL-03"\napproved_by = "TF"\nuntil = 2026-12-31',
     "waivers.toml, waiver 2: reason is missing: say why the deviation is accepted."),
    ('party = "FR"\nrequirement = "PULL-03"\nreason = "r"\napproved_by = "TF"\nuntil = "next week"',
     "waivers.toml, waiver 2: until 'next week' is not a date; write it as until = 2026-12-31."),
    ('party = "FR"\nrequirement = "PULL-99"\nreason = "r"\napproved_by = "TF"\nuntil = 2026-12-31',
     "waivers.toml, waiver 2: requirement 'PULL-99' is not a requirement of the spec; did you mean PULL-09?"),
    ('party = "fr"\nrequirement = "PULL-03"\nreason = "r"\napproved_by = "TF"\nuntil = 2026-12-31',
     "waivers.toml, waiver 2: party 'fr' is not a party ID (upper case, e.g. FR or US-FWS)."),
    ('party = "FR"\nreason = "r"\napproved_by = "TF"\nuntil = 2026-12-31',
     "waivers.toml, waiver 2: requirement and scenario are both missing: name the requirement (e.g. requirement = "
     "\"PULL-03\") or the scenario the waiver covers."),
    ('party = "FR"\nrequirement = "PULL-03"\nreason = "r"\naproved_by = "TF"\nuntil = 2026-12-31',
     "waivers.toml, waiver 2: 'aproved_by' is not a field of a waiver; did you mean 'approved_by'?"),
    ('party = "FR"\nscenario = "A request that names the wrong permit"\nreason = "r"\napproved_by = "TF"\n'
     'until = 2026-12-31',
     "waivers.toml, waiver 2: scenario 'A request that names the wrong permit' is not the name of a scenario of the "
     "suite; did you mean 'A request that names the wrong permit reveals nothing'?"),
    ('party = "FR"\nrequirement = "PULL-03"\nreason = " "\napproved_by = "TF"\nuntil = 2026-12-31',
     "waivers.toml, waiver 2: reason must be a text that is not empty: say why the deviation is accepted."),
])
def test_a_mistake_is_one_sentence_naming_the_file_the_waiver_and_the_field(tmp_path: Path, entry: str, said: str,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    good = FILE.split("\n\n")[0]
    path = _file(tmp_path, f"{good}\n\n[[waiver]]\n{entry}\n")
    with pytest.raises(WaiverFileError) as raised:
        read_waivers(path)
    assert raised.value.problems == [said]
    assert str(raised.value) == said


@pytest.mark.parametrize(("text", "said"), [
    ("[[waiver]\n", "waivers.toml: the waiver file is not valid TOML"),
    ("", "waivers.toml lists no waiver"),
    ('[waiver]\nparty = "FR"\n', "waivers.toml: 'waiver' must be a list of tables, each written [[waiver]]."),
    ('title = "x"\n', "waivers.toml: 'title' is not a table of a waiver file"),
])
def test_a_file_that_is_no_waiver_file_is_said_so(tmp_path: Path, text: str, said: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WaiverFileError, match="^" + said.replace("[", r"\[").replace(".", r"\.")):
        read_waivers(_file(tmp_path, text))


def test_a_missing_file_is_said_so(tmp_path: Path) -> None:
    with pytest.raises(WaiverFileError, match="cannot read the waiver file"):
        read_waivers(tmp_path / "nowhere.toml")


# ---------------------------------------------------------------------------
# What a waiver covers, and the states


def test_a_failure_a_waiver_covers_is_waived_with_its_reason_and_keeps_its_outcome(tmp_path: Path) -> None:
    failed = _result(FAILED, "PULL-03", name="A request that names the wrong permit reveals nothing (x; EPX-309)",
                     message="PULL-03: the fault names EPX-500")
    outcome = RunOutcome([failed, _result(PASSED, "PULL-01")])
    _book(tmp_path).apply(outcome)
    assert failed.outcome == WAIVED and failed.waived_outcome == FAILED
    assert failed.waiver == {"reason": "EPX codes come with release 2.4", "approved_by": "Pilot Task Force",
                             "until": "2026-12-31", "number": 1}
    assert failed.message == "PULL-03: the fault names EPX-500"
    assert outcome.results[1].outcome == PASSED


def test_a_broken_scenario_is_never_waived(tmp_path: Path) -> None:
    """Broken is the harness's error or a set-up problem: a waiver of the party's deviation must not hide it."""
    broken = _result(BROKEN, "PULL-03", message="LookupError: a harness bug")
    outcome = RunOutcome([broken])
    _book(tmp_path).apply(outcome)
    assert broken.outcome == BROKEN and broken.waiver is None
    assert outcome.exit_code(accept_waivers=True) == 1


def test_a_waiver_for_another_party_does_not_apply_and_is_not_listed(tmp_path: Path) -> None:
    only_ch = FILE.split("\n\n")[3]
    outcome = RunOutcome([_result(FAILED, "PULL-03")])
    book = _book(tmp_path, only_ch)
    book.apply(outcome)
    assert outcome.results[0].outcome == FAILED
    assert outcome.waivers == [] and book.others == 1
    assert _book(tmp_path, FILE).others == 1


def test_expired_and_unused_waivers_are_listed_as_such(tmp_path: Path) -> None:
    """Waiver 3 (LIF-02) ended the day before the run: the LIF-02 failure stays failed."""
    outcome = RunOutcome([_result(FAILED, "PULL-03", name="x"), _result(FAILED, "LIF-02", name="y")])
    _book(tmp_path).apply(outcome)
    assert [r.outcome for r in outcome.results] == [WAIVED, FAILED]
    assert [(w["number"], w["state"]) for w in outcome.waivers] == [(1, "used"), (2, "unused"), (3, "expired")]
    assert outcome.waivers[2] == {"number": 3, "party": "FR", "requirement": "LIF-02", "scenario": None,
                                  "reason": "an old agreement", "approved_by": "Pilot Task Force",
                                  "until": "2026-11-28", "file": outcome.waivers[2]["file"], "state": "expired"}
    text = waiver_list(outcome)
    assert "USED     waiver 1 of" in text
    assert "UNUSED   waiver 2 of" in text and "no failed scenario of this run needed it" in text
    assert "EXPIRED  waiver 3 of" in text and "(FR, LIF-02) until 2026-11-28: not applied" in text


def test_a_waiver_holds_on_its_last_day(tmp_path: Path) -> None:
    outcome = RunOutcome([_result(FAILED, "PULL-03", name="A request that names the wrong permit reveals nothing")])
    _book(tmp_path, FILE.split("\n\n")[1]).apply(outcome)
    assert outcome.results[0].outcome == WAIVED and outcome.waivers[0]["state"] == "used"


def test_a_passed_or_warned_scenario_needs_no_waiver(tmp_path: Path) -> None:
    outcome = RunOutcome([_result(PASSED, "PULL-03"), _result(WARNING, "PULL-03")])
    _book(tmp_path).apply(outcome)
    assert [r.outcome for r in outcome.results] == [PASSED, WARNING]
    assert outcome.waivers[0]["state"] == "unused"


def test_applying_another_file_starts_from_the_outcomes_before_any_waiver(tmp_path: Path) -> None:
    outcome = RunOutcome([_result(FAILED, "PULL-03")])
    _book(tmp_path).apply(outcome)
    assert outcome.results[0].outcome == WAIVED
    _book(tmp_path, FILE.split("\n\n")[2]).apply(outcome)
    assert outcome.results[0].outcome == FAILED and outcome.results[0].waiver is None
    assert [w["state"] for w in outcome.waivers] == ["expired"]


def test_waived_failures_exit_1_unless_waivers_are_accepted(tmp_path: Path) -> None:
    outcome = RunOutcome([_result(FAILED, "PULL-03"), _result(PASSED, "PULL-01")])
    _book(tmp_path).apply(outcome)
    assert outcome.exit_code() == 1
    assert outcome.exit_code(accept_waivers=True) == 0
    outcome.results.append(_result(FAILED, "LIF-02"))
    assert outcome.exit_code(accept_waivers=True) == 1


def test_the_console_shows_the_waived_column_and_each_waived_failure_with_its_reason(tmp_path: Path) -> None:
    outcome = RunOutcome([_result(FAILED, "PULL-03", name="W", message="PULL-03: the fault names EPX-500"),
                          _result(PASSED, "PULL-01")])
    _book(tmp_path).apply(outcome)
    table = summary_table(outcome).splitlines()
    assert table[0].split()[:6] == ["Area", "Passed", "Warning", "Failed", "Waived", "Broken"]
    assert table[-1].split()[2:6] == ["1", "0", "0", "1"]
    assert waived_list(outcome) == (
        "WAIVED (failed, accepted by a waiver)  PULL-03  W\n"
        "    failure: PULL-03: the fault names EPX-500\n"
        "    waiver: EPX codes come with release 2.4 (approved by Pilot Task Force, until 2026-12-31)")


def test_the_outcome_file_keeps_the_waiver_and_the_waivers(tmp_path: Path) -> None:
    outcome = RunOutcome([_result(FAILED, "PULL-03")])
    _book(tmp_path).apply(outcome)
    path = tmp_path / "outcome.json"
    outcome.save(path)
    document = json.loads(path.read_text())
    assert document["results"][0]["outcome"] == "waived" and document["results"][0]["waived_outcome"] == "failed"
    assert document["results"][0]["waiver"]["reason"] == "EPX codes come with release 2.4"
    assert [w["state"] for w in document["waivers"]] == ["used", "unused", "expired"]
    again = RunOutcome.load(path)
    assert again.results[0].outcome == WAIVED and again.waivers == document["waivers"]


def test_waivers_are_applied_to_a_finished_run_s_outcome_again(tmp_path: Path) -> None:
    """As `epix statement --waivers` does: the file given now replaces the one the run had."""
    path = tmp_path / "outcome.json"
    RunOutcome([_result(FAILED, "PULL-03"), _result(FAILED, "LIF-02", name="B")]).save(path)
    waive_run(path, _file(tmp_path, FILE), party="FR", day=DAY)
    assert [r.outcome for r in RunOutcome.load(path).results] == [WAIVED, FAILED]
    later = _file(tmp_path, FILE.split("\n\n")[2].replace("2026-11-28", "2027-01-31"), "later.toml")
    again = waive_run(path, later, party="FR", day=DAY)
    assert [r.outcome for r in again.results] == [FAILED, WAIVED]
    assert [(w["number"], w["state"]) for w in RunOutcome.load(path).waivers] == [(1, "used")]


def test_epix_statement_applies_waivers_to_the_run_folder_first(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    RunOutcome([_result(FAILED, "PULL-03", message="PULL-03: the fault names EPX-500")], {"party": "FR"}).save(
        run / "outcome.json")
    done = subprocess.run([sys.executable, "-c", _MAIN, "statement", str(run), "--lang", "en", "--waivers",
                           str(_file(tmp_path, FILE))], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    outcome = RunOutcome.load(run / "outcome.json")
    assert outcome.results[0].outcome == WAIVED and outcome.waivers[0]["state"] == "used"
    assert "EPX codes come with release 2.4" in (run / "statement.html").read_text(encoding="utf-8")
    mistake = _file(tmp_path, FILE.replace("2026-11-28", "\"tomorrow\""), "wrong.toml")
    done = subprocess.run([sys.executable, "-c", _MAIN, "statement", str(run), "--waivers", str(mistake)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "waiver 3: until 'tomorrow' is not a date" in done.stderr
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------------------
# A run with --waivers


def _profile(folder: Path) -> Path:
    path = folder / "sim.toml"
    path.write_text('[us]\nparty = "CH"\nother_party = "DE"\n[simulator]\nparty = "FR"\n'
                    'faults = ["status-incomplete"]\n')
    return path


RUN_WAIVERS = """\
[[waiver]]
party = "FR"
requirement = "LIF-02"
reason = "the status lists cancellation from release 2.4"
approved_by = "Pilot Task Force"
until = 2099-12-31

[[waiver]]
party = "FR"
requirement = "PULL-03"
reason = "unused here"
approved_by = "Pilot Task Force"
until = 2099-12-31

[[waiver]]
party = "FR"
requirement = "LIF-02"
reason = "an old one"
approved_by = "Pilot Task Force"
until = 2020-01-01

[[waiver]]
party = "DE"
requirement = "LIF-02"
reason = "for another party"
approved_by = "Pilot Task Force"
until = 2099-12-31
"""


def _run(folder: Path, *extra: str, html: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _MAIN, "run", "--profile", str(_profile(folder)), "--tags",
                           "@LIF-02", "--report-dir", str(folder / "run"), *([] if html else ["--no-html"]), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def waived_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """`epix run --waivers` against a partner whose status breaks LIF-02, which waiver 1 accepts."""
    folder = tmp_path_factory.mktemp("waived-run")
    waivers = _file(folder, RUN_WAIVERS)
    return folder, _run(folder, "--waivers", str(waivers), html=True)


def test_a_run_shows_the_waived_failure_as_waived_in_the_console_and_exits_1(waived_run) -> None:
    folder, done = waived_run
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[1/1] waived      LIF-02" in done.stdout
    assert ("WAIVED (failed, accepted by a waiver)  LIF-02" in done.stdout
            and "    waiver: the status lists cancellation from release 2.4 (approved by Pilot Task Force, "
                "until 2099-12-31)" in done.stdout)
    assert "does not list cancellation" in done.stdout
    assert "UNUSED   waiver 2" in done.stdout and "EXPIRED  waiver 3" in done.stdout
    assert "for another party" not in done.stdout
    assert f"waivers: 3 waiver(s) for FR in {folder / 'waivers.toml'} (1 for other parties, not applied)" in done.stdout
    assert "FAILED (partner defect)" not in done.stdout
    totals = next(line for line in done.stdout.splitlines() if line.startswith("All areas")).split()
    assert totals[2:7] == ["0", "0", "0", "1", "0"]


def test_a_run_keeps_the_waiver_in_outcome_json(waived_run) -> None:
    folder, _ = waived_run
    document = json.loads((folder / "run" / "outcome.json").read_text())
    [result] = document["results"]
    assert (result["outcome"], result["waived_outcome"]) == ("waived", "failed")
    assert result["waiver"]["reason"] == "the status lists cancellation from release 2.4"
    assert [(w["number"], w["state"]) for w in document["waivers"]] == [(1, "used"), (2, "unused"), (3, "expired")]


def test_a_run_shows_the_waiver_in_junit_and_keeps_the_failure(waived_run) -> None:
    from lxml import etree

    folder, _ = waived_run
    [case] = etree.parse(str(folder / "run" / "junit.xml")).iter("testcase")
    assert [(p.get("name"), p.get("value")) for p in case.iter("property")] == [
        ("waived", "the status lists cancellation from release 2.4 (approved by Pilot Task Force, until 2099-12-31)")]
    assert case.find("failure") is not None


def test_a_run_shows_the_waiver_in_allure_as_failed_in_the_category_waived(waived_run) -> None:
    folder, _ = waived_run
    results = folder / "run" / "allure-results"
    [result] = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    assert result["status"] == "failed"
    assert ("waived", "the status lists cancellation from release 2.4 (approved by Pilot Task Force, until "
            "2099-12-31)") in {(label["name"], label["value"]) for label in result["labels"]}
    message = result["statusDetails"]["message"]
    assert message.startswith("Waived: the status lists cancellation from release 2.4 (approved by")
    assert "does not list cancellation" in message
    categories = json.loads((results / "categories.json").read_text())
    first = next(c for c in categories if "failed" in c.get("matchedStatuses", []))
    assert first["name"] == "Waived"


def test_the_html_report_puts_the_waived_failure_in_the_category_waived(waived_run) -> None:
    import base64
    import re

    folder, _ = waived_run
    html = (folder / "run" / "allure-report" / "index.html").read_text(encoding="utf-8", errors="replace")
    found = re.search(r'd\("widgets/categories.json","([A-Za-z0-9+/=]+)"\)', html)
    assert found, "the report embeds no categories"
    categories = json.loads(base64.b64decode(found.group(1)))
    assert [(c["name"], c["statistic"]["failed"]) for c in categories["items"]] == [("Waived", 1)]


def test_with_accept_waivers_the_waived_failure_exits_0(tmp_path: Path) -> None:
    waivers = _file(tmp_path, RUN_WAIVERS)
    done = _run(tmp_path, "--waivers", str(waivers), "--accept-waivers")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[1/1] waived      LIF-02" in done.stdout


def test_a_waiver_for_another_party_leaves_the_failure_failed(tmp_path: Path) -> None:
    waivers = _file(tmp_path, RUN_WAIVERS.split("\n\n")[3])
    done = _run(tmp_path, "--waivers", str(waivers), "--accept-waivers")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED (partner defect)  LIF-02" in done.stdout and "WAIVED" not in done.stdout


def test_a_waiver_file_with_a_mistake_stops_the_run_with_one_sentence(tmp_path: Path) -> None:
    waivers = _file(tmp_path, RUN_WAIVERS.replace('until = 2020-01-01', 'until = "soon"'))
    done = _run(tmp_path, "--waivers", str(waivers))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().endswith("waiver 3: until 'soon' is not a date; write it as until = 2026-12-31.")
    assert "Traceback" not in done.stderr and "[1/1]" not in done.stdout


def test_accept_waivers_without_waivers_is_a_usage_error(tmp_path: Path) -> None:
    done = _run(tmp_path, "--accept-waivers")
    assert done.returncode == 2
    assert "--accept-waivers needs --waivers FILE" in done.stderr
