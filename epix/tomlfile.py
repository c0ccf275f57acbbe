"""Reading the harness's own TOML files (schema sets, field maps) with errors that name the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def display_path(path: Path) -> str:
    """``path`` relative to the working directory where it lies below it, for messages."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_toml(path: Path, what: str, error: type[Exception]) -> tuple[dict[str, Any], str]:
    """The table in ``path`` and the path as shown in messages; ``error`` names the file
    and says what ``what`` (e.g. "the field map") could not be read."""
    shown = display_path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), shown
    except OSError as exc:
        raise error(f"{shown}: cannot read {what}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{shown}: not valid TOML: {exc}") from None
