"""Putting a hub's faults to work: the seams of the faults switched on are replaced on that
hub's parts (see :mod:`epix.hub.faults`). Importing this module registers the overrides
of :mod:`epix.hub.fault_overrides`; the hub's own modules import neither."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from epix.hub import fault_overrides  # noqa: F401 - registers the overrides
from epix.hub.faults import CATALOGUE, OVERRIDES, check_names


def conduct(names: Iterable[str], parts: Iterable[object]) -> None:
    """Replace, on ``parts`` (one hub's), the seams of the faults ``names``, in catalogue order."""
    names = set(check_names(names))
    parts = tuple(parts)
    for fault in CATALOGUE:
        if fault.name in names:
            replacing = OVERRIDES[fault.name]
            part = replacing.owner(parts)
            base = getattr(part, replacing.name)
            setattr(part, replacing.name, functools.partial(replacing.function, part, base))
