"""``epix statement``: make the readiness statement of a run again from its folder.

    epix statement RUN_DIR [--lang en|fr|es] [--pdf]

Writes ``RUN_DIR/statement.html`` (and with ``--pdf`` ``statement.pdf``, printed by headless
Chromium) from the run's ``outcome.json`` and ``preflight.json``, e.g. in another language
or for a run folder copied from CI. Exit codes: 0 made; 2 the folder is not a run folder, a
file in it cannot be read, or no PDF could be printed.
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
    parser.set_defaults(func=statement)


def statement(args: argparse.Namespace) -> int:
    from epix.i18n import translator
    from epix.statement import StatementError, build_statement

    lang = language(args)
    try:
        html = build_statement(args.run_dir, lang=lang, pdf=args.pdf)
    except StatementError as problem:
        raise UsageError(str(problem)) from None
    _ = translator(lang)
    print(_("Statement:"), html)
    if args.pdf:
        print(_("Statement PDF:"), html.with_suffix(".pdf"))
    return Exit.OK
