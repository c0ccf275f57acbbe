"""Reports: Allure files, tag selection, the summary, and the HTML report as a person sees it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from epix.profile import load_profile
from epix.report import allure_files
from epix.report.html import HtmlReport, ReportFailed, ReportToolMissing, allure_command, check_no_analytics
from epix.report.outcomes import (
    BROKEN, FAILED, NOT_CLAIMED, PASSED, WARNING, RunOutcome, ScenarioResult, problem_list, summary_table,
    warning_list,
)
from epix.report.selection import TagExpressionError, parse_tags

from browser import rendered_text

ROOT = Path(__file__).resolve().parents[1]
#: `epix` as the console script runs it (python -m epix.cli would load epix.cli twice).
_MAIN = "import sys; from epix.cli import main; sys.exit(main(sys.argv[1:]))"


# ---------------------------------------------------------------------------
# Tag expressions

@pytest.mark.parametrize(("expression", "tags", "expected"), [
    ("@SIG-02", {"SIG-02", "area:signatures"}, True),
    ("@SIG-02", {"SIG-03"}, False),
    ("@signatures", {"SIG-02", "area:signatures"}, True),
    ("@pull", {"capability:pull"}, True),
    ("@capability:pull", {"capability:pull"}, True),
    ("@signatures and not @SIG-06", {"SIG-06", "area:signatures"}, False),
    ("@signatures and not @SIG-06", {"SIG-05", "area:signatures"}, True),
    ("(@ENV-03 or @ENV-04) and @receive", {"ENV-04", "capability:receive"}, True),
    ("@ENV-03 or @ENV-04", {"ENV-05"}, False),
])
def test_tag_expressions_select_scenarios(expression: str, tags: set[str], expected: bool) -> None:
    assert parse_tags(expression)(tags) is expected


@pytest.mark.parametrize("expression", ["", "@A and", "(@A or @B", "@A )", "and @A", "@A $ @B"])
def test_a_broken_tag_expression_is_named(expression: str) -> None:
    with pytest.raises(TagExpressionError, match="--tags"):
        parse_tags(expression)


# ---------------------------------------------------------------------------
# Outcomes, summary, exit codes

def _result(outcome: str, area: str = "signatures", *, unreachable: bool = False, name: str = "S") -> ScenarioResult:
    return ScenarioResult(f"steps/test_conformance.py::test_{name}", name, area, ["SIG-02"], "receive", outcome,
                          "SIG-02: the partner accepted it" if outcome == FAILED else "", unreachable)


def test_the_exit_code_follows_the_outcomes() -> None:
    assert RunOutcome([_result(PASSED), _result(NOT_CLAIMED)]).exit_code() == 0
    assert RunOutcome([_result(PASSED), _result(FAILED)]).exit_code() == 1
    assert RunOutcome([_result(BROKEN)]).exit_code() == 1
    assert RunOutcome([_result(FAILED), _result(BROKEN, unreachable=True)]).exit_code() == 3


def _warned(outcome: str, *warnings: str, name: str = "W") -> ScenarioResult:
    result = _result(outcome, "pull", name=name)
    result.requirements = ["PULL-03"]
    result.warnings = list(warnings)
    return result


def test_a_warning_exits_0_like_a_pass() -> None:
    warned = _warned(WARNING, "PULL-03: the fault names no EPX code (RECOMMENDED: EPX-304)")
    assert RunOutcome([_result(PASSED), warned]).exit_code() == 0
    assert RunOutcome([warned, _result(FAILED)]).exit_code() == 1


def test_the_summary_table_counts_each_area() -> None:
    outcome = RunOutcome([_result(PASSED), _result(FAILED), _result(NOT_CLAIMED, "pull"), _result(PASSED, "pull"),
                          _warned(WARNING, "PULL-03: …")])
    table = summary_table(outcome).splitlines()
    assert table[0].split() == ["Area", "Passed", "Warning", "Failed", "Waived", "Broken", "Not", "claimed", "Skipped",
                                "Total"]
    pull = next(line for line in table if line.startswith("Binding A"))
    signatures = next(line for line in table if line.startswith("Signatures"))
    total = table[-1]
    assert pull.split()[-8:] == ["1", "1", "0", "0", "0", "1", "0", "3"]
    assert signatures.split()[-8:] == ["1", "0", "1", "0", "0", "0", "0", "2"]
    assert total.split()[-8:] == ["2", "1", "1", "0", "0", "1", "0", "5"]


def test_the_warnings_are_listed_with_their_scenario_whatever_its_outcome() -> None:
    outcome = RunOutcome([_warned(WARNING, "PULL-03: the fault names no EPX code (RECOMMENDED: EPX-304)", name="a"),
                          _warned(FAILED, "PULL-03: the fault names no EPX code (RECOMMENDED: EPX-309)", name="b"),
                          _result(PASSED)])
    text = warning_list(outcome)
    assert text.count("\n\n") == 1
    assert "PASSED WITH A WARNING  PULL-03  a\n    warning: PULL-03: the fault names no EPX code (RECOMMENDED: EPX-304)" in text
    assert "FAILED, AND WARNED  PULL-03  b\n    warning: PULL-03: the fault names no EPX code (RECOMMENDED: EPX-309)" in text
    assert warning_list(RunOutcome([_result(PASSED), _result(FAILED)])) == ""


def test_the_outcome_file_keeps_the_warnings_and_reads_one_written_without_them(tmp_path: Path) -> None:
    path = tmp_path / "outcome.json"
    RunOutcome([_warned(WARNING, "PULL-03: …")]).save(path)
    assert json.loads(path.read_text())["results"][0]["outcome"] == "warning"
    assert RunOutcome.load(path).results[0].warnings == ["PULL-03: …"]
    earlier = json.loads(path.read_text())["results"]  # a bare list, as earlier versions wrote it
    del earlier[0]["warnings"], earlier[0]["waiver"], earlier[0]["waived_outcome"]
    path.write_text(json.dumps(earlier))
    assert RunOutcome.load(path).results[0].warnings == []


def test_the_outcome_file_keeps_the_run_s_facts_and_other_entries(tmp_path: Path) -> None:
    path = tmp_path / "outcome.json"
    RunOutcome([_result(PASSED)], {"party": "FR"}, {"other": [1]}, [{"state": "unused"}]).save(path)
    again = RunOutcome.load(path)
    assert again.run == {"party": "FR"} and again.extra == {"other": [1]} and again.waivers == [{"state": "unused"}]
    again.save(path)
    assert json.loads(path.read_text())["waivers"] == [{"state": "unused"}]
    assert json.loads(path.read_text())["other"] == [1]


@pytest.mark.parametrize("content", ["{", '{"results": 3}', '[{"name": "x"}]', '"text"'])
def test_a_file_that_is_no_outcome_file_is_named(tmp_path: Path, content: str) -> None:
    from epix.report.outcomes import OutcomeFileError

    path = tmp_path / "outcome.json"
    path.write_text(content)
    with pytest.raises(OutcomeFileError, match="outcome.json"):
        RunOutcome.load(path)


def test_each_problem_comes_with_the_command_that_runs_it_again() -> None:
    text = problem_list(RunOutcome([_result(FAILED, name="x")]), "pytest --profile p.toml")
    assert "FAILED (partner defect)  SIG-02" in text
    assert "re-run: pytest --profile p.toml 'steps/test_conformance.py::test_x'" in text


def test_an_unreachable_partner_is_said_once() -> None:
    broken = [_result(BROKEN, unreachable=True, name=str(i)) for i in range(5)]
    for result in broken:
        result.message = "nothing answers at the partner at https://127.0.0.1:9 (connection refused)"
    text = problem_list(RunOutcome(broken), "pytest")
    assert text.count("connection refused") == 1 and "(5 scenarios broken)" in text


_RECORDED = """\
from epix.report.warning import warn


