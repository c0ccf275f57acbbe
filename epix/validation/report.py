"""What :func:`epix.validation.validate` found in one message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from epix.findings import Finding, errors
from epix.model import PermitFacts

if TYPE_CHECKING:
    from epix.signing import Verification


@dataclass
class ValidationReport:
    """The kind of message (``permit``, ``usage-report``, ``cancellation``, ``envelope``,
    ``acknowledgement``, ``status``, ``tracking``, ``soap-request``, ``soap-response``,
    ``soap-fault``, or ``unreadable``), its findings in the order of the profile's
    section 9, the permit facts where a permit was read, and the signature verification
    where one was asked for."""

    kind: str
    findings: list[Finding] = field(default_factory=list)
    facts: PermitFacts | None = None
    verification: Verification | None = None

    @property
    def errors(self) -> list[Finding]:
        return errors(self.findings)

    @property
    def valid(self) -> bool:
        """No finding of severity ``error``."""
        return not self.errors

    @property
    def code(self) -> str | None:
        """The code a receiver answers with: that of the first error (ERR-01), or None."""
        first = self.errors[:1]
        return first[0].code if first else None

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "kind": self.kind,
            "valid": self.valid,
            "findings": [f.as_dict() for f in self.findings],
        }
        if self.verification is not None:
            result["signature"] = {
                "outcome": self.verification.outcome,
                "checks": [
                    {"name": c.name, "outcome": c.outcome, "detail": c.detail} for c in self.verification.checks
                ],
            }
        return result
