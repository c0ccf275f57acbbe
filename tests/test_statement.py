"""The readiness statement: each requirement's outcome, its page as a person sees it, its PDF, `epix statement`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lxml import html as lxml_html

from epix.report.catalogue import NOT_COVERED, SPEC_FILES, spec_requirements
from epix.report.labels import NEEDS_PERSON_MARK
from epix.report.outcomes import BROKEN, FAILED, NOT_CLAIMED, PASSED, SKIPPED, WARNING, RunOutcome, ScenarioResult
from epix.statement import StatementError, build_statement
from epix.statement import verdicts as v
from epix.statement.verdicts import requirement_verdicts, verdict

from browser import rendered_text

ROOT = Path(__file__).resolve().parents[1]
_MAIN = "import sys; from epix.cli import main; sys.exit(main(sys.argv[1:]))"


def _scenario(outcome: str, *requirements: str, name: str = "S", message: str = "",
              warnings: tuple[str, ...] = (), needs: tuple[str, ...] = ()) -> ScenarioResult:
    return ScenarioResult(f"steps/test_conformance.py::test_{name}", name, "lifecycle", list(requirements), "receive",
                          outcome, message, needs=list(needs), warnings=list(warnings))


# ---------------------------------------------------------------------------
# A requirement's outcome from its scenarios'

@pytest.mark.parametrize(("outcomes", "expected"), [
    ((PASSED, PASSED), v.PASSED),
    ((PASSED, WARNING), v.WARNING),
    ((PASSED, WARNING, FAILED), v.FAILED),
    ((PASSED, BROKEN), v.BROKEN),
    ((FAILED, BROKEN), v.FAILED),
    ((PASSED, "waived"), v.WAIVED),
    ((NOT_CLAIMED, NOT_CLAIMED), v.NOT_CLAIMED),
    ((NOT_CLAIMED, PASSED), v.PASSED),
    ((SKIPPED,), v.NOT_RUN),
])
def test_a_requirement_adds_up_its_scenarios(outcomes: tuple[str, ...], expected: str) -> None:
    results = tuple(_scenario(o, "LIF-02", name=str(i)) for i, o in enumerate(outcomes))
    assert verdict("LIF-02", results).outcome == expected


def test_a_scenario_left_to_a_person_makes_its_requirement_need_one() -> None:
    person = _scenario(SKIPPED, "LIF-02", message=f"{NEEDS_PERSON_MARK}: a person judges this scenario")
    assert verdict("LIF-02", (_scenario(PASSED, "LIF-02"), person)).outcome == v.NEEDS_PERSON


def test_a_requirement_without_evidence_never_passes() -> None:
    only_needed = _scenario(PASSED, "ERR-02", needs=("LIF-22",))
    found = {one.requirement: one for one in requirement_verdicts(["LIF-22", "CALL-01", "ERR-02"], [only_needed])}
    assert found["LIF-22"].outcome == v.NOT_RUN
    assert found["CALL-01"].outcome == v.NOT_COVERED and found["CALL-01"].reason == NOT_COVERED["CALL-01"]
    assert found["ERR-02"].outcome == v.PASSED


# ---------------------------------------------------------------------------
# The statement of a run folder

def _run_folder(folder: Path, results: list[ScenarioResult], *, preflight: bool = True,
                waivers: list[dict] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    facts = {"party": "FR", "endpoints": {"binding B": "https://fr.example/epix/v1"},
             "capabilities": ["pull", "receive"],
             "profile": "FR pilot", "profile_file": "fr.toml", "profile_version": "1", "suite_version": "abc1234",
             "suite_hash": "f" * 64, "harness_version": "0.1.0", "date": "2026-11-29T21:00:00+00:00", "tags": "",
             "simulated": False, "simulator_faults": []}
    RunOutcome(results, facts, waivers=waivers or []).save(folder / "outcome.json")
    if preflight:
        (folder / "preflight.json").write_text(json.dumps([
            {"check": "DNS fr.example", "status": "ok", "found": "resolves to 192.0.2.1", "fix": ""},
            {"check": "clock", "status": "warn", "found": "their clock is 150 s ahead", "fix": "sync it with NTP"}]))
    return folder


def _mixed_results() -> list[ScenarioResult]:
    return [
        _scenario(PASSED, "PULL-01", name="a"),
        _scenario(WARNING, "PULL-03", name="b",
                  warnings=("PULL-03: the fault names no EPX code (RECOMMENDED: EPX-304)",)),
        _scenario(FAILED, "LIF-02", name="c", message="LIF-02: the status does not list cancellation"),
        _scenario(NOT_CLAIMED, "LIF-01", name="d", message="not claimed: the partner does not claim 'retrieve'"),
    ]


def _rows(page: Path) -> dict[str, tuple[str, str]]:
    """Requirement ID → (title, outcome) as the statement's table shows them."""
    tree = lxml_html.parse(str(page))
    rows = {}
    for row in tree.xpath("//table[@class='requirements']/tbody/tr"):
        cells = row.xpath("./td")
        rows[cells[0].text_content().strip()] = (cells[1].text_content().strip(),
                                                 cells[2].xpath(".//*[@data-outcome]/@data-outcome")[0])
    return rows


