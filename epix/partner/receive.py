"""Binding B delivery: ``POST /envelopes``, checked in the order of the profile's section 9.

1. size and media type (EPX-103, EPX-102): :func:`check_media_type`, :func:`body_limit`
2. well-formed, no DTD or entities (EPX-100)
3. envelope schema (EPX-101)
4. sender identity and recipient (EPX-105, EPX-104)
5. message ID repeat (ACK-07, EPX-106) and replay window (EPX-107)
6. document type (EPX-108)
7. signature (EPX-200 … EPX-206)
8. document schema and code lists (EPX-300, EPX-301)
9. envelope/document agreement (EPX-302)
10. business rules and state (EPX-303 … EPX-308)

Steps 6 to 10 read what one call of :func:`epix.validation.validate_root` found (the same
checks the suite and ``epix validate`` use) and the document state. From step 5 on, the
envelope is kept with its Acknowledgement, in the same transaction as the state change.
"""

from __future__ import annotations

import logging
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
from epix.partner.answers import Acknowledged, Acknowledger, Answer, Rejection
from epix.partner.config import MiB, PartnerConfig
from epix.partner.identity import Identity
from epix.partner.lifecycle import Lifecycle
from epix.partner.store import EnvelopeRecord, Session, Store, digest_of
from epix.party import is_party_id
from epix.validation import validate_root
from epix.validation.document import Checking
from epix.validation.report import ValidationReport

log = logging.getLogger("epix.partner")

XML_MEDIA_TYPES = ("application/xml",)
#: The body limit that the ``small-body-limit`` fault uses (ENV-04 asks for at least 10 MiB).
SMALL_LIMIT = 1 * MiB
#: How long after the deadline (ACK-05) the ``late-final-ack`` fault makes the final
#: Acknowledgement available: late beyond doubt, yet soon enough not to slow a test run.
LATE_MARGIN = 0.5
#: Step 6 to 9 codes, in the order of section 9, as validation reports them.
_LATER_STEPS = ("EPX-108", "EPX-200", "EPX-201", "EPX-202", "EPX-203", "EPX-204", "EPX-205", "EPX-206",
                "EPX-300", "EPX-301", "EPX-302")
_REPLACED_NUMBER = "rsm:HeaderExchangedDocument/ram:ReferenceReferencedDocument/ram:ID"
#: The number of the permit a replacement replaces, in an envelope (compiled once).
_REPLACED_IN_ENVELOPE = etree.XPath(f"epx:Payload/rsm:CITESEPermit/{_REPLACED_NUMBER}/text()", namespaces=PREFIXES)


def check_media_type(content_type: str | None, config: PartnerConfig) -> Rejection | None:
    """ENV-03: ``application/xml``, optionally with a charset parameter (UTF-8)."""
    if config.faults.on("any-media-type"):
        return None
    media, _, parameters = (content_type or "").partition(";")
    media = media.strip().lower()
    charset = _charset(parameters)
    if media in XML_MEDIA_TYPES and charset in (None, "utf-8"):
        return None
    shown = content_type or "none"
    return Rejection("EPX-102", "ENV-03", f"The Content-Type is {shown!r}; envelopes are sent as application/xml "
                                          f"(optionally '; charset=utf-8')")


def body_limit(config: PartnerConfig) -> int:
    return SMALL_LIMIT if config.faults.on("small-body-limit") else config.max_body


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
    """A delivery that passed steps 2 to 5."""

    body: bytes
    digest: str
    root: etree._Element
    header: EnvelopeHeader
    payload: etree._Element
    report: ValidationReport


