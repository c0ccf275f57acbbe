"""Steps about the partner's acknowledgements (ACK-01 … ACK-07) and its error reports (ERR-03)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from lxml import etree
from pytest_bdd import parsers, then, when

from epix import clock
from epix.messages.identifiers import is_message_id
from epix.namespaces import PREFIXES
from epix.safexml import parse
from epix.schemaset import default_schema_set
from epix.transport import Delivery
from steps.attach import attach_findings, quoted
from steps.observe import AckView, Answer, final_ack, read_ack, schema_problems, what_arrived
from steps.reliance import VERIFIED_ACKNOWLEDGEMENT, relies_on
from steps.scene import Scene, ack_of, assert_partner_signed, assert_refused, unverified_note, verified_ack


def _final_ack(scene: Scene, delivery: Delivery) -> AckView:
    """The final acknowledgement as sent, for the checks of one property of it (its schema,
    its signature): each judges only its own part."""
    return ack_of(scene, delivery)


@then("the final acknowledgement is valid against the envelope schema")
def ack_is_valid(scene: Scene, delivery: Delivery) -> None:
    problems = schema_problems(_final_ack(scene, delivery).element)
    attach_findings("schema problems of the acknowledgement", problems)
    assert not problems, f"{scene.ids}: the acknowledgement is not valid against the envelope schema: {problems[0]}"


@then("the final acknowledgement refers to the message ID of our envelope")
def ack_refers_to_envelope(scene: Scene, delivery: Delivery) -> None:
    ack = _final_ack(scene, delivery)
    expected = delivery.message_id
    assert ack.ref_to_message_id == expected, (
        f"{scene.ids}: the acknowledgement refers to message {quoted(ack.ref_to_message_id, limit=80)}, expected "
        f"{expected}{unverified_note(scene, ack)}")


@then("the final acknowledgement comes from the partner and is addressed to us")
def ack_from_partner_to_us(scene: Scene, delivery: Delivery) -> None:
    ack = _final_ack(scene, delivery)
    expected = (scene.world.partner.party, scene.world.us.party)
    assert (ack.sender, ack.recipient) == expected, (
        f"{scene.ids}: the acknowledgement is from {quoted(ack.sender, limit=40)} to {quoted(ack.recipient, limit=40)}, "
        f"expected from {expected[0]} to {expected[1]}{unverified_note(scene, ack)}")


@then("the final acknowledgement has a message ID of its own")
def ack_has_own_id(scene: Scene, delivery: Delivery) -> None:
    ack = _final_ack(scene, delivery)
    assert ack.message_id and is_message_id(ack.message_id), (
        f"{scene.ids}: the acknowledgement's MessageID {quoted(ack.message_id, limit=80)} is not a UUID"
        f"{unverified_note(scene, ack)}")
    assert ack.message_id != delivery.message_id, (
        f"{scene.ids}: the acknowledgement reuses our envelope's message ID {ack.message_id}"
        f"{unverified_note(scene, ack)}")


@then("the final acknowledgement has the status Accepted and carries no error")
def ack_accepted_without_errors(scene: Scene, delivery: Delivery) -> None:
    ack = _final_ack(scene, delivery)
    errors = [e for e in ack.errors if e.severity == "error"]
    assert ack.status == "Accepted", (
        f"{scene.ids}: the acknowledgement says {quoted(ack.status, limit=40)}, expected Accepted"
        f"{unverified_note(scene, ack)}")
    assert not errors, (f"{scene.ids}: an Accepted acknowledgement carries {len(errors)} error(s): "
                        f"{quoted(errors[0].code, limit=40)} {quoted(errors[0].text, title='error text')}"
                        f"{unverified_note(scene, ack)}")


@then("the final acknowledgement has the status Rejected and carries at least one error of severity error")
def ack_rejected_with_errors(scene: Scene, delivery: Delivery) -> None:
    ack = _final_ack(scene, delivery)
    assert ack.status == "Rejected", (
        f"{scene.ids}: the acknowledgement says {quoted(ack.status, limit=40)}, expected Rejected"
        f"{unverified_note(scene, ack)}")
    assert any(e.severity == "error" for e in ack.errors), (
        f"{scene.ids}: the Rejected acknowledgement carries no error of severity error "
        f"({len(ack.errors)} error(s) in all){unverified_note(scene, ack)}")


@then("the final acknowledgement carries a signature that verifies against the partner's trust anchor")
def ack_signed(scene: Scene, delivery: Delivery) -> None:
    assert_partner_signed(scene, _final_ack(scene, delivery).element, "the acknowledgement", at=clock.now())


@then("the final acknowledgement is available within 60 seconds of the delivery")
def ack_in_time(scene: Scene, delivery: Delivery) -> None:
    limit = scene.world.profile.timeouts.acknowledgement
    ack = _final_ack(scene, delivery)
    assert ack.status in ("Accepted", "Rejected"), (
        f"{scene.ids}: no final acknowledgement came; the last one says {quoted(ack.status, limit=40)}")
    assert delivery.seconds_to_final is not None and delivery.seconds_to_final <= limit, (
        f"{scene.ids}: the final acknowledgement came {delivery.seconds_to_final:.1f} s after the delivery, "
        f"expected within {limit:g} s")


@then("the partner gives the same final acknowledgement when we fetch it by the message ID of our envelope")
def ack_fetched_again(scene: Scene, delivery: Delivery) -> None:
    fetched = scene.world.our_rest.acknowledgement(delivery.message_id)
    ack = read_ack(fetched.response_body)
    assert fetched.status == 200 and ack is not None, (
        f"{scene.ids}: GET of the acknowledgement for {delivery.message_id} answered {what_arrived(fetched)}, "
        f"not an acknowledgement")
    first = _final_ack(scene, delivery)
    assert (ack.status, ack.ref_to_message_id) == (first.status, first.ref_to_message_id), (
        f"{scene.ids}: the fetched acknowledgement says {quoted(ack.status, limit=40)} for "
        f"{quoted(ack.ref_to_message_id, limit=80)}; the delivery was answered {quoted(first.status, limit=40)} for "
        f"{quoted(first.ref_to_message_id, limit=80)}")


@when("we fetch the acknowledgement of a message ID that we never delivered", target_fixture="answer")
def fetch_unknown_ack(scene: Scene) -> Answer:
    return Answer(scene.world.our_rest.acknowledgement(str(uuid.uuid4())))


@then("the partner answers that it does not know the message, with EPX-110")
def unknown_message(scene: Scene, answer: Answer) -> None:
    assert_refused(scene, answer.exchange, 404, "EPX-110",
                   "expected HTTP 404 with EPX-110 for a message ID never delivered")


def _expects_success(arguments: Mapping[str, object]) -> bool:
    """Whether the statuses a step expects include a 2xx, which concludes acceptance."""
    return any(code.startswith("2") for code in re.findall(r"\d{3}", str(arguments["expected"])))


@then(relies_on(VERIFIED_ACKNOWLEDGEMENT, parsers.re(r"the HTTP status of the answer is (?P<expected>\d{3}(?: or \d{3})*)"),
                when=_expects_success))
def http_status_is(scene: Scene, delivery: Delivery, expected: str) -> None:
    """The answer's HTTP status is one of ``expected`` and tells the same as its content (ACK-06).

    A 2xx concludes acceptance, so it needs the evidence of a verified acknowledgement
    saying Accepted. An asynchronous partner answers ``202 Received`` first: that status
    matches its content, and the final acknowledgement fetched then must say what the
    expected status stands for (Accepted for 200/202, Rejected for a 4xx)."""
    allowed = {int(s) for s in re.findall(r"\d{3}", expected)}
    assert delivery.refused is None, f"{scene.ids}: the partner refused the connection: {delivery.refused}"
    if delivery.followed:
        outcome = "Accepted" if allowed <= {200, 202} else "Rejected"
        assert 202 in allowed or outcome == "Rejected", (
            f"{scene.ids}: the answer has HTTP 202 (Received), expected {expected}")
        ack = verified_ack(scene, delivery) if outcome == "Accepted" else _final_ack(scene, delivery)
        assert ack.status == outcome, (
            f"{scene.ids}: the answer was 202 Received and the final acknowledgement says "
            f"{quoted(ack.status, limit=40)}; HTTP {expected} stands for {outcome}")
        return
    ack = final_ack(delivery)
    assert delivery.status in allowed, (
        f"{scene.ids}: the answer has HTTP {delivery.status}, expected {expected}"
        f"{f' for an acknowledgement that says {quoted(ack.status, limit=40)}' if ack else f' ({what_arrived(delivery.answer)})'}")
    if 200 <= delivery.status < 300:
        ack = verified_ack(scene, delivery)
        assert ack.status == "Accepted", (
            f"{scene.ids}: the answer has HTTP {delivery.status}, but its acknowledgement says "
            f"{quoted(ack.status, limit=40)}")


@then("the second acknowledgement has the same status and refers to the same message as the first")
@then("the partner answers the repeat as it answered the first delivery")
def repeat_same_ack(scene: Scene, delivery: Delivery) -> None:
    assert delivery.repeats is not None, f"{scene.ids}: the scenario repeated no delivery before this check"
    first, second = ack_of(scene, delivery.repeats), ack_of(scene, delivery)
    assert second.status == first.status, (
        f"{scene.ids}: the repeat was acknowledged {quoted(second.status, limit=40)}, the first delivery "
        f"{quoted(first.status, limit=40)}")
    assert second.ref_to_message_id == first.ref_to_message_id, (
        f"{scene.ids}: the repeat's acknowledgement refers to {quoted(second.ref_to_message_id, limit=80)}, the "
        f"first's to {quoted(first.ref_to_message_id, limit=80)}; a repeat is answered as the same message")


# ---------------------------------------------------------------------------
# ERR-03

@then("the error's text is a sentence that a person can read")
def error_text_readable(scene: Scene, delivery: Delivery) -> None:
    ack = _final_ack(scene, delivery)
    assert ack.errors, f"{scene.ids}: the acknowledgement carries no error"
    text = ack.errors[0].text or ""
    words = re.findall(r"[A-Za-z]{2,}", text.replace(ack.errors[0].code, ""))
    assert len(words) >= 3, (
        f"{scene.ids}: the error's Text {quoted(text, title='error text')} is not a sentence a person can read")


@then("the error's location points at the source code of the permit")
def error_location(scene: Scene, delivery: Delivery) -> None:
    ack = _final_ack(scene, delivery)
    location = (ack.errors[0].location or "").strip() if ack.errors else ""
    assert location, f"{scene.ids}: the error gives no Location"
    source_path = default_schema_set().fieldmap.expressions["items.source"]
    local = source_path.rsplit("/", 1)[-1].split("[")[0].split(":")[-1]
    envelope = parse(delivery.body, source="our envelope")
    found = _evaluate(envelope, location)
    if found:
        names = {etree.QName(n).localname for n in found if isinstance(n, etree._Element)}
        assert local in names, (f"{scene.ids}: the error's Location {quoted(location, title='error location')} "
                                f"points at {sorted(names)[:5]}, not {local}")
        return
    assert re.search(rf"{re.escape(local)}(\[\d+\])?$", location), (
        f"{scene.ids}: the error's Location {quoted(location, title='error location')} does not point at the "
        f"permit's {local}")


def _evaluate(envelope: etree._Element, location: str) -> list[object]:
    payload_document = envelope.find("{urn:epix:pilot:envelope:1}Payload")
    for root in (envelope, payload_document[0] if payload_document is not None and len(payload_document) else None):
        if root is None:
            continue
        try:
            found = root.getroottree().xpath(location, namespaces=PREFIXES) if location.startswith("/") else \
                root.xpath(location, namespaces=PREFIXES)
        except etree.XPathError:
            return []
        if isinstance(found, list) and found:
            return found
        if root is envelope and location.startswith("/rsm:"):
            try:
                copy = etree.fromstring(etree.tostring(payload_document[0]))
                found = copy.getroottree().xpath(location, namespaces=PREFIXES)
                if isinstance(found, list) and found:
                    return found
            except (etree.XPathError, TypeError, IndexError):
                return []
    return []
