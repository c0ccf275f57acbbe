"""``epix report``: make the HTML report and the summary again from a run's folder.

    epix report RUN_DIR [--output DIR] [--open] [--lang en|fr|es]

For results copied from CI, or a report regenerated after installing Node.js. The
run folder is the one ``epix run`` wrote (with ``allure-results/`` and ``outcome.json``),
or an ``allure-results`` folder itself.
"""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path

from epix.commands.run import add_language_option, language
from epix.exits import Exit, UsageError
from epix.i18n import translator
from epix.report.allure_files import read_environment, report_name
from epix.report.outcomes import OutcomeFileError, RunOutcome, summary_table, waived_list, waiver_list, warning_list


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="make the HTML report of a run again",
                                   description="Make the HTML report and the summary of a run from its results.")
    parser.add_argument("run_dir", type=Path, help="the folder epix run wrote, or an allure-results folder")
    parser.add_argument("--output", type=Path, default=None, help="where the HTML goes (default: RUN_DIR/allure-report)")
    parser.add_argument("--open", action="store_true", help="open the HTML report when it is ready")
    add_language_option(parser)
    parser.set_defaults(func=report)


def report(args: argparse.Namespace) -> int:
    from epix.report.html import ReportFailed, ReportToolMissing, generate_html

    folder = args.run_dir.resolve()
    results = folder if folder.name == "allure-results" else folder / "allure-results"
    run_folder = results.parent
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise UsageError(f"{results} holds no Allure results; give the folder that `epix run` wrote")
    outcome_file = run_folder / "outcome.json"
    lang = language(args)
    if outcome_file.exists():
        try:
            outcome = RunOutcome.load(outcome_file)
        except OutcomeFileError as error:
            raise UsageError(str(error)) from None
        print(summary_table(outcome, lang))
        for paragraphs in (warning_list(outcome, lang), waived_list(outcome, lang), waiver_list(outcome, lang)):
            if paragraphs:
                print(f"\n{paragraphs}")
        print()
    output = args.output or run_folder / "allure-report"
    try:
        made = generate_html(results, output.resolve(), history=run_folder.parent / "history.jsonl",
                             name=report_name(read_environment(results)))
    except (ReportToolMissing, ReportFailed) as problem:
        print(f"epix report: {problem}")
        return Exit.FAILED
    _ = translator(lang)
    print(_("HTML report:"), made.index)
    if args.open:
        webbrowser.open(made.index.as_uri())
    return Exit.OK
