"""Delivering a document by binding B, as a sender does it (profile sections 4a, 5 and 6).

A :class:`Draft` is a document about to be delivered: unsigned, with how it is to be
signed. :func:`seal` signs it and wraps it in an envelope (:class:`EnvelopeOptions`
departs from a correct envelope, for negative tests). :func:`deliver` POSTs the
envelope; on a 5xx answer it tries again with the same bytes, as ENV-06 asks of a
sender; on a ``202 Received`` it polls for the final acknowledgement (ACK-05). The
result is a :class:`Delivery`: what was sent, the answer, and the final exchange.
Judging the answer is the caller's business.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from tenacity import Retrying, retry_if_result, stop_after_attempt, wait_chain, wait_fixed

from epix import clock, safexml
from epix.messages.envelope import build_envelope
from epix.model import EnvelopeHeader, PermitFacts
from epix.signing import SigningKey, sign
from epix.transport.client import PartnerClient, is_received
from epix.transport.errors import PartnerUnreachable
from epix.transport.exchange import Exchange

#: Answers after which a sender delivers the same bytes again (ENV-06).
RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: The pauses, in seconds, before the second and the third (last) attempt.
RETRY_PAUSES = (0.1, 0.3)
#: After ``202 Received``, a sender asks for the final acknowledgement at once, then after
#: this pause in seconds, each next pause twice the one before, up to :data:`LONGEST_POLL_PAUSE`.
FIRST_POLL_PAUSE = 0.02
LONGEST_POLL_PAUSE = 1.0
#: ... and the pauses are short enough for this many polls within the time a sender waits.
POLLS_AT_LEAST = 16


@dataclass
class Draft:
    """A document to deliver: the unsigned document and what the envelope says about it.

    ``signer`` signs it (by default :func:`epix.signing.sign` with the sender's key);
    ``facts`` are what the document was built from, when it was, for a caller that
    changes them and builds the document again.
    """

    document_type: str
    document: etree._Element
    number: str
    issuer: str
    status: str
    signer: Callable[[etree._Element], etree._Element] | None = None
    facts: PermitFacts | None = None


@dataclass(frozen=True)
class EnvelopeOptions:
    """Departures from a correct envelope (all ``None``: a correct one).

    The header fields replace what :func:`seal` would write; ``change_document`` changes
    the signed document before it is wrapped, ``change_envelope`` the envelope before it
    is serialised, ``change_body`` the bytes that go over the wire.
    """

    sender: str | None = None
    recipient: str | None = None
    document_type: str | None = None
    document_status: str | None = None
    document_number: str | None = None
    created_at: datetime | None = None
    message_id: str | None = None
    change_document: Callable[[etree._Element], etree._Element] | None = None
    change_envelope: Callable[[etree._Element], None] | None = None
    change_body: Callable[[bytes], bytes] | None = None


@dataclass(frozen=True)
class Sealed:
    """An envelope ready to go: its message ID and its bytes."""

    message_id: str
    body: bytes


def seal(draft: Draft, key: SigningKey, *, sender: str, recipient: str,
         options: EnvelopeOptions | None = None) -> Sealed:
    """``draft`` signed (by its ``signer``, else with ``key``) in an envelope from ``sender`` to ``recipient``."""
    options = options or EnvelopeOptions()
    document = draft.signer(draft.document) if draft.signer is not None else sign(draft.document, key)
    if options.change_document is not None:
        document = options.change_document(document)
    message_id = options.message_id or str(uuid.uuid4())
    header = EnvelopeHeader(
        message_id=message_id,
        sender=options.sender or sender,
        recipient=options.recipient or recipient,
        document_type=options.document_type or draft.document_type,
        document_number=options.document_number or draft.number,
        document_status=options.document_status or draft.status,
        created_at=options.created_at or clock.now(),
    )
    envelope = build_envelope(header, document)
    if options.change_envelope is not None:
        options.change_envelope(envelope)
    body = safexml.to_bytes(envelope)
    if options.change_body is not None:
        body = options.change_body(body)
    return Sealed(message_id, body)


@dataclass
class Delivery:
    """One delivery of an envelope and what came back.

    ``answer`` is the answer to the POST (the last attempt's); ``final`` the exchange that
    ended the delivery: the answer itself, or the last poll for the final acknowledgement
    when the answer was ``202 Received``. ``seconds_to_final`` runs from the first attempt
    to ``final``. ``refused`` says why no answer came, when the connection was refused and
    the caller counted that as the partner's answer. ``repeats`` is the delivery this one
    sent again (:func:`deliver_again`).
    """

    envelope: Sealed
    answer: Exchange | None = None
    final: Exchange | None = None
    seconds_to_final: float | None = None
    refused: str | None = None
    repeats: Delivery | None = None

    @property
    def message_id(self) -> str:
        return self.envelope.message_id

    @property
    def body(self) -> bytes:
        return self.envelope.body

    @property
    def status(self) -> int | None:
        """The HTTP status of the answer (``None`` when none came)."""
        return self.answer.status if self.answer is not None else None

    @property
    def followed(self) -> bool:
        """Whether the answer was ``202 Received`` and the final acknowledgement was polled for."""
        return self.final is not None and self.final is not self.answer


def deliver(
    client: PartnerClient,
    envelope: Sealed,
    *,
    content_type: str | None = None,
    poller: PartnerClient | None = None,
    wait: float = 60.0,
    refusal_is_an_answer: bool = False,
) -> Delivery:
    """POST ``envelope`` with ``client``; on 5xx again with the same bytes; follow 202 to the final acknowledgement.

    ``content_type`` replaces ``application/xml``. The final acknowledgement is polled for
    with ``poller`` (by default ``client``) for up to ``wait`` seconds. A refused
    connection raises :class:`PartnerUnreachable`, unless ``refusal_is_an_answer``: then
    the delivery's ``refused`` says why.
    """
    headers = {"Content-Type": content_type} if content_type else None
    delivery = Delivery(envelope)
    started = time.perf_counter()
    try:
        answer = _post(client, envelope.body, headers)
    except PartnerUnreachable as refused:
        if not refusal_is_an_answer:
            raise
        delivery.refused = refused.sentence
        return delivery
    delivery.answer = delivery.final = answer
    if answer.status == 202 and is_received(answer):
        delivery.final = (poller or client).wait_for_final_acknowledgement(
            envelope.message_id, deadline=wait, interval=FIRST_POLL_PAUSE,
            longest=min(LONGEST_POLL_PAUSE, wait / POLLS_AT_LEAST))
    delivery.seconds_to_final = time.perf_counter() - started
    return delivery


def deliver_again(client: PartnerClient, delivery: Delivery, **options: object) -> Delivery:
    """The envelope of ``delivery`` once more, with the same message ID and the same bytes (ENV-06, ACK-07)."""
    again = deliver(client, delivery.envelope, **options)
    again.repeats = delivery
    return again


def _post(client: PartnerClient, body: bytes, headers: dict[str, str] | None) -> Exchange:
    """The answer to POSTing ``body``, tried again after a 5xx answer with the pauses of :data:`RETRY_PAUSES`."""
    attempts = Retrying(
        retry=retry_if_result(lambda answer: answer.status in RETRY_STATUSES),
        wait=wait_chain(*(wait_fixed(pause) for pause in RETRY_PAUSES)),
        stop=stop_after_attempt(len(RETRY_PAUSES) + 1),
        retry_error_callback=lambda state: state.outcome.result(),  # the last answer, 5xx or not
    )
    return attempts(client.deliver, body, headers=headers)
