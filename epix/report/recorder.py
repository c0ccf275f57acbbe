"""A pytest plugin that records what happened to each scenario and shows progress.

It tells a partner defect (an assertion: the partner answered wrongly; or an answer too
slow or too large to use, :class:`epix.transport.AnswerUnusable`) from an
unreachable partner (:class:`epix.transport.PartnerUnreachable`) and from a harness
error (any other exception), keeps one :class:`~epix.report.outcomes.ScenarioResult`
per scenario, and prints one line per scenario while the suite runs.

It also collects the warnings each scenario is given (:func:`epix.report.warning.warn`):
a scenario that passed with one ends as ``warning``; each warning goes into the
scenario's result, its ``junit.xml`` testcase (a property ``warning``) and its Allure
result (a label ``warning``, see :mod:`epix.report.allure_warnings`).

Given the run's waivers (:class:`epix.report.waivers.WaiverBook`), a failed scenario that
one covers ends ``waived``: the waiver goes into its result, its ``junit.xml`` testcase (a
property ``waived``; the failure stays) and its Allure result (a label ``waived``, see
:mod:`epix.report.allure_waivers`), and ``outcome.json`` lists each waiver with its state.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import pytest

from epix.report import allure_waivers, allure_warnings
from epix.report.labels import read_tags
from epix.report.outcomes import (
    BROKEN, FAILED, NOT_CLAIMED, PASSED, SKIPPED, WAIVED, WARNING, RunOutcome, ScenarioResult,
)
from epix.report.allure_files import NOT_CLAIMED_MARK
from epix.report.redact import Redactor
from epix.report.warning import Missed, collecting
from epix.transport.errors import AnswerUnusable, PartnerUnreachable

if TYPE_CHECKING:
    from epix.report.waivers import WaiverBook

_SYMBOL = {PASSED: "ok", WARNING: "warning", FAILED: "FAILED", WAIVED: "waived", BROKEN: "BROKEN",
           NOT_CLAIMED: "not claimed", SKIPPED: "skipped"}
#: The name of a warning in junit.xml: a property of its testcase.
WARNING_PROPERTY = "warning"
#: The name of the waiver of a waived failure in junit.xml: a property of its testcase.
WAIVED_PROPERTY = "waived"


def scenario_tags(item: pytest.Item) -> set[str]:
    """Every Gherkin tag of a scenario item: feature, scenario and Examples tags."""
    tags = {mark.args[0] for mark in item.iter_markers("epix_tag") if mark.args}
    # an Examples block's tags reach the item as marks of their own name (@DOC-02, @needs:DOC-02)
    tags |= {mark.name for mark in item.iter_markers()
             if (meaning := read_tags({mark.name})).requirements or meaning.needs}
    return tags


def scenario_title(item: pytest.Item) -> str:
    """The scenario's name, with the values of its Examples row for an outline.

    pytest-bdd documents each scenario's test function as ``"<feature>: <scenario>"``; no
    feature name of the suite holds ": " (tests/test_features.py checks it)."""
    doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
    feature, separator, scenario = doc.partition(": ")
    name = scenario if separator and feature and scenario else item.name
    example = getattr(item, "callspec", None) and item.callspec.params.get("_pytest_bdd_example")
    if example:
        name += " (" + "; ".join(v for v in example.values() if v.strip()) + ")"
    return name


def one_line(exc: BaseException) -> str:
    """The message of an exception as a person reads it: the sentence, not pytest's rewriting."""
    if isinstance(exc, (PartnerUnreachable, AnswerUnusable)):
        return exc.sentence
    text = str(exc).split("\nassert ", 1)[0].strip()
    if not text:
        text = type(exc).__name__
    elif not isinstance(exc, AssertionError):
        text = f"{type(exc).__name__}: {text}"
    return text


