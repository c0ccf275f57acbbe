"""The Cancellation of binding B (permit-document.md section 6): the issuer withdraws a document."""

from __future__ import annotations

from lxml import etree

from epix.messages import _fields as f
from epix.messages.identifiers import DOCUMENT_NUMBER, NOT_DOCUMENT_NUMBER
from epix.model import CANCELLATION_REASONS, Cancellation
from epix.namespaces import EPX
from epix.party import NOT_PARTY_ID, PARTY_ID


def build_cancellation(cancellation: Cancellation) -> etree._Element:
    """An unsigned ``epx:Cancellation``."""
    root = etree.Element(f"{{{EPX}}}Cancellation", nsmap={"epx": EPX})
    f.add(root, EPX, "DocumentID", cancellation.document_id)
    f.add(root, EPX, "IssuingPartyID", cancellation.issuing_party)
    f.add(root, EPX, "ReasonCode", cancellation.reason_code)
    f.add_optional(root, EPX, "ReasonText", cancellation.reason_text)
    f.add(root, EPX, "CancellationDateTime", f.format_datetime(cancellation.cancelled_at))
    return root


def parse_cancellation(root: etree._Element) -> Cancellation:
    """The facts of an ``epx:Cancellation``; its signature, if any, is not looked at here."""
    f.expect_root(root, EPX, "Cancellation")
    return Cancellation(
        document_id=f.matching_text(root, EPX, "DocumentID", DOCUMENT_NUMBER, NOT_DOCUMENT_NUMBER),
        issuing_party=f.matching_text(root, EPX, "IssuingPartyID", PARTY_ID, NOT_PARTY_ID),
        reason_code=f.enumerated_text(root, EPX, "ReasonCode", CANCELLATION_REASONS),
        reason_text=f.optional_text(root, EPX, "ReasonText"),
        cancelled_at=f.read_datetime(root, EPX, "CancellationDateTime"),
    )
