"""Putting a partner's faults to work: the seams of the faults switched on are replaced on
that partner's parts (see :mod:`epix.partner.faults` for the catalogue and the design).

Importing this module imports :mod:`epix.partner.fault_overrides` and
:mod:`epix.partner.hostile_overrides`, which register each override with
:func:`epix.partner.faults.override`; the reference partner's modules import neither.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from epix.findings import Finding
from epix.partner import hostile_overrides  # noqa: F401 - registers the hostile modes' overrides
from epix.partner.fault_overrides import IGNORES_SEAM
from epix.partner.faults import (
    CATALOGUE, HOSTILE, HOSTILE_OVERRIDES, LAPSE_OVERRIDES, LAPSES, OVERRIDES, Fault, Faults, Override,
)


def conduct(faults: Faults, parts: Iterable[object]) -> None:
    """Make ``parts`` (the parts of one partner) behave with ``faults``: replace, on each
    part, the seams of the faults switched on, in catalogue order, then those of the
    hostile modes and of the lapses."""
    parts = tuple(parts)
    for fault in CATALOGUE:
        if fault.name not in faults.names:
            continue
        if fault.ignores:
            _replace(parts, Override(fault.name, IGNORES_SEAM, _overlooking(fault)))
        if fault.name in OVERRIDES:
            _replace(parts, OVERRIDES[fault.name])
        elif not fault.ignores:
            raise LookupError(f"the fault {fault.name} has no override and ignores nothing")
    for mode in HOSTILE:
        if mode.name in faults.names:
            _replace(parts, HOSTILE_OVERRIDES[mode.name])
    for lapse in LAPSES:
        if lapse.name in faults.names:
            _replace(parts, LAPSE_OVERRIDES[lapse.name])


def _replace(parts: tuple[object, ...], replacing: Override) -> None:
    part = replacing.owner(parts)
    base = getattr(part, replacing.name)
    setattr(part, replacing.name, functools.partial(replacing.function, part, base))


def _overlooking(fault: Fault) -> Callable:
    """What an ``ignores`` fault does at :data:`~epix.partner.fault_overrides.IGNORES_SEAM`."""

    def counts(part: object, base: Callable[[Finding], bool], finding: Finding) -> bool:
        return not fault.overlooks(finding) and base(finding)

    return counts
