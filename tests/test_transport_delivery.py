"""The sender's side of binding B (epix.transport.delivery): a draft sealed in an envelope, a
5xx answer tried again with the same bytes (ENV-06), a ``202 Received`` followed to the final
acknowledgement (ACK-05), a refused connection, a delivery sent again."""

from __future__ import annotations

import time

import httpx
import pytest

from epix import clock, safexml
from epix.messages.acknowledgement import build_acknowledgement
from epix.messages.envelope import parse_envelope
from epix.messages.permit import build_permit
from epix.model import Acknowledgement
from epix.namespaces import DS, qname
from epix.pki import Pki
from epix.samples import sample_permit
from epix.transport import (
    Draft, EnvelopeOptions, PartnerClient, PartnerUnreachable, Sealed, deliver, deliver_again, seal,
)
from epix.transport.delivery import RETRY_PAUSES

MESSAGE_ID = "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
ENVELOPE = Sealed(MESSAGE_ID, b"<epx:Envelope/>")


def _ack(status: str) -> bytes:
    ack = Acknowledgement("8f0c5a4e-1b2d-4c3e-9f10-2a3b4c5d6e7f", MESSAGE_ID, "FR", "CH", status, clock.now(), [])
    return safexml.to_bytes(build_acknowledgement(ack))


def _partner(answers: dict[str, list[tuple[int, bytes]]], seen: list[httpx.Request]) -> PartnerClient:
    """A client of a partner that answers each method with the next of its answers (the last one again at the end)."""
    given: dict[str, int] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        queue = answers[request.method]
        given[request.method] = given.get(request.method, -1) + 1
        status, body = queue[min(given[request.method], len(queue) - 1)]
        return httpx.Response(status, headers={"Content-Type": "application/xml"}, content=body)

    return PartnerClient("https://fr.example/epix/v1", transport=httpx.MockTransport(answer))


