"""The state of one scenario: what we drafted, what we sent, what came back.

A :class:`Draft` is a document we are about to deliver (unsigned, with how it is to be
signed); :func:`deliver` wraps it in an envelope, sends it (retrying on 5xx with the
same bytes, as ENV-06 asks of a sender), and follows a ``202 Received`` to the final
acknowledgement. Steps only choose the options and judge the result.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from lxml import etree

from epix import clock, safexml
from epix.messages.envelope import build_envelope
from epix.model import EnvelopeHeader
from epix.signing import sign, verify
from epix.transport import Exchange, PartnerUnreachable
from steps.attach import attach_exchange, attach_text, attach_verification
from steps.observe import AckView, codes_in, read_ack
from steps.world import PartnerDocument, World

_RETRY_STATUSES = (500, 502, 503, 504)
_RETRY_PAUSES = (0.1, 0.3)


@dataclass
class Draft:
    """A document to deliver: the unsigned document and what the envelope says about it."""

    document_type: str
    document: etree._Element
    number: str
    issuer: str
    status: str
    signer: Callable[[etree._Element], etree._Element] | None = None
    facts: object | None = None


@dataclass
class EnvelopeOptions:
    """Departures from a correct envelope and delivery (all ``None``: a correct one)."""

    sender: str | None = None
    recipient: str | None = None
    document_type: str | None = None
    document_status: str | None = None
    document_number: str | None = None
    created_at: datetime | None = None
    message_id: str | None = None
    change_envelope: Callable[[etree._Element], None] | None = None
    change_body: Callable[[bytes], bytes] | None = None
    change_document: Callable[[etree._Element], etree._Element] | None = None
    content_type: str | None = None
    identity: str = "us"
    header_party: str | None = None


@dataclass
class Delivery:
    message_id: str
    body: bytes
    answer: Exchange | None = None
    final: Exchange | None = None
    ack: AckView | None = None
    seconds_to_final: float | None = None
    refused: str | None = None

    @property
    def status(self) -> int | None:
        return self.answer.status if self.answer is not None else None


@dataclass
class Scene:
    world: World
    requirements: tuple[str, ...]
    changes_state: bool
    draft: Draft | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    partner_document: PartnerDocument | None = None
    unknown_number: str | None = None
    last_exchange: Exchange | None = None
    outcome: object | None = None
    refused: str | None = None
    cancelled_number: str | None = None

    @property
    def ids(self) -> str:
        """The scenario's requirement IDs, to begin an assertion's sentence."""
        return "/".join(self.requirements) or "profile"

    @property
    def delivery(self) -> Delivery:
        if not self.deliveries:
            raise LookupError("the scenario delivered nothing before checking the answer")
        return self.deliveries[-1]


def assert_partner_signed(scene: Scene, element: etree._Element, what: str, *, at: datetime) -> None:
    """``element`` (``what``: "the acknowledgement", …) carries a signature that verifies
    against the partner's trust anchor at ``at``; the checks go into the report."""
    world = scene.world
    result = verify(element, world.partner_trust, sender=world.partner.party, at=at)
    attach_verification(f"signature checks of {what}", result)
    assert result.outcome == "passed", (
        f"{scene.ids}: {what}'s signature {result.outcome}: "
        f"{result.finding.text if result.finding else 'no reason given'}")


def assert_refused(scene: Scene, status: int, code: str, expectation: str) -> None:
    """The last exchange was answered with HTTP ``status`` naming ``code``; ``expectation``
    says in words what was expected, to begin the failure's sentence."""
    exchange = scene.last_exchange
    codes = codes_in(exchange)
    assert exchange.status == status and code in codes, (
        f"{scene.ids}: {expectation}; the partner answered HTTP {exchange.status} {', '.join(codes)}".rstrip())


def new_number(party: str) -> str:
    """A document number of ``party`` that no run has used: ``26CHT1A2B3C4D``."""
    return f"{clock.now():%y}{party.split('-', 1)[0]}T{uuid.uuid4().hex[:10].upper()}"


def signed_document(draft: Draft, world: World) -> etree._Element:
    if draft.signer is not None:
        return draft.signer(draft.document)
    return sign(draft.document, world.signing_key)


def envelope_bytes(draft: Draft, world: World, options: EnvelopeOptions) -> tuple[str, bytes]:
    """The message ID and the bytes of the envelope for ``draft``."""
    document = signed_document(draft, world)
    if options.change_document is not None:
        document = options.change_document(document)
    message_id = options.message_id or str(uuid.uuid4())
    header = EnvelopeHeader(
        message_id=message_id,
        sender=options.sender or world.us.party,
        recipient=options.recipient or world.partner.party,
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
    return message_id, body


def deliver(scene: Scene, draft: Draft, options: EnvelopeOptions | None = None) -> Delivery:
    options = options or EnvelopeOptions()
    message_id, body = envelope_bytes(draft, scene.world, options)
    return post(scene, message_id, body, options)


def post(scene: Scene, message_id: str, body: bytes, options: EnvelopeOptions | None = None) -> Delivery:
    """POST ``body``; on 5xx retry with the same bytes; follow 202 to the final acknowledgement."""
    options = options or EnvelopeOptions()
    world = scene.world
    client = world.our_rest if options.identity == "us" and options.header_party is None else \
        world.rest(options.identity, header_party=options.header_party)
    headers = {"Content-Type": options.content_type} if options.content_type else None
    delivery = Delivery(message_id, body)
    started = time.perf_counter()
    try:
        answer = client.deliver(body, headers=headers)
        for pause in _RETRY_PAUSES:
            if answer.status not in _RETRY_STATUSES:
                break
            time.sleep(pause)
            answer = client.deliver(body, headers=headers)
    except PartnerUnreachable as refused:
        if options.identity == "us" and options.header_party is None:
            raise
        delivery.refused = refused.sentence
        scene.deliveries.append(delivery)
        return delivery
    delivery.answer = delivery.final = answer
    delivery.ack = read_ack(answer.response_body)
    if answer.status == 202 and delivery.ack is not None and delivery.ack.status == "Received":
        _follow(world, delivery, started)
    delivery.seconds_to_final = time.perf_counter() - started if delivery.ack is not None else None
    scene.deliveries.append(delivery)
    return delivery


def _follow(world: World, delivery: Delivery, started: float) -> None:
    """Fetch the final acknowledgement (ACK-05), past the deadline if need be, attaching only the last poll."""
    quiet = world.quiet_rest  # polls are many; only the last one is shown
    deadline = world.profile.timeouts.acknowledgement * 2 + 5
    final = quiet.wait_for_final_acknowledgement(delivery.message_id, deadline=deadline, interval=0.1)
    attach_exchange(final)
    delivery.final = final
    ack = read_ack(final.response_body)
    if ack is not None and final.status == 200:
        delivery.ack = ack
    elapsed = time.perf_counter() - started
    attach_text("final acknowledgement", f"final acknowledgement after {elapsed:.2f} s: "
                                         f"{ack.status if ack else 'none'}")


def with_options(options: EnvelopeOptions | None, **changes: object) -> EnvelopeOptions:
    return replace(options or EnvelopeOptions(), **changes)
