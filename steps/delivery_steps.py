"""Steps of binding B: drafting documents we issued, delivering them, judging the answer."""

from __future__ import annotations

import socket
import uuid
from urllib.parse import urlsplit

from pytest_bdd import given, parsers, then, when

from epix import safexml
from epix.codes import meaning
from epix.messages.permit import build_permit
from epix.model import PERMIT_TYPES
from epix.samples import sample_permit
from epix.schemaset import default_schema_set
from steps import catalogue
from steps.attach import attach_text
from steps.observe import codes_in, read_ack
from steps.scene import Draft, EnvelopeOptions, Scene, deliver, envelope_bytes, new_number, post
from steps.state_changes import changes_state

_KINDS = {
    "an export permit": "export-permit",
    "a re-export certificate": "re-export-certificate",
    "an import permit": "import-permit",
    "an other certificate": "other-certificate",
}
_DOCUMENT = "|".join(_KINDS)
#: A well-formed party ID that no pilot uses: an unknown recipient (ENV-12).
UNKNOWN_PARTY = "QZ"
_TEN_MIB = 10 * 1024 * 1024


# ---------------------------------------------------------------------------
# Given: documents we issued

@given(parsers.re(rf"(?P<document>{_DOCUMENT}) that we issued(?:, (?P<change>.+))?"))
def a_document_we_issued(scene: Scene, document: str, change: str | None) -> None:
    scene.draft = _draft(scene, _KINDS[document], scene.world.us.party)
    if change:
        _apply(scene, change)


@given(parsers.re(rf"(?P<document>{_DOCUMENT}) that another registered party issued"))
def a_document_another_party_issued(scene: Scene, document: str) -> None:
    other = _other_party(scene)
    scene.draft = _draft(scene, _KINDS[document], other)


@given("the partner identifies its callers by their client certificate")
def partner_uses_mtls(scene: Scene) -> None:
    if not scene.world.partner.mtls:
        import pytest

        pytest.skip("the profile says the partner runs without mutual TLS (partner.mtls = false)")


def _draft(scene: Scene, kind: str, issuer: str) -> Draft:
    facts = sample_permit(kind, number=new_number(issuer), issuer=issuer, partner=scene.world.partner.party)
    return Draft(kind, build_permit(facts), facts.number, issuer, "issued", facts=facts)


def _apply(scene: Scene, phrase: str) -> None:
    if phrase == "with special conditions that make the delivery about 10 MiB long":
        _make_about_ten_mib(scene)
        return
    change = catalogue.document_change(phrase)
    draft = scene.draft
    if change.facts is not None:
        change.facts(draft.facts)
        draft.document = build_permit(draft.facts)
    if change.mutate is not None:
        draft.document = change.mutate(draft.document)
    if change.signer is not None:
        world = scene.world
        draft.signer = lambda document: change.signer(document, world)
    if change.status is not None:
        draft.status = change.status


def _make_about_ten_mib(scene: Scene) -> None:
    """Special conditions (box 5) that bring the envelope just under 10 MiB."""
    draft = scene.draft
    line = "Special condition: " + "x" * 1000
    base = len(safexml.to_bytes(draft.document))
    count = (_TEN_MIB - base - 16 * 1024) // (len(line) + 60)
    draft.facts.special_conditions = [line] * count
    draft.document = build_permit(draft.facts)


def _other_party(scene: Scene) -> str:
    other = scene.world.us.other_party
    if not other:
        import pytest

        pytest.skip("the profile names no other registered party (us.other_party)")
    return other


# ---------------------------------------------------------------------------
# When: deliveries

@when(parsers.re(r"we deliver it to the partner(?P<how>.*)"))
def we_deliver_it(scene: Scene, how: str) -> None:
    deliver(scene, scene.draft, _options(scene, how.strip()))


def _options(scene: Scene, how: str) -> EnvelopeOptions:
    options = EnvelopeOptions()
    if not how:
        return options
    if how.startswith("labelled as "):
        options.content_type = how.removeprefix("labelled as ").strip('"')
    elif how == "as a body that is not well-formed XML":
        options.change_body = catalogue.not_well_formed
    elif how == "addressed to a party the partner does not know":
        options.recipient = UNKNOWN_PARTY
    elif how.startswith("with a source code"):
        _apply(scene, how.removesuffix(" in the permit") + " that is not in the CITES list")
    elif how.startswith("in an envelope with "):
        options.change_envelope = catalogue.ENVELOPE_FLAWS[how.removeprefix("in an envelope with ")]
    elif how == "in an envelope whose sender is that other party":
        options.sender = _other_party(scene)
    elif how.startswith("in an envelope created "):
        options.created_at = catalogue.created(how.removeprefix("in an envelope created "))
    elif how.startswith("in an envelope whose document status is "):
        options.document_status = how.rsplit(" ", 1)[-1].strip('"')
    elif how == "in an envelope whose document number differs from the document":
        options.document_number = new_number(scene.draft.issuer)
    elif how == "in an envelope whose document type differs from the document":
        options.document_type = next(t for t in PERMIT_TYPES.values() if t != scene.draft.document_type)
    elif how == "with the test header naming that other party":
        options.sender = options.header_party = _other_party(scene)
    elif how == "in a body that declares a document type definition with an entity":
        options.change_body = catalogue.with_dtd_and_entity
    else:
        raise catalogue.UnknownPhrase(f"the steps know no way to deliver {how!r}")
    return options


@when("a sender without a client identity delivers it to the partner")
def anonymous_delivery(scene: Scene) -> None:
    deliver(scene, scene.draft, EnvelopeOptions(identity="none"))


