"""One party's run, as the matrix reads it from the folder ``epix run`` wrote.

The folder holds ``outcome.json`` (every scenario's result: its requirements, capability
and outcome; either the list itself or an object with ``results`` and the run's facts as
``run``) and ``allure-results/environment.properties`` (the party under test, the
profile, the suite version). The party comes from ``run.party`` when the outcome has it,
else from the environment's ``Partner``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from epix.report.allure_files import read_environment

#: What a scenario's ``outcome`` may be in ``outcome.json`` (``waived`` when a waiver covered a failure).
KNOWN_OUTCOMES = frozenset({"passed", "warning", "failed", "broken", "not claimed", "skipped", "waived"})


class RunFolderError(Exception):
    """A run folder the matrix cannot read; the message is one sentence naming it."""


@dataclass(frozen=True)
class Result:
    """One scenario's result, as much of it as the matrix needs."""

    name: str
    requirements: tuple[str, ...]
    capability: str | None
    outcome: str
    waiver: str = ""


@dataclass(frozen=True)
class PartyRun:
    """The results of one run against one party, and where they came from."""

    party: str
    folder: Path
    results: tuple[Result, ...]
    profile: str = ""
    suite: str = ""
    date: str = ""

    def of(self, capabilities: frozenset[str]) -> list[Result]:
        """The results of the scenarios of these capabilities."""
        return [r for r in self.results if r.capability in capabilities]


def load_run(folder: Path) -> PartyRun:
    """The run ``folder`` holds, or :class:`RunFolderError` saying what is wrong with it."""
    if not folder.is_dir():
        raise RunFolderError(f"{folder} is not a run folder: it does not exist or is not a folder.")
    outcome = folder / "outcome.json"
    try:
        data = json.loads(outcome.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFolderError(f"{folder} holds no outcome.json; give a folder that `epix run` wrote.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunFolderError(f"{outcome} cannot be read as JSON ({_short(error)}).") from None
    entries, facts = _entries_and_facts(data, outcome)
    results = tuple(_result(entry, outcome, index) for index, entry in enumerate(entries))
    environment = read_environment(folder / "allure-results")
    party = str(facts.get("party") or environment.get("Partner") or "").strip()
    if not party:
        raise RunFolderError(f"{folder} does not say which party was tested (no run.party in outcome.json and "
                             "no Partner in allure-results/environment.properties).")
    return PartyRun(party=party, folder=folder, results=results,
                    profile=str(facts.get("profile") or environment.get("Profile") or ""),
                    suite=str(facts.get("suite_version") or environment.get("Suite version") or ""),
                    date=str(facts.get("date") or _date_of(outcome)))


def _entries_and_facts(data: object, path: Path) -> tuple[list[object], Mapping[str, object]]:
    if isinstance(data, list):
        return data, {}
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        facts = data.get("run")
        return data["results"], facts if isinstance(facts, dict) else {}
    raise RunFolderError(f"{path} is not the outcome of a run: it holds neither a list of results nor an "
                         "object with 'results'.")


def _result(entry: object, path: Path, index: int) -> Result:
    where = f"{path}, result {index + 1}"
    if not isinstance(entry, dict):
        raise RunFolderError(f"{where} is not an object.")
    outcome = entry.get("outcome")
    if outcome not in KNOWN_OUTCOMES:
        raise RunFolderError(f"{where} has the outcome {outcome!r}, not one of {', '.join(sorted(KNOWN_OUTCOMES))}.")
    requirements = entry.get("requirements")
    if not isinstance(requirements, list) or not all(isinstance(r, str) for r in requirements):
        raise RunFolderError(f"{where} has no list of requirement IDs.")
    capability = entry.get("capability")
    if capability is not None and not isinstance(capability, str):
        raise RunFolderError(f"{where} has a capability that is not a name.")
    waiver = entry.get("waiver")
    reason = str(waiver.get("reason", "")) if isinstance(waiver, dict) else ""
    return Result(str(entry.get("name", "")), tuple(requirements), capability, outcome, reason)


def _date_of(path: Path) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _short(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
