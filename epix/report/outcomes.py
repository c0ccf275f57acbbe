"""What happened to each scenario of a run, the summary table, and the run's exit code.

A scenario ends in one of seven ways: ``passed``; ``warning``, passed with a warning (every
MUST it checks holds, but the partner missed a SHOULD or RECOMMENDED, which the warning
names: :mod:`epix.report.warning`); ``failed`` (the partner answered and broke the
requirement: a partner defect); ``waived`` (failed, but a waiver of the pilot accepts that
deviation: :mod:`epix.report.waivers`; its failure is kept as ``waived_outcome``); ``broken``
(no answer: the partner is unreachable; or the harness itself failed); ``not claimed``
(skipped because the partner does not claim the capability); ``skipped`` for any other
reason. A failed or broken scenario keeps the warnings it was given. A warning exits 0,
like a pass; a waived failure exits 1 like a failure, unless waivers are accepted.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from epix.exits import Exit
from epix.i18n import N_, translator
from epix.report.labels import AREAS

PASSED, WARNING, FAILED, WAIVED, BROKEN = "passed", "warning", "failed", "waived", "broken"
NOT_CLAIMED, SKIPPED = "not claimed", "skipped"
#: How a waived scenario's Allure status message begins (``Waived: <reason> (approved by …)``).
WAIVED_MESSAGE = "Waived"
OUTCOMES = (PASSED, WARNING, FAILED, WAIVED, BROKEN, NOT_CLAIMED, SKIPPED)
#: How the summary table heads each outcome's column (English; translated when shown).
COLUMNS = {PASSED: N_("Passed"), WARNING: N_("Warning"), FAILED: N_("Failed"), WAIVED: N_("Waived"),
           BROKEN: N_("Broken"), NOT_CLAIMED: N_("Not claimed"), SKIPPED: N_("Skipped")}
#: How the console names each state of a waiver (``outcome.json``'s ``waivers``).
WAIVER_STATES = {"used": N_("USED"), "unused": N_("UNUSED"), "expired": N_("EXPIRED")}


@dataclass
class ScenarioResult:
    nodeid: str
    name: str
    area: str | None
    requirements: list[str]
    capability: str | None
    outcome: str = PASSED
    message: str = ""
    unreachable: bool = False
    duration: float = 0.0
    #: Requirements the scenario depends on without checking them (``@needs:…``).
    needs: list[str] = field(default_factory=list)
    #: What the partner missed of a SHOULD or RECOMMENDED, one sentence each ("PULL-03: …").
    warnings: list[str] = field(default_factory=list)
    #: The UUID of the scenario's Allure result (its ``uuid``), if one was written.
    allure_uuid: str = ""
    #: The outcome a waiver replaced with ``waived`` (``failed``), and that waiver:
    #: ``{"reason", "approved_by", "until", "number"}`` (its place in the waiver file).
    waived_outcome: str | None = None
    waiver: dict[str, object] | None = None


@dataclass
class RunOutcome:
    """Every scenario's result, in the order they ran; ``run`` the facts of the run (party,
    endpoint, versions, date, capabilities: :mod:`epix.report.runfacts`); ``extra`` any other
    top-level entry of ``outcome.json``, kept as it was read."""

    results: list[ScenarioResult] = field(default_factory=list)
    run: dict[str, object] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)
    #: Each waiver of the run's party with its ``state``: used, unused or expired (:mod:`epix.report.waivers`).
    waivers: list[dict[str, object]] = field(default_factory=list)

    def counts(self, area: str | None = None) -> Counter[str]:
        return Counter(r.outcome for r in self.results if area is None or r.area == area)

    @property
    def unreachable(self) -> list[ScenarioResult]:
        return [r for r in self.results if r.unreachable]

    @property
    def warned(self) -> list[ScenarioResult]:
        """Every scenario that was given a warning, whatever its outcome."""
        return [r for r in self.results if r.warnings]

    @property
    def problems(self) -> list[ScenarioResult]:
        return [r for r in self.results if r.outcome in (FAILED, BROKEN)]

    @property
    def waived(self) -> list[ScenarioResult]:
        return [r for r in self.results if r.outcome == WAIVED]

    def exit_code(self, *, accept_waivers: bool = False) -> Exit:
        """0 every claimed scenario passed (with a warning or without; or was waived, when waivers are
        accepted), 1 failures, 3 the partner was unreachable."""
        if self.unreachable:
            return Exit.UNREACHABLE
        if self.problems or (self.waived and not accept_waivers):
            return Exit.FAILED
        return Exit.OK

    def save(self, path: Path) -> None:
        """``outcome.json``: an object with ``run`` (the facts), ``results`` (one per scenario), ``waivers``
        and the extra entries."""
        document = {**self.extra, "run": self.run, "results": [asdict(r) for r in self.results],
                    "waivers": self.waivers}
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def of_folder(cls, folder: Path) -> RunOutcome:
        """The outcome of the run ``folder`` holds; :class:`OutcomeFileError` says in one
        sentence what is wrong with the folder or its ``outcome.json``."""
        if not folder.is_dir():
            raise OutcomeFileError(f"{folder} is not a run folder: it does not exist or is not a folder.")
        path = folder / "outcome.json"
        if not path.is_file():
            raise OutcomeFileError(f"{folder} holds no outcome.json; give a folder that `epix run` wrote.")
        return cls.load(path)

    @classmethod
    def load(cls, path: Path) -> RunOutcome:
        """Read ``outcome.json`` (also the plain list of results that earlier versions wrote).

        :class:`OutcomeFileError` names the file when it is not an outcome file."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise OutcomeFileError(f"{path} cannot be read as an outcome file: {error}") from None
        if isinstance(document, list):
            document = {"results": document}
        if not isinstance(document, dict) or not isinstance(document.get("results", []), list):
            raise OutcomeFileError(f"{path} is not an outcome file: it holds no list of results")
        known = {f.name for f in fields(ScenarioResult)}
        try:
            results = [ScenarioResult(**{k: v for k, v in entry.items() if k in known})
                       for entry in document.get("results", [])]
        except (TypeError, AttributeError) as error:
            raise OutcomeFileError(f"{path} is not an outcome file: a result is incomplete ({error})") from None
        run = document.get("run") if isinstance(document.get("run"), dict) else {}
        waivers = document.get("waivers") if isinstance(document.get("waivers"), list) else []
        extra = {k: v for k, v in document.items() if k not in ("run", "results", "waivers")}
        return cls(results, run, extra, [w for w in waivers if isinstance(w, dict)])


