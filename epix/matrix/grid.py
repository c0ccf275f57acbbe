"""The matrix: for each binding, every ordered pair of parties judged from their runs.

A cell (A, B) is **ready** only when both sides hold (passed, or passed with warnings:
then *ready with warnings*); **not ready** when either side failed a requirement the
direction needs or does not claim a capability it must; otherwise **not shown**: one
side's evidence is missing (not run, or a side the suite cannot test yet). A party's own
row and column meet in a cell that is not judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from epix.matrix.directions import DIRECTIONS, WARNED, Direction, Side, judge_side
from epix.matrix.runs import PartyRun

READY, READY_WITH_WARNINGS, NOT_READY, NOT_SHOWN = "ready", "ready-with-warnings", "not-ready", "not-shown"


class DuplicateParty(ValueError):
    """Two run folders are of the same party; the message names both."""


@dataclass(frozen=True)
class Cell:
    """Direction ``direction`` from the row party to the column party: its state and both sides."""

    row: Side
    column: Side
    state: str


@dataclass(frozen=True)
class Grid:
    """One binding's party × party grid."""

    direction: Direction
    parties: tuple[str, ...]
    cells: Mapping[tuple[str, str], Cell]

    def cell(self, row: str, column: str) -> Cell | None:
        """The cell of ``row`` towards ``column``; ``None`` for a party and itself."""
        return self.cells.get((row, column))


@dataclass(frozen=True)
class Matrix:
    runs: tuple[PartyRun, ...]
    grids: tuple[Grid, ...]


def build_matrix(runs: Iterable[PartyRun], requirements: Mapping[str, frozenset[str]] | None = None) -> Matrix:
    """The matrix of ``runs`` (one per party); ``requirements`` maps each capability to the
    requirement IDs the suite checks for it (by default read from the suite's feature files)."""
    runs = tuple(runs)
    seen: dict[str, PartyRun] = {}
    for run in runs:
        if run.party in seen:
            raise DuplicateParty(f"{seen[run.party].folder} and {run.folder} are both runs of party {run.party}; "
                                 "give one run per party.")
        seen[run.party] = run
    needs = requirements if requirements is not None else requirements_by_capability()
    parties = tuple(run.party for run in runs)
    grids = []
    for direction in DIRECTIONS:
        cells = {}
        for row in parties:
            for column in parties:
                if row != column:
                    cells[(row, column)] = judge_cell(direction, seen[row], seen[column], needs)
        grids.append(Grid(direction, parties, cells))
    return Matrix(runs, tuple(grids))


def judge_cell(direction: Direction, row: PartyRun, column: PartyRun,
               requirements: Mapping[str, frozenset[str]]) -> Cell:
    """One cell: each side judged from its own party's run, then the two together."""
    sides = (judge_side(row, direction.row, requirements), judge_side(column, direction.column, requirements))
    if any(side.blocks for side in sides):
        state = NOT_READY
    elif all(side.holds for side in sides):
        state = READY_WITH_WARNINGS if any(side.state == WARNED for side in sides) else READY
    else:
        state = NOT_SHOWN
    return Cell(*sides, state)


def requirements_by_capability() -> dict[str, frozenset[str]]:
    """Each capability of the suite and the requirement IDs its scenarios check."""
    from epix.report.catalogue import read_catalogue

    found: dict[str, set[str]] = {}
    for entry in read_catalogue():
        meaning = entry.meaning
        if meaning.capability:
            found.setdefault(meaning.capability, set()).update(meaning.requirements)
    return {capability: frozenset(ids) for capability, ids in found.items()}
