"""Waivers: deviations of a party that the pilot accepted, read from a TOML file.

    [[waiver]]
    party = "FR"                  # the party under test it is granted to
    requirement = "PULL-03"       # and/or scenario = "A request that names the wrong permit reveals nothing"
    reason = "EPX codes come with release 2.4 (ticket FR-118)"
    approved_by = "Pilot Task Force, meeting of 2026-11-20"
    until = 2026-12-31            # the last day it holds

A waiver covers a **failed** scenario of its party that checks its requirement (and, when it
names one, is that scenario: the scenario's name, or for an outline the name without the
values of its Examples row). Such a scenario ends ``waived``, with its reason and its outcome
before the waiver kept, never ``passed``. A **broken** scenario is never waived: it is the
harness's error or a set-up problem and says nothing about the party, so a waiver of the
party's deviation must not hide it. A waiver whose ``until`` is before the day of the run has
expired and covers nothing; one that covered nothing is unused; waivers for another party are
not this run's and are left out.

The whole file is checked before a run starts: each mistake is one sentence naming the
file, the waiver (its number in the file) and the field.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from epix.party import is_party_id
from epix.paths import PROJECT
from epix.report.catalogue import read_catalogue, spec_requirements
from epix.report.outcomes import FAILED, WAIVED, RunOutcome, ScenarioResult
from epix.tomlfile import display_path

SPEC_FILES = (PROJECT / "docs" / "spec" / "epix-pilot-profile.md", PROJECT / "docs" / "spec" / "permit-document.md")
FIELDS = ("party", "requirement", "scenario", "reason", "approved_by", "until")
#: The states of a waiver in a run (``outcome.json``'s ``waivers``).
USED, UNUSED, EXPIRED = "used", "unused", "expired"


class WaiverFileError(Exception):
    """A waiver file that cannot be used; ``problems`` holds one sentence per mistake."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems) if len(problems) == 1 else
                         "the waiver file cannot be used:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Waiver:
    """One accepted deviation: ``number`` is its place in the file (1 for the first ``[[waiver]]``)."""

    number: int
    party: str
    requirement: str | None
    scenario: str | None
    reason: str
    approved_by: str
    until: date

    def expired_on(self, day: date) -> bool:
        return self.until < day

    def covers(self, result: ScenarioResult) -> bool:
        """Whether ``result``'s failure is the deviation this waiver names (its party aside)."""
        if self.requirement is not None and self.requirement not in result.requirements:
            return False
        if self.scenario is not None and not _is_named(result.name, self.scenario):
            return False
        return True

    def record(self) -> dict[str, object]:
        """What a waived result keeps of its waiver (``outcome.json``'s ``waiver``)."""
        return {"reason": self.reason, "approved_by": self.approved_by, "until": self.until.isoformat(),
                "number": self.number}

    def describe(self) -> str:
        """``reason (approved by …, until 2026-12-31)``: one line for the console, junit.xml and Allure."""
        return f"{self.reason} (approved by {self.approved_by}, until {self.until.isoformat()})"


@dataclass(frozen=True)
class WaiverBook:
    """The waivers of one file that concern one run: its party, its day."""

    source: str
    party: str
    day: date
    waivers: tuple[Waiver, ...]
    #: How many waivers of the file are for other parties (not this run's).
    others: int = 0

    @classmethod
    def read(cls, path: Path, *, party: str, day: date) -> WaiverBook:
        """The waivers in ``path`` for ``party``, as they stand on ``day``; :class:`WaiverFileError` for a mistake."""
        every = read_waivers(path)
        mine = tuple(w for w in every if w.party == party)
        return cls(display_path(path), party, day, mine, len(every) - len(mine))

    def __str__(self) -> str:
        """``4 waivers for FR in waivers.toml (1 for other parties, not applied)``: said before the run."""
        others = f" ({self.others} for other parties, not applied)" if self.others else ""
        return f"{len(self.waivers)} waiver(s) for {self.party} in {self.source}{others}"

    def covering(self, result: ScenarioResult) -> Waiver | None:
        """The first waiver in force that covers ``result``, if it failed; ``None`` otherwise."""
        if result.outcome != FAILED:
            return None
        return next((w for w in self.waivers if not w.expired_on(self.day) and w.covers(result)), None)

    def waive(self, result: ScenarioResult) -> Waiver | None:
        """Waive ``result`` if a waiver in force covers its failure; the waiver, or ``None``."""
        waiver = self.covering(result)
        if waiver is not None:
            result.waived_outcome, result.outcome, result.waiver = result.outcome, WAIVED, waiver.record()
        return waiver

    def apply(self, outcome: RunOutcome) -> None:
        """Waive each failed result a waiver covers, and list every waiver with its state in ``outcome``.
        Results waived before (by another file) first get back the outcome they had."""
        for result in outcome.results:
            if result.outcome == WAIVED and result.waived_outcome:
                result.outcome, result.waived_outcome, result.waiver = result.waived_outcome, None, None
            self.waive(result)
        self.list_in(outcome)

    def list_in(self, outcome: RunOutcome) -> None:
        """Every waiver into ``outcome.waivers`` with its state: expired, used (it waived a result) or unused."""
        used = {result.waiver.get("number") for result in outcome.waived if result.waiver}
        outcome.waivers = [self._entry(waiver, used) for waiver in self.waivers]

    def _entry(self, waiver: Waiver, used: set[object]) -> dict[str, Any]:
        state = EXPIRED if waiver.expired_on(self.day) else USED if waiver.number in used else UNUSED
        return {**asdict(waiver), "until": waiver.until.isoformat(), "file": self.source, "state": state}


