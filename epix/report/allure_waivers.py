"""Waived failures in the Allure report: a label with the waiver, and a status message that
begins with it.

Allure knows no "waived". A waived scenario keeps its status, failed (never passed), and gets
the label ``waived`` ("reason (approved by …, until …)"); its status message becomes
``Waived: <the waiver>`` followed by the failure, which the category "Waived" of
``categories.json`` (:mod:`epix.report.allure_files`, before "Partner defects": Allure puts a
result in the first category it matches) shows apart from the failures no waiver accepts.
"""

from __future__ import annotations

import allure
import allure_commons
from allure_commons.model2 import Status, StatusDetails, TestResult

from epix.report.outcomes import WAIVED_MESSAGE

#: The label of a waived scenario.
LABEL = "waived"


def label(waiver: str) -> None:
    """The ``waived`` label on the scenario's open Allure result (nothing without ``--alluredir``)."""
    allure.dynamic.label(LABEL, waiver)


def status_message(waiver: str, failure: str | None) -> str:
    """The status message of a failed scenario that ``waiver`` accepts."""
    return f"{WAIVED_MESSAGE}: {waiver}" + (f"\n\nThe failure: {failure}" if failure else "")


class AllureWaivers:
    """Registered with Allure's plugin manager while the suite runs with ``--alluredir`` and waivers."""

    @allure_commons.hookimpl(tryfirst=True)
    def report_result(self, result: TestResult) -> None:
        waivers = [item.value for item in result.labels if item.name == LABEL]
        if waivers and result.status == Status.FAILED:
            details = result.statusDetails or StatusDetails()
            result.statusDetails = StatusDetails(message=status_message(waivers[0], details.message),
                                                 trace=details.trace)

    def register(self) -> None:
        allure_commons.plugin_manager.register(self)

    def unregister(self) -> None:
        if allure_commons.plugin_manager.is_registered(self):
            allure_commons.plugin_manager.unregister(self)
