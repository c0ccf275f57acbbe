"""Each requirement's outcome in a run: what its scenarios' outcomes add up to.

A requirement is checked by the scenarios tagged with its ID (not those that only need it,
``@needs:…``). Of those that ran, in this order: any ``failed`` makes it **failed** (the
party broke it); else any ``broken`` **broken** (the harness could not tell); else any
``waived`` (a failure a waiver covers) **waived**; else any skipped for a person's
judgement **needs-person**; else any ``warning`` **warning** (passed with a warning);
else, all passed, **passed**. Scenarios of a capability not claimed count only when no
other ran: then the requirement is **not-claimed**. A requirement no scenario checks is
**not-covered** (with the reason of :data:`epix.report.catalogue.NOT_COVERED`), or
**not-run** when the suite has scenarios for it but this run selected none (``--tags``).
A requirement never passes on no evidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from epix.report import outcomes
from epix.report import catalogue
from epix.report.labels import NEEDS_PERSON_MARK
from epix.report.outcomes import ScenarioResult

PASSED, WARNING, FAILED, BROKEN = "passed", "warning", "failed", "broken"
NOT_CLAIMED, NEEDS_PERSON, WAIVED, NOT_COVERED, NOT_RUN = (
    "not-claimed", "needs-person", "waived", "not-covered", "not-run")
#: Every outcome a requirement can have, from the best to the least known.
REQUIREMENT_OUTCOMES = (PASSED, WARNING, FAILED, BROKEN, WAIVED, NEEDS_PERSON, NOT_CLAIMED, NOT_RUN, NOT_COVERED)
#: The scenario outcome a waiver gives a failure it covers (``outcome.json``, branch ``waivers``).
SCENARIO_WAIVED = "waived"


@dataclass(frozen=True)
class RequirementVerdict:
    """One requirement's outcome, the scenarios that checked it, and why it was not run or covered."""

    requirement: str
    outcome: str
    scenarios: tuple[ScenarioResult, ...] = field(default=())
    reason: str = ""

    @property
    def problems(self) -> tuple[ScenarioResult, ...]:
        """The scenarios that failed or were broken (those that decided the outcome)."""
        return tuple(s for s in self.scenarios if s.outcome in (outcomes.FAILED, outcomes.BROKEN))


def requirement_verdicts(requirements: Iterable[str], results: Iterable[ScenarioResult]) -> list[RequirementVerdict]:
    """The verdict of each of ``requirements`` (in that order) from a run's ``results``."""
    results = list(results)
    verdicts = []
    for requirement in requirements:
        checking = tuple(r for r in results if requirement in r.requirements)
        verdicts.append(verdict(requirement, checking))
    return verdicts


def verdict(requirement: str, checking: tuple[ScenarioResult, ...]) -> RequirementVerdict:
    """The verdict of ``requirement`` from the results of the scenarios that check it."""
    if not checking:
        if requirement in catalogue.NOT_COVERED:
            return RequirementVerdict(requirement, NOT_COVERED, reason=catalogue.NOT_COVERED[requirement])
        return RequirementVerdict(requirement, NOT_RUN)
    seen = {_scenario_outcome(r) for r in checking}
    for scenario_outcome, requirement_outcome in ((outcomes.FAILED, FAILED), (outcomes.BROKEN, BROKEN),
                                                  (SCENARIO_WAIVED, WAIVED), (NEEDS_PERSON, NEEDS_PERSON),
                                                  (outcomes.WARNING, WARNING), (outcomes.PASSED, PASSED)):
        if scenario_outcome in seen:
            return RequirementVerdict(requirement, requirement_outcome, checking)
    if outcomes.NOT_CLAIMED in seen:
        return RequirementVerdict(requirement, NOT_CLAIMED, checking)
    return RequirementVerdict(requirement, NOT_RUN, checking)


def _scenario_outcome(result: ScenarioResult) -> str:
    if result.outcome == outcomes.SKIPPED and result.message.startswith(NEEDS_PERSON_MARK):
        return NEEDS_PERSON
    return result.outcome
