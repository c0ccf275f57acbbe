"""Warnings in the Allure report: a label per warning, and a status message for a scenario
that passed with one.

Allure knows no "passed with a warning". A warned scenario keeps its status (passed,
failed or broken) and gets one label ``warning`` per warning; a passed one also gets the
status message ``Passed with a warning: PULL-03: …``, which the category "Passed with a
warning" of ``categories.json`` (:mod:`epix.report.allure_files`) matches. The label is
added while the scenario's Allure result is open (:func:`label`); the message just before
the result is written (:class:`AllureWarnings`, an Allure plugin that runs before the one
writing the file).
"""

from __future__ import annotations

from collections.abc import Iterable

import allure
import allure_commons
from allure_commons.model2 import Status, StatusDetails, TestResult

from epix.report.warning import PASSED_WITH_A_WARNING

#: The label each warning of a scenario becomes.
LABEL = "warning"


def label(warnings: Iterable[str]) -> None:
    """One ``warning`` label per warning on the scenario's Allure result (nothing without ``--alluredir``)."""
    texts = list(warnings)
    if texts:
        allure.dynamic.label(LABEL, *texts)


def status_message(warnings: list[str]) -> str:
    """The status message of a scenario that passed with ``warnings``."""
    return f"{PASSED_WITH_A_WARNING}: " + "; ".join(warnings)


class AllureWarnings:
    """Registered with Allure's plugin manager while the suite runs with ``--alluredir``."""

    @allure_commons.hookimpl(tryfirst=True)
    def report_result(self, result: TestResult) -> None:
        warnings = [item.value for item in result.labels if item.name == LABEL]
        if warnings and result.status == Status.PASSED:
            result.statusDetails = StatusDetails(message=status_message(warnings))

    def register(self) -> None:
        allure_commons.plugin_manager.register(self)

    def unregister(self) -> None:
        if allure_commons.plugin_manager.is_registered(self):
            allure_commons.plugin_manager.unregister(self)
