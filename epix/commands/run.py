"""``epix run``: run the conformance suite against a partner and report.

    epix run [--profile P] [--tags EXPR] [--report-dir DIR] [--open] [--no-preflight] [--lang L] [--pdf]
             [--waivers FILE [--accept-waivers]]

Checks the partner's set-up first (``epix preflight``: a failed check stops the run before
any scenario, a warning does not), then runs the scenarios of ``features/`` through pytest,
shows one line per scenario, writes ``allure-results/``, ``junit.xml``, ``outcome.json`` (with
the run's facts), ``preflight.json``, the HTML report and the readiness statement
(``statement.html``, with ``--pdf`` also ``statement.pdf``) into the report folder, and ends
with a summary table, the warnings, the waived failures and the waivers
(:mod:`epix.report.waivers`), and the problems, in the language of ``--lang``. Last it signs
the folder (``manifest.json`` and ``manifest.sig``, :mod:`epix.report.seal`; ``epix
verify-statement`` checks them). Exit codes: 0 every claimed scenario passed (with a warning
or without; or failed and was waived, with ``--accept-waivers``), 1 failures, 2 a
configuration error or a failed set-up check (nothing ran), 3 the partner was unreachable.
"""

from __future__ import annotations

import argparse
import json
import sys
import webbrowser
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from epix import clock
from epix.exits import Exit, UsageError
from epix.i18n import translator
from epix.paths import PROJECT, REPORTS, STEPS
from epix.report import allure_files
from epix.report.manifest import MANIFEST, SIGNATURE
from epix.report.outcomes import RunOutcome, problem_list, summary_table, waived_list, waiver_list, warning_list
from epix.report.runfacts import run_facts

if TYPE_CHECKING:
    from epix.profile import Profile

SUITE_MODULE = STEPS / "test_conformance.py"
DEFAULT_PROFILE = PROJECT / "fixtures" / "profiles" / "simulator.toml"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run the conformance suite against a partner",
        description="Run the conformance suite against the partner a profile describes (by default the "
                    "simulated partner) and write the results and the HTML report. The partner's set-up is "
                    "checked first, as `epix preflight` does: a failed check stops the run before any scenario.",
        epilog="exit codes: 0 every claimed scenario passed (or failed and was waived, with --accept-waivers); "
               "1 failures; 2 a configuration error or a failed set-up check (nothing ran); 3 the partner is "
               "unreachable")
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE,
                        help="the partner's profile (default: fixtures/profiles/simulator.toml)")
    parser.add_argument("--tags", default=None, help='only scenarios whose tags match, e.g. "@signatures"')
    parser.add_argument("--report-dir", type=Path, default=None,
                        help="where results and reports go (default: reports/<date-time>-<profile>/)")
    parser.add_argument("--open", action="store_true", help="open the HTML report when it is ready")
    parser.add_argument("--no-html", action="store_true", help="keep the results but make no HTML report")
    parser.add_argument("--no-preflight", action="store_true",
                        help="skip the set-up checks (epix preflight) before the scenarios")
    parser.add_argument("--waivers", type=Path, default=None,
                        help="a TOML file of waivers: accepted deviations ([[waiver]] party, requirement or scenario, "
                             "reason, approved_by, until); a failed scenario one covers is shown as waived")
    parser.add_argument("--accept-waivers", action="store_true",
                        help="let waived failures count as passes in the exit code (they stay waived in the reports)")
    add_language_option(parser)
    parser.add_argument("--pdf", action="store_true",
                        help="also print the readiness statement to statement.pdf (needs Chromium)")
    parser.set_defaults(func=run)


def add_language_option(parser: argparse.ArgumentParser, what: str = "the summary and the statement") -> None:
    """``--lang en|fr|es`` for ``what``, by default the locale's language (LC_ALL, LC_MESSAGES, LANG), else English."""
    from epix.i18n import LANGUAGES

    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help=f"the language of {what} (default: the locale's, else en)")


def language(args: argparse.Namespace) -> str:
    from epix.i18n import default_language

    return args.lang or default_language()


