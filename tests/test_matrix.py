"""The pilot matrix: run folders read, each direction judged from both sides, the page as a browser shows it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from epix.matrix import RunFolderError, build_matrix, load_run, write_matrix
from epix.matrix.grid import NOT_READY, NOT_SHOWN, READY, READY_WITH_WARNINGS, DuplicateParty, Matrix
from epix.matrix.page import render
from epix.report.allure_files import write_environment
from epix.report.outcomes import RunOutcome, ScenarioResult
from epix.report.requirements import requirement_titles

ROOT = Path(__file__).resolve().parents[1]
_MAIN = "import sys; from epix.cli import main; sys.exit(main(sys.argv[1:]))"

#: A small suite: what each capability's scenarios check.
SUITE = {
    "pull": frozenset({"PULL-02", "PULL-03"}),
    "final": frozenset({"PULL-07"}),
    "confirm-quantities": frozenset({"PULL-08", "PULL-07"}),
    "import": frozenset({"CALL-02"}),
    "receive": frozenset({"ENV-12", "SIG-01"}),
    "cancel": frozenset({"LIF-20"}),
    "send": frozenset({"OUT-01"}),
}
#: Every scenario of SUITE, passed: (name, requirements, capability).
SCENARIOS = [
    ("permit by number and token", ["PULL-02"], "pull"),
    ("wrong token refused", ["PULL-03"], "pull"),
    ("final permit", ["PULL-07"], "final"),
    ("confirm quantities", ["PULL-08"], "confirm-quantities"),
    ("final permit after confirmation", ["PULL-07"], "confirm-quantities"),
    ("import a permit", ["CALL-02"], "import"),
    ("addressed to another party", ["ENV-12"], "receive"),
    ("unsigned refused", ["SIG-01"], "receive"),
    ("cancel", ["LIF-20"], "cancel"),
    ("send an envelope", ["OUT-01"], "send"),
]


def _run(folder: Path, party: str, outcomes: dict[str, str] | None = None, *, drop: tuple[str, ...] = (),
         warnings: dict[str, str] | None = None) -> Path:
    """A run folder as `epix run` writes it: every scenario of SCENARIOS passed unless ``outcomes``
    (scenario name -> outcome) says otherwise; the scenarios named in ``drop`` did not run."""
    outcomes, warnings = outcomes or {}, warnings or {}
    results = []
    for name, requirements, capability in SCENARIOS:
        if name in drop:
            continue
        result = ScenarioResult(f"steps/test_conformance.py::test_{name.replace(' ', '_')}", name, None,
                                requirements, capability, outcomes.get(name, "passed"))
        if name in warnings:
            result.warnings = [warnings[name]]
        results.append(result)
    folder.mkdir(parents=True)
    RunOutcome(results).save(folder / "outcome.json")
    write_environment(folder / "allure-results", {"Profile": f"{party} profile", "Suite version": "0.1.0+abc",
                                                  "Partner": party})
    return folder


def _matrix(*folders: Path) -> Matrix:
    return build_matrix([load_run(folder) for folder in folders], SUITE)


def test_a_cell_is_ready_only_when_both_sides_passed_what_the_direction_needs(tmp_path: Path) -> None:
    matrix = _matrix(_run(tmp_path / "fr", "FR"), _run(tmp_path / "it", "IT", {"wrong token refused": "failed"}))
    fetch, deliver = matrix.grids
    assert fetch.cell("IT", "FR").state == READY
    assert fetch.cell("FR", "IT").state == NOT_READY
    assert fetch.cell("FR", "IT").column.failed == ("PULL-03",)
    assert fetch.cell("FR", "FR") is None
    assert deliver.cell("FR", "IT").state == READY and deliver.cell("IT", "FR").state == READY


def test_the_importing_side_counts_too(tmp_path: Path) -> None:
    matrix = _matrix(_run(tmp_path / "fr", "FR", {"import a permit": "failed"}), _run(tmp_path / "de", "DE"))
    fetch = matrix.grids[0]
    assert fetch.cell("FR", "DE").state == NOT_READY
    assert fetch.cell("FR", "DE").row.failed == ("CALL-02",)
    assert fetch.cell("DE", "FR").state == READY


def test_a_side_the_suite_cannot_test_yet_is_not_shown_never_ready(tmp_path: Path) -> None:
    suite = {capability: ids for capability, ids in SUITE.items() if capability not in ("import", "send")}
    matrix = build_matrix([load_run(_run(tmp_path / "fr", "FR")), load_run(_run(tmp_path / "de", "DE"))], suite)
    for grid in matrix.grids:
        cell = grid.cell("FR", "DE")
        assert cell.state == NOT_SHOWN
        assert cell.column.holds and not cell.row.holds and not cell.row.in_suite
    text = _text(render(matrix))
    assert "FR's importing system not shown: the suite has no scenario for import yet." in text
    assert "DE's adapter passed every requirement of confirm-quantities, final, pull (4)." in text


def test_the_suites_own_scenarios_leave_the_importing_and_sending_sides_not_shown(tmp_path: Path) -> None:
    """With the suite as it is (no CALL- or OUT- scenario yet), no cell can be ready."""
    matrix = build_matrix([load_run(_run(tmp_path / "fr", "FR")), load_run(_run(tmp_path / "de", "DE"))])
    assert {cell.state for grid in matrix.grids for cell in grid.cells.values()} <= {NOT_SHOWN, NOT_READY}
    assert not matrix.grids[0].cell("FR", "DE").row.in_suite


def test_a_requirement_that_did_not_run_leaves_the_cell_not_shown(tmp_path: Path) -> None:
    matrix = _matrix(_run(tmp_path / "fr", "FR"), _run(tmp_path / "de", "DE", drop=("wrong token refused",)))
    cell = matrix.grids[0].cell("FR", "DE")
    assert cell.state == NOT_SHOWN and cell.column.missing == ("PULL-03",)
    assert "not run: PULL-03" in _text(render(matrix))


def test_an_optional_capability_that_did_not_run_is_named(tmp_path: Path) -> None:
    matrix = _matrix(_run(tmp_path / "fr", "FR"), _run(tmp_path / "de", "DE", drop=("final permit",)))
    cell = matrix.grids[0].cell("FR", "DE")
    assert cell.state == READY and cell.column.unshown == ("final",)
    assert "DE's adapter passed every requirement of confirm-quantities, pull (4)." in _text(render(matrix))
    assert "DE's final not shown: no scenario of it ran." in _text(render(matrix))


def test_a_requirement_skipped_as_not_claimed_is_not_needed(tmp_path: Path) -> None:
    """A confirmation scenario that needs ``final`` too is skipped for a party without ``final``."""
    not_claimed = {"final permit": "not claimed", "final permit after confirmation": "not claimed"}
    matrix = _matrix(_run(tmp_path / "fr", "FR"), _run(tmp_path / "de", "DE", not_claimed))
    cell = matrix.grids[0].cell("FR", "DE")
    assert cell.state == READY and cell.column.state == "passed"
    assert cell.column.needed == ("PULL-02", "PULL-03", "PULL-08") and cell.column.not_offered == ("final",)


def test_a_side_with_no_scenario_run_is_not_shown(tmp_path: Path) -> None:
    pulls = ("permit by number and token", "wrong token refused", "final permit")
    matrix = _matrix(_run(tmp_path / "fr", "FR"), _run(tmp_path / "de", "DE", drop=pulls))
    assert matrix.grids[0].cell("FR", "DE").state == NOT_SHOWN
    assert "DE's adapter not shown: no scenario of pull ran." in _text(render(matrix))


def test_a_capability_not_claimed(tmp_path: Path) -> None:
    """A required one makes the direction not ready; an optional one is only named."""
    not_claimed = {"permit by number and token": "not claimed", "wrong token refused": "not claimed",
                   "cancel": "not claimed"}
    matrix = _matrix(_run(tmp_path / "fr", "FR"), _run(tmp_path / "de", "DE", not_claimed))
    fetch, deliver = matrix.grids
    assert fetch.cell("FR", "DE").state == NOT_READY and fetch.cell("FR", "DE").column.not_claimed == ("pull",)
    assert deliver.cell("FR", "DE").state == READY and deliver.cell("FR", "DE").column.not_offered == ("cancel",)
    text = _text(render(matrix))
    assert "DE does not claim pull." in text and "DE does not offer cancel." in text


def test_warnings_and_broken_and_waived_scenarios(tmp_path: Path) -> None:
    matrix = _matrix(_run(tmp_path / "fr", "FR", warnings={"wrong token refused": "PULL-03: no EPX code"},
                          outcomes={"wrong token refused": "warning", "unsigned refused": "broken"}),
                     _run(tmp_path / "de", "DE", {"addressed to another party": "waived"}))
    fetch, deliver = matrix.grids
    assert fetch.cell("DE", "FR").state == READY_WITH_WARNINGS
    assert deliver.cell("DE", "FR").state == NOT_READY and deliver.cell("DE", "FR").column.broken == ("SIG-01",)
    assert deliver.cell("FR", "DE").state == NOT_READY and deliver.cell("FR", "DE").column.waived == ("ENV-12",)
    text = _text(render(matrix))
    assert "FR: passed with a warning: PULL-03." in text
    assert "FR's receiving endpoint: SIG-01 could not be checked (broken)." in text
    assert "DE's receiving endpoint failed ENV-12, waived." in text


def test_the_runs_facts_come_before_the_allure_environment(tmp_path: Path) -> None:
    folder = _run(tmp_path / "run", "FR")
    outcome = RunOutcome.load(folder / "outcome.json")
    outcome.run = {"party": "ES", "profile": "Spain", "date": "2026-11-29T23:10:00+01:00"}
    outcome.save(folder / "outcome.json")
    run = load_run(folder)
    assert (run.party, run.profile, run.date, len(run.results)) == ("ES", "Spain", "2026-11-29 22:10 UTC",
                                                                    len(SCENARIOS))


def test_a_run_written_before_the_runs_facts_is_read(tmp_path: Path) -> None:
    folder = _run(tmp_path / "run", "FR")
    results = json.loads((folder / "outcome.json").read_text())["results"]
    (folder / "outcome.json").write_text(json.dumps(results))
    assert load_run(folder).party == "FR" and len(load_run(folder).results) == len(SCENARIOS)


@pytest.mark.parametrize(("spoil", "says"), [
    (lambda f: shutil.rmtree(f), "is not a run folder"),
    (lambda f: (f / "outcome.json").unlink(), "holds no outcome.json"),
    (lambda f: (f / "outcome.json").write_text("{not json"), "cannot be read as an outcome file"),
    (lambda f: (f / "outcome.json").write_text('{"results": 3}'), "is not an outcome file"),
    (lambda f: (f / "outcome.json").write_text('[{"outcome": "passed"}]'), "a result is incomplete"),
    (lambda f: _spoil_result(f, outcome="great"), "result 1 has the outcome 'great'"),
    (lambda f: _spoil_result(f, requirements="PULL-02"), "result 1 has no list of requirement IDs"),
    (lambda f: (f / "allure-results" / "environment.properties").unlink(), "does not say which party was tested"),
])
def test_a_run_folder_that_cannot_be_read_is_named_in_one_sentence(tmp_path: Path, spoil, says: str) -> None:
    folder = _run(tmp_path / "run", "FR")
    spoil(folder)
    with pytest.raises(RunFolderError, match=re.escape(says)) as caught:
        load_run(folder)
    assert str(folder) in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("lang", "words"), [
    ("fr", ["Matrice du pilote EPIX", "Pas prêt", "IT, adaptateur : échec à PULL-03 ({title}).", "Prêt"]),
    ("es", ["Matriz del piloto EPIX", "No listo", "IT, adaptador: falló PULL-03 ({title}).", "Listo"]),
])
def test_the_page_speaks_the_readers_language(tmp_path: Path, lang: str, words: list[str]) -> None:
    matrix = _matrix(_run(tmp_path / "fr", "FR"), _run(tmp_path / "it", "IT", {"wrong token refused": "failed"}))
    html = render(matrix, lang=lang)
    assert f'<html lang="{lang}">' in html
    title = requirement_titles(lang)["PULL-03"]
    for text in words:
        assert text.format(title=title) in _text(html), text
    assert "Not ready" not in _text(html) and "failed" not in _text(html)


def _spoil_result(folder: Path, **values: object) -> None:
    document = json.loads((folder / "outcome.json").read_text())
    document["results"][0].update(values)
    (folder / "outcome.json").write_text(json.dumps(document))


def test_two_runs_of_one_party_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DuplicateParty, match="are both runs of party FR"):
        _matrix(_run(tmp_path / "a", "FR"), _run(tmp_path / "b", "FR"))


def test_epix_matrix_prints_the_page_on_a4_landscape_one_binding_a_page(tmp_path: Path) -> None:
    fr, it = _run(tmp_path / "fr", "FR"), _run(tmp_path / "it", "IT", {"wrong token refused": "failed"})
    out = tmp_path / "matrix.html"
    done = subprocess.run([sys.executable, "-c", _MAIN, "matrix", str(fr), str(it), "--out", str(out), "--pdf"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    pdf = (tmp_path / "matrix.pdf").read_bytes()
    assert f"matrix PDF: {tmp_path / 'matrix.pdf'}" in done.stdout
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert len(boxes) == 3, "a page per binding and one for the runs"
    assert all(round(float(w)) == 842 and round(float(h)) == 595 for w, h in boxes), boxes


def test_epix_matrix_writes_the_page_and_names_a_missing_folder(tmp_path: Path) -> None:
    fr, it = _run(tmp_path / "fr", "FR"), _run(tmp_path / "it", "IT", {"wrong token refused": "failed"})
    out = tmp_path / "out" / "matrix.html"
    done = subprocess.run([sys.executable, "-c", _MAIN, "matrix", str(fr), str(it), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"matrix: {out}" in done.stdout and out.exists()
    done = subprocess.run([sys.executable, "-c", _MAIN, "matrix", str(fr), str(tmp_path / "nowhere")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == f"epix matrix: {tmp_path / 'nowhere'} is not a run folder: it does not exist or " \
                                  "is not a folder."


def _text(html: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text).replace("&#x27;", "'")


def test_chromium_shows_the_outcomes_in_each_cell(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is not installed: `apt-get install -y chromium` (.ci/run installs it)"
    matrix = _matrix(_run(tmp_path / "fr", "FR"), _run(tmp_path / "de", "DE", drop=("wrong token refused",)),
                     _run(tmp_path / "it", "IT", {"wrong token refused": "failed",
                                                  "addressed to another party": "failed"}))
    page = write_matrix(matrix, tmp_path / "matrix.html")
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": os.environ.get("HOME", "/tmp")})
    found = {}
    for section in re.split(r'(?=<section class="binding")', done.stdout)[1:]:
        binding = re.search(r'data-binding="(\w)"', section).group(1)
        for m in re.finditer(r'<td class="cell [^"]*" data-state="([^"]+)" data-row="(\w+)" '
                             r'data-column="(\w+)">(.*?)</td>', section, flags=re.S):
            found[(binding, m.group(2), m.group(3))] = (m.group(1), _text(m.group(4)).strip())
    assert len(found) == 2 * 6, found
    state, text = found[("A", "FR", "IT")]
    assert state == NOT_READY and text.startswith("✗ Not ready")
    assert "IT's adapter failed PULL-03 (An unknown number or wrong token reveals nothing)." in text
    state, text = found[("B", "DE", "IT")]
    assert state == NOT_READY and "IT's receiving endpoint failed ENV-12 (The receiver is the party addressed)." in text
    assert found[("A", "IT", "FR")][0] == READY and found[("A", "IT", "FR")][1].startswith("✓ Ready")
    assert found[("A", "FR", "DE")] == (NOT_SHOWN, "○ Not shown DE's adapter: 3 of 4 requirements shown and passed; "
                                                   "not run: PULL-03. FR's importing system passed every requirement "
                                                   "of import (1).")


@pytest.mark.slow
def test_the_sample_pilot_runs_three_simulated_parties_and_draws_their_matrix(tmp_path: Path) -> None:
    """samples/pilot.py (make sample), on a few scenarios: real runs against three simulated parties."""
    done = subprocess.run([sys.executable, str(ROOT / "samples" / "pilot.py"), "--out", str(tmp_path),
                           "--tags", "@PULL-03 or @ENV-12"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    for party in ("de", "fr", "it"):
        assert (tmp_path / party / "run" / "outcome.json").exists()
        assert (tmp_path / party / "run" / "statement.html").exists()
    matrix = build_matrix([load_run(tmp_path / party / "run") for party in ("de", "fr", "it")])
    fetch, deliver = matrix.grids
    assert fetch.cell("FR", "IT").state == NOT_READY and fetch.cell("FR", "IT").column.failed == ("PULL-03",)
    assert deliver.cell("DE", "IT").state == NOT_READY and "ENV-12" in deliver.cell("DE", "IT").column.failed
    assert fetch.cell("IT", "FR").state == NOT_SHOWN and not fetch.cell("IT", "FR").column.failed
    assert "IT's adapter failed PULL-03" in _text((tmp_path / "matrix.html").read_text(encoding="utf-8"))