class RunRecorder:
    """Registered by the suite's conftest; ``outcome`` holds the results when the run ends."""

    def __init__(self, *, progress: TextIO | None = None, save_to: Path | None = None,
                 redactor: Redactor | None = None, waivers: WaiverBook | None = None):
        self.outcome = RunOutcome()
        self._waivers = waivers
        self._redactor = redactor or Redactor()
        self._progress = progress
        self._save_to = save_to
        self._by_id: dict[str, ScenarioResult] = {}
        self._total = 0
        self._done = 0
        self._started: dict[str, float] = {}
        self._warnings: dict[str, list[Missed]] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._total = len(session.items)
        for item in session.items:
            tags = read_tags(scenario_tags(item))
            result = ScenarioResult(item.nodeid, scenario_title(item), tags.area, list(tags.requirements),
                                    tags.capability, needs=list(tags.needs))
            self._by_id[item.nodeid] = result
        if self._progress is not None:
            self._write(f"{self._total} scenarios to run\n")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[object]:
        """Each scenario runs with its own collection of warnings."""
        if item.nodeid not in self._by_id:
            return (yield)
        with collecting() as warnings:
            self._warnings[item.nodeid] = warnings
            try:
                return (yield)
            finally:
                del self._warnings[item.nodeid]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):  # type: ignore[no-untyped-def]
        if call.when == "teardown" and item.nodeid in self._by_id:
            self._report_warnings(item, self._by_id[item.nodeid])
            self._report_waiver(item, self._by_id[item.nodeid])
            self._by_id[item.nodeid].allure_uuid = allure_uuid(item)
        outcome = yield
        report = outcome.get_result()
        result = self._by_id.get(item.nodeid)
        if result is None:
            return
        if call.when == "setup":
            self._started[item.nodeid] = time.perf_counter()
        if report.failed and result.outcome not in (FAILED, BROKEN):
            self._failed(result, call.excinfo.value if call.excinfo else None)
        elif report.skipped and call.when in ("setup", "call"):
            reason = _skip_reason(report)
            result.outcome = NOT_CLAIMED if reason.startswith(NOT_CLAIMED_MARK) else SKIPPED
            result.message = reason

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        result = self._by_id.get(nodeid)
        if result is None:
            return
        result.duration = time.perf_counter() - self._started.get(nodeid, time.perf_counter())
        if result.outcome == PASSED and result.warnings:
            result.outcome = WARNING
        if self._waivers is not None:
            self._waivers.waive(result)
        self.outcome.results.append(result)
        self._done += 1
        if self._progress is not None:
            width = len(str(self._total))
            label = " ".join(result.requirements[:3])  # what the scenario checks, not what it needs
            self._write(f"[{self._done:>{width}}/{self._total}] {_SYMBOL[result.outcome]:<11} {label:<17} "
                        f"{result.name}\n")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and self._progress is not None:
            self._write(f"cannot read the suite: {report.nodeid}\n{report.longreprtext}\n")

    def pytest_sessionfinish(self) -> None:
        if self._waivers is not None:
            self._waivers.list_in(self.outcome)
        if self._save_to is not None:
            self._save_to.parent.mkdir(parents=True, exist_ok=True)
            self.outcome.save(self._save_to)

    def _report_warnings(self, item: pytest.Item, result: ScenarioResult) -> None:
        """The scenario's warnings into its result, its junit.xml testcase and its Allure result
        (before the teardown's report, from which both are written)."""
        texts = [self._redactor.text(str(missed)) for missed in self._warnings.get(item.nodeid, ())]
        result.warnings = texts
        for text in texts:
            item.user_properties.append((WARNING_PROPERTY, text))
        allure_warnings.label(texts)

    def _report_waiver(self, item: pytest.Item, result: ScenarioResult) -> None:
        """The waiver that accepts the scenario's failure into its junit.xml testcase and its Allure
        result (the scenario becomes ``waived`` when it ends)."""
        waiver = self._waivers.covering(result) if self._waivers is not None else None
        if waiver is None:
            return
        text = self._redactor.text(waiver.describe())
        item.user_properties.append((WAIVED_PROPERTY, text))
        allure_waivers.label(text)

    def _failed(self, result: ScenarioResult, exc: BaseException | None) -> None:
        if exc is None:
            result.outcome, result.message = BROKEN, "the scenario failed without an exception"
            return
        result.message = self._redactor.text(one_line(exc))
        if isinstance(exc, (AssertionError, pytest.fail.Exception, AnswerUnusable)):
            result.outcome = FAILED
        else:
            result.outcome = BROKEN
            result.unreachable = isinstance(exc, PartnerUnreachable)

    def _write(self, text: str) -> None:
        assert self._progress is not None
        self._progress.write(self._redactor.text(text))
        self._progress.flush()


def allure_uuid(item: pytest.Item) -> str:
    """The UUID of the Allure result being written for ``item`` ("" without ``--alluredir``):
    allure-pytest-bdd's listener keeps one per node ID until the teardown's report."""
    for plugin in item.config.pluginmanager.get_plugins():
        uuids = getattr(plugin, "nodeid_to_uuid", None)
        if isinstance(uuids, dict) and item.nodeid in uuids:
            return str(uuids[item.nodeid])
    return ""


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


def default_progress() -> TextIO:
    return sys.stdout