def run(args: argparse.Namespace) -> int:
    from epix.commands.preflight import check, partner_of
    from epix.commands.profiles import checked_profile

    profile = checked_profile(args.profile)
    _check_tags(args.tags)
    _check_suite()
    if args.accept_waivers and args.waivers is None:
        raise UsageError("--accept-waivers needs --waivers FILE: the waivers to accept")
    folder = args.report_dir or REPORTS / f"{datetime.now():%Y%m%d-%H%M%S}-{args.profile.stem}"
    paths = RunPaths(folder.resolve())
    print(f"epix run: {profile.name} ({args.profile})")
    with partner_of(profile) as (completed, plugins):
        waivers = _waivers(args.waivers, completed)
        key = _signing_key(completed)
        report = None
        if not args.no_preflight:
            report = check(completed)
            if report.failed:
                print("epix run: the preflight failed, so no scenario ran (--no-preflight skips it)", file=sys.stderr)
                return report.exit_code()
        paths.prepare()
        _keep_preflight(paths, report, completed)
        facts = run_facts(completed, tags=args.tags)
        code = _pytest(args, paths, [*plugins, *([waivers] if waivers is not None else [])])
    if code in (4, 5) and not paths.outcome.exists():
        print(f"epix run: no scenario ran (pytest exit {code}); check --tags {args.tags!r}", file=sys.stderr)
        return Exit.USAGE
    outcome = RunOutcome.load(paths.outcome) if paths.outcome.exists() else RunOutcome()
    if not outcome.results:
        print("epix run: no scenario matched --tags; nothing ran", file=sys.stderr)
        return Exit.USAGE
    outcome.run = facts
    outcome.save(paths.outcome)
    lang = language(args)
    _print_summary(outcome, args, lang)
    _ = translator(lang)
    print(_("results:"), paths.results)
    print(_("junit:"), paths.junit)
    if not args.no_html:
        _html(paths, args.open, lang)
    _statement(paths, lang, args.pdf)
    exit_code = outcome.exit_code(accept_waivers=args.accept_waivers)
    if outcome.waived and not args.accept_waivers and not outcome.problems:
        print(f"epix run: {len(outcome.waived)} waived failure(s) count as failures; --accept-waivers lets them "
              "count as passes", file=sys.stderr)
    if code not in (0, 1) and exit_code == Exit.OK:
        print(f"epix run: pytest stopped with exit {code}; see the output above", file=sys.stderr)
        exit_code = Exit.FAILED
    _sign(paths, key, lang)
    return exit_code


def _waivers(path: Path | None, profile: Profile):  # noqa: ANN202 - epix.report.waivers.WaiverBook | None
    """The waivers of ``path`` for the party under test, as they stand today; a mistake stops the run."""
    if path is None:
        return None
    from epix.report.waivers import WaiverBook, WaiverFileError

    try:
        book = WaiverBook.read(path, party=profile.partner.party, day=clock.now().date())
    except WaiverFileError as error:
        raise UsageError(str(error)) from None
    print(f"waivers: {book}")
    return book


def _signing_key(profile: Profile):  # noqa: ANN202 - epix.signing.SigningKey
    """The key that signs the run folder at the end, loaded before any scenario runs."""
    from epix.report.seal import SealError, statement_key

    try:
        return statement_key(profile)
    except SealError as error:
        raise UsageError(str(error)) from None


def _sign(paths: RunPaths, key, lang: str) -> None:  # noqa: ANN001 - epix.signing.SigningKey
    """Sign the run folder: the last thing a run writes (``epix verify-statement`` checks it)."""
    from epix.report.seal import sign_run

    try:
        signature = sign_run(paths.folder, key)
    except OSError as exc:
        print(f"epix run: the run folder {paths.folder} could not be signed: {exc.filename}: {exc.strerror}",
              file=sys.stderr)
        return
    _ = translator(lang)
    print(_("Signed:"), signature, _("(by {subject})").format(subject=key.subject))


