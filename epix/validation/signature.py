"""Signature checks inside validation: only when a trust store is given (epix.signing)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from epix.findings import Finding

if TYPE_CHECKING:
    from epix.signing import Verification


@dataclass
class Signed:
    """The outcome of verifying one document.

    ``element`` is what the rest of the validation works on: the element the signature
    covers when it verified, otherwise the document as received (a copy of it, when a
    trust store was given). ``holder`` is the XPath of the element that holds the
    document in the message (``/epx:Envelope/epx:Payload``), or ``""``.
    """

    original: etree._Element
    element: etree._Element
    verification: Verification | None
    findings: list[Finding]
    holder: str = ""

    def unlined(self, findings: list[Finding]) -> list[Finding]:
        """Findings about :attr:`element` without the line numbers of a re-parsed copy."""
        if self.element is self.original:
            return findings
        return [replace(f, line=None) for f in findings]

    def placed(self, findings: list[Finding]) -> list[Finding]:
        """Findings about :attr:`element` as locations in the message as received: below
        ``holder``, and without the line numbers of a re-parsed copy."""
        if self.element is self.original:
            return findings
        return [
            replace(f, location=self.holder + f.location if f.location and f.location.startswith("/") else f.location,
                    line=None)
            for f in findings
        ]


def check_signature(root: etree._Element, trust: Any, *, sender: str | None, at: datetime | None,
                    holder: str = "") -> Signed:
    """Verify the enveloped signature of ``root`` against ``trust`` (SIG-01 … SIG-06).

    Without a trust store nothing is checked. A document inside a message (``holder``
    given) is verified as a document of its own, as it was signed. When the signature
    verifies, the rest of the validation works on ``verification.signed``, the only
    element it covers.
    """
    if trust is None:
        return Signed(root, root, None, [], holder)
    from epix.signing import verify

    document = root
    if root.getparent() is not None:
        document = copy.deepcopy(root)
        document.tail = None
    verification = verify(document, trust, sender=sender, at=at)
    passed = verification.outcome == "passed" and verification.signed is not None
    signed = Signed(root, verification.signed if passed else document, verification, [], holder)
    if verification.finding is not None:
        signed.findings = signed.placed([verification.finding]) if document is not root else [verification.finding]
    return signed