def waive_run(outcome_file: Path, path: Path, *, party: str, day: date) -> RunOutcome:
    """Apply the waivers of ``path`` to a finished run's ``outcome.json`` (``epix statement --waivers``),
    replacing the waivers applied before; ``junit.xml`` and the Allure results keep what the run recorded."""
    book = WaiverBook.read(path, party=party, day=day)
    outcome = RunOutcome.load(outcome_file)
    book.apply(outcome)
    outcome.save(outcome_file)
    return outcome


def read_waivers(path: Path) -> list[Waiver]:
    """Every waiver in ``path``, checked; :class:`WaiverFileError` names each mistake."""
    shown = display_path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WaiverFileError([f"{shown}: cannot read the waiver file: {exc.strerror}."]) from None
    except UnicodeDecodeError:
        raise WaiverFileError([f"{shown}: the waiver file is not UTF-8 text."]) from None
    except tomllib.TOMLDecodeError as exc:
        raise WaiverFileError([f"{shown}: the waiver file is not valid TOML: {exc}."]) from None
    problems = [f"{shown}: '{key}' is not a table of a waiver file; list each waiver as a [[waiver]] table."
                for key in data if key != "waiver"]
    entries = data.get("waiver", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.append(f"{shown}: 'waiver' must be a list of tables, each written [[waiver]].")
        entries = []
    elif not entries and not problems:
        problems.append(f"{shown} lists no waiver; write each one as a [[waiver]] table with party, requirement "
                        "or scenario, reason, approved_by and until.")
    known = _Known()
    waivers = []
    for number, entry in enumerate(entries, start=1):
        found = [f"{shown}, waiver {number}: {problem}" for problem in _problems(entry, known)]
        problems += found
        if not found:
            waivers.append(_waiver(number, entry))
    if problems:
        raise WaiverFileError(problems)
    return waivers


class _Known:
    """The requirement IDs of the spec and the scenario names of the suite, read once when first asked."""

    def __init__(self) -> None:
        self._requirements: list[str] | None = None
        self._scenarios: list[str] | None = None

    @property
    def requirements(self) -> list[str]:
        if self._requirements is None:
            self._requirements = spec_requirements(*SPEC_FILES)
        return self._requirements

    @property
    def scenarios(self) -> list[str]:
        if self._scenarios is None:
            self._scenarios = sorted({entry.name for entry in read_catalogue()})
        return self._scenarios


def _problems(entry: dict[str, Any], known: _Known) -> list[str]:
    problems = []
    for key in entry:
        if key not in FIELDS:
            close = difflib.get_close_matches(key, FIELDS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; a waiver has {', '.join(FIELDS)}."
            problems.append(f"'{key}' is not a field of a waiver{hint}")
    return problems + _missing_or_wrong(entry, known)


def _missing_or_wrong(entry: dict[str, Any], known: _Known) -> list[str]:
    """The sentences for the fields of a waiver: missing, or a value that cannot be used. A field
    said to be missing is not one whose name is misspelt in the entry (that mistake is said already)."""
    misspelt = {close for key in entry if key not in FIELDS for close in difflib.get_close_matches(key, FIELDS, n=1)}
    problems = []
    party = entry.get("party")
    if party is None and "party" not in misspelt:
        problems.append("party is missing: name the party the waiver is granted to, e.g. party = \"FR\".")
    elif party is not None and not is_party_id(party):
        problems.append(f"party {party!r} is not a party ID (upper case, e.g. FR or US-FWS).")
    requirement, scenario = entry.get("requirement"), entry.get("scenario")
    if requirement is None and scenario is None and not misspelt & {"requirement", "scenario"}:
        problems.append("requirement and scenario are both missing: name the requirement (e.g. requirement = "
                        "\"PULL-03\") or the scenario the waiver covers.")
    if requirement is not None and requirement not in known.requirements:
        close = difflib.get_close_matches(str(requirement), known.requirements, n=1)
        hint = f"; did you mean {close[0]}?" if close else "."
        problems.append(f"requirement {requirement!r} is not a requirement of the spec{hint}")
    if scenario is not None and not _names_a_scenario(scenario, known.scenarios):
        close = difflib.get_close_matches(str(scenario), known.scenarios, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else " (see the scenario names in the run's summary)."
        problems.append(f"scenario {scenario!r} is not the name of a scenario of the suite{hint}")
    for key, what in (("reason", "say why the deviation is accepted"), ("approved_by", "say who approved it")):
        value = entry.get(key)
        if value is None:
            if key not in misspelt:
                problems.append(f"{key} is missing: {what}.")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"{key} must be a text that is not empty: {what}.")
    until = entry.get("until")
    if until is None:
        if "until" not in misspelt:
            problems.append("until is missing: give the last day the waiver holds, e.g. until = 2026-12-31.")
    elif _day(until) is None:
        problems.append(f"until {until!r} is not a date; write it as until = 2026-12-31.")
    return problems


def _waiver(number: int, entry: dict[str, Any]) -> Waiver:
    until = _day(entry["until"])
    assert until is not None  # checked by _problems
    return Waiver(number, entry["party"], entry.get("requirement"), entry.get("scenario"), entry["reason"].strip(),
                  entry["approved_by"].strip(), until)


def _day(value: object) -> date | None:
    """A TOML date (or date-time: its day), or an ISO date in a string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _names_a_scenario(name: object, scenarios: list[str]) -> bool:
    return isinstance(name, str) and any(_is_named(name, scenario) for scenario in scenarios)


def _is_named(title: str, name: str) -> bool:
    """Whether a scenario titled ``title`` is the one ``name`` names: the same, or ``name`` is the
    outline whose Examples row made it (``Name (a; b)``)."""
    return title == name or title.startswith(f"{name} (")