def test_warned():
    warn("PULL-03", "the fault names no EPX code (RECOMMENDED: EPX-304)")


def test_warned_and_failed():
    warn("PULL-03", "the fault names no EPX code (RECOMMENDED: EPX-309)")
    assert False, "PULL-03: the partner's fault names EPX-500"


def test_warned_and_broken():
    warn("PULL-04", "the fault names no EPX code (RECOMMENDED: EPX-101)")
    raise LookupError("a harness bug")


def test_plain():
    pass
"""
_RECORDING = """\
from pathlib import Path

from epix.report.recorder import RunRecorder


def pytest_configure(config):
    config.pluginmanager.register(RunRecorder(save_to=Path("outcome.json")), "epix-recorder")
"""


def test_the_recorder_keeps_each_scenario_s_warnings_in_the_outcome_and_in_junit(tmp_path: Path) -> None:
    (tmp_path / "test_recorded.py").write_text(_RECORDED)
    (tmp_path / "conftest.py").write_text(_RECORDING)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "--rootdir", str(tmp_path), "--junitxml", "junit.xml", "test_recorded.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1, done.stdout + done.stderr
    results = {r.name.removeprefix("test_"): r for r in RunOutcome.load(tmp_path / "outcome.json").results}
    assert {name: r.outcome for name, r in results.items()} == {
        "warned": WARNING, "warned_and_failed": FAILED, "warned_and_broken": BROKEN, "plain": PASSED}
    assert results["warned"].warnings == ["PULL-03: the fault names no EPX code (RECOMMENDED: EPX-304)"]
    assert results["warned_and_failed"].warnings == ["PULL-03: the fault names no EPX code (RECOMMENDED: EPX-309)"]
    assert results["warned_and_failed"].message == "PULL-03: the partner's fault names EPX-500"
    assert results["warned_and_broken"].warnings and results["plain"].warnings == []
    from lxml import etree

    cases = {case.get("name"): case for case in etree.parse(str(tmp_path / "junit.xml")).iter("testcase")}
    properties = {name: [(p.get("name"), p.get("value")) for p in case.iter("property")] for name, case in cases.items()}
    assert properties["test_warned"] == [("warning", "PULL-03: the fault names no EPX code (RECOMMENDED: EPX-304)")]
    assert properties["test_warned_and_failed"] == [
        ("warning", "PULL-03: the fault names no EPX code (RECOMMENDED: EPX-309)")]
    assert properties["test_plain"] == []


def test_a_warning_outside_a_scenario_is_the_harness_s_error() -> None:
    from epix.report.warning import NoScenario, collecting, warn

    with pytest.raises(NoScenario, match="outside a scenario: PULL-03: the fault names no EPX code"):
        warn("PULL-03", "the fault names no EPX code (RECOMMENDED: EPX-304)")
    with collecting() as warnings:
        warn("PULL-03", "a")
        warn("PULL-03", "a")
        warn("PULL-04", "b")
    assert [str(w) for w in warnings] == ["PULL-03: a", "PULL-04: b"]


# ---------------------------------------------------------------------------
# Allure files

def test_environment_names_the_partner_and_no_secret(tmp_path: Path) -> None:
    profile = load_profile(ROOT / "fixtures" / "profiles" / "simulator.toml")
    path = allure_files.write_environment(tmp_path, allure_files.environment(profile))
    text = path.read_text()
    assert "Profile\\ version=1" in text and "Our\\ party=CH" in text and "Simulator\\ faults=none" in text
    assert not re.search(r"(?i)\.key|token|password|secret", text)


def test_categories_tell_partner_defects_from_unreachable_and_harness_errors(tmp_path: Path) -> None:
    categories = json.loads(allure_files.write_categories(tmp_path).read_text())
    names = [c["name"] for c in categories]
    assert names == ["Partner unreachable", "Waived", "Partner defects", "Harness errors", "Passed with a warning",
                     "Not claimed"]
    unreachable, waived, warned = categories[0], categories[1], categories[4]
    assert _allure_matches(unreachable["messageRegex"], "epix.transport.errors.PartnerUnreachable: nothing answers\n…")
    assert not _allure_matches(unreachable["messageRegex"], "ValueError: a harness bug")
    assert warned["matchedStatuses"] == ["passed"]
    assert _allure_matches(warned["messageRegex"], "Passed with a warning: PULL-03: the fault names no EPX code")
    assert not _allure_matches(warned["messageRegex"], "AssertionError: PULL-03: Passed with a warning: …")
    assert waived["matchedStatuses"] == ["failed"]
    assert _allure_matches(waived["messageRegex"], "Waived: EPX codes come with 2.4 (approved by TF, until 2026-12-31)")
    assert not _allure_matches(waived["messageRegex"], "LIF-02: the status does not list cancellation (Waived: no)")


def _allure_matches(pattern: str, message: str) -> bool:
    """As Allure 3 matches a category's messageRegex: a JavaScript expression with the flag
    ``s``, found anywhere (an inline ``(?s)`` is an error there, so it matches nothing)."""
    return "(?" not in pattern and re.search(pattern, message, re.DOTALL) is not None


@pytest.mark.parametrize(("env", "name", "url"), [
    ({"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "pilot/epix",
      "GITHUB_RUN_ID": "42", "GITHUB_RUN_NUMBER": "7"}, "GitHub Actions", "https://github.com/pilot/epix/actions/runs/42"),
    ({"GITLAB_CI": "true", "CI_JOB_URL": "https://gitlab.example/job/9", "CI_PIPELINE_ID": "3"}, "GitLab CI",
     "https://gitlab.example/job/9"),
])
def test_the_executor_names_the_ci_build(env: dict[str, str], name: str, url: str) -> None:
    executor = allure_files.executor(env)
    assert executor["name"] == name and executor["buildUrl"] == url


def test_a_local_run_names_this_machine() -> None:
    assert allure_files.executor({})["type"] == "local"


# ---------------------------------------------------------------------------
# The HTML generator

def test_a_report_that_calls_out_to_analytics_is_refused(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text('<script src="https://www.googletagmanager.com/gtag/js"></script>')
    with pytest.raises(ReportFailed, match="googletagmanager"):
        check_no_analytics(HtmlReport(tmp_path))


def test_a_missing_generator_says_how_to_install_it(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        with pytest.raises(ReportToolMissing, match="Node.js"):
            allure_command(tmp_path)
        return
    with pytest.raises(ReportToolMissing, match="npm ci"):
        allure_command(tmp_path)


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`epix run` against the simulated partner that skips code lists: some DOC-02 scenarios fail
    (PULL-10's scenario, which checks two requirements, passes)."""
    folder = tmp_path_factory.mktemp("report-run")
    profile = folder / "profile.toml"
    profile.write_text(textwrap.dedent("""\
        [us]
        party = "CH"
        other_party = "DE"
        [simulator]
        party = "FR"
        faults = ["codelists-skipped"]
        """))
    done = subprocess.run([sys.executable, "-c", _MAIN, "run", "--profile", str(profile), "--tags",
                           "@DOC-02 or @LIF-02 or @LIF-20 or @PULL-10", "--report-dir", str(folder / "run")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert (folder / "run" / "allure-report" / "index.html").exists(), done.stdout + done.stderr
    return folder / "run"


def test_the_run_leaves_results_junit_and_allure_files(faulty_run: Path) -> None:
    results = faulty_run / "allure-results"
    assert len(list(results.glob("*-result.json"))) == len(RunOutcome.load(faulty_run / "outcome.json").results)
    assert (faulty_run / "junit.xml").exists()
    for name in ("environment.properties", "categories.json", "executor.json"):
        assert (results / name).exists(), name
    environment = (results / "environment.properties").read_text()
    assert "Partner=FR" in environment and "Binding\\ B\\ URL=https\\://127.0.0.1" in environment.replace(":", "\\:")


def test_allure_labels_come_from_the_gherkin_tags(faulty_run: Path) -> None:
    results = [json.loads(p.read_text()) for p in (faulty_run / "allure-results").glob("*-result.json")]
    failed = next(r for r in results if r["status"] == "failed")
    labels = {(label["name"], label["value"]) for label in failed["labels"]}
    assert ("epic", "Permit documents and CITES rules") in labels or ("epic", "Error handling") in labels \
        or any(name == "epic" for name, _ in labels)
    assert any(name == "story" and value == "DOC-02" for name, value in labels)
    assert any(name == "severity" for name, _ in labels)
    assert any(link.get("name") == "DOC-02" and link.get("type") == "requirement" for link in failed["links"])


def test_each_scenario_is_one_story_and_each_requirement_a_link_and_a_tag(faulty_run: Path) -> None:
    results = [json.loads(p.read_text()) for p in (faulty_run / "allure-results").glob("*-result.json")]
    for result in results:
        stories = [label["value"] for label in result["labels"] if label["name"] == "story"]
        links = [link["name"] for link in result["links"] if link["type"] == "requirement"]
        tags = {label["value"] for label in result["labels"] if label["name"] == "tag"}
        assert stories == [" ".join(links)], result["name"]
        assert set(links) <= tags, result["name"]
    assert any(len(link_names) == 2 for link_names in
               ([link["name"] for link in r["links"] if link["type"] == "requirement"] for r in results))


def test_the_overview_counts_scenarios_not_requirements(faulty_run: Path) -> None:
    """A scenario that checks two requirements counts once in the behaviours widget ("Features by stories")."""
    behaviors = _embedded(faulty_run / "allure-report", "widgets/behaviors.json")
    results = RunOutcome.load(faulty_run / "outcome.json").results
    assert sum(item["statistic"]["total"] for item in behaviors["items"]) == len(results)
    assert any(len(r.requirements) > 1 for r in results)


def test_the_report_is_named_for_the_party_the_profile_and_the_suite_version(faulty_run: Path) -> None:
    from epix.report.runfacts import suite_version

    environment = allure_files.read_environment(faulty_run / "allure-results")
    name = f"EPIX pilot conformance: FR, profile {environment['Profile']}, suite {suite_version()}"
    assert _embedded(faulty_run / "allure-report", "widgets/summary.json")["reportName"] == name
    shown = {item["name"]: item["values"] for item in _embedded(faulty_run / "allure-report", "widgets/environment.json")}
    assert shown["Partner"] == ["FR"] and shown["Suite version"] == [suite_version()]
    assert list(shown)[:3] == ["Partner", "Profile", "Suite version"], "the overview shows these first"
    assert shown["Profile"] == [environment["Profile"]]


def test_the_report_name_leaves_out_what_the_environment_does_not_say() -> None:
    assert allure_files.report_name({}) == "EPIX pilot conformance"
    assert allure_files.report_name({"Partner": "IT", "Suite version": "0.1.0+abc"}) == \
        "EPIX pilot conformance: IT, suite 0.1.0+abc"


def test_the_environment_is_read_back_as_written(tmp_path: Path) -> None:
    values = {"Profile": "A = b: c", "Binding A URL": "https://127.0.0.1:8443/x?y=1", "Back\\slash": "C:\\dir"}
    allure_files.write_environment(tmp_path, values)
    assert allure_files.read_environment(tmp_path) == values
    assert allure_files.read_environment(tmp_path / "none") == {}


def test_the_changes_state_tag_is_not_shown_as_a_label(faulty_run: Path) -> None:
    """@changes-state only tells the suite to give the scenario a document of its own (LIF-20 carries it)."""
    results = [json.loads(p.read_text()) for p in (faulty_run / "allure-results").glob("*-result.json")]
    assert any(("story", "LIF-20") in {(label["name"], label["value"]) for label in r["labels"]} for r in results)
    shown = [(label["name"], label["value"]) for r in results for label in r["labels"]
             if "changes-state" in label["value"]]
    shown += [(link["type"], link["name"]) for r in results for link in r["links"] if "changes-state" in link["name"]]
    assert not shown


def test_steps_show_their_gherkin_arguments_and_no_fixture(faulty_run: Path) -> None:
    parameters = [parameter for path in (faulty_run / "allure-results").glob("*-result.json")
                  for step in json.loads(path.read_text())["steps"] for parameter in step.get("parameters", [])]
    names = {parameter["name"] for parameter in parameters}
    assert "code" in names
    assert not names & {"scene", "world", "delivery", "answer", "connection", "request"}, names
    assert max(len(parameter["value"]) for parameter in parameters) < 200


def test_the_html_report_calls_nowhere(faulty_run: Path) -> None:
    html = (faulty_run / "allure-report" / "index.html").read_text(errors="replace")
    assert "googletagmanager" not in html and "gtag(" not in html


def test_history_is_carried_from_run_to_run(faulty_run: Path) -> None:
    history = faulty_run.parent / "history.jsonl"
    before = len(history.read_text().splitlines())
    done = subprocess.run([sys.executable, "-c", _MAIN, "report", str(faulty_run)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(history.read_text().splitlines()) == before + 1


def test_chromium_shows_the_scenario_count_and_a_failed_scenarios_request(faulty_run: Path) -> None:
    report = faulty_run / "allure-report"
    count = len(RunOutcome.load(faulty_run / "outcome.json").results)
    overview = rendered_text(report.joinpath("index.html").as_uri())
    assert f"{count} test cases" in overview, overview[:500]
    assert "EPIX pilot conformance: FR, profile" in overview, overview[:500]
    results = json.loads((report / "test-results.json").read_text())["byId"]
    failed = next(uid for uid, result in results.items() if result["status"] == "failed")
    page = rendered_text(report.joinpath("index.html").as_uri() + f"#testresult/{failed}")
    assert "Failed" in page
    assert "request: POST /epix/v1/envelopes" in page, page[:2000]
    assert "response: HTTP" in page


# ---------------------------------------------------------------------------
# A run with warnings, as Allure shows it

@pytest.fixture(scope="module")
def warned_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`epix run` against the simulated partner whose binding-A faults name no EPX code: the
    PULL-03 scenarios pass with a warning, PULL-02's pass."""
    folder = tmp_path_factory.mktemp("warned-run")
    profile = folder / "profile.toml"
    profile.write_text('[us]\nparty = "CH"\nother_party = "DE"\n[simulator]\nparty = "FR"\nfaults = ["no-epx-codes"]\n')
    done = subprocess.run([sys.executable, "-c", _MAIN, "run", "--profile", str(profile), "--tags",
                           "@PULL-03 or @PULL-02", "--report-dir", str(folder / "run")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (folder / "run" / "allure-report" / "index.html").exists(), done.stdout + done.stderr
    return folder / "run"


def test_allure_labels_each_warning_and_says_the_scenario_passed_with_one(warned_run: Path) -> None:
    results = [json.loads(p.read_text()) for p in (warned_run / "allure-results").glob("*-result.json")]
    warned = [r for r in results if any(label["name"] == "warning" for label in r["labels"])]
    assert len(warned) == 2 and len(results) == 4
    for result in warned:
        warnings = [label["value"] for label in result["labels"] if label["name"] == "warning"]
        assert result["status"] == "passed"
        assert result["statusDetails"]["message"] == f"Passed with a warning: {warnings[0]}"
        assert warnings[0].startswith("PULL-03: the fault names no EPX code (RECOMMENDED: EPX-30")
    assert all(r["status"] == "passed" and not r.get("statusDetails") for r in results if r not in warned)


def _embedded(report: Path, name: str) -> object:
    """A data file of the single-file Allure report (embedded base64-encoded)."""
    import base64

    html = (report / "index.html").read_text(encoding="utf-8", errors="replace")
    found = re.search(rf'd\("{re.escape(name)}","([A-Za-z0-9+/=]+)"\)', html)
    assert found, f"the report embeds no {name}"
    return json.loads(base64.b64decode(found.group(1)))


def test_epix_report_lists_the_warnings_again(warned_run: Path) -> None:
    done = subprocess.run([sys.executable, "-c", _MAIN, "report", str(warned_run)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" in done.stdout.splitlines()[0]
    assert "warning: PULL-03: the fault names no EPX code (RECOMMENDED: EPX-309)" in done.stdout


def test_the_report_shows_the_warned_scenarios_in_their_own_category(warned_run: Path) -> None:
    categories = _embedded(warned_run / "allure-report", "widgets/categories.json")
    assert [(c["name"], c["statistic"]["passed"], c["statistic"]["total"]) for c in categories["items"]] == [
        ("Passed with a warning", 2, 2)]


def test_the_report_sorts_a_partner_defect_into_its_category(faulty_run: Path) -> None:
    categories = _embedded(faulty_run / "allure-report", "widgets/categories.json")
    assert "Partner defects" in [c["name"] for c in categories["items"]]
