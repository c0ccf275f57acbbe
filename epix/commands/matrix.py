"""``epix matrix``: the pilot matrix of several parties' runs.

    epix matrix RUN_DIR… [--out FILE] [--lang L] [--pdf]

Reads one run folder per party (the folders ``epix run`` wrote) and writes one HTML page:
for each binding a party × party grid, each cell saying whether the row party can
exchange with the column party in that direction, and why (``epix.matrix``). Exit 0 when
the page is written (and with ``--pdf`` printed beside it by headless Chromium, A4
landscape, as the statement is), 2 when a run folder cannot be read (one sentence naming it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from epix.commands.run import add_language_option, language
from epix.exits import Exit, UsageError

DEFAULT_OUT = Path("matrix.html")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "matrix", help="draw the pilot matrix of several parties' runs",
        description="Read one run folder per party and write the pilot matrix: for each binding, whether each "
                    "party can exchange with each other party, with the reasons in each cell.")
    parser.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR",
                        help="a folder epix run wrote, one per party")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the HTML file to write (default: matrix.html)")
    add_language_option(parser, "the page and the summary")
    parser.add_argument("--pdf", action="store_true", help="also print it to a PDF beside it (needs Chromium)")
    parser.set_defaults(func=matrix)


def matrix(args: argparse.Namespace) -> int:
    from epix.i18n import translator
    from epix.matrix import RunFolderError, build_matrix, load_run, write_matrix
    from epix.matrix.grid import READY, READY_WITH_WARNINGS, DuplicateParty

    lang = language(args)
    try:
        runs = [load_run(folder) for folder in args.run_dirs]
        built = build_matrix(runs)
    except (RunFolderError, DuplicateParty) as error:
        raise UsageError(str(error)) from None
    if args.out.is_dir():
        raise UsageError(f"--out {args.out} is a folder; give the HTML file to write.")
    try:
        page = write_matrix(built, args.out, lang=lang)
    except OSError as error:
        raise UsageError(f"--out {args.out} cannot be written ({error.strerror or error}).") from None
    _ = translator(lang)
    for grid in built.grids:
        states = [cell.state for cell in grid.cells.values()]
        ready = sum(state in (READY, READY_WITH_WARNINGS) for state in states)
        print(_("binding {binding}: {ready} of {total} directions ready").format(
            binding=grid.direction.binding, ready=ready, total=len(states)))
    print(_("matrix: {path}").format(path=page.resolve()))
    if args.pdf:
        from epix.statement.errors import StatementError
        from epix.statement.pdf import write_pdf

        try:
            pdf = write_pdf(page, page.with_suffix(".pdf"))
        except StatementError as problem:
            print(f"epix matrix: {problem}", file=sys.stderr)
            return Exit.FAILED
        print(_("matrix PDF: {path}").format(path=pdf.resolve()))
    return Exit.OK
