"""Binding B delivery: ``POST /envelopes``, checked in the order of the profile's section 9.

1. size and media type (EPX-103, EPX-102): :meth:`Receiver.body_limit`, :meth:`Receiver.check_media_type`
2. well-formed, no DTD or entities (EPX-100): :meth:`Receiver.parse`
3. envelope schema (EPX-101)
4. sender identity and recipient (EPX-105, EPX-104): :meth:`Receiver.check_from`, :meth:`Receiver.check_to`
5. message ID repeat (ACK-07, EPX-106) and replay window (EPX-107): :meth:`Receiver.check_repeat`,
   :meth:`Receiver.check_replay`
6. document type (EPX-108): :meth:`Receiver.check_supported`
7. signature (EPX-200 … EPX-206)
8. document schema and code lists (EPX-300, EPX-301)
9. envelope/document agreement (EPX-302)
10. business rules and state (EPX-303 … EPX-308): :meth:`Receiver.change_state`

Steps 6 to 10 read what one call of :func:`epix.validation.validate_root` found (the same
checks the suite and ``epix validate`` use) and the document state; of what it found, the
first error that counts (:class:`~epix.partner.answers.Errors`) decides the answer. From
step 5 on, the envelope is kept with its Acknowledgement (:meth:`Receiver.keep`), in the
same transaction as the state change; the final Acknowledgement is the answer, or, in
async mode, made later (:meth:`Receiver.final_delay`, ACK-05).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from lxml import etree

from epix import clock, safexml
from epix.findings import Finding
from epix.messages.cancellation import parse_cancellation
from epix.messages.envelope import parse_envelope
from epix.messages.errors import MessageError
from epix.messages.identifiers import is_message_id
from epix.messages.usage import parse_usage_report
from epix.model import EnvelopeHeader, PermitFacts
from epix.namespaces import EPX, PREFIXES, qname
from epix.partner.answers import Acknowledged, Acknowledger, Answer, Errors, Rejection
from epix.partner.config import MiB, PartnerConfig
from epix.partner.identity import Identity
from epix.partner.lifecycle import Lifecycle
from epix.partner.store import EnvelopeRecord, Session, Store, digest_of
from epix.party import is_party_id
from epix.validation import validate_root
from epix.validation.document import Checking
from epix.validation.report import ValidationReport

XML_MEDIA_TYPES = ("application/xml",)
#: Step 6 to 9 codes, in the order of section 9, as validation reports them.
_LATER_STEPS = ("EPX-108", "EPX-200", "EPX-201", "EPX-202", "EPX-203", "EPX-204", "EPX-205", "EPX-206",
                "EPX-300", "EPX-301", "EPX-302")
_REPLACED_NUMBER = "rsm:HeaderExchangedDocument/ram:ReferenceReferencedDocument/ram:ID"
#: The number of the permit a replacement replaces, in an envelope (compiled once).
_REPLACED_IN_ENVELOPE = etree.XPath(f"epx:Payload/rsm:CITESEPermit/{_REPLACED_NUMBER}/text()", namespaces=PREFIXES)


def too_large(limit: int) -> Rejection:
    return Rejection("EPX-103", "ENV-04", f"The body is larger than this receiver's limit of {limit} bytes "
                                          f"({limit / MiB:g} MiB)")


def _charset(parameters: str) -> str | None:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


@dataclass
class _Envelope:
    """A delivery that passed steps 2 to 4."""

    body: bytes
    digest: str
    root: etree._Element
    header: EnvelopeHeader
    payload: etree._Element
    report: ValidationReport


class Receiver:
    """Checks deliveries, keeps them with their Acknowledgements and changes document state."""

    def __init__(self, config: PartnerConfig, store: Store, acknowledger: Acknowledger, errors: Errors,
                 lifecycle: Lifecycle, checking: Checking, trust,  # noqa: ANN001 (TrustStore)
                 schedule) -> None:  # noqa: ANN001 (callable)
        self.config = config
        self.party = config.party
        self.store = store
        self.acknowledger = acknowledger
        self.errors = errors
        self.lifecycle = lifecycle
        self.checking = checking
        self.trust = trust
        self._schedule = schedule
        #: Called after a final Acknowledgement is committed: ``(sender, message_id, reply_to)``.
        self.on_final = lambda sender, message_id, reply_to: None

    # ----- step 1: the HTTP layer asks -----

    def body_limit(self) -> int:
        """ENV-04: the largest body this receiver takes (at least 10 MiB, see :class:`PartnerConfig`)."""
        return self.config.max_body

    def check_media_type(self, content_type: str | None) -> Rejection | None:
        """ENV-03: ``application/xml``, optionally with a charset parameter (UTF-8)."""
        media, _, parameters = (content_type or "").partition(";")
        media = media.strip().lower()
        charset = _charset(parameters)
        if media in XML_MEDIA_TYPES and charset in (None, "utf-8"):
            return None
        shown = content_type or "none"
        return Rejection("EPX-102", "ENV-03", f"The Content-Type is {shown!r}; envelopes are sent as application/xml "
                                              f"(optionally '; charset=utf-8')")

    # ----- steps 2 to 5 -----

    def deliver(self, body: bytes, identity: Identity) -> Answer:
        """Steps 2 to 10 for one delivery (step 1 is the HTTP layer's)."""
        try:
            root = self.parse(body)
        except Rejection as rejection:
            return self._refuse(rejection, None, identity)
        message_id = _peek(root, "MessageID")
        digest = digest_of(body)
        stored = self._stored(identity.party, message_id) if identity.known and message_id else None
        if stored is not None and stored.digest == digest and self.repeat_counts(stored):
            return self._repeat_answer(stored)
        try:
            envelope = self._envelope(body, digest, root, identity)
            header = envelope.header
            earlier = stored if stored is not None and stored.message_id == header.message_id else None
            repeated = self.check_repeat(header, digest, earlier)
            if repeated is not None:
                return self._repeat_answer(repeated)
            self.check_replay(header)
        except Rejection as rejection:
            return self._refuse(rejection, root, identity)
        return self._accept_for_processing(envelope, identity)

    def parse(self, body: bytes) -> etree._Element:
        """Step 2 (EPX-100)."""
        try:
            return self.read_xml(body)
        except safexml.XmlRefused as refused:
            raise Rejection("EPX-100", "DOC-01", _sentence(refused.reason), None) from None

    def read_xml(self, body: bytes) -> etree._Element:
        """Step 2, DOC-01: well-formed XML that declares no DTD and so no entity, else
        :class:`~epix.safexml.XmlRefused`."""
        return safexml.parse(body, source="envelope")

    def _envelope(self, body: bytes, digest: str, root: etree._Element, identity: Identity) -> _Envelope:
        """Steps 3 and 4."""
        report = self.validate(root)
        self._first(report, ("EPX-101",))
        try:
            header, payload = parse_envelope(root)
        except MessageError as error:
            raise Rejection("EPX-101", "ENV-10", error.text, error.location) from None
        self._check_parties(header, identity)
        return _Envelope(body, digest, root, header, payload, report)

    def validate(self, root: etree._Element) -> ValidationReport:
        checking = Checking(self.checking.schema_set, self.checking.codelists, clock.now(), self._known_issuers(root))
        return validate_root(root, checking, trust=self.trust)

    def _check_parties(self, header: EnvelopeHeader, identity: Identity) -> None:
        """Step 4: ENV-02, ENV-11, ENV-12, and whether this partner serves the sender."""
        if not identity.known:
            raise Rejection("EPX-105", "ENV-02", f"The sender is not authenticated: {identity.problem}")
        self.check_from(header, identity)
        if identity.party not in self._peers():
            raise Rejection("EPX-105", "ENV-02", f"{identity.party} is not a party that {self.party} exchanges with "
                                                 f"(it serves {', '.join(self._peers()) or 'nobody'})")
        self.check_to(header)

    def check_from(self, header: EnvelopeHeader, identity: Identity) -> None:
        """Step 4, ENV-11: From is the authenticated sender."""
        if header.sender != identity.party:
            raise Rejection("EPX-105", "ENV-11", f"From is {header.sender!r} but the authenticated sender is "
                                                 f"{identity.party!r}", _header_path("From"))

    def check_to(self, header: EnvelopeHeader) -> None:
        """Step 4, ENV-12: To is this endpoint's party."""
        if header.recipient != self.party:
            raise Rejection("EPX-104", "ENV-12", f"To is {header.recipient!r}, but this endpoint is {self.party!r}",
                            _header_path("To"))

    def check_repeat(self, header: EnvelopeHeader, digest: str, stored: EnvelopeRecord | None) -> EnvelopeRecord | None:
        """Step 5, ACK-07: ``stored`` is what the sender sent before with this message ID.
        Returns it when this delivery is its repeat, answered as it was (the same bytes:
        such a repeat was answered before any check already); the same message ID with
        other bytes is EPX-106."""
        if stored is None or not self.repeat_counts(stored):
            return None
        if stored.digest == digest:
            return stored
        raise Rejection("EPX-106", "ACK-07", f"The message ID {header.message_id} was already used by "
                                             f"{header.sender} for a different message (received "
                                             f"{stored.received_at})", _header_path("MessageID"))

    def check_replay(self, header: EnvelopeHeader) -> None:
        """Step 5, ENV-13: UTC, and within 24 hours of this clock (5 minutes of skew)."""
        created = header.created_at
        if created.tzinfo is None or created.utcoffset() != timedelta(0):
            raise Rejection("EPX-107", "ENV-13", f"CreationDateTime {_shown(created)} is not in UTC (write it with 'Z')",
                            _header_path("CreationDateTime"))
        window = timedelta(hours=self.config.replay_window_hours, minutes=self.config.clock_skew_minutes)
        now = clock.now()
        if abs(now - created) > window:
            raise Rejection("EPX-107", "ENV-13", f"CreationDateTime {clock.isoformat(created)} is more than "
                                                 f"{self.config.replay_window_hours:g} hours from this receiver's "
                                                 f"clock ({clock.isoformat(now)})", _header_path("CreationDateTime"))

    # ----- steps 6 to 10 and the commit -----

    def final_delay(self) -> float | None:
        """ACK-05: how long after answering 202 ``Received`` the final Acknowledgement is
        made (well within the deadline), in async mode; ``None``: it is the answer (sync mode)."""
        return self.config.async_delay if self.config.ack_mode == "async" else None

    def _accept_for_processing(self, envelope: _Envelope, identity: Identity) -> Answer:
        header = envelope.header
        delay = self.final_delay()
        if delay is None:
            return self._process(envelope)
        received = self.acknowledger.acknowledge(header.message_id, header.sender, "Received")
        with self.store.write() as session:
            stored = session.envelope(header.sender, header.message_id)
            if stored is not None and self.repeat_counts(stored):
                return self._repeat_answer(stored)
            if stored is not None:  # answered 503 before (ENV-06): this delivery takes its place
                session.replace_envelope(self._record(envelope, received))
            else:
                session.add_envelope(self._record(envelope, received))
        self._schedule(delay, header.sender, header.message_id)
        return self.acknowledger.answer(received, summary="Received")

    def _process(self, envelope: _Envelope, *, received: bool = False) -> Answer:
        """Steps 6 to 10 and the commit of the Acknowledgement with the state change."""
        header = envelope.header
        try:
            self.check_supported(header)
            self._first(envelope.report, _LATER_STEPS)
            self._first(envelope.report, ("EPX-303",))
            rejection = None
        except Rejection as failed:
            rejection = failed
        with self.store.write() as session:
            stored = session.envelope(header.sender, header.message_id)
            if stored is not None and not received and self.repeat_counts(stored):
                return self._repeat_answer(stored)
            rejection = self.change_state(session, envelope, rejection)
            acknowledged = self._acknowledgement(header, rejection)
            kept = self.keep(session, envelope, acknowledged, stored, received)
        if kept.status != "Received":
            self.on_final(kept.sender, kept.message_id, kept.reply_to)
        if kept.http_status == 503:
            return self._unavailable()
        summary = f"Rejected {rejection.code}" if rejection else acknowledged.status
        return self.acknowledger.answer(acknowledged, summary=summary)

    def check_supported(self, header: EnvelopeHeader) -> None:
        """Step 6, ENV-14: a document type this receiver supports (the status is validation's)."""
        if header.document_type in self.config.document_types:
            return
        raise Rejection("EPX-108", "ENV-14", f"{self.party} does not support the document type "
                                             f"{header.document_type!r} (it supports "
                                             f"{', '.join(self.config.document_types)})", _header_path("DocumentType"))

    def change_state(self, session: Session, envelope: _Envelope, rejection: Rejection | None) -> Rejection | None:
        """Step 10 against the store, for an envelope that passed steps 6 to 9 (``rejection``
        is ``None``); returns the rejection of the envelope, if any. A rejected envelope
        changes nothing (ERR-02). The change stays only when the transaction commits."""
        if rejection is not None:
            return rejection
        try:
            self._apply(session, envelope)
        except Rejection as failed:
            return failed
        return None

    def _apply(self, session: Session, envelope: _Envelope) -> None:
        header, document = envelope.header, self.document_of(envelope)
        if header.document_type == "usage-report":
            self.lifecycle.use(session, parse_usage_report(document), message_id=header.message_id)
        elif header.document_type == "cancellation":
            self.lifecycle.cancel(session, header.sender, parse_cancellation(document), message_id=header.message_id)
        else:
            facts = envelope.report.facts or PermitFacts()
            self.lifecycle.receive_permit(session, header, facts, safexml.to_bytes(envelope.payload))

    def document_of(self, envelope: _Envelope) -> etree._Element:
        """What the signature covers (SIG-05), or, when a fault overlooks the signature, the payload as received."""
        verification = envelope.report.verification
        if verification is not None and verification.passed and verification.signed is not None:
            return verification.signed
        return envelope.payload

    def _acknowledgement(self, header: EnvelopeHeader, rejection: Rejection | None) -> Acknowledged:
        if rejection is None:
            return self.acknowledger.acknowledge(header.message_id, header.sender, "Accepted")
        return self.acknowledger.reject(rejection, ref_to=header.message_id, recipient=header.sender)

    def keep(self, session: Session, envelope: _Envelope, acknowledged: Acknowledged,
             stored: EnvelopeRecord | None, received: bool) -> EnvelopeRecord:
        """Keep the envelope with its Acknowledgement and HTTP status: what a repeat of it is
        answered (ACK-07); ``stored`` is what was kept under its message ID before, if anything
        (``received``: the envelope answered ``Received`` in async mode)."""
        record = self._record(envelope, acknowledged)
        if received:
            session.set_acknowledgement(record.sender, record.message_id, status=record.status,
                                        http_status=record.http_status, acknowledgement=record.acknowledgement)
            session.set_reply_state(record.sender, record.message_id, record.reply_state)
        elif stored is not None:
            session.replace_envelope(record)
        else:
            session.add_envelope(record)
        return record

    def finish(self, sender: str, message_id: str) -> EnvelopeRecord | None:
        """Async mode: steps 6 to 10 for an envelope answered ``Received``; returns it when finished now."""
        record = self._stored(sender, message_id)
        if record is None or record.status != "Received":
            return None
        root = self.parse(record.body)
        header, payload = parse_envelope(root)
        envelope = _Envelope(record.body, record.digest, root, header, payload, self.validate(root))
        self._process(envelope, received=True)
        return self._stored(sender, message_id)

    # ----- helpers -----

    def _first(self, report: ValidationReport, codes: tuple[str, ...]) -> None:
        """Raise the first error of ``codes`` that counts (ERR-01)."""
        finding = self.errors.first(f for f in report.errors if f.code in codes)
        if finding is not None:
            raise self.rejection_for(finding)

    def rejection_for(self, finding: Finding) -> Rejection:
        """ERR-01: the rejection names the code of the table that fits, the finding's."""
        return Rejection.of(finding)

    def _record(self, envelope: _Envelope, acknowledged: Acknowledged) -> EnvelopeRecord:
        header = envelope.header
        reply = "pending" if header.reply_to and acknowledged.status != "Received" else None
        return EnvelopeRecord(
            sender=header.sender, message_id=header.message_id, digest=envelope.digest,
            received_at=clock.isoformat(clock.now()), document_type=header.document_type,
            document_number=header.document_number, reply_to=header.reply_to, body=envelope.body,
            status=acknowledged.status, http_status=acknowledged.http_status,
            acknowledgement=acknowledged.body, reply_state=reply,
        )

    def _stored(self, sender: str, message_id: str) -> EnvelopeRecord | None:
        with self.store.read() as session:
            return session.envelope(sender, message_id)

    def repeat_counts(self, stored: EnvelopeRecord) -> bool:
        """Whether a stored envelope answers a repeat of it (ACK-07): it does, unless it was
        answered 503, "not taken, try again" (ENV-06): then the repeat is the delivery."""
        return stored.http_status != 503

    def _repeat_answer(self, stored: EnvelopeRecord) -> Answer:
        acknowledged = Acknowledged(stored.status, stored.http_status, stored.acknowledgement)
        return self.acknowledger.answer(acknowledged, summary=f"repeat: {stored.status}")

    def _refuse(self, rejection: Rejection, root: etree._Element | None, identity: Identity) -> Answer:
        ref_to = _peek(root, "MessageID") if root is not None else None
        recipient = identity.party or (_peek(root, "From") if root is not None else None)
        return self.acknowledger.rejection_answer(rejection, ref_to=_message_id_or_none(ref_to),
                                                  recipient=_party_or_none(recipient))

    def _unavailable(self) -> Answer:
        rejection = Rejection("EPX-500", "ENV-06", "The receiver is unavailable; try again with the same message ID "
                                                   "and the same bytes")
        answer = self.acknowledger.rejection_answer(rejection)
        answer.status = 503
        return answer

    def _peers(self) -> tuple[str, ...]:
        return self.config.peers or ()

    def _known_issuers(self, root: etree._Element) -> dict[str, str]:
        replaced = _REPLACED_IN_ENVELOPE(root)
        if not replaced:
            return {}
        number = str(replaced[0]).strip()
        with self.store.read() as session:
            documents = session.documents_numbered(number)
        return {number: documents[0].issuer} if documents else {}


def _peek(root: etree._Element | None, name: str) -> str | None:
    if root is None:
        return None
    element = root.find(f"{qname(EPX, 'Header')}/{qname(EPX, name)}")
    if element is None:
        return None
    return (element.text or "").strip() or None


def _message_id_or_none(value: str | None) -> str | None:
    return value if value and is_message_id(value) else None


def _party_or_none(value: str | None) -> str | None:
    return value if value and is_party_id(value) else None


def _header_path(name: str) -> str:
    return f"/epx:Envelope/epx:Header/epx:{name}"


def _shown(moment: datetime) -> str:
    return moment.isoformat() if moment.tzinfo is None else moment.astimezone(timezone.utc).isoformat()


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:]
