"""``GET /status`` (LIF-02) and a hub's tracking record (profile section 8)."""

from __future__ import annotations

from lxml import etree

from epix.messages import _fields as f
from epix.messages.acknowledgement import build_acknowledgement, parse_acknowledgement
from epix.messages.errors import MessageError
from epix.messages.identifiers import MESSAGE_ID, NOT_MESSAGE_ID
from epix.model import DOCUMENT_TYPES, Status, Tracking
from epix.namespaces import EPX
from epix.party import NOT_PARTY_ID, PARTY_ID
from epix.safexml import xpath_of

#: The states of an envelope at a hub, as at the IPPC ePhyto hub.
TRACKING_STATES: tuple[str, ...] = (
    "PendingDelivery", "Delivered", "DeliveredWithWarnings", "DeliveredNotReadable",
    "FailedDelivery", "EnvelopeNotExists",
)


def build_status(status: Status) -> etree._Element:
    root = etree.Element(f"{{{EPX}}}Status", nsmap={"epx": EPX})
    f.add(root, EPX, "PartyID", status.party_id)
    f.add(root, EPX, "ProfileVersion", status.profile_version)
    for document_type in status.document_types:
        f.add(root, EPX, "SupportedDocumentType", document_type)
    return root


def parse_status(root: etree._Element) -> Status:
    f.expect_root(root, EPX, "Status")
    types = f.children(root, EPX, "SupportedDocumentType")
    if not types:
        raise MessageError("SupportedDocumentType missing: a party supports at least one type", xpath_of(root))
    for element in types:
        f.one_of(f.text_of(element), DOCUMENT_TYPES, element, "SupportedDocumentType")
    return Status(
        party_id=f.matching_text(root, EPX, "PartyID", PARTY_ID, NOT_PARTY_ID),
        profile_version=f.required_text(root, EPX, "ProfileVersion"),
        document_types=[f.text_of(e) for e in types],
    )


def build_tracking(tracking: Tracking, *, acknowledgement: etree._Element | None = None) -> etree._Element:
    """An ``epx:Tracking``. ``acknowledgement``, when given (e.g. the receiver's signed one
    as received), is carried unchanged in place of one built from ``tracking.acknowledgement``."""
    root = etree.Element(f"{{{EPX}}}Tracking", nsmap={"epx": EPX})
    f.add(root, EPX, "MessageID", tracking.message_id)
    f.add(root, EPX, "Status", tracking.status)
    f.add_optional(root, EPX, "ErrorMessage", tracking.error_message)
    if acknowledgement is not None:
        root.append(f.detached_copy(acknowledgement))
    elif tracking.acknowledgement is not None:
        root.append(build_acknowledgement(tracking.acknowledgement))
    return root


def parse_tracking(root: etree._Element) -> Tracking:
    f.expect_root(root, EPX, "Tracking")
    ack = root.find(f"{{{EPX}}}Acknowledgement")
    return Tracking(
        message_id=f.matching_text(root, EPX, "MessageID", MESSAGE_ID, NOT_MESSAGE_ID),
        status=f.enumerated_text(root, EPX, "Status", TRACKING_STATES),
        error_message=f.optional_text(root, EPX, "ErrorMessage"),
        acknowledgement=parse_acknowledgement(ack) if ack is not None else None,
    )
