"""A finding: one thing wrong with a message, said so that a person can act on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from epix.codes import CODES

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem found in a message.

    ``code`` is the EPX code of the profile's error table, ``requirement`` the
    requirement ID it breaks (``DOC-03``), ``location`` an XPath with the prefixes of
    :data:`epix.namespaces.PREFIXES` (or ``None`` where there is no node), and ``text``
    a sentence that says what is wrong and what was expected.
    """

    code: str
    requirement: str
    text: str
    location: str | None = None
    severity: Severity = "error"
    line: int | None = None

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown error code {self.code!r}")

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "requirement": self.requirement,
            "severity": self.severity,
            "location": self.location,
            "line": self.line,
            "text": self.text,
        }

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        line = f" (line {self.line})" if self.line else ""
        return f"{self.code} [{self.requirement}] {self.severity}{where}{line}: {self.text}"


def errors(findings: list[Finding]) -> list[Finding]:
    """Only the findings of severity ``error``."""
    return [f for f in findings if f.severity == "error"]