def test_the_statement_lists_every_spec_requirement_with_its_outcome(tmp_path: Path) -> None:
    page = build_statement(_run_folder(tmp_path / "run", _mixed_results()), lang="en")
    assert page == tmp_path / "run" / "statement.html"
    rows = _rows(page)
    assert list(rows) == spec_requirements(*SPEC_FILES)
    assert rows["PULL-01"] == ("ServiceState answers within the adapter timeout", "passed")
    assert rows["PULL-03"][1] == "warning" and rows["LIF-02"][1] == "failed" and rows["LIF-01"][1] == "not-claimed"
    assert rows["CALL-01"][1] == "not-covered" and rows["SIG-02"][1] == "not-run"
    text = lxml_html.parse(str(page)).getroot().text_content()
    assert "Not ready" in text
    assert "LIF-02: the status does not list cancellation" in text
    assert "Check the permit lifecycle" in text  # the fix of the LIF family
    assert "PULL-03: the fault names no EPX code (RECOMMENDED: EPX-304)" in text
    assert "their clock is 150 s ahead" in text and "sync it with NTP" in text
    for fact in ("FR pilot", "https://fr.example/epix/v1", "abc1234", "f" * 64, "0.1.0", "2026-11-29 21:00:00",
                 "pull, receive"):
        assert fact in text, fact


def test_the_statement_is_self_contained(tmp_path: Path) -> None:
    source = build_statement(_run_folder(tmp_path / "run", _mixed_results()), lang="en").read_text()
    assert "<script" not in source and "<link" not in source and "@import" not in source
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", source)
    assert "@media print" in source and "@page" in source


def test_a_run_that_passed_everything_it_ran_is_ready(tmp_path: Path) -> None:
    page = build_statement(_run_folder(tmp_path / "run", [_scenario(PASSED, "PULL-01")], preflight=False), lang="en")
    text = lxml_html.parse(str(page)).getroot().text_content()
    assert "Ready for what is claimed: every checked requirement passed." in text
    assert "No requirement failed." in text and "The preflight did not run" in text


def test_waivers_and_waived_requirements_are_shown(tmp_path: Path) -> None:
    waived = _scenario("waived", "LIF-02", name="w", message="LIF-02: the status does not list cancellation")
    waivers = [{"requirement": "LIF-02", "reason": "cancellation comes in May", "approved_by": "Task Force",
                "until": "2027-05-31", "state": "used"}]
    page = build_statement(_run_folder(tmp_path / "run", [waived, _scenario(PASSED, "PULL-01")], waivers=waivers),
                           lang="es")
    assert _rows(page)["LIF-02"][1] == "waived"
    text = lxml_html.parse(str(page)).getroot().text_content()
    assert "cancellation comes in May" in text and "Task Force" in text and "usada" in text
    assert "Preparado para lo declarado, con exenciones" in text


def test_the_statement_speaks_french_and_keeps_the_partner_s_words(tmp_path: Path) -> None:
    page = build_statement(_run_folder(tmp_path / "run", _mixed_results()), lang="fr")
    root = lxml_html.parse(str(page)).getroot()
    assert root.get("lang") == "fr"
    text = root.text_content()
    assert "Déclaration de préparation au pilote EPIX" in text and "Pas prêt" in text
    assert "réussi avec un avertissement" in text and "non déclaré" in text and "non couvert" in text
    assert "Vérifiez le cycle de vie du permis" in text
    assert "LIF-02: the status does not list cancellation" in text
    assert _rows(page)["PULL-01"][0] == "ServiceState répond dans le délai de l'adaptateur"


