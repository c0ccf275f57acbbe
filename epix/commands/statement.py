"""``epix statement``: make the readiness statement of a run again from its folder.

    epix statement RUN_DIR [--lang en|fr|es] [--pdf] [--waivers FILE]

Writes ``RUN_DIR/statement.html`` (and with ``--pdf`` ``statement.pdf``, printed by headless
Chromium) from the run's ``outcome.json`` and ``preflight.json``, e.g. in another language
or for a run folder copied from CI. With ``--waivers`` the waivers of that file, as they
stand today, replace those of the run in ``outcome.json`` first
(:func:`epix.report.waivers.waive_run`). A folder changed so no longer verifies as signed
by its run (``epix verify-statement`` names the files). Exit codes: 0 made; 2 the folder is
not a run folder, a file in it cannot be read, the waiver file has a mistake, or no PDF
could be printed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from epix.commands.run import add_language_option, language
from epix.exits import Exit, UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "statement", help="make the readiness statement (HTML, PDF) of a run again",
        description="Make the readiness statement of a run from its folder: every requirement of the spec with "
                    "its outcome, the failures with their fix, the preflight, in English, French or Spanish.",
        epilog="exit codes: 0 the statement was made; 2 the run folder or a file in it cannot be used, or no PDF "
               "could be printed")
    parser.add_argument("run_dir", type=Path, help="the folder epix run wrote (with outcome.json)")
    add_language_option(parser)
    parser.add_argument("--pdf", action="store_true", help="also print it to statement.pdf (needs Chromium)")
    parser.add_argument("--waivers", type=Path, default=None,
                        help="a TOML file of waivers to apply to the run's outcome first (replacing the run's)")
    parser.set_defaults(func=statement)


def statement(args: argparse.Namespace) -> int:
    from epix.i18n import translator
    from epix.statement import StatementError, build_statement

    lang = language(args)
    if args.waivers is not None:
        _waive(args.run_dir, args.waivers)
    try:
        html = build_statement(args.run_dir, lang=lang, pdf=args.pdf)
    except StatementError as problem:
        raise UsageError(str(problem)) from None
    _ = translator(lang)
    print(_("Statement:"), html)
    if args.pdf:
        print(_("Statement PDF:"), html.with_suffix(".pdf"))
    return Exit.OK


def _waive(run_dir: Path, waivers: Path) -> None:
    """Apply ``waivers`` for the run's party, as they stand today, to ``run_dir/outcome.json``."""
    from epix import clock
    from epix.report.outcomes import OutcomeFileError, RunOutcome
    from epix.report.waivers import WaiverFileError, waive_run

    outcome_file = run_dir / "outcome.json"
    try:
        party = str(RunOutcome.load(outcome_file).run.get("party") or "")
        if not party:
            raise UsageError(f"{outcome_file} names no party (its run facts lack 'party'), so no waiver can apply")
        waive_run(outcome_file, waivers, party=party, day=clock.now().date())
    except (OutcomeFileError, WaiverFileError) as error:
        raise UsageError(str(error)) from None