@when("we deliver a body larger than the partner's size limit")
def oversized_delivery(scene: Scene) -> None:
    draft = _draft(scene, "export-permit", scene.world.us.party)
    message_id = str(uuid.uuid4())
    _, body = envelope_bytes(draft, scene.world, EnvelopeOptions(message_id=message_id))
    limit = scene.world.partner.size_limit_bytes
    padding = b"<!--" + b" " * (limit + 1 - len(body) - 7) + b"-->"
    post(scene, message_id, body + padding)


@when(changes_state("we deliver the same envelope again, with the same message ID and the same bytes"))
def repeat_delivery(scene: Scene) -> None:
    first = scene.delivery
    post(scene, first.message_id, first.body)


@when("we deliver another permit in an envelope with the same message ID")
def reuse_message_id(scene: Scene) -> None:
    first = scene.delivery
    other = _draft(scene, scene.draft.document_type, scene.draft.issuer)
    deliver(scene, other, EnvelopeOptions(message_id=first.message_id))


@when("we open a connection to the partner's endpoint")
def open_connection(scene: Scene) -> None:
    url = scene.world.partner.binding_b.url if scene.world.partner.binding_b else scene.world.partner.binding_a.url
    parts = urlsplit(url)
    scene.outcome = {"scheme": parts.scheme, "host": parts.hostname, "version": None}
    if parts.scheme != "https":
        return
    context = scene.world.tls("us")
    port = parts.port or 443
    with socket.create_connection((parts.hostname, port), timeout=scene.world.profile.timeouts.connect) as raw:
        with context.wrap_socket(raw, server_hostname=parts.hostname) as tls:
            scene.outcome["version"] = tls.version()
    attach_text("TLS connection", f"{url}: {scene.outcome['version']}")


# ---------------------------------------------------------------------------
# Then: the partner's answer

@then("the partner accepts it")
def partner_accepts(scene: Scene) -> None:
    delivery = scene.delivery
    assert delivery.refused is None, f"{scene.ids}: the partner refused the connection: {delivery.refused}"
    ack = delivery.ack
    if ack is not None:
        assert ack.status == "Accepted", (
            f"{scene.ids}: expected the partner to accept the delivery; its acknowledgement says {ack.status} "
            f"(HTTP {delivery.status}){_errors(ack)}")
    else:
        assert delivery.status is not None and 200 <= delivery.status < 300, (
            f"{scene.ids}: expected the partner to accept the delivery; it answered HTTP {delivery.status} "
            f"without an acknowledgement")


@then(parsers.re(r"the partner rejects it with (?P<code>EPX-\d{3})(?P<decisive> as the decisive error)?"))
def partner_rejects(scene: Scene, code: str, decisive: str | None) -> None:
    delivery = scene.delivery
    assert delivery.refused is None, (
        f"{scene.ids}: expected a rejection with {code}; the partner refused the connection instead: {delivery.refused}")
    ack = delivery.ack
    if ack is not None and ack.status == "Accepted":
        raise AssertionError(f"{scene.ids}: expected the partner to reject the delivery with {code} "
                             f"({meaning(code)}); it accepted it (HTTP {delivery.status})")
    found = ack.decisive_code if ack is not None and ack.errors else (codes_in(delivery.final) or [None])[0]
    assert found == code, (
        f"{scene.ids}: expected a rejection with {code} ({meaning(code)}); the partner answered HTTP "
        f"{delivery.status} with {found or 'no error code'}{_errors(ack) if ack else ''}")


@then("the partner refuses the sender before looking at the envelope")
def sender_refused(scene: Scene) -> None:
    delivery = scene.delivery
    if delivery.refused is not None:
        return
    codes = codes_in(delivery.answer)
    assert delivery.status == 403 and "EPX-105" in codes, (
        f"{scene.ids}: a sender without a client identity must be refused (TLS refusal, or 403 EPX-105); "
        f"the partner answered HTTP {delivery.status} {', '.join(codes) or ''}".rstrip())


@then("the connection is protected by TLS 1.2 or newer, or it is a test set-up on the loopback network")
def tls_version(scene: Scene) -> None:
    seen = scene.outcome
    if seen["scheme"] == "http":
        assert seen["host"] in ("127.0.0.1", "localhost", "::1"), (
            f"{scene.ids}: plain HTTP is allowed only on loopback test set-ups, not at {seen['host']}")
        return
    assert seen["version"] in ("TLSv1.2", "TLSv1.3"), (
        f"{scene.ids}: the connection uses {seen['version']}, expected TLS 1.2 or newer")


@then("the answer carries an acknowledgement with the status Rejected and at least one error")
def rejected_ack_in_answer(scene: Scene) -> None:
    delivery = scene.delivery
    ack = read_ack(delivery.answer.response_body) if delivery.answer is not None else None
    if ack is not None and ack.status == "Received" and delivery.status == 202:
        ack = delivery.ack  # a 2xx answer needs no rejection; the final acknowledgement tells it
    assert ack is not None, (f"{scene.ids}: the answer (HTTP {delivery.status}, "
                             f"{delivery.answer.media_type if delivery.answer else 'nothing'}) carries no acknowledgement")
    assert ack.status == "Rejected" and ack.errors, (
        f"{scene.ids}: the acknowledgement says {ack.status} with {len(ack.errors)} error(s); expected Rejected "
        f"with at least one error")


def _errors(ack) -> str:  # noqa: ANN001
    if ack is None or not ack.errors:
        return ""
    return ": " + "; ".join(f"{e.code} {e.text}" for e in ack.errors[:3])


def schema_problems(element) -> list[str]:  # noqa: ANN001
    """Why an element is not valid against its schema (empty when it is)."""
    schema = default_schema_set().schema_for(element.tag)
    if schema.validate(element):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log][:5]
