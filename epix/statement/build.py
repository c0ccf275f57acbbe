"""Make the readiness statement of a run from its folder.

The folder is the one ``epix run`` wrote: ``outcome.json`` (the results, the run's facts as
``run``, the waivers), ``preflight.json`` when the preflight ran, ``allure-results/`` and
``allure-report/index.html``. Every requirement ID of the spec gets a row.

Links into the Allure report: the single-file report opens a scenario's page at
``allure-report/index.html#testresult/<id>``, where Allure 3 makes ``<id>`` as the MD5 of
the result's UUID (its ``uuid``, which ``outcome.json`` keeps as ``allure_uuid``; the file's
name is another UUID). A scenario whose result is not in ``allure-results/`` (a scenario
not claimed) gets no link.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from epix.report.catalogue import SPEC_FILES, spec_requirements
from epix.report.outcomes import OutcomeFileError, RunOutcome, ScenarioResult
from epix.statement.errors import StatementError
from epix.statement.page import StatementData, render
from epix.statement.verdicts import requirement_verdicts

HTML_NAME = "statement.html"
PDF_NAME = "statement.pdf"
PREFLIGHT_NAME = "preflight.json"
REPORT_INDEX = Path("allure-report") / "index.html"


def build_statement(run_dir: Path, *, lang: str = "en", pdf: bool = False) -> Path:
    """Write ``run_dir/statement.html`` (and with ``pdf`` ``statement.pdf``); its path."""
    from epix.i18n import UnknownLanguage, check_language

    try:
        check_language(lang)
    except UnknownLanguage as error:
        raise StatementError(str(error)) from None
    data = read_run(Path(run_dir))
    html = Path(run_dir) / HTML_NAME
    html.write_text(render(data, lang), encoding="utf-8")
    if pdf:
        from epix.statement.pdf import write_pdf

        write_pdf(html, Path(run_dir) / PDF_NAME)
    return html


def read_run(run_dir: Path) -> StatementData:
    """What a statement shows, read from a run folder; :class:`StatementError` names what is missing."""
    try:
        outcome = RunOutcome.of_folder(run_dir)
    except OutcomeFileError as error:
        raise StatementError(str(error)) from None
    verdicts = requirement_verdicts(spec_requirements(*SPEC_FILES), outcome.results)
    report = run_dir / REPORT_INDEX
    return StatementData(
        facts=dict(outcome.run), verdicts=verdicts, preflight=read_preflight(run_dir / PREFLIGHT_NAME),
        waivers=outcome.waivers,
        links=allure_links(run_dir, outcome.results) if report.is_file() else {},
        report_link=REPORT_INDEX.as_posix() if report.is_file() else None,
    )


def read_preflight(path: Path) -> list[dict[str, str]] | None:
    """The preflight's lines (``[{"check", "status", "found", "fix"}]``), ``None`` without the file."""
    if not path.is_file():
        return None
    try:
        lines = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StatementError(f"{path} cannot be read as the preflight's lines: {error}") from None
    if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        raise StatementError(f"{path} is not the preflight's lines: it holds no list of checks")
    return [{key: str(line.get(key, "")) for key in ("check", "status", "found", "fix")} for line in lines]


def allure_links(run_dir: Path, results: list[ScenarioResult]) -> dict[str, str]:
    """Node ID → relative link to the scenario's page in the Allure report, for each result Allure kept."""
    kept = set()
    for path in (run_dir / "allure-results").glob("*-result.json"):
        try:
            kept.add(json.loads(path.read_text(encoding="utf-8")).get("uuid"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            continue  # not a result the report shows either
    links = {}
    for result in results:
        if result.allure_uuid and result.allure_uuid in kept:
            page = hashlib.md5(result.allure_uuid.encode(), usedforsecurity=False).hexdigest()
            links[result.nodeid] = f"{REPORT_INDEX.as_posix()}#testresult/{page}"
    return links