class OutcomeFileError(ValueError):
    """``outcome.json`` is missing, unreadable or not an outcome file; the message names it."""


def summary_table(outcome: RunOutcome, lang: str = "en") -> str:
    """A plain-text table: one line per area of the profile, then the total."""
    _ = translator(lang)
    header = (_("Area"), *(_(COLUMNS[o]) for o in OUTCOMES), _("Total"))
    rows = []
    areas = [a for a in AREAS if any(r.area == a for r in outcome.results)]
    areas += sorted({r.area or "other" for r in outcome.results} - set(AREAS) - {None})
    for area in areas:
        rows.append(_row(_(AREAS[area]) if area in AREAS else area, outcome.counts(area)))
    rows.append(_row(_("All areas"), outcome.counts()))
    widths = [max(len(str(line[i])) for line in (header, *rows)) for i in range(len(header))]
    lines = [_format(header, widths), _format(tuple("-" * w for w in widths), widths)]
    lines += [_format(row, widths) for row in rows[:-1]]
    lines += [_format(tuple("-" * w for w in widths), widths), _format(rows[-1], widths)]
    return "\n".join(lines)


def problem_list(outcome: RunOutcome, rerun: str, lang: str = "en") -> str:
    """One paragraph per failed or broken scenario: what, why, and how to run it again."""
    _ = translator(lang)
    paragraphs = []
    unreachable = outcome.unreachable
    if unreachable:
        paragraphs.append(_("The partner was unreachable ({count} scenarios broken): {message}").format(
            count=len(unreachable), message=unreachable[0].message))
    for result in outcome.problems:
        if result.unreachable:
            continue
        kind = _("FAILED (partner defect)") if result.outcome == FAILED else _("BROKEN (harness error)")
        requirements = " ".join(result.requirements)
        again = _("re-run:")
        paragraphs.append(f"{kind}  {requirements}  {result.name}\n    {result.message}\n"
                          f"    {again} {rerun} '{result.nodeid}'")
    return "\n\n".join(paragraphs)


def waived_list(outcome: RunOutcome, lang: str = "en") -> str:
    """One paragraph per waived scenario: the scenario, its failure, and the waiver that accepts it."""
    _ = translator(lang)
    paragraphs = []
    for result in outcome.waived:
        waiver = result.waiver or {}
        kind, failure, label = _("WAIVED (failed, accepted by a waiver)"), _("failure:"), _("waiver:")
        approval = _("(approved by {approved_by}, until {until})").format(
            approved_by=waiver.get("approved_by", ""), until=waiver.get("until", ""))
        paragraphs.append(f"{kind}  {' '.join(result.requirements)}  {result.name}\n"
                          f"    {failure} {result.message}\n"
                          f"    {label} {waiver.get('reason', '')} {approval}")
    return "\n\n".join(paragraphs)


def waiver_list(outcome: RunOutcome, lang: str = "en") -> str:
    """One line per waiver of the run: its state (used, unused, expired), what it names, its reason."""
    _ = translator(lang)
    notes = {"unused": _("no failed scenario of this run needed it"),
             "expired": _("not applied, its last day was before the run")}
    lines = []
    for waiver in outcome.waivers:
        state = str(waiver.get("state", ""))
        what = ", ".join(str(waiver[key]) for key in ("requirement", "scenario") if waiver.get(key))
        line = _("waiver {number} of {file} ({party}, {what}) until {until}").format(
            number=waiver.get("number", ""), file=waiver.get("file", ""), party=waiver.get("party", ""), what=what,
            until=waiver.get("until", ""))
        note = f": {notes[state]}" if state in notes else ""
        shown = _(WAIVER_STATES[state]) if state in WAIVER_STATES else state.upper()
        reason = _("reason:")
        lines.append(f"{shown:<8} {line}{note}; {reason} {waiver.get('reason', '')}")
    return "\n".join(lines)


def warning_list(outcome: RunOutcome, lang: str = "en") -> str:
    """One paragraph per scenario given a warning: its outcome, the scenario, each warning."""
    _ = translator(lang)
    paragraphs = []
    for result in outcome.warned:
        if result.outcome == WARNING:
            kind = _("PASSED WITH A WARNING")
        else:
            kind = _("{outcome}, AND WARNED").format(outcome=_(COLUMNS.get(result.outcome, result.outcome)).upper())
        label = _("warning:")
        lines = "".join(f"\n    {label} {text}" for text in result.warnings)
        paragraphs.append(f"{kind}  {' '.join(result.requirements)}  {result.name}{lines}")
    return "\n\n".join(paragraphs)


def _row(label: str, counts: Counter[str]) -> tuple[str, ...]:
    total = sum(counts.values())
    return (label, *(str(counts.get(o, 0)) for o in OUTCOMES), str(total))


def _format(row: tuple[str, ...], widths: list[int]) -> str:
    first = row[0].ljust(widths[0])
    rest = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
    return "  ".join([first, *rest])