@pytest.mark.parametrize(("setup", "said"), [
    (lambda folder: None, "is not a folder"),
    (lambda folder: folder.mkdir(), "holds no outcome.json"),
    (lambda folder: (folder.mkdir(), (folder / "outcome.json").write_text("{")), "cannot be read as an outcome file"),
    (lambda folder: (_run_folder(folder, []), (folder / "preflight.json").write_text('{"a": 1}')),
     "is not the preflight's lines"),
])
def test_a_folder_that_is_no_run_folder_is_named(tmp_path: Path, setup, said: str) -> None:  # noqa: ANN001
    folder = tmp_path / "run"
    setup(folder)
    with pytest.raises(StatementError, match=said):
        build_statement(folder, lang="en")
    done = subprocess.run([sys.executable, "-c", _MAIN, "statement", str(folder)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------------
# A real run: console in French, the statement, Chromium, the PDF

@pytest.fixture(scope="module")
def french_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """`epix run --lang fr --pdf` against a simulated partner with a failure (LIF-02), a warning (PULL-03),
    a pass (PULL-01) and a capability it does not claim (retrieve: LIF-01)."""
    folder = tmp_path_factory.mktemp("statement-run")
    profile = folder / "profile.toml"
    profile.write_text(textwrap.dedent("""\
        [us]
        party = "CH"
        other_party = "DE"
        [simulator]
        party = "FR"
        faults = ["status-incomplete", "no-epx-codes"]
        capabilities = ["receive", "pull", "cancel"]
        """))
    done = subprocess.run([sys.executable, "-c", _MAIN, "run", "--profile", str(profile), "--tags",
                           "@LIF-02 or @PULL-03 or @PULL-01 or @LIF-01", "--report-dir", str(folder / "run"),
                           "--lang", "fr", "--pdf"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    return folder / "run", done


def test_the_run_s_console_summary_speaks_french(french_run) -> None:  # noqa: ANN001
    _, done = french_run
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("Domaine"))
    assert header.split()[:3] == ["Domaine", "Réussi", "Avertissement"]
    assert any(line.startswith("Tous les domaines") for line in lines)
    assert "ÉCHOUÉ (défaut du partenaire)  LIF-02" in done.stdout and "relancer :" in done.stdout


def test_the_run_ends_with_the_report_and_the_statement(french_run) -> None:  # noqa: ANN001
    run, done = french_run
    last = done.stdout.strip().splitlines()[-4:]
    assert last[:3] == [f"Rapport HTML : {run / 'allure-report' / 'index.html'}",
                        f"Déclaration : {run / 'statement.html'}",
                        f"Déclaration PDF : {run / 'statement.pdf'}"], done.stdout[-1500:]
    assert last[3].startswith(f"Signé : {run / 'manifest.sig'} (par CN=CH document signing"), last[3]


def test_the_run_keeps_its_facts_and_its_preflight(french_run) -> None:  # noqa: ANN001
    run, _ = french_run
    facts = json.loads((run / "outcome.json").read_text())["run"]
    assert facts["party"] == "FR" and facts["capabilities"] == ["cancel", "pull", "receive"]
    assert facts["endpoints"]["binding B"].startswith("https://127.0.0.1:")
    assert re.fullmatch(r"[0-9a-f]{64}", facts["suite_hash"]) and facts["simulator_faults"]
    checks = json.loads((run / "preflight.json").read_text())
    assert checks and {"check", "status", "found", "fix"} == set(checks[0]) and checks[0]["status"] == "ok"


def test_chromium_opens_the_statement_and_finds_the_outcomes(french_run) -> None:  # noqa: ANN001
    run, _ = french_run
    text = rendered_text((run / "statement.html").as_uri())
    for words in ("Déclaration de préparation au pilote EPIX", "Pas prêt", "réussi avec un avertissement",
                  "échoué", "non déclaré", "non couvert", "LIF-02", "CALL-07"):
        assert words in text, words
    rows = _rows(run / "statement.html")
    assert (rows["PULL-01"][1], rows["PULL-03"][1], rows["LIF-02"][1], rows["LIF-01"][1]) == (
        "passed", "warning", "failed", "not-claimed")


def test_the_statement_links_to_the_scenario_s_page_in_the_allure_report(french_run) -> None:  # noqa: ANN001
    run, _ = french_run
    tree = lxml_html.parse(str(run / "statement.html"))
    [link] = tree.xpath("//table[@class='requirements']//tr[@id='LIF-02']//a/@href")
    assert link.startswith("allure-report/index.html#testresult/")
    page = rendered_text((run / link.split("#")[0]).as_uri() + "#" + link.split("#")[1])
    assert "Failed" in page and "does not list" in page, page[:2000]


def test_the_pdf_is_made(french_run) -> None:  # noqa: ANN001
    run, _ = french_run
    pdf = (run / "statement.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 6, pages


def test_epix_statement_makes_it_again_in_another_language(french_run, tmp_path: Path) -> None:  # noqa: ANN001
    run, _ = french_run
    copy = tmp_path / "copy"
    shutil.copytree(run, copy, ignore=shutil.ignore_patterns("allure-results", "allure-report"))
    done = subprocess.run([sys.executable, "-c", _MAIN, "statement", str(copy), "--lang", "es"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"Declaración: {copy / 'statement.html'}"
    text = lxml_html.parse(str(copy / "statement.html")).getroot().text_content()
    assert "Declaración de preparación para el piloto EPIX" in text and "Informe Allure" not in text


def test_without_chromium_the_pdf_is_refused_with_the_way_to_install_it(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from epix.statement.pdf import ChromiumMissing

    folder = _run_folder(tmp_path / "run", [_scenario(PASSED, "PULL-01")])
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ChromiumMissing, match="apt-get install chromium"):
        build_statement(folder, lang="en", pdf=True)
    assert (folder / "statement.html").exists() and not (folder / "statement.pdf").exists()
