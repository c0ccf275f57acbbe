"""The Acknowledgement of binding B (profile section 6), and its Error entries.

``epx:Error`` is also the detail of a binding-A SOAP fault (:mod:`epix.messages.soap`).
"""

from __future__ import annotations

import re

from lxml import etree

from epix.messages import _fields as f
from epix.messages.identifiers import MESSAGE_ID, NOT_MESSAGE_ID
from epix.model import AckError, Acknowledgement
from epix.namespaces import EPX
from epix.party import NOT_PARTY_ID, PARTY_ID

ACK_STATUSES: tuple[str, ...] = ("Received", "Accepted", "Rejected")
SEVERITIES: tuple[str, ...] = ("error", "warning")
_ERROR_CODE = re.compile(r"EPX-[0-9]{3}")


def build_acknowledgement(ack: Acknowledgement) -> etree._Element:
    """An unsigned ``epx:Acknowledgement``; the signature, when added, goes last."""
    root = etree.Element(f"{{{EPX}}}Acknowledgement", nsmap={"epx": EPX})
    f.add(root, EPX, "MessageID", ack.message_id)
    f.add(root, EPX, "RefToMessageID", ack.ref_to_message_id)
    f.add(root, EPX, "From", ack.sender)
    f.add(root, EPX, "To", ack.recipient)
    f.add(root, EPX, "Status", ack.status)
    f.add(root, EPX, "CreationDateTime", f.format_datetime(ack.created_at))
    for error in ack.errors:
        root.append(build_error(error))
    return root


def build_error(error: AckError) -> etree._Element:
    """One ``epx:Error`` (Code, Severity, Location?, Text)."""
    element = etree.Element(f"{{{EPX}}}Error", nsmap={"epx": EPX})
    f.add(element, EPX, "Code", error.code)
    f.add(element, EPX, "Severity", error.severity)
    f.add_optional(element, EPX, "Location", error.location)
    f.add(element, EPX, "Text", error.text)
    return element


def parse_acknowledgement(root: etree._Element) -> Acknowledgement:
    """The facts of an ``epx:Acknowledgement``; its signature, if any, is not looked at here."""
    f.expect_root(root, EPX, "Acknowledgement")
    return Acknowledgement(
        message_id=f.matching_text(root, EPX, "MessageID", MESSAGE_ID, NOT_MESSAGE_ID),
        ref_to_message_id=f.matching_text(root, EPX, "RefToMessageID", MESSAGE_ID, NOT_MESSAGE_ID),
        sender=f.matching_text(root, EPX, "From", PARTY_ID, NOT_PARTY_ID),
        recipient=f.matching_text(root, EPX, "To", PARTY_ID, NOT_PARTY_ID),
        status=f.enumerated_text(root, EPX, "Status", ACK_STATUSES),
        created_at=f.read_datetime(root, EPX, "CreationDateTime"),
        errors=[parse_error(e) for e in f.children(root, EPX, "Error")],
    )


def parse_error(element: etree._Element) -> AckError:
    """One ``epx:Error``."""
    f.expect_root(element, EPX, "Error")
    return AckError(
        code=f.matching_text(element, EPX, "Code", _ERROR_CODE, "is not an error code of the form EPX-nnn"),
        severity=f.enumerated_text(element, EPX, "Severity", SEVERITIES),
        location=f.optional_text(element, EPX, "Location"),
        text=f.required_text(element, EPX, "Text"),
    )
