"""Binding B delivery at the simulated partner, over real HTTPS with mutual TLS: the checks
of section 9 in order, each error code with its HTTP status, signed Acknowledgements,
repeats, and that a rejection changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from lxml import etree

from epix import clock
from epix.mutations import MUTATIONS
from epix.partner import RunningPartner
from epix.pki import Pki
from epix.signing import faults as bad_signatures
from epix.validation import validate
from partner_helpers import (  # noqa: F401 (fixtures)
    Sender, new_number, as_ch, assert_accepted, assert_rejected, partner, sender, start,
)


def test_an_accepted_permit_gets_a_signed_acknowledgement(partner: RunningPartner, sender: Sender, as_ch, pki: Pki) -> None:
    envelope = sender.envelope(sender.permit())
    message_id = etree.fromstring(envelope).findtext("{urn:epix:pilot:envelope:1}Header/{urn:epix:pilot:envelope:1}MessageID")
    exchange = as_ch.deliver(envelope)
    ack = assert_accepted(exchange)
    assert (ack.ref_to_message_id, ack.sender, ack.recipient) == (message_id, "FR", "CH")
    assert ack.message_id != message_id and not ack.errors
    assert exchange.media_type == "application/xml"
    report = validate(exchange.response_body, trust=pki.trust_store)
    assert report.valid, report.findings
    assert report.verification is not None and report.verification.passed


def test_a_repeat_gets_the_same_acknowledgement_and_changes_nothing(partner: RunningPartner, sender: Sender, as_ch) -> None:
    envelope = sender.envelope(sender.permit())
    first = as_ch.deliver(envelope)
    again = as_ch.deliver(envelope)
    assert again.status == first.status == 200
    assert again.response_body == first.response_body
    with partner.endpoint.store.read() as session:
        assert session.count_envelopes() == 1


def test_the_same_message_id_with_other_bytes_is_409(sender: Sender, as_ch) -> None:
    message_id = str(uuid.uuid4())
    assert_accepted(as_ch.deliver(sender.envelope(sender.permit(), message_id=message_id)))
    assert_rejected(as_ch.deliver(sender.envelope(sender.permit(), message_id=message_id)), "EPX-106", 409)


def test_not_well_formed_and_dtds_are_epx_100(as_ch) -> None:
    assert_rejected(as_ch.deliver(b"<epx:Envelope"), "EPX-100", 400)
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              b"<lolz>&lol2;</lolz>")
    assert_rejected(as_ch.deliver(laughs), "EPX-100", 400)


def test_an_envelope_invalid_against_its_schema_is_epx_101(sender: Sender, as_ch) -> None:
    root = etree.fromstring(sender.envelope(sender.permit()))
    header = root.find("{urn:epix:pilot:envelope:1}Header")
    header.remove(header.find("{urn:epix:pilot:envelope:1}DocumentStatus"))
    ack = assert_rejected(as_ch.deliver(etree.tostring(root)), "EPX-101", 400)
    assert ack.errors[0].location and "Header" in ack.errors[0].location


def test_wrong_media_type_is_415_and_too_large_is_413(partner: RunningPartner, sender: Sender, as_ch) -> None:
    envelope = sender.envelope(sender.permit())
    assert_rejected(as_ch.deliver(envelope, headers={"Content-Type": "text/plain"}), "EPX-102", 415)
    assert_accepted(as_ch.deliver(envelope, headers={"Content-Type": "application/xml; charset=utf-8"}))
    huge = b"<x>" + b" " * (partner.config.max_body + 10) + b"</x>"
    assert_rejected(as_ch.deliver(huge, headers={"Content-Type": "text/plain"}), "EPX-103", 413)


def test_from_must_be_the_authenticated_sender(sender: Sender, as_ch) -> None:
    ack = assert_rejected(as_ch.deliver(sender.envelope(sender.permit(), sender="DE")), "EPX-105", 403)
    assert "authenticated sender is 'CH'" in ack.errors[0].text


def test_a_party_the_partner_does_not_serve_is_refused(pki: Pki) -> None:
    de = Sender(pki, "DE")
    with start(pki, peers=("CH",)) as partner, partner.client("DE") as client:
        assert_rejected(client.deliver(de.envelope(de.permit())), "EPX-105", 403)


def test_to_must_be_the_receiver(sender: Sender, as_ch) -> None:
    assert_rejected(as_ch.deliver(sender.envelope(sender.permit(), recipient="DE")), "EPX-104", 422)


@pytest.mark.parametrize("shift", [timedelta(hours=25), -timedelta(hours=25)])
def test_a_creation_time_outside_the_window_is_epx_107(sender: Sender, as_ch, shift: timedelta) -> None:
    assert_rejected(as_ch.deliver(sender.envelope(sender.permit(), created_at=clock.now() + shift)), "EPX-107", 422)


def test_a_creation_time_within_the_skew_is_accepted(sender: Sender, as_ch) -> None:
    assert_accepted(as_ch.deliver(sender.envelope(sender.permit(), created_at=clock.now() + timedelta(minutes=4))))


def test_a_creation_time_not_in_utc_is_epx_107(sender: Sender, as_ch) -> None:
    envelope = sender.envelope(sender.permit()).replace(b"Z</epx:CreationDateTime>", b"+01:00</epx:CreationDateTime>")
    assert_rejected(as_ch.deliver(envelope), "EPX-107", 422)


def test_a_status_that_does_not_go_with_the_type_is_epx_108(sender: Sender, as_ch) -> None:
    assert_rejected(as_ch.deliver(sender.envelope(sender.permit(), status="used")), "EPX-108", 422)


def test_an_unsupported_document_type_is_epx_108(pki: Pki, sender: Sender) -> None:
    with start(pki, document_types=("export-permit",)) as partner, partner.client("CH") as client:
        assert_rejected(client.deliver(sender.envelope(sender.permit("import-permit"))), "EPX-108", 422)
        assert_accepted(client.deliver(sender.envelope(sender.permit("export-permit"))))


SIGNATURE_BREAKS = {
    "EPX-200": lambda s: bad_signatures.without_signature(s.permit()),
    "EPX-201": lambda s: bad_signatures.with_tampered_content(s.permit()),
    "EPX-202": lambda s: s.permit_signed_with("foreign-ca"),
    "EPX-203": lambda s: s.permit_signed_with("expired"),
    "EPX-204": lambda s: s.permit_signed_with("revoked"),
    "EPX-205": lambda s: bad_signatures.sign_with_sha1(s.unsigned_permit(), s.pki.signing_key("CH", "sha1")),
    "EPX-206": lambda s: bad_signatures.wrapped(s.permit()),
}


@pytest.mark.parametrize("code", sorted(SIGNATURE_BREAKS))
def test_each_signature_problem_has_its_code(sender: Sender, as_ch, code: str) -> None:
    document = SIGNATURE_BREAKS[code](sender)
    assert_rejected(as_ch.deliver(sender.envelope(document)), code, 422)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_document_mutation_is_rejected_with_its_code(sender: Sender, as_ch, name: str) -> None:
    mutation = MUTATIONS[name]
    number = new_number()
    document = sender.permit(mutation.sample, number=number, mutate=mutation.apply)
    ack = assert_rejected(as_ch.deliver(sender.envelope(document, number=number)), mutation.expected_code)
    assert ack.errors[0].text and " " in ack.errors[0].text


def test_envelope_and_document_must_agree(sender: Sender, as_ch) -> None:
    permit = sender.permit()
    assert_rejected(as_ch.deliver(sender.envelope(permit, number="26CH999999")), "EPX-302", 422)
    assert_rejected(as_ch.deliver(sender.envelope(permit, document_type="import-permit")), "EPX-302", 422)


def test_a_signature_problem_comes_before_a_schema_problem(sender: Sender, as_ch) -> None:
    document = bad_signatures.without_signature(sender.permit(mutate=MUTATIONS["without_element(\"items.source\")"].apply))
    assert_rejected(as_ch.deliver(sender.envelope(document)), "EPX-200")


def test_a_rejected_permit_cannot_be_retrieved(sender: Sender, as_ch) -> None:
    document = sender.permit(mutate=MUTATIONS['with_source_code("K")'].apply)
    number = document.findtext(".//{urn:un:unece:uncefact:data:standard:CITESEPermit:2}HeaderExchangedDocument/"
                               "{urn:un:unece:uncefact:data:draft:ReusableAggregateBusinessInformationEntity:1}ID")
    assert_rejected(as_ch.deliver(sender.envelope(document)), "EPX-301")
    assert_rejected(as_ch.permit(number), "EPX-304", 404)
