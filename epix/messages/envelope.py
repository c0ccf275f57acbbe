"""The Envelope of binding B (profile section 5): a header and exactly one document."""

from __future__ import annotations

from lxml import etree

from epix.messages import _fields as f
from epix.messages.errors import MessageError
from epix.messages.identifiers import DOCUMENT_NUMBER, MESSAGE_ID, NOT_DOCUMENT_NUMBER, NOT_MESSAGE_ID
from epix.model import ALLOWED_STATUSES, DOCUMENT_STATES, DOCUMENT_TYPES, EnvelopeHeader
from epix.namespaces import EPX
from epix.party import NOT_PARTY_ID, PARTY_ID
from epix.safexml import xpath_of

#: The values ``DocumentStatus`` may take in an envelope (profile section 5).
ENVELOPE_STATUSES: tuple[str, ...] = tuple(
    s for s in DOCUMENT_STATES if any(s in allowed for allowed in ALLOWED_STATUSES.values())
)


def build_envelope(header: EnvelopeHeader, payload: etree._Element) -> etree._Element:
    """An ``epx:Envelope`` carrying a copy of ``payload`` (signed or not) unchanged."""
    root = etree.Element(f"{{{EPX}}}Envelope", nsmap={"epx": EPX})
    _write_header(etree.SubElement(root, f"{{{EPX}}}Header"), header)
    etree.SubElement(root, f"{{{EPX}}}Payload").append(f.detached_copy(payload))
    return root


def _write_header(element: etree._Element, header: EnvelopeHeader) -> None:
    f.add(element, EPX, "MessageID", header.message_id)
    f.add(element, EPX, "From", header.sender)
    f.add(element, EPX, "To", header.recipient)
    f.add(element, EPX, "DocumentType", header.document_type)
    f.add(element, EPX, "DocumentNumber", header.document_number)
    f.add(element, EPX, "DocumentStatus", header.document_status)
    f.add(element, EPX, "CreationDateTime", f.format_datetime(header.created_at))
    f.add_optional(element, EPX, "ReplyTo", header.reply_to)


def parse_envelope(root: etree._Element) -> tuple[EnvelopeHeader, etree._Element]:
    """The header and the payload document of an ``epx:Envelope``.

    The payload is returned as a copy that is the root of a document of its own, so
    that its enveloped signature can be verified as it was signed. ``created_at`` keeps
    the offset written in the message (naive when none was written), so that the
    replay check (ENV-13) can tell a non-UTC time.
    """
    f.expect_root(root, EPX, "Envelope")
    header = parse_header(f.require(root, EPX, "Header"))
    return header, _payload_document(f.require(root, EPX, "Payload"))


def parse_header(element: etree._Element) -> EnvelopeHeader:
    """An ``epx:Header``; every identifier is checked against its form in the profile."""
    return EnvelopeHeader(
        message_id=f.matching_text(element, EPX, "MessageID", MESSAGE_ID, NOT_MESSAGE_ID),
        sender=f.matching_text(element, EPX, "From", PARTY_ID, NOT_PARTY_ID),
        recipient=f.matching_text(element, EPX, "To", PARTY_ID, NOT_PARTY_ID),
        document_type=f.enumerated_text(element, EPX, "DocumentType", DOCUMENT_TYPES),
        document_number=f.matching_text(element, EPX, "DocumentNumber", DOCUMENT_NUMBER, NOT_DOCUMENT_NUMBER),
        document_status=f.enumerated_text(element, EPX, "DocumentStatus", ENVELOPE_STATUSES),
        created_at=f.read_datetime(element, EPX, "CreationDateTime"),
        reply_to=f.optional_text(element, EPX, "ReplyTo"),
    )


def _payload_document(payload: etree._Element) -> etree._Element:
    documents = [child for child in payload if isinstance(child.tag, str)]
    if len(documents) != 1:
        raise MessageError(
            f"Payload holds {len(documents)} elements; it must hold exactly one document",
            xpath_of(payload),
        )
    if (payload.text or "").strip() or any((d.tail or "").strip() for d in documents):
        raise MessageError("Payload holds text beside its document", xpath_of(payload))
    return f.detached_copy(documents[0])


#: The namespace of the stand-ins :func:`envelope_outline` puts in the payload; no schema declares it.
OUTLINE_NAMESPACE = "urn:epix:pilot:envelope:payload-outline"


def envelope_outline(root: etree._Element) -> etree._Element:
    """A copy of the envelope with every payload element replaced by an empty stand-in.

    The payload wildcard of ``envelope.xsd`` is lax: validating a whole envelope also
    validates an ``epx:UsageReport``, an ``epx:Cancellation`` or a ``ds:Signature`` inside
    the payload against their declarations. Validating the outline instead judges the
    envelope alone (header, exactly one payload element: ENV-10, EPX-101), leaving the
    document to its own schema check (EPX-300).
    """
    outline = f.detached_copy(root)
    for payload in outline.findall(f"{{{EPX}}}Payload"):
        for child in payload:
            if isinstance(child.tag, str):
                stand_in = etree.Element(f"{{{OUTLINE_NAMESPACE}}}Document")
                stand_in.tail = child.tail
                payload.replace(child, stand_in)
    return outline