class RunPaths:
    """Where one run writes: results, junit, the outcome, the HTML report; history beside the runs."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.results = folder / "allure-results"
        self.junit = folder / "junit.xml"
        self.outcome = folder / "outcome.json"
        self.html = folder / "allure-report"
        self.preflight = folder / "preflight.json"
        self.history = folder.parent / "history.jsonl"

    def prepare(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for stale in (self.outcome, self.junit, self.preflight, self.folder / MANIFEST, self.folder / SIGNATURE):
            stale.unlink(missing_ok=True)


def _check_tags(tags: str | None) -> None:
    if tags is None:
        return
    from epix.report.selection import TagExpressionError, parse_tags

    try:
        parse_tags(tags)
    except TagExpressionError as error:
        raise UsageError(str(error)) from None


#: Plugins of the environment that the suite does not use, left out of its runs (the
#: hypothesis plugin alone imports hypothesis, about 2 s, at the end of a session).
UNUSED_PLUGINS = ("hypothesispytest", "benchmark", "respx")


def _check_suite() -> None:
    if not SUITE_MODULE.exists():
        raise UsageError(f"the suite is not beside this installation ({SUITE_MODULE} is missing); "
                         "run epix from a checkout of the harness")


def _pytest(args: argparse.Namespace, paths: RunPaths, plugins: list[object]) -> int:
    import pytest

    arguments = [
        str(SUITE_MODULE), "--rootdir", str(PROJECT), "-c", str(PROJECT / "pyproject.toml"),
        "--profile", str(args.profile.resolve()), "--alluredir", str(paths.results), "--clean-alluredir",
        "--junitxml", str(paths.junit), "--epix-outcome", str(paths.outcome), "--epix-progress",
        "-p", "no:terminal", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning",
        *(option for plugin in UNUSED_PLUGINS for option in ("-p", f"no:{plugin}")),
    ]
    if args.tags:
        arguments.append(f"--tags={args.tags}")
    return int(pytest.main(arguments, plugins=plugins))


def _keep_preflight(paths: RunPaths, report, profile) -> None:  # noqa: ANN001 - preflight Report, Profile
    """The preflight's lines into ``preflight.json`` for the statement, the profile's secrets masked."""
    if report is None:
        return
    from epix.report.redact import Redactor

    redactor = Redactor(profile.secrets())
    paths.preflight.write_text(redactor.text(json.dumps(report.records(), indent=1, ensure_ascii=False)),
                               encoding="utf-8")


def _print_summary(outcome: RunOutcome, args: argparse.Namespace, lang: str) -> None:
    print()
    print(summary_table(outcome, lang))
    for paragraphs in (warning_list(outcome, lang), waived_list(outcome, lang), waiver_list(outcome, lang),
                       problem_list(outcome, f"pytest --profile {args.profile}", lang)):
        if paragraphs:
            print()
            print(paragraphs)
    print()


def _html(paths: RunPaths, open_it: bool, lang: str) -> None:
    from epix.report.html import ReportFailed, ReportToolMissing, generate_html

    allure_files.write_categories(paths.results)
    name = allure_files.report_name(allure_files.read_environment(paths.results))
    try:
        report = generate_html(paths.results, paths.html, history=paths.history, name=name)
    except (ReportToolMissing, ReportFailed) as problem:
        print(f"epix run: {problem}; the results are kept in {paths.results}", file=sys.stderr)
        return
    _ = translator(lang)
    print(_("HTML report:"), report.index)
    if open_it:
        webbrowser.open(report.index.as_uri())


def _statement(paths: RunPaths, lang: str, pdf: bool) -> None:
    """The readiness statement (and its PDF) after the HTML report; a problem with it is said, the run stands."""
    from epix.statement import StatementError, build_statement

    _ = translator(lang)
    try:
        html = build_statement(paths.folder, lang=lang)
    except StatementError as problem:
        print(f"epix run: no statement: {problem}", file=sys.stderr)
        return
    print(_("Statement:"), html)
    if pdf:
        from epix.statement.pdf import write_pdf

        try:
            print(_("Statement PDF:"), write_pdf(html, html.with_suffix(".pdf")))
        except StatementError as problem:
            print(f"epix run: no PDF: {problem}", file=sys.stderr)
