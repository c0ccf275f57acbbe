"""Document state at the simulated partner (LIF-01 … LIF-22), retrieval, status, and the
final Acknowledgement in async mode, over real HTTPS with mutual TLS."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from epix import clock
from epix.messages.status import parse_status
from epix.model import DOCUMENT_TYPES
from epix.partner import RunningPartner
from epix.partner.issuing import SeededDocument
from epix.pki import Pki
from epix.safexml import parse
from epix.validation import validate
from partner_helpers import (  # noqa: F401 (fixtures)
    Sender, acknowledgement_of, as_ch, assert_accepted, assert_rejected, new_number, partner, sender,
    signature_passes, start,
)

RAM = "urn:un:unece:uncefact:data:draft:ReusableAggregateBusinessInformationEntity:1"


def _own(partner: RunningPartner, state: str = "issued") -> SeededDocument:
    return next(d for d in partner.documents() if d.state == state)


def _inspected(body: bytes) -> dict[str, str]:
    """Box 14 of a permit: item ID -> inspected quantity."""
    root = parse(body)
    found = {}
    for item in root.iter(f"{{{RAM}}}IncludedSupplyChainConsignmentItem"):
        quantity = item.findtext(f"{{{RAM}}}ExaminationTransportEvent/{{{RAM}}}UnitQuantity")
        if quantity is not None:
            found[item.findtext(f"{{{RAM}}}ID")] = quantity
    return found


def test_status_names_the_party_profile_and_types(as_ch) -> None:
    exchange = as_ch.status()
    status = parse_status(parse(exchange.response_body))
    assert (exchange.status, status.party_id, status.profile_version) == (200, "FR", "1")
    assert status.document_types == list(DOCUMENT_TYPES)
    assert validate(exchange.response_body).valid


def test_the_partner_seeds_documents_in_the_states_a_suite_needs(partner: RunningPartner) -> None:
    documents = partner.documents()
    now = clock.isoformat(clock.now())
    expired = [d for d in documents if d.state == "issued" and d.valid_until < now]
    replaced = [d for d in documents if d.state == "replaced"]
    replacements = [d for d in documents if d.number in {r.replaced_by for r in replaced}]
    unused = [d for d in documents if d.state == "issued" and d not in expired and d not in replacements]
    assert len(unused) == 3 and len(expired) == 1 and len(replaced) == 1 and len(replacements) == 1
    assert [d.state for d in documents].count("cancelled") == 1 and [d.state for d in documents].count("used") == 1
    assert len({d.token for d in documents}) == len({d.number for d in documents}) == len(documents)


def test_the_seeded_replaced_permit_answers_with_its_replacement(partner: RunningPartner, as_ch) -> None:
    old = _own(partner, "replaced")
    exchange = as_ch.permit(old.number)
    assert exchange.status == 200 and exchange.header("EPIX-Document-State") == "replaced"
    assert exchange.header("Link") == f'<{old.replaced_by}>; rel="latest-version"'
    facts = validate(exchange.response_body).facts
    assert (facts.number, facts.replaces) == (old.replaced_by, old.number)
    assert validate(exchange.response_body).valid


def test_the_seeded_expired_permit_is_valid_but_cannot_be_used(partner: RunningPartner, as_ch, pki: Pki) -> None:
    sender = Sender(pki)
    now = clock.isoformat(clock.now())
    document = next(d for d in partner.documents() if d.state == "issued" and d.valid_until < now)
    exchange = as_ch.permit(document.number)
    assert exchange.status == 200 and exchange.header("EPIX-Document-State") == "issued"
    assert validate(exchange.response_body).valid
    item = document.items[0]
    usage = sender.usage(document.number, [(item.id, 1, item.unit)])
    assert_rejected(as_ch.deliver(sender.envelope(usage)), "EPX-306", 422)


def test_the_partner_seeds_more_documents_in_each_state_when_asked(pki: Pki) -> None:
    with start(pki, seed=2, seed_each_state=3) as partner:
        states = [d.state for d in partner.documents()]
    assert (states.count("cancelled"), states.count("used"), states.count("replaced")) == (3, 3, 1)
    assert states.count("issued") == 2 + 3 + 1  # unused, expired, the replacement


def test_an_own_permit_is_retrieved_signed_with_etag_and_state(partner: RunningPartner, as_ch, pki: Pki) -> None:
    document = _own(partner)
    exchange = as_ch.permit(document.number)
    assert exchange.status == 200 and exchange.media_type == "application/xml"
    assert exchange.header("EPIX-Document-State") == "issued"
    assert exchange.header("ETag", ).strip('"') == __import__("hashlib").sha256(exchange.response_body).hexdigest()
    assert signature_passes(exchange.response_body, pki, "FR")
    assert validate(exchange.response_body, trust=pki.trust_store).valid


def test_an_unknown_number_is_404_epx_304(as_ch) -> None:
    assert_rejected(as_ch.permit("26FR999999"), "EPX-304", 404)


def test_an_unknown_message_id_is_404_epx_110(as_ch) -> None:
    assert_rejected(as_ch.acknowledgement("0192f7a0-5a3e-7c1e-9a51-3b7f2d4c9e10"), "EPX-110", 404)


def test_the_acknowledgement_can_be_fetched_again(sender: Sender, as_ch) -> None:
    envelope = sender.envelope(sender.permit())
    delivered = as_ch.deliver(envelope)
    fetched = as_ch.acknowledgement(acknowledgement_of(delivered).ref_to_message_id)
    assert fetched.status == 200 and fetched.response_body == delivered.response_body


def test_usage_reports_add_up_to_used_in_full(partner: RunningPartner, sender: Sender, as_ch, pki: Pki) -> None:
    document = _own(partner)
    a, b = document.items
    assert_accepted(as_ch.deliver(sender.envelope(sender.usage(document.number, [(a.id, 5, a.unit)]))))
    retrieved = as_ch.permit(document.number)
    assert retrieved.header("EPIX-Document-State") == "partially-used"
    assert _inspected(retrieved.response_body) == {a.id: "5"}
    assert signature_passes(retrieved.response_body, pki, "FR")
    rest = [(a.id, a.quantity - 5, a.unit), (b.id, b.quantity, b.unit)]
    assert_accepted(as_ch.deliver(sender.envelope(sender.usage(document.number, rest))))
    assert as_ch.permit(document.number).header("EPIX-Document-State") == "used"
    assert_rejected(as_ch.deliver(sender.envelope(sender.usage(document.number, [(a.id, 1, a.unit)]))), "EPX-308")


@pytest.mark.parametrize("case, code", [
    ("unknown document", "EPX-304"), ("over quantity", "EPX-305"), ("after expiry", "EPX-306"),
    ("cancelled", "EPX-307"), ("unknown item", "EPX-303"), ("other unit", "EPX-303"),
])
def test_usage_reports_that_break_the_state_rules(partner: RunningPartner, sender: Sender, as_ch,
                                                  case: str, code: str) -> None:
    document = _own(partner, "cancelled" if case == "cancelled" else "issued")
    item = document.items[0]
    number, positions, used_on = document.number, [(item.id, 1, item.unit)], None
    if case == "unknown document":
        number = "26FR999998"
    elif case == "over quantity":
        positions = [(item.id, item.quantity + 1, item.unit)]
    elif case == "after expiry":
        used_on = (clock.now() + timedelta(days=400)).date()
    elif case == "unknown item":
        positions = [("ZZ", 1, item.unit)]
    elif case == "other unit":
        positions = [(item.id, 1, "KGM")]
    exchange = as_ch.deliver(sender.envelope(sender.usage(number, positions, used_on=used_on)))
    assert_rejected(exchange, code)
    assert as_ch.permit(document.number).header("EPIX-Document-State") == document.state


def test_a_usage_report_for_another_issuer_is_epx_304(partner: RunningPartner, sender: Sender, as_ch) -> None:
    document = _own(partner)
    usage = sender.usage(document.number, [(document.items[0].id, 1, "PCS")], issuer="DE")
    assert_rejected(as_ch.deliver(sender.envelope(usage)), "EPX-304")


def test_cancellation_by_the_issuer_and_then_again(sender: Sender, as_ch) -> None:
    permit = sender.permit()
    number = permit.findtext(f".//{{{RAM}}}ID")
    assert_accepted(as_ch.deliver(sender.envelope(permit)))
    assert as_ch.permit(number).header("EPIX-Document-State") == "issued"
    assert_accepted(as_ch.deliver(sender.envelope(sender.cancellation(number))))
    assert as_ch.permit(number).header("EPIX-Document-State") == "cancelled"
    assert_accepted(as_ch.deliver(sender.envelope(sender.cancellation(number, "lost"))))
    assert as_ch.permit(number).header("EPIX-Document-State") == "cancelled"


def test_cancelling_an_unknown_document_is_epx_304(sender: Sender, as_ch) -> None:
    assert_rejected(as_ch.deliver(sender.envelope(sender.cancellation("26CH999997"))), "EPX-304", 404)


def test_only_the_issuer_cancels(partner: RunningPartner, sender: Sender, as_ch, pki: Pki) -> None:
    assert_rejected(as_ch.deliver(sender.envelope(sender.cancellation(_own(partner).number))), "EPX-105", 403)
    permit = Sender(pki, "DE").permit()
    number = permit.findtext(f".//{{{RAM}}}ID")
    with partner.client("DE") as as_de:
        assert_accepted(as_de.deliver(Sender(pki, "DE").envelope(permit)))
    assert_rejected(as_ch.deliver(sender.envelope(sender.cancellation(number))), "EPX-105", 403)
    assert as_ch.permit(number).header("EPIX-Document-State") == "issued"


def test_a_cancellation_must_name_its_sender_as_issuer(sender: Sender, as_ch) -> None:
    permit = sender.permit()
    number = permit.findtext(f".//{{{RAM}}}ID")
    assert_accepted(as_ch.deliver(sender.envelope(permit)))
    assert_rejected(as_ch.deliver(sender.envelope(sender.cancellation(number, issuer="DE"))), "EPX-302")


def test_a_document_issued_again_with_other_content_is_refused(sender: Sender, as_ch) -> None:
    number = new_number()
    permit = sender.permit(number=number)
    assert_accepted(as_ch.deliver(sender.envelope(permit)))
    assert_accepted(as_ch.deliver(sender.envelope(permit)))  # the same document in a new envelope
    ack = assert_rejected(as_ch.deliver(sender.envelope(sender.permit(number=number, purpose="S"))), "EPX-303")
    assert "replacement" in ack.errors[0].text


def test_retrieval_follows_replacements_to_the_latest_version(sender: Sender, as_ch) -> None:
    old, new, newest = new_number(), new_number(), new_number()
    assert_accepted(as_ch.deliver(sender.envelope(sender.permit(number=old))))
    assert_accepted(as_ch.deliver(sender.envelope(sender.permit(number=new, replaces=old), status="replaced")))
    assert_accepted(as_ch.deliver(sender.envelope(sender.permit(number=newest, replaces=new), status="replaced")))
    retired = as_ch.permit(old)
    assert retired.header("EPIX-Document-State") == "replaced"
    assert parse(retired.response_body).findtext(f".//{{{RAM}}}ID") == newest
    assert newest in retired.header("Link")
    latest = as_ch.permit(newest)
    assert latest.header("EPIX-Document-State") == "issued" and latest.header("Link") is None
    assert latest.header("ETag") == retired.header("ETag")


def test_a_replacement_must_name_the_replaced_document(sender: Sender, as_ch) -> None:
    assert_rejected(as_ch.deliver(sender.envelope(sender.permit(), status="replaced")), "EPX-303")


def test_a_rejected_usage_report_does_not_count(partner: RunningPartner, sender: Sender, as_ch) -> None:
    document = _own(partner)
    a, b = document.items
    assert_rejected(as_ch.deliver(sender.envelope(sender.usage(document.number, [(a.id, 1, a.unit), ("ZZ", 1, "PCS")]))),
                    "EPX-303")
    assert as_ch.permit(document.number).header("EPIX-Document-State") == "issued"


def test_async_mode_answers_received_then_the_final_acknowledgement(pki: Pki, sender: Sender) -> None:
    with start(pki, ack_mode="async", async_delay=0.1) as partner, partner.client("CH") as client:
        envelope = sender.envelope(sender.permit())
        received = client.deliver(envelope)
        ack = acknowledgement_of(received)
        assert (received.status, ack.status) == (202, "Received")
        assert client.deliver(envelope).status in (200, 202)
        final = client.wait_for_final_acknowledgement(ack.ref_to_message_id, deadline=10)
        assert acknowledgement_of(final).status == "Accepted"
        bad = sender.envelope(sender.permit(mutate=lambda d: d), number="26CH999990")
        assert client.deliver(bad).status == 202
        rejected = client.wait_for_final_acknowledgement(acknowledgement_of(client.last).ref_to_message_id, deadline=10)
        assert (rejected.status, acknowledgement_of(rejected).errors[0].code) == (200, "EPX-302")


def test_the_final_acknowledgement_is_posted_to_reply_to(pki: Pki) -> None:
    with start(pki, ack_mode="async", async_delay=0.05) as fr:
        from epix.partner import running_partner

        with running_partner("CH", pki_dir=pki.root) as ch:
            sender = Sender(pki)
            with fr.client("CH") as client:
                envelope = sender.envelope(sender.permit(), reply_to=ch.base_url)
                message_id = acknowledgement_of(client.deliver(envelope)).ref_to_message_id
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with fr.endpoint.store.read() as session:
                    if session.envelope("CH", message_id).reply_state in ("delivered", "refused", "failed"):
                        break
                time.sleep(0.05)
            with fr.endpoint.store.read() as session:
                assert session.envelope("CH", message_id).reply_state == "delivered"
            with ch.endpoint.store.read() as session:
                posted = session.posted_acknowledgements()
            assert [(s, ref, status) for s, _, ref, status in posted] == [("FR", message_id, "Accepted")]


def test_a_restart_on_the_same_database_answers_repeats_alike(pki: Pki, sender: Sender, tmp_path) -> None:  # noqa: ANN001
    database = tmp_path / "fr.db"
    envelope = sender.envelope(sender.permit())
    with start(pki, db_path=database) as partner, partner.client("CH") as client:
        first = client.deliver(envelope)
        seeded = partner.documents()
    with start(pki, db_path=database) as partner, partner.client("CH") as client:
        again = client.deliver(envelope)
        assert partner.documents() == seeded
    assert (again.status, again.response_body) == (first.status, first.response_body)


def test_unfinished_async_work_is_finished_after_a_restart(pki: Pki, sender: Sender, tmp_path) -> None:  # noqa: ANN001
    database = tmp_path / "fr.db"
    with start(pki, db_path=database, ack_mode="async", async_delay=60) as partner, partner.client("CH") as client:
        message_id = acknowledgement_of(client.deliver(sender.envelope(sender.permit()))).ref_to_message_id
    with start(pki, db_path=database, ack_mode="async") as partner, partner.client("CH") as client:
        final = client.wait_for_final_acknowledgement(message_id, deadline=10, interval=0.05)
        assert acknowledgement_of(final).status == "Accepted"
