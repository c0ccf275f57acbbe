"""Steps about the partner's own documents: which one, retrieving it, reporting its use, cancelling."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from pytest_bdd import given, parsers, then, when

from epix import clock, safexml
from epix.messages.cancellation import build_cancellation
from epix.messages.errors import MessageError
from epix.messages.status import parse_status
from epix.messages.usage import build_usage_report
from epix.model import Cancellation, PERMIT_TYPES, Position, UsageReport
from epix.namespaces import DS, qname
from epix.transport import Delivery, Draft, PartnerUnreachable
from steps import catalogue, drafts, partner_documents, sending
from steps.drafts import new_number
from steps.attach import quoted
from steps.observe import Answer, permit_facts_of, what_arrived, xml_of
from steps.scene import Scene, assert_partner_signed, assert_refused
from steps.state_changes import changes_state
from steps.world import PartnerDocument, PartnerItem

_STATES = {
    "a permit that the partner issued and that has not been used": "issued",
    "a permit that the partner issued and then cancelled": "cancelled",
    "a permit that the partner issued and that was used in full": "used",
    "a permit that the partner issued and that has expired": "expired",
    "a permit that the partner issued and later replaced": "replaced",
}


# ---------------------------------------------------------------------------
# Given: a document of the partner

@given(parsers.re(r"(?P<which>a permit that the partner issued and .+)"))
def a_partner_document(scene: Scene, which: str) -> None:
    state = _STATES[which]
    scene.partner_document = scene.world.take_document(state, fresh=scene.changes_state)


@given("a permit number that the partner never issued")
def a_number_never_issued(scene: Scene) -> None:
    number = new_number(scene.world.partner.party)
    scene.partner_document = PartnerDocument(number, "unknown", "NO-SUCH-TOKEN", [PartnerItem("A", Decimal(1), "PCS")])


@given(parsers.re(r"the partner also (?P<what>serves the final version of its permits|lets us retrieve its permits)"))
def partner_also_claims(scene: Scene, what: str) -> None:
    capability = "final" if what.startswith("serves") else "retrieve"
    if not scene.world.partner.claims(capability):
        pytest.skip(f"not claimed: the partner does not claim '{capability}'")


@given("the partner signs the permits it returns")
def partner_signs(scene: Scene) -> None:
    if not scene.world.partner.claims("signed-documents"):
        pytest.skip("not claimed: the partner does not claim 'signed-documents'")


# ---------------------------------------------------------------------------
# Retrieval (LIF-01) and status (LIF-02)

@when("we retrieve that permit from the partner", target_fixture="answer")
def retrieve(scene: Scene) -> Answer:
    return Answer(scene.world.our_rest.permit(scene.partner_document.number))


@when("we retrieve a permit number that the partner never issued", target_fixture="answer")
def retrieve_unknown(scene: Scene) -> Answer:
    return Answer(scene.world.our_rest.permit(new_number(scene.world.partner.party)))


@when("a caller without a client identity retrieves that permit", target_fixture="answer")
def retrieve_anonymously(scene: Scene) -> Answer:
    try:
        return Answer(scene.world.rest("none").permit(scene.partner_document.number))
    except PartnerUnreachable as refused:
        return Answer(None, refused=refused.sentence)


@then("the partner returns the permit as it issued it, signed")
def returned_signed(scene: Scene, answer: Answer) -> None:
    exchange = answer.exchange
    assert exchange.status == 200, (
        f"{scene.ids}: retrieving the permit answered {what_arrived(exchange)}, expected HTTP 200 with the permit")
    document, facts = permit_facts_of(exchange, scene.ids, "the retrieved permit")
    assert facts.number == scene.partner_document.number, (
        f"{scene.ids}: the partner returned document {quoted(facts.number, limit=80)}, expected "
        f"{scene.partner_document.number}")
    assert_partner_signed(scene, document, "the retrieved permit", at=facts.issued_at)


@then("the partner returns the latest version, the document that replaces it")
def returned_latest(scene: Scene, answer: Answer) -> None:
    exchange = answer.exchange
    asked = scene.partner_document.number
    assert exchange.status == 200, (
        f"{scene.ids}: retrieving the permit answered {what_arrived(exchange)}, expected HTTP 200 with the permit")
    _, facts = permit_facts_of(exchange, scene.ids, "the retrieved permit")
    assert facts.number != asked and facts.replaces, (
        f"{scene.ids}: retrieving the replaced permit {asked} returned {quoted(facts.number, limit=80)} "
        f"{'which replaces ' + quoted(facts.replaces, limit=80) if facts.replaces else 'which replaces nothing'}; "
        f"expected its latest version, a document that replaces it")


@then("the permit's digest is given as its entity tag")
def etag_is_digest(scene: Scene, answer: Answer) -> None:
    exchange = answer.exchange
    etag = (exchange.header("ETag") or "").strip()
    assert etag, f"{scene.ids}: the retrieved permit has no ETag header ({what_arrived(exchange)})"
    value = etag.removeprefix("W/").strip('"')
    assert value in _digests(exchange.response_body), (
        f"{scene.ids}: the ETag {quoted(etag, limit=120)} is not a digest of the returned document (SHA-256/384/512 of the body, "
        f"or the signature's DigestValue)")


@then(parsers.parse('the permit\'s state is given as "{state}"'))
def state_header(scene: Scene, answer: Answer, state: str) -> None:
    exchange = answer.exchange
    given_state = exchange.header("EPIX-Document-State")
    assert given_state == state, (
        f"{scene.ids}: the header EPIX-Document-State is {quoted(given_state, limit=80)} ({what_arrived(exchange)}), "
        f"expected {state!r}")


@then("the partner answers that it does not know the document, with EPX-304")
def unknown_document(scene: Scene, answer: Answer) -> None:
    assert_refused(scene, answer.exchange, 404, "EPX-304", "expected HTTP 404 with EPX-304 for a document never issued")


@then("the partner refuses the caller, with EPX-105 or by refusing the connection")
def caller_refused(scene: Scene, answer: Answer) -> None:
    if answer.refused is not None:
        return
    assert_refused(scene, answer.exchange, 403, "EPX-105",
                   "a caller without a client identity must be refused (403 EPX-105, or at TLS)")


@when("we ask the partner for its status", target_fixture="answer")
def ask_status(scene: Scene) -> Answer:
    return Answer(scene.world.our_rest.status())


@then("the status names the partner's party ID and the profile version 1")
def status_names_party(scene: Scene, answer: Answer) -> None:
    status = _status(scene, answer)
    assert (status.party_id, status.profile_version) == (scene.world.partner.party, "1"), (
        f"{scene.ids}: the status names party {quoted(status.party_id, limit=40)} and profile version "
        f"{quoted(status.profile_version, limit=40)}, expected {scene.world.partner.party!r} and '1'")


@then("the status lists each document type that the partner accepts")
def status_lists_types(scene: Scene, answer: Answer) -> None:
    status = _status(scene, answer)
    partner = scene.world.partner
    expected = set(PERMIT_TYPES.values()) if partner.claims("receive") else set()
    expected |= {"usage-report"} if partner.claims("usage-report") else set()
    expected |= {"cancellation"} if partner.claims("cancel") else set()
    missing = sorted(expected - set(status.document_types))
    assert not missing, (f"{scene.ids}: the status does not list {', '.join(missing)}, which the partner claims "
                         f"to accept (it lists {quoted(', '.join(status.document_types)) if status.document_types else 'nothing'})")


def _status(scene: Scene, answer: Answer):  # noqa: ANN202
    exchange = answer.exchange
    assert exchange.status == 200, f"{scene.ids}: GET /status answered {what_arrived(exchange)}, expected HTTP 200"
    root = xml_of(exchange, scene.ids, "the partner's status")
    try:
        return parse_status(root)
    except MessageError as error:
        raise AssertionError(f"{scene.ids}: expected the partner's status; it answered {what_arrived(exchange)}, "
                             f"which cannot be read as one: {quoted(error.text, title='why the status is unreadable')}") from None


# ---------------------------------------------------------------------------
# Usage reports (LIF-10 … LIF-13)

@when(changes_state(parsers.re(r"we report the use of (?P<amount>.+?) of (?P<which>its first item|each item|an item "
                                r"the permit does not have)(?P<when>, on a day after the permit expired)?"
                                r"(?:, (?P<signing>signed by .+))?")), target_fixture="delivery")
def report_use(scene: Scene, amount: str, which: str, when: str | None, signing: str | None) -> Delivery:
    world, document = scene.world, scene.partner_document
    items = partner_documents.items(scene, document)
    if which == "an item the permit does not have":
        positions = [Position("NO-SUCH-ITEM", _amount(amount, items[0]), items[0].unit)]
    elif which == "its first item":
        positions = [Position(items[0].id, _amount(amount, items[0]), items[0].unit)]
    else:
        positions = [Position(item.id, _amount(amount, item), item.unit) for item in items]
    used_on = partner_documents.valid_until(scene, document) + timedelta(days=1) if when else clock.now().date()
    report = UsageReport(document_id=document.number, issuing_party=world.partner.party,
                         reporting_party=world.us.party, usage_date=used_on, positions=positions)
    draft = Draft("usage-report", build_usage_report(report), document.number, world.partner.party, "used")
    if signing:
        drafts.apply(draft, catalogue.document_change(signing), world)
    return sending.deliver(world, draft)


def _amount(amount: str, item: PartnerItem) -> Decimal:
    amount = amount.removesuffix(" of the quantity")
    if amount == "half":
        return item.quantity / 2
    if amount == "all":
        return item.quantity
    if amount == "more than the permitted quantity":
        return item.quantity + 1
    return Decimal(amount)


# ---------------------------------------------------------------------------
# Cancellations (LIF-20 … LIF-22)

@when(changes_state(parsers.re(r"we cancel (?P<which>that permit(?: again)?|a permit number that was never issued)")),
      target_fixture="delivery")
def cancel(scene: Scene, which: str) -> Delivery:
    world = scene.world
    if which.startswith("a permit number"):
        number, issuer = new_number(world.us.party), world.us.party
    elif scene.partner_document is not None:
        number, issuer = scene.partner_document.number, world.us.party
    else:
        number, issuer = scene.draft.number, scene.draft.issuer
    cancellation = Cancellation(document_id=number, issuing_party=issuer, reason_code="not-used",
                                cancelled_at=clock.now(), reason_text="cancelled by the conformance suite")
    draft = Draft("cancellation", build_cancellation(cancellation), number, issuer, "cancelled")
    return sending.deliver(world, draft)


def _digests(body: bytes) -> set[str]:
    found = set()
    for name in ("sha256", "sha384", "sha512"):
        digest = hashlib.new(name, body).digest()
        found |= {digest.hex(), base64.b64encode(digest).decode(), f"{name}:{digest.hex()}",
                  f"{name.replace('sha', 'sha-')}={base64.b64encode(digest).decode()}"}
    try:
        root = safexml.parse(body, source="retrieved permit")
        for value in root.iter(qname(DS, "DigestValue")):
            found.add((value.text or "").strip())
    except safexml.XmlRefused:
        pass
    return found
