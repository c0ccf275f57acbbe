"""The adapter registry of a simulated hub, written so that it points at the harness's adapters.

The file has the form ``epix simulate --role hub --adapters FILE`` reads: a ``[hub]``
table (the hub's TLS client certificate, the countries with a registered caller) and one
``[[adapter]]`` per country the harness's adapters stand for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RegisteredAdapter:
    """One adapter of the registry: the country it serves, where, and who may call it."""

    country: str
    url: str
    ca: Path
    timeout: float
    callers: tuple[str, ...] | None = None


def write_registry(path: Path, *, client_certificate: Path, client_key: Path, callers: Sequence[str],
                   adapters: Sequence[RegisteredAdapter]) -> Path:
    """Write the registry to ``path`` (absolute paths, so the file may live anywhere)."""
    lines = ["[hub]",
             f"client_certificate = {_text(client_certificate)}",
             f"client_key = {_text(client_key)}",
             f"callers = {_list(callers)}"]
    for adapter in adapters:
        lines += ["", "[[adapter]]",
                  f"country = {_text(adapter.country)}",
                  f"url = {_text(adapter.url)}",
                  f"ca = {_text(adapter.ca)}",
                  f"timeout = {float(adapter.timeout)}"]
        if adapter.callers is not None:
            lines.append(f"callers = {_list(adapter.callers)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _text(value: object) -> str:
    return json.dumps(str(Path(value).resolve()) if isinstance(value, Path) else str(value))


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_text(v) for v in values) + "]"
