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

``outcome.json`` holds ``{"results": [...], "waivers": [...]}``: each scenario's result, and
each waiver that concerns the run with its state (used, unused, expired).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from epix.exits import Exit
from epix.report.labels import AREAS

PASSED, WARNING, FAILED, WAIVED, BROKEN = "passed", "warning", "failed", "waived", "broken"
NOT_CLAIMED, SKIPPED = "not claimed", "skipped"
#: How a waived scenario's Allure status message begins (``Waived: <reason> (approved by …)``).
WAIVED_MESSAGE = "Waived"
OUTCOMES = (PASSED, WARNING, FAILED, WAIVED, BROKEN, NOT_CLAIMED, SKIPPED)
#: How the summary table heads each outcome's column.
COLUMNS = {PASSED: "Passed", WARNING: "Warning", FAILED: "Failed", WAIVED: "Waived", BROKEN: "Broken",
           NOT_CLAIMED: "Not claimed", SKIPPED: "Skipped"}


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
    #: The outcome a waiver replaced with ``waived`` (``failed``), and that waiver:
    #: ``{"reason", "approved_by", "until", "number"}`` (its place in the waiver file).
    waived_outcome: str | None = None
    waiver: dict[str, object] | None = None


@dataclass
class RunOutcome:
    """Every scenario's result, in the order they ran, and the waivers that concern the run."""

    results: list[ScenarioResult] = field(default_factory=list)
    #: Each waiver of the run's party: its fields, ``number`` and ``file``, and ``state``.
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
        document = {"results": [asdict(r) for r in self.results], "waivers": self.waivers}
        path.write_text(json.dumps(document, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RunOutcome:
        """Read ``outcome.json`` (also the bare list of results that runs before waivers wrote)."""
        document = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(document, list):
            document = {"results": document}
        return cls([ScenarioResult(**entry) for entry in document["results"]], list(document.get("waivers", [])))


def summary_table(outcome: RunOutcome) -> str:
    """A plain-text table: one line per area of the profile, then the total."""
    header = ("Area", *(COLUMNS[o] for o in OUTCOMES), "Total")
    rows = []
    areas = [a for a in AREAS if any(r.area == a for r in outcome.results)]
    areas += sorted({r.area or "other" for r in outcome.results} - set(AREAS) - {None})
    for area in areas:
        rows.append(_row(AREAS.get(area, area), outcome.counts(area)))
    rows.append(_row("All areas", outcome.counts()))
    widths = [max(len(str(line[i])) for line in (header, *rows)) for i in range(len(header))]
    lines = [_format(header, widths), _format(tuple("-" * w for w in widths), widths)]
    lines += [_format(row, widths) for row in rows[:-1]]
    lines += [_format(tuple("-" * w for w in widths), widths), _format(rows[-1], widths)]
    return "\n".join(lines)


def problem_list(outcome: RunOutcome, rerun: str) -> str:
    """One paragraph per failed or broken scenario: what, why, and how to run it again."""
    paragraphs = []
    unreachable = outcome.unreachable
    if unreachable:
        paragraphs.append(f"The partner was unreachable ({len(unreachable)} scenarios broken): "
                          f"{unreachable[0].message}")
    for result in outcome.problems:
        if result.unreachable:
            continue
        kind = "FAILED (partner defect)" if result.outcome == FAILED else "BROKEN (harness error)"
        requirements = " ".join(result.requirements)
        paragraphs.append(f"{kind}  {requirements}  {result.name}\n    {result.message}\n"
                          f"    re-run: {rerun} '{result.nodeid}'")
    return "\n\n".join(paragraphs)


def waived_list(outcome: RunOutcome) -> str:
    """One paragraph per waived scenario: the scenario, its failure, and the waiver that accepts it."""
    paragraphs = []
    for result in outcome.waived:
        waiver = result.waiver or {}
        paragraphs.append(f"WAIVED (failed, accepted by a waiver)  {' '.join(result.requirements)}  {result.name}\n"
                          f"    failure: {result.message}\n"
                          f"    waiver: {waiver.get('reason', '')} (approved by {waiver.get('approved_by', '')}, "
                          f"until {waiver.get('until', '')})")
    return "\n\n".join(paragraphs)


def waiver_list(outcome: RunOutcome) -> str:
    """One line per waiver of the run: its state (used, unused, expired), what it names, its reason."""
    lines = []
    for waiver in outcome.waivers:
        what = ", ".join(str(waiver[key]) for key in ("requirement", "scenario") if waiver.get(key))
        note = {"used": "", "unused": ": no failed scenario of this run needed it",
                "expired": ": not applied, its last day was before the run"}.get(str(waiver["state"]), "")
        lines.append(f"{str(waiver['state']).upper():<8} waiver {waiver['number']} of {waiver['file']} "
                     f"({waiver['party']}, {what}) until {waiver['until']}{note}; reason: {waiver['reason']}")
    return "\n".join(lines)


def warning_list(outcome: RunOutcome) -> str:
    """One paragraph per scenario given a warning: its outcome, the scenario, each warning."""
    paragraphs = []
    for result in outcome.warned:
        kind = "PASSED WITH A WARNING" if result.outcome == WARNING else f"{result.outcome.upper()}, AND WARNED"
        lines = "".join(f"\n    warning: {text}" for text in result.warnings)
        paragraphs.append(f"{kind}  {' '.join(result.requirements)}  {result.name}{lines}")
    return "\n\n".join(paragraphs)


def _row(label: str, counts: Counter[str]) -> tuple[str, ...]:
    total = sum(counts.values())
    return (label, *(str(counts.get(o, 0)) for o in OUTCOMES), str(total))


def _format(row: tuple[str, ...], widths: list[int]) -> str:
    first = row[0].ljust(widths[0])
    rest = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
    return "  ".join([first, *rest])