class Receiver:
    """Checks deliveries, keeps them with their Acknowledgements and changes document state."""

    def __init__(self, config: PartnerConfig, store: Store, acknowledger: Acknowledger, lifecycle: Lifecycle,
                 checking: Checking, trust, schedule) -> None:  # noqa: ANN001 (TrustStore, callable)
        self.config = config
        self.party = config.party
        self.faults = config.faults
        self.store = store
        self.acknowledger = acknowledger
        self.lifecycle = lifecycle
        self.checking = checking
        self.trust = trust
        self._schedule = schedule
        #: Called after a final Acknowledgement is committed: ``(sender, message_id, reply_to)``.
        self.on_final = lambda sender, message_id, reply_to: None

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
        if stored is not None and stored.digest == digest and self._repeat_counts(stored):
            return self._repeat_answer(stored)
        try:
            envelope = self._envelope(body, digest, root, identity, stored)
        except _Repeat as repeat:
            return self._repeat_answer(repeat.stored)
        except Rejection as rejection:
            return self._refuse(rejection, root, identity)
        return self._accept_for_processing(envelope, identity)

    def parse(self, body: bytes) -> etree._Element:
        """Step 2 (EPX-100)."""
        try:
            if self.faults.on("expands-entities"):
                return _expanding_parse(body)
            return safexml.parse(body, source="envelope")
        except safexml.XmlRefused as refused:
            raise Rejection("EPX-100", "DOC-01", _sentence(refused.reason), None) from None

    def _envelope(self, body: bytes, digest: str, root: etree._Element, identity: Identity,
                  stored: EnvelopeRecord | None) -> _Envelope:
        report = self.validate(root)
        self._first(report, ("EPX-101",))
        try:
            header, payload = parse_envelope(root)
        except MessageError as error:
            raise Rejection("EPX-101", "ENV-10", error.text, error.location) from None
        self._check_parties(header, identity)
        self._check_repeat(header, digest, stored if stored and stored.message_id == header.message_id else None)
        self._check_replay(header)
        return _Envelope(body, digest, root, header, payload, report)

    def validate(self, root: etree._Element) -> ValidationReport:
        checking = Checking(self.checking.schema_set, self.checking.codelists, clock.now(), self._known_issuers(root))
        return validate_root(root, checking, trust=self.trust)

    def _check_parties(self, header: EnvelopeHeader, identity: Identity) -> None:
        """Step 4: ENV-02, ENV-11, ENV-12, and whether this partner serves the sender."""
        if not identity.known:
            raise Rejection("EPX-105", "ENV-02", f"The sender is not authenticated: {identity.problem}")
        if header.sender != identity.party and not self.faults.on("from-not-checked"):
            raise Rejection("EPX-105", "ENV-11", f"From is {header.sender!r} but the authenticated sender is "
                                                 f"{identity.party!r}", _header_path("From"))
        if identity.party not in self._peers():
            raise Rejection("EPX-105", "ENV-02", f"{identity.party} is not a party that {self.party} exchanges with "
                                                 f"(it serves {', '.join(self._peers()) or 'nobody'})")
        if header.recipient != self.party and not self.faults.on("to-not-checked"):
            raise Rejection("EPX-104", "ENV-12", f"To is {header.recipient!r}, but this endpoint is {self.party!r}",
                            _header_path("To"))

    def _check_repeat(self, header: EnvelopeHeader, digest: str, stored: EnvelopeRecord | None) -> None:
        """Step 5, ACK-07: the same message ID with other bytes (a repeat with the same bytes
        was answered before any check); ``stored`` is what the sender sent with that ID."""
        if stored is None or stored.digest == digest or not self._repeat_counts(stored):
            return
        if self.faults.on("different-bytes-accepted"):
            raise _Repeat(stored)
        raise Rejection("EPX-106", "ACK-07", f"The message ID {header.message_id} was already used by "
                                             f"{header.sender} for a different message (received "
                                             f"{stored.received_at})", _header_path("MessageID"))

    def _check_replay(self, header: EnvelopeHeader) -> None:
        """Step 5, ENV-13: UTC, and within 24 hours of this clock (5 minutes of skew)."""
        if self.faults.on("no-replay-window"):
            return
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

    def _accept_for_processing(self, envelope: _Envelope, identity: Identity) -> Answer:
        header = envelope.header
        if self.config.ack_mode == "async" or self.faults.on("late-final-ack"):
            received = self.acknowledger.acknowledge(header.message_id, header.sender, "Received")
            with self.store.write() as session:
                stored = session.envelope(header.sender, header.message_id)
                if stored is not None and self._repeat_counts(stored):
                    return self._repeat_answer(stored)
                session.add_envelope(self._record(envelope, received))
            late = self.config.ack_deadline + LATE_MARGIN
            delay = late if self.faults.on("late-final-ack") else self.config.async_delay
            self._schedule(delay, header.sender, header.message_id)
            return self.acknowledger.answer(received, summary="Received")
        return self._process(envelope)

    def _process(self, envelope: _Envelope, *, received: bool = False) -> Answer:
        """Steps 6 to 10 and the commit of the Acknowledgement with the state change."""
        header = envelope.header
        try:
            self._check_supported(header)
            self._first(envelope.report, _LATER_STEPS)
            self._first(envelope.report, ("EPX-303",))
            rejection = None
        except Rejection as failed:
            rejection = failed
        with self.store.write() as session:
            stored = session.envelope(header.sender, header.message_id)
            if stored is not None and not received and self._repeat_counts(stored):
                return self._repeat_answer(stored)
            if rejection is None:
                rejection = self._change_state(session, envelope)
            if rejection is not None and self.faults.on("rejected-changes-state"):
                self._change_state(session, envelope, force=True)
            acknowledged = self._acknowledgement(header, rejection)
            kept = self._keep(session, envelope, acknowledged, stored, received)
        if kept.status != "Received":
            self.on_final(kept.sender, kept.message_id, kept.reply_to)
        if kept.http_status == 503:
            return self._unavailable()
        summary = f"Rejected {rejection.code}" if rejection else acknowledged.status
        return self.acknowledger.answer(acknowledged, summary=summary)

    def _check_supported(self, header: EnvelopeHeader) -> None:
        """Step 6, ENV-14: a document type this receiver supports (the status is validation's)."""
        if header.document_type in self.config.document_types or self.faults.on("type-status-not-checked"):
            return
        raise Rejection("EPX-108", "ENV-14", f"{self.party} does not support the document type "
                                             f"{header.document_type!r} (it supports "
                                             f"{', '.join(self.config.document_types)})", _header_path("DocumentType"))

    def _change_state(self, session: Session, envelope: _Envelope, *, force: bool = False) -> Rejection | None:
        """Step 10 against the store; the change stays only when the transaction commits.

        ``force`` (the ``rejected-changes-state`` fault) applies a document that was
        rejected: what cannot be read or kept of it is left out, never a failure."""
        try:
            self._apply(session, envelope, force=force)
        except Rejection as rejection:
            return rejection
        except MessageError as error:
            if not force:
                raise
            log.info("rejected document not applied either: %s", error.text)
        return None

    def _apply(self, session: Session, envelope: _Envelope, *, force: bool) -> None:
        header, document = envelope.header, self._document(envelope)
        if header.document_type == "usage-report":
            report = parse_usage_report(document)
            self.lifecycle.use(session, report, message_id=header.message_id, force=force)
        elif header.document_type == "cancellation":
            self.lifecycle.cancel(session, header.sender, parse_cancellation(document), message_id=header.message_id)
        else:
            facts = envelope.report.facts or PermitFacts()
            if facts.number is None and force:
                return
            self.lifecycle.receive_permit(session, header, facts, safexml.to_bytes(envelope.payload))

    def _document(self, envelope: _Envelope) -> etree._Element:
        """What the signature covers (SIG-05), or, when a fault overlooks the signature, the payload as received."""
        verification = envelope.report.verification
        if verification is not None and verification.passed and verification.signed is not None:
            return verification.signed
        return envelope.payload

    def _acknowledgement(self, header: EnvelopeHeader, rejection: Rejection | None) -> Acknowledged:
        if rejection is None:
            return self.acknowledger.acknowledge(header.message_id, header.sender, "Accepted")
        return self.acknowledger.reject(rejection, ref_to=header.message_id, recipient=header.sender)

    def _keep(self, session: Session, envelope: _Envelope, acknowledged: Acknowledged,
              stored: EnvelopeRecord | None, received: bool) -> EnvelopeRecord:
        record = self._record(envelope, acknowledged)
        if self.faults.on("retry-counted-twice") and (stored is None or stored.http_status != 503):
            record = EnvelopeRecord(**{**record.__dict__, "http_status": 503})
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
        for finding in report.errors:
            if finding.code in codes and not self.faults.overlooked(finding):
                raise Rejection.of(self._miscoded(finding))

    def _miscoded(self, finding: Finding) -> Finding:
        if finding.code == "EPX-202" and finding.requirement == "SIG-04" and self.faults.on(
                "wrong-code-for-untrusted-certificate"):
            return Finding("EPX-201", "SIG-01", finding.text, finding.location)
        return finding

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

    def _repeat_counts(self, stored: EnvelopeRecord) -> bool:
        """Whether a stored envelope answers a repeat (faults ACK-07 and ENV-06 say no)."""
        if self.faults.on("no-repeat-detection"):
            return False
        return not (self.faults.on("retry-counted-twice") and stored.http_status == 503)

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


class _Repeat(Rejection):
    """Not a rejection: the ``different-bytes-accepted`` fault answering as for a repeat."""

    def __init__(self, stored: EnvelopeRecord):
        super().__init__("EPX-106", "ACK-07", "treated as a repeat")
        self.stored = stored


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


def _expanding_parse(body: bytes) -> etree._Element:
    """The ``expands-entities`` fault: internal entities are expanded (never external ones,
    never the network; libxml2 still caps entity amplification)."""
    parser = etree.XMLParser(resolve_entities=True, load_dtd=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise safexml.XmlRefused(f"not well-formed XML: {exc}", source="envelope") from None
