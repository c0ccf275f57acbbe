"""The one clock of the harness. Everything that needs "now" asks here, so tests can pin it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timezone

_fixed: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware UTC, truncated to whole seconds."""
    if _fixed is not None:
        return _fixed
    return datetime.now(timezone.utc).replace(microsecond=0)


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Pin :func:`now` to ``at`` (aware) for the duration of the block."""
    global _fixed
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware datetime")
    previous, _fixed = _fixed, at
    try:
        yield at
    finally:
        _fixed = previous


def isoformat(moment: datetime) -> str:
    """``2026-11-28T09:30:00Z``: the form every message of the profile uses."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
