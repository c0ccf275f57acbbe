"""One party's run, as the matrix reads it from the folder ``epix run`` wrote.

The folder holds ``outcome.json`` (every scenario's result: its requirements, capability
and outcome, and the run's facts as ``run``: :class:`epix.report.outcomes.RunOutcome`)
and ``allure-results/environment.properties``. The party, the profile and the suite
version come from the run's facts, or from the Allure environment for a run whose
outcome has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from epix.report.allure_files import read_environment
from epix.report.outcomes import OUTCOMES, OutcomeFileError, RunOutcome, ScenarioResult

#: What a scenario's ``outcome`` may be (``waived`` when a waiver covered a failure).
KNOWN_OUTCOMES = frozenset({*OUTCOMES, "waived"})


class RunFolderError(Exception):
    """A run folder the matrix cannot read; the message is one sentence naming it."""


@dataclass(frozen=True)
class PartyRun:
    """The results of one run against one party, and where they came from."""

    party: str
    folder: Path
    results: tuple[ScenarioResult, ...]
    profile: str = ""
    suite: str = ""
    date: str = ""

    def of(self, capabilities: frozenset[str]) -> list[ScenarioResult]:
        """The results of the scenarios of these capabilities."""
        return [r for r in self.results if r.capability in capabilities]


def load_run(folder: Path) -> PartyRun:
    """The run ``folder`` holds, or :class:`RunFolderError` saying what is wrong with it."""
    path = folder / "outcome.json"
    try:
        outcome = RunOutcome.of_folder(folder)
    except OutcomeFileError as error:
        raise RunFolderError(str(error).splitlines()[0]) from None
    for index, result in enumerate(outcome.results):
        _check(result, f"{path}, result {index + 1}")
    facts, environment = outcome.run, read_environment(folder / "allure-results")
    party = str(facts.get("party") or environment.get("Partner") or "").strip()
    if not party:
        raise RunFolderError(f"{folder} does not say which party was tested (no run.party in outcome.json and "
                             "no Partner in allure-results/environment.properties).")
    return PartyRun(party=party, folder=folder, results=tuple(outcome.results),
                    profile=str(facts.get("profile") or environment.get("Profile") or ""),
                    suite=str(facts.get("suite_version") or environment.get("Suite version") or ""),
                    date=_date(facts.get("date"), path))


def _check(result: ScenarioResult, where: str) -> None:
    if result.outcome not in KNOWN_OUTCOMES:
        raise RunFolderError(f"{where} has the outcome {result.outcome!r}, not one of "
                             f"{', '.join(sorted(KNOWN_OUTCOMES))}.")
    if not isinstance(result.requirements, list) or not all(isinstance(r, str) for r in result.requirements):
        raise RunFolderError(f"{where} has no list of requirement IDs.")
    if result.capability is not None and not isinstance(result.capability, str):
        raise RunFolderError(f"{where} has a capability that is not a name.")


def _date(fact: object, path: Path) -> str:
    """When the run was made: the facts' ISO date, else the time ``outcome.json`` was written, in UTC."""
    try:
        when = datetime.fromisoformat(str(fact)) if fact else datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except ValueError:
        return str(fact)
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