@pytest.fixture()
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses the protocol makes, made at once."""
    made: list[float] = []
    monkeypatch.setattr(time, "sleep", made.append)
    return made


def test_a_draft_is_sealed_signed_in_an_envelope(pki: Pki) -> None:
    facts = sample_permit("export-permit", number="26CHT0000000001", issuer="CH", partner="FR")
    draft = Draft("export-permit", build_permit(facts), facts.number, "CH", "issued")
    sealed = seal(draft, pki.signing_key("CH"), sender="CH", recipient="FR")
    header, document = parse_envelope(safexml.parse(sealed.body))
    assert header.message_id == sealed.message_id
    assert (header.sender, header.recipient, header.document_type, header.document_number, header.document_status) \
        == ("CH", "FR", "export-permit", "26CHT0000000001", "issued")
    assert document[-1].tag == qname(DS, "Signature")

    flawed = seal(draft, pki.signing_key("CH"), sender="CH", recipient="FR",
                  options=EnvelopeOptions(recipient="QZ", message_id=MESSAGE_ID, document_status="used"))
    header, _ = parse_envelope(safexml.parse(flawed.body))
    assert (flawed.message_id, header.message_id, header.recipient, header.document_status) == (
        MESSAGE_ID, MESSAGE_ID, "QZ", "used")
    unsigned = Draft("export-permit", draft.document, draft.number, "CH", "issued", signer=lambda d: d)
    _, document = parse_envelope(safexml.parse(seal(unsigned, pki.signing_key("CH"), sender="CH", recipient="FR").body))
    assert document.find(qname(DS, "Signature")) is None


def test_a_5xx_answer_is_tried_again_with_the_same_bytes(pauses: list[float]) -> None:
    seen: list[httpx.Request] = []
    client = _partner({"POST": [(503, b""), (502, b""), (200, _ack("Accepted"))]}, seen)
    delivery = deliver(client, ENVELOPE)
    assert [r.content for r in seen] == [ENVELOPE.body] * 3
    assert pauses == list(RETRY_PAUSES) == [0.1, 0.3]
    assert delivery.status == 200 and delivery.final is delivery.answer and not delivery.followed
    assert delivery.message_id == MESSAGE_ID and delivery.seconds_to_final is not None


def test_after_the_last_attempt_a_5xx_answer_is_the_answer(pauses: list[float]) -> None:
    seen: list[httpx.Request] = []
    delivery = deliver(_partner({"POST": [(500, b"")]}, seen), ENVELOPE)
    assert len(seen) == 3 and delivery.status == 500 and pauses == [0.1, 0.3]


def test_an_answer_other_than_5xx_is_not_tried_again(pauses: list[float]) -> None:
    seen: list[httpx.Request] = []
    delivery = deliver(_partner({"POST": [(422, _ack("Rejected"))]}, seen), ENVELOPE, content_type="text/plain")
    assert len(seen) == 1 and delivery.status == 422 and pauses == []
    assert seen[0].headers["content-type"] == "text/plain"


def test_202_received_is_followed_to_the_final_acknowledgement(pauses: list[float]) -> None:
    posted: list[httpx.Request] = []
    polled: list[httpx.Request] = []
    client = _partner({"POST": [(202, _ack("Received"))]}, posted)
    received = [(200, _ack("Received"))] * 7
    poller = _partner({"GET": [*received, (200, _ack("Accepted"))]}, polled)
    delivery = deliver(client, ENVELOPE, poller=poller, wait=30)
    assert [r.method for r in posted] == ["POST"] and [r.method for r in polled] == ["GET"] * 8
    assert polled[0].url.path == f"/epix/v1/envelopes/{MESSAGE_ID}/acknowledgement"
    assert delivery.followed and delivery.status == 202
    assert delivery.final.status == 200 and b"Accepted" in delivery.final.response_body
    assert pauses == [0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0]  # at once, then twice as long each time, up to 1 s
    polled.clear()
    poller = _partner({"GET": [*received, (200, _ack("Accepted"))]}, polled)
    pauses.clear()
    deliver(client, ENVELOPE, poller=poller, wait=1.6)
    assert pauses == [0.02, 0.04, 0.08, 0.1, 0.1, 0.1, 0.1]  # at least 16 polls within the wait


def test_a_202_without_received_is_not_followed(pauses: list[float]) -> None:
    seen: list[httpx.Request] = []
    delivery = deliver(_partner({"POST": [(202, _ack("Accepted"))]}, seen), ENVELOPE)
    assert len(seen) == 1 and not delivery.followed


def test_a_refused_connection_raises_unless_it_counts_as_the_answer() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = PartnerClient("https://fr.example/epix/v1", transport=httpx.MockTransport(refuse))
    with pytest.raises(PartnerUnreachable, match="connection refused"):
        deliver(client, ENVELOPE)
    delivery = deliver(client, ENVELOPE, refusal_is_an_answer=True)
    assert "connection refused" in delivery.refused
    assert delivery.answer is None and delivery.status is None and not delivery.followed


def test_a_delivery_sent_again_has_the_same_message_id_and_bytes() -> None:
    seen: list[httpx.Request] = []
    client = _partner({"POST": [(200, _ack("Accepted"))]}, seen)
    first = deliver(client, ENVELOPE)
    again = deliver_again(client, first)
    assert again.repeats is first and again.message_id == first.message_id
    assert seen[0].content == seen[1].content == ENVELOPE.body


def test_waiting_for_the_final_acknowledgement_gives_up_before_its_deadline() -> None:
    seen: list[httpx.Request] = []
    client = _partner({"GET": [(200, _ack("Received"))]}, seen)
    started = time.monotonic()
    exchange = client.wait_for_final_acknowledgement(MESSAGE_ID, deadline=0.2, interval=0.05)
    elapsed = time.monotonic() - started
    assert exchange.status == 200 and b"Received" in exchange.response_body
    assert 3 <= len(seen) <= 5 and elapsed < 0.3


def test_waiting_ends_at_an_http_error() -> None:
    seen: list[httpx.Request] = []
    client = _partner({"GET": [(200, _ack("Received")), (404, b"")]}, seen)
    exchange = client.wait_for_final_acknowledgement(MESSAGE_ID, deadline=5, interval=0.01)
    assert exchange.status == 404 and len(seen) == 2
