"""Warnings: a SHOULD or RECOMMENDED of the profile that the partner missed.

A scenario **passes with a warning** when every MUST it checks holds and only a SHOULD or
RECOMMENDED is missed (spec, "Outcomes"). A step that finds such a miss calls
:func:`warn` and goes on; the scenario's outcome becomes ``warning`` ("passed with a
warning"), or stays failed or broken when a check fails as well, the warning still listed.

The recorder (:mod:`epix.report.recorder`) opens one :func:`collecting` per scenario and
puts what was collected into the console, ``junit.xml``, ``outcome.json`` and the Allure
results.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

#: The start of the Allure status message of a scenario that passed with a warning.
PASSED_WITH_A_WARNING = "Passed with a warning"

_collected: contextvars.ContextVar[list[Missed] | None] = contextvars.ContextVar("epix_warnings", default=None)


@dataclass(frozen=True)
class Missed:
    """What a warning names: the requirement IDs (``"PULL-03"``) and the SHOULD or
    RECOMMENDED sentence that was missed."""

    requirement: str
    sentence: str

    def __str__(self) -> str:
        return f"{self.requirement}: {self.sentence}"


class NoScenario(RuntimeError):
    """:func:`warn` was called while no scenario was being recorded (a harness error)."""


def warn(requirement: str, sentence: str) -> Missed:
    """Record that the scenario running now missed ``sentence`` (a SHOULD or RECOMMENDED) of
    ``requirement``, without failing it: ``warn("PULL-03", "the fault names no EPX code
    (RECOMMENDED: EPX-304)")``."""
    collected = _collected.get()
    if collected is None:
        raise NoScenario(f"a warning was given outside a scenario: {requirement}: {sentence}")
    missed = Missed(requirement, sentence)
    if missed not in collected:
        collected.append(missed)
    return missed


@contextmanager
def collecting() -> Iterator[list[Missed]]:
    """The warnings given while the block runs (one scenario), in the order given."""
    collected: list[Missed] = []
    token = _collected.set(collected)
    try:
        yield collected
    finally:
        _collected.reset(token)
