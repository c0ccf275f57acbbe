"""The outcome of verifying a signature: each check performed, and the verdict.

Outcomes follow ETSI EN 319 102-1: ``passed``, ``failed``, or ``indeterminate``
(the check could not be made, e.g. an earlier check it depends on failed, or no CRL
was published). The verdict is ``failed`` when any check failed, ``indeterminate``
when none failed but one could not be made, ``passed`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cryptography import x509
from lxml import etree

from epix.findings import Finding

Outcome = Literal["passed", "failed", "indeterminate"]
PASSED: Outcome = "passed"
FAILED: Outcome = "failed"
INDETERMINATE: Outcome = "indeterminate"


@dataclass(frozen=True)
class Check:
    """One check of the signature: its name, outcome, a sentence saying what was found,
    the requirement it checks, and the EPX code it gives when it fails."""

    name: str
    outcome: Outcome
    detail: str
    requirement: str | None = None
    code: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "outcome": self.outcome, "requirement": self.requirement,
                "code": self.code if self.outcome == FAILED else None, "detail": self.detail}


@dataclass
class Verification:
    """What :func:`epix.signing.verify` found.

    ``signed`` is the element the signature covers (signxml's ``signed_xml``): the only
    thing to hand on for processing. It is ``None`` when the verdict is ``failed``.
    ``finding`` is the error of the first failed check (or, when ``indeterminate``, a
    warning), ``signer`` the signing certificate, ``party`` the party whose anchor the
    chain reached.
    """

    outcome: Outcome
    finding: Finding | None
    checks: list[Check] = field(default_factory=list)
    signed: etree._Element | None = None
    signer: x509.Certificate | None = None
    party: str | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED

    def check(self, name: str) -> Check:
        """The check called ``name`` (KeyError if there is none)."""
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def table(self) -> str:
        """The checks as a plain-text table, for reports and logs."""
        width = max((len(c.name) for c in self.checks), default=0)
        lines = [f"{c.name:<{width}}  {c.outcome:<13}  {c.detail}" for c in self.checks]
        return "\n".join([*lines, f"{'verdict':<{width}}  {self.outcome}"])

    def as_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "finding": self.finding.as_dict() if self.finding else None,
            "checks": [c.as_dict() for c in self.checks],
            "signer": self.signer.subject.rfc4514_string() if self.signer is not None else None,
            "party": self.party,
        }
