"""Steps of binding B: drafting documents we issued, delivering them, judging the answer."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
from pytest_bdd import given, parsers, then, when

from epix.codes import meaning
from epix.transport import Delivery, EnvelopeOptions, Sealed
from steps import catalogue, drafts, sending
from steps.attach import attach_text, quoted
from steps.observe import AckView, TlsConnection, codes_in, final_ack, read_ack, what_arrived
from steps.reliance import VERIFIED_ACKNOWLEDGEMENT, relies_on
from steps.scene import Scene, verified_ack
from steps.state_changes import changes_state

_KINDS = {
    "an export permit": "export-permit",
    "a re-export certificate": "re-export-certificate",
    "an import permit": "import-permit",
    "an other certificate": "other-certificate",
}
_DOCUMENT = "|".join(_KINDS)


# ---------------------------------------------------------------------------
# Given: documents we issued

@given(parsers.re(rf"(?P<document>{_DOCUMENT}) that we issued(?:, (?P<change>.+))?"))
def a_document_we_issued(scene: Scene, document: str, change: str | None) -> None:
    scene.draft = drafts.draft_of(scene.world, _KINDS[document], scene.world.us.party)
    if change:
        drafts.apply(scene.draft, catalogue.document_change(change), scene.world)


@given(parsers.re(rf"(?P<document>{_DOCUMENT}) that another registered party issued"))
def a_document_another_party_issued(scene: Scene, document: str) -> None:
    scene.draft = drafts.draft_of(scene.world, _KINDS[document], scene.world.another_party())


@given("the partner identifies its callers by their client certificate")
def partner_uses_mtls(scene: Scene) -> None:
    if not scene.world.partner.mtls:
        pytest.skip("the profile says the partner runs without mutual TLS (partner.mtls = false)")


# ---------------------------------------------------------------------------
# When: deliveries

@when(parsers.re(r"we deliver it to the partner(?P<how>.*)"), target_fixture="delivery")
def we_deliver_it(scene: Scene, how: str) -> Delivery:
    return sending.deliver(scene.world, scene.draft, catalogue.delivery_options(how, scene.draft, scene.world))


@when("a sender without a client identity delivers it to the partner", target_fixture="delivery")
def anonymous_delivery(scene: Scene) -> Delivery:
    return sending.deliver(scene.world, scene.draft, sending.DeliveryOptions(identity="none"))


@when("we deliver a body larger than the partner's size limit", target_fixture="delivery")
def oversized_delivery(scene: Scene) -> Delivery:
    world = scene.world
    envelope = sending.seal(world, drafts.draft_of(world, "export-permit", world.us.party))
    padding = b"<!--" + b" " * (world.partner.size_limit_bytes + 1 - len(envelope.body) - 7) + b"-->"
    return sending.deliver_envelope(world, Sealed(envelope.message_id, envelope.body + padding))


@when(changes_state("we deliver the same envelope again, with the same message ID and the same bytes"),
      target_fixture="delivery")
def repeat_delivery(scene: Scene, delivery: Delivery) -> Delivery:
    return sending.deliver_again(scene.world, delivery)


@when("we deliver another permit in an envelope with the same message ID", target_fixture="delivery")
def reuse_message_id(scene: Scene, delivery: Delivery) -> Delivery:
    other = drafts.draft_of(scene.world, scene.draft.document_type, scene.draft.issuer)
    reused = sending.DeliveryOptions(envelope=EnvelopeOptions(message_id=delivery.message_id))
    return sending.deliver(scene.world, other, reused)


@when("we open a connection to the partner's endpoint", target_fixture="connection")
def open_connection(scene: Scene) -> TlsConnection:
    world = scene.world
    url = world.partner.binding_b.url if world.partner.binding_b else world.partner.binding_a.url
    parts = urlsplit(url)
    if parts.scheme != "https":
        return TlsConnection(url, parts.scheme, parts.hostname)
    context = world.tls("us")
    with socket.create_connection((parts.hostname, parts.port or 443), timeout=world.profile.timeouts.connect) as raw:
        with context.wrap_socket(raw, server_hostname=parts.hostname) as tls:
            connection = TlsConnection(url, parts.scheme, parts.hostname, tls.version())
    attach_text("TLS connection", f"{url}: {connection.version}")
    return connection


# ---------------------------------------------------------------------------
# Then: the partner's answer

@then(relies_on(VERIFIED_ACKNOWLEDGEMENT, "the partner accepts it"))
def partner_accepts(scene: Scene, delivery: Delivery) -> None:
    """Accepted only on evidence: a final acknowledgement that is valid, signed by the
    partner and says Accepted (:func:`steps.scene.verified_ack`); a 2xx alone is none."""
    ack = verified_ack(scene, delivery)
    assert ack.status == "Accepted", (
        f"{scene.ids}: expected the partner to accept the delivery; its acknowledgement says "
        f"{quoted(ack.status, limit=40)} (HTTP {delivery.status}){_errors(ack)}")


@then(parsers.re(r"the partner rejects it with (?P<code>EPX-\d{3})(?P<decisive> as the decisive error)?"))
def partner_rejects(scene: Scene, delivery: Delivery, code: str, decisive: str | None) -> None:
    assert delivery.refused is None, (
        f"{scene.ids}: expected a rejection with {code}; the partner refused the connection instead: {delivery.refused}")
    exchange = delivery.final if delivery.followed else delivery.answer
    assert exchange is None or exchange.status is None or not 300 <= exchange.status < 400, (
        f"{scene.ids}: expected a rejection with {code} ({meaning(code)}); the partner answered "
        f"{what_arrived(exchange)}")
    ack = final_ack(delivery)
    if ack is not None and ack.status == "Accepted":
        raise AssertionError(f"{scene.ids}: expected the partner to reject the delivery with {code} "
                             f"({meaning(code)}); it accepted it (HTTP {delivery.status})")
    found = ack.decisive_code if ack is not None and ack.errors else (codes_in(delivery.final) or [None])[0]
    assert found == code, (
        f"{scene.ids}: expected a rejection with {code} ({meaning(code)}); the partner answered "
        f"{_answered(delivery, ack)} with {quoted(found, limit=40) if found else 'no error code'}{_errors(ack)}")


@then("the partner refuses the sender before looking at the envelope")
def sender_refused(scene: Scene, delivery: Delivery) -> None:
    if delivery.refused is not None:
        return
    codes = codes_in(delivery.answer)
    assert delivery.status == 403 and "EPX-105" in codes, (
        f"{scene.ids}: a sender without a client identity must be refused (TLS refusal, or 403 EPX-105); "
        f"the partner answered {what_arrived(delivery.answer)}{' naming ' + ', '.join(codes[:5]) if codes else ''}")


@then("the connection is protected by TLS 1.2 or newer, or it is a test set-up on the loopback network")
def tls_version(scene: Scene, connection: TlsConnection) -> None:
    if connection.scheme == "http":
        assert connection.host in ("127.0.0.1", "localhost", "::1"), (
            f"{scene.ids}: plain HTTP is allowed only on loopback test set-ups, not at {connection.host}")
        return
    assert connection.version in ("TLSv1.2", "TLSv1.3"), (
        f"{scene.ids}: the connection uses {connection.version}, expected TLS 1.2 or newer")


@then("the answer carries an acknowledgement with the status Rejected and at least one error")
def rejected_ack_in_answer(scene: Scene, delivery: Delivery) -> None:
    if delivery.followed:
        ack = final_ack(delivery)  # a 2xx answer needs no rejection; the final acknowledgement tells it
    else:
        ack = read_ack(delivery.answer.response_body) if delivery.answer is not None else None
    assert ack is not None, (f"{scene.ids}: expected an acknowledgement in the answer; the partner answered "
                             f"{what_arrived(delivery.final if delivery.followed else delivery.answer)}")
    assert ack.status == "Rejected" and ack.errors, (
        f"{scene.ids}: the acknowledgement says {quoted(ack.status, limit=40)} with {len(ack.errors)} error(s); "
        f"expected Rejected with at least one error")


def _errors(ack: AckView | None) -> str:
    """The first errors of ``ack`` for a sentence, their texts quoted (cut, the whole attached)."""
    if ack is None or not ack.errors:
        return ""
    return ": " + "; ".join(f"{quoted(e.code, limit=40)} {quoted(e.text, title=f'error text {i + 1}')}"
                            for i, e in enumerate(ack.errors[:3]))


def _answered(delivery: Delivery, ack: AckView | None) -> str:
    """How the partner answered a delivery, in words: the HTTP status, and what arrived when
    it was no acknowledgement."""
    exchange = delivery.final if delivery.followed else delivery.answer
    if ack is not None:
        return f"HTTP {delivery.status}" + (f" (final: HTTP {exchange.status})" if delivery.followed else "")
    return what_arrived(exchange)
