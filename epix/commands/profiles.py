"""The profile a command is given (``--profile``): loaded and checked, or a usage error."""

from __future__ import annotations

from pathlib import Path

from epix.exits import UsageError
from epix.profile import Profile, ProfileError, load_profile


def checked_profile(path: Path) -> Profile:
    """The profile at ``path``, or :class:`UsageError` naming each of its mistakes."""
    try:
        return load_profile(path)
    except ProfileError as error:
        raise UsageError(str(error)) from None
