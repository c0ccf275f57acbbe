"""The fault switchboard: for each fault, the scenario that shows the partner now breaks its
requirement, and a shared check that it still keeps the others (a conformant delivery is
accepted, an unrelated rejection keeps its code, binding A still answers)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from lxml import etree

from epix import clock
from epix.messages import soap
from epix.messages.status import parse_status
from epix.model import Position
from epix.mutations import MUTATIONS
from epix.namespaces import DS, qname
from epix.partner import CATALOGUE, FAULTS, RunningPartner
from epix.partner.faults import Faults, UnknownFault, listing
from epix.pki import Pki
from epix.safexml import parse
from epix.signing import faults as bad_signatures
from epix.signing import verify
from epix.validation import validate
from partner_helpers import Sender, acknowledgement_of, assert_accepted, assert_rejected, new_number, start

RAM = "urn:un:unece:uncefact:data:draft:ReusableAggregateBusinessInformationEntity:1"
#: Settings that make the time-bound faults quick to show.
QUICK = {"ack_deadline": 0.6, "pull_deadline": 0.3, "async_delay": 0.05}


class Case:
    """What a fault scenario works with: the partner, a client as CH, a sender CH, the PKI."""

    def __init__(self, partner: RunningPartner, pki: Pki):
        self.partner = partner
        self.pki = pki
        self.sender = Sender(pki)
        self.client = partner.client("CH")
        self.soap = partner.soap_client("CH")

    def deliver(self, document: etree._Element, **header: object):  # noqa: ANN201
        return self.client.deliver(self.sender.envelope(document, **header))

    def own(self, state: str = "issued"):  # noqa: ANN201
        return next(d for d in self.partner.documents() if d.state == state)

    def inspected(self, number: str) -> dict[str, Decimal]:
        document = next(d for d in self.partner.documents() if d.number == number)
        return {item.id: item.inspected for item in document.items}

    def close(self) -> None:
        self.client.close()
        self.soap.close()


def _number_of(document: etree._Element) -> str:
    return document.findtext(f".//{{{RAM}}}ID")


def _tampered_quantity(signed: etree._Element) -> etree._Element:
    copy = etree.fromstring(etree.tostring(signed))
    quantity = next(copy.iter(f"{{{RAM}}}ItemQuantity"))
    quantity.text = str(int(quantity.text) + 1)
    return copy


def _forge_quantity(document: etree._Element) -> None:
    next(document.iter(f"{{{RAM}}}ItemQuantity")).text = "999"


def _rule_mutation(rule: str):  # noqa: ANN202
    return next(m for m in MUTATIONS.values() if m.requirement == rule and m.expected_code == "EPX-303")


# ----- the scenarios: each shows its fault breaking its requirement -----

def party_header_trusted(c: Case) -> None:
    de = Sender(c.pki, "DE")
    assert_accepted(c.client.deliver(de.envelope(de.permit()), headers={"EPIX-Party": "DE"}))


def any_media_type(c: Case) -> None:
    assert_accepted(c.client.deliver(c.sender.envelope(c.sender.permit()), headers={"Content-Type": "text/plain"}))


def small_body_limit(c: Case) -> None:
    large = c.sender.permit(special_conditions=["Conditions. " * 100_000])
    envelope = c.sender.envelope(large)
    assert 1024 * 1024 < len(envelope) < 10 * 1024 * 1024
    assert_rejected(c.client.deliver(envelope), "EPX-103", 413)


def bare_rejections(c: Case) -> None:
    exchange = c.client.deliver(b"<not-xml")
    assert exchange.status == 400 and exchange.media_type == "text/plain"
    assert b"Acknowledgement" not in exchange.response_body
    assert exchange.response_body.startswith(b"Rejected: EPX-100 ")  # it still says why, in text


def retry_counted_twice(c: Case) -> None:
    document = c.own()
    item = document.items[0]
    envelope = c.sender.envelope(c.sender.usage(document.number, [(item.id, 1, item.unit)]))
    assert c.client.deliver(envelope).status == 503
    assert_accepted(c.client.deliver(envelope))
    assert c.inspected(document.number)[item.id] == 2


def envelope_schema_skipped(c: Case) -> None:
    root = parse(c.sender.envelope(c.sender.permit()))
    extra = etree.SubElement(root.find("{urn:epix:pilot:envelope:1}Header"), "{urn:epix:pilot:envelope:1}Priority")
    extra.text = "high"
    assert_accepted(c.client.deliver(etree.tostring(root)))


def from_not_checked(c: Case) -> None:
    de = Sender(c.pki, "DE")
    assert_accepted(c.client.deliver(de.envelope(de.permit())))


def to_not_checked(c: Case) -> None:
    assert_accepted(c.deliver(c.sender.permit(), recipient="DE"))


def no_replay_window(c: Case) -> None:
    assert_accepted(c.deliver(c.sender.permit(), created_at=clock.now() - timedelta(days=3)))


def type_status_not_checked(c: Case) -> None:
    assert_accepted(c.deliver(c.sender.permit(), status="used"))


def number_mismatch_accepted(c: Case) -> None:
    assert_accepted(c.deliver(c.sender.permit(), number=new_number()))


def ack_schema_invalid(c: Case) -> None:
    exchange = c.deliver(c.sender.permit())
    assert exchange.status == 200
    assert "EPX-101" in validate(exchange.response_body).codes()


def ack_wrong_reference(c: Case) -> None:
    message_id = str(uuid.uuid4())
    exchange = c.deliver(c.sender.permit(), message_id=message_id)
    assert exchange.status == 200 and acknowledgement_of(exchange).ref_to_message_id != message_id


def accepted_with_error(c: Case) -> None:
    ack = acknowledgement_of(c.deliver(c.sender.permit()))
    assert ack.status == "Accepted" and any(e.severity == "error" for e in ack.errors)


def ack_unsigned(c: Case) -> None:
    exchange = c.deliver(c.sender.permit())
    assert exchange.status == 200
    assert parse(exchange.response_body).find(qname(DS, "Signature")) is None


def late_final_ack(c: Case) -> None:
    received = c.deliver(c.sender.permit())
    assert received.status == 202
    message_id = acknowledgement_of(received).ref_to_message_id
    time.sleep(c.partner.config.ack_deadline)
    assert acknowledgement_of(c.client.acknowledgement(message_id)).status == "Received"
    final = c.client.wait_for_final_acknowledgement(message_id, deadline=10, interval=0.1)
    assert acknowledgement_of(final).status == "Accepted"


def rejection_with_200(c: Case) -> None:
    exchange = c.deliver(c.sender.permit(), recipient="DE")
    assert exchange.status == 200 and acknowledgement_of(exchange).status == "Rejected"


def no_repeat_detection(c: Case) -> None:
    document = c.own()
    item = document.items[0]
    envelope = c.sender.envelope(c.sender.usage(document.number, [(item.id, 1, item.unit)]))
    first, again = c.client.deliver(envelope), c.client.deliver(envelope)
    assert acknowledgement_of(first).message_id != acknowledgement_of(again).message_id
    assert c.inspected(document.number)[item.id] == 2


def different_bytes_accepted(c: Case) -> None:
    message_id = str(uuid.uuid4())
    first = c.deliver(c.sender.permit(), message_id=message_id)
    other = c.deliver(c.sender.permit(), message_id=message_id)
    assert other.status == 200 and other.response_body == first.response_body


def unsigned_accepted(c: Case) -> None:
    assert_accepted(c.deliver(c.sender.unsigned_permit()))


def bad_digest_accepted(c: Case) -> None:
    assert_accepted(c.deliver(_tampered_quantity(c.sender.permit())))


def sha1_accepted(c: Case) -> None:
    document = bad_signatures.sign_with_sha1(c.sender.unsigned_permit(), c.pki.signing_key("CH", "sha1"))
    assert_accepted(c.deliver(document))


def ack_without_certificate(c: Case) -> None:
    exchange = c.deliver(c.sender.permit())
    assert exchange.status == 200
    verification = verify(parse(exchange.response_body), c.pki.trust_store, sender="FR")
    assert verification.finding is not None and verification.finding.requirement == "SIG-03"


def untrusted_signer_accepted(c: Case) -> None:
    assert_accepted(c.deliver(c.sender.permit_signed_with("foreign-ca")))
    assert_accepted(c.deliver(c.sender.permit_signed_with("expired")))


def wrapping_accepted(c: Case) -> None:
    document = bad_signatures.wrapped_in_object(c.sender.permit(), forge=_forge_quantity)
    assert_accepted(c.deliver(document))
    kept = c.client.permit(_number_of(document))
    assert next(parse(kept.response_body).iter(f"{{{RAM}}}ItemQuantity")).text == "999"


def revocation_not_checked(c: Case) -> None:
    assert_accepted(c.deliver(c.sender.permit_signed_with("revoked")))


def expands_entities(c: Case) -> None:
    document = c.sender.permit()
    text = next(document.iter(f"{{{RAM}}}Information")).text
    envelope = c.sender.envelope(document)
    envelope = envelope.replace(text.encode(), b"&conditions;")
    declaration = f'<!DOCTYPE epx:Envelope [<!ENTITY conditions "{text}">]>'.encode()
    envelope = envelope.replace(b"?>\n", b"?>\n" + declaration + b"\n", 1)
    assert b"<!DOCTYPE" in envelope
    assert_accepted(c.client.deliver(envelope))


def document_schema_skipped(c: Case) -> None:
    number = new_number()
    mutation = MUTATIONS['without_element("items.source")']
    assert_accepted(c.deliver(c.sender.permit(number=number, mutate=mutation.apply)))


def codelists_skipped(c: Case) -> None:
    assert_accepted(c.deliver(c.sender.permit(mutate=MUTATIONS['with_source_code("K")'].apply)))


def _skips_rule(rule: str) -> Callable[[Case], None]:
    def scenario(c: Case) -> None:
        mutation = _rule_mutation(rule)
        assert_accepted(c.deliver(c.sender.permit(mutation.sample, mutate=mutation.apply)))

    return scenario


def wrong_code_for_untrusted_certificate(c: Case) -> None:
    assert_rejected(c.deliver(c.sender.permit_signed_with("foreign-ca")), "EPX-201", 422)


def rejected_changes_state(c: Case) -> None:
    document = c.sender.permit(mutate=MUTATIONS['with_source_code("K")'].apply)
    assert_rejected(c.deliver(document), "EPX-301")
    assert c.client.permit(_number_of(document)).status == 200


def errors_without_sentences(c: Case) -> None:
    ack = assert_rejected(c.deliver(c.sender.permit(), recipient="DE"), "EPX-104")
    assert ack.errors[0].text == "EPX-104" and ack.errors[0].location is None


def stale_permit_version(c: Case) -> None:
    old, new = new_number(), new_number()
    assert_accepted(c.deliver(c.sender.permit(number=old)))
    assert_accepted(c.deliver(c.sender.permit(number=new, replaces=old), status="replaced"))
    assert _number_of(parse(c.client.permit(old).response_body)) == old


def no_document_state_header(c: Case) -> None:
    exchange = c.client.permit(c.own().number)
    assert exchange.status == 200 and exchange.header("EPIX-Document-State") is None


def status_incomplete(c: Case) -> None:
    status = parse_status(parse(c.client.status().response_body))
    assert "cancellation" not in status.document_types
    permit = c.sender.permit()
    assert_accepted(c.deliver(permit))
    assert_accepted(c.deliver(c.sender.cancellation(_number_of(permit))))


def usage_after_expiry_accepted(c: Case) -> None:
    document = c.own()
    item = document.items[0]
    later = (clock.now() + timedelta(days=400)).date()
    assert_accepted(c.deliver(c.sender.usage(document.number, [(item.id, 1, item.unit)], used_on=later)))


def usage_over_quantity_accepted(c: Case) -> None:
    document = c.own()
    item = document.items[0]
    assert_accepted(c.deliver(c.sender.usage(document.number, [(item.id, item.quantity + 5, item.unit)])))


def usage_after_full_use_accepted(c: Case) -> None:
    document = c.own("used")
    item = document.items[0]
    assert_accepted(c.deliver(c.sender.usage(document.number, [(item.id, 0, item.unit)])))


def usage_not_recorded(c: Case) -> None:
    document = c.own()
    item = document.items[0]
    assert_accepted(c.deliver(c.sender.usage(document.number, [(item.id, 1, item.unit)])))
    assert c.inspected(document.number)[item.id] == 0
    assert c.client.permit(document.number).header("EPIX-Document-State") == "issued"


def anyone_may_cancel(c: Case) -> None:
    document = c.own()
    assert_accepted(c.deliver(c.sender.cancellation(document.number)))
    assert c.client.permit(document.number).header("EPIX-Document-State") == "cancelled"


def use_of_cancelled_accepted(c: Case) -> None:
    document = c.own("cancelled")
    item = document.items[0]
    assert_accepted(c.deliver(c.sender.usage(document.number, [(item.id, 1, item.unit)])))


def cancel_unknown_accepted(c: Case) -> None:
    assert_accepted(c.deliver(c.sender.cancellation(new_number())))


def service_state_fault(c: Case) -> None:
    exchange = c.soap.service_state()
    assert exchange.status == 500 and c.soap.outcome(exchange).faultcode == "soap:Server"


def pull_returns_other_permit(c: Case) -> None:
    document = c.own()
    response = c.soap.outcome(c.soap.get_non_final_certificate(document.number, document.token, "FR"))
    assert _number_of(response.permit) != document.number
    # only GetNonFinalCitesCertificate is broken: confirmation and the final version concern the permit asked for
    first = document.items[0]
    assert c.soap.confirm_quantities(document.number, document.token, "FR", [Position(first.id, Decimal(1))]).status == 200
    assert c.inspected(document.number)[first.id] == 1
    final = c.soap.outcome(c.soap.get_final_certificate(document.number, document.token, "FR"))
    assert _number_of(final.permit) == document.number


def token_not_checked(c: Case) -> None:
    document = c.own()
    response = c.soap.outcome(c.soap.get_non_final_certificate(document.number, "WRONG-TOKEN", "FR"))
    assert isinstance(response, soap.SoapResponse) and _number_of(response.permit) == document.number


def pull_bad_request_as_server_fault(c: Case) -> None:
    fault = c.soap.outcome(c.soap.get_non_final_certificate(None, "X", "FR"))
    assert (fault.faultcode, fault.error.code) == ("soap:Server", "EPX-500")


def pull_serves_anyone(c: Case) -> None:
    with c.partner.soap_client("DE") as as_de:
        document = c.own()
        response = as_de.outcome(as_de.get_non_final_certificate(document.number, document.token, "FR"))
        assert isinstance(response, soap.SoapResponse)


def slow_adapter(c: Case) -> None:
    document = c.own()
    exchange = c.soap.get_non_final_certificate(document.number, document.token, "FR")
    assert exchange.status == 200 and exchange.elapsed > c.partner.config.pull_deadline


def final_before_confirmation(c: Case) -> None:
    document = c.own()
    exchange = c.soap.get_final_certificate(document.number, document.token, "FR")
    assert exchange.status == 200 and isinstance(c.soap.outcome(exchange), soap.SoapResponse)


def confirmation_adds(c: Case) -> None:
    document = c.own()
    item = document.items[0]
    for _ in range(2):
        c.soap.confirm_quantities(document.number, document.token, "FR", [Position(item.id, Decimal(3))])
    assert c.inspected(document.number)[item.id] == 6


def confirmation_without_quantities_fails(c: Case) -> None:
    document = c.own()
    exchange = c.soap.confirm_quantities(document.number, document.token, "FR", None)
    assert exchange.status == 500 and c.soap.outcome(exchange).faultcode == "soap:Server"


def adapter_fixed_prefixes(c: Case) -> None:
    document = c.own()
    request = soap.build_request("GetNonFinalCitesCertificate", c.soap.settings, number=document.number,
                                 token=document.token, country="FR")
    exchange = c.soap.call("GetNonFinalCitesCertificate", soap.with_prefixes(request, envelope="S", request="ns7"))
    assert isinstance(c.soap.outcome(exchange), soap.SoapFault)


def country_not_checked(c: Case) -> None:
    document = c.own()
    response = c.soap.outcome(c.soap.get_non_final_certificate(document.number, document.token, "CH"))
    assert isinstance(response, soap.SoapResponse) and _number_of(response.permit) == document.number


def soap_fault_with_http_200(c: Case) -> None:
    exchange = c.soap.get_non_final_certificate("26FR999999", "X", "FR")
    assert exchange.status == 200 and isinstance(c.soap.outcome(exchange), soap.SoapFault)


def pull_permit_unsigned(c: Case) -> None:
    document = c.own()
    response = c.soap.outcome(c.soap.get_non_final_certificate(document.number, document.token, "FR"))
    assert response.permit.find(qname(DS, "Signature")) is None


SCENARIOS: dict[str, Callable[[Case], None]] = {
    name: function for name, function in globals().items()
    if callable(function) and name.replace("_", "-") in FAULTS
}
SCENARIOS.update({f"skips-{rule.lower()}": _skips_rule(rule) for rule in
                  ("DOC-03", "DOC-04", "DOC-05", "DOC-06", "DOC-07", "DOC-08", "DOC-09", "DOC-10", "DOC-11")})
SCENARIOS = {name.replace("_", "-"): function for name, function in SCENARIOS.items()}
#: Faults whose scenario needs other settings than the defaults.
SETTINGS = {"pull-serves-anyone": {"peers": ("CH",)}, "late-final-ack": QUICK, "slow-adapter": QUICK}


def test_every_fault_has_a_scenario() -> None:
    assert sorted(SCENARIOS) == sorted(FAULTS)


def test_the_switchboard_names_one_requirement_per_fault() -> None:
    requirements = {fault.requirement for fault in CATALOGUE}
    receiver_side = {f"PULL-{n:02d}" for n in range(1, 13) if n != 6} | {f"ENV-{n:02d}" for n in (3, 4, 5, 6, 10, 11, 12, 13, 14, 15)}
    receiver_side |= {f"ACK-{n:02d}" for n in range(1, 8)} | {f"SIG-{n:02d}" for n in range(1, 7)}
    receiver_side |= {f"DOC-{n:02d}" for n in range(1, 12)} | {f"ERR-{n:02d}" for n in range(1, 4)}
    receiver_side |= {"LIF-01", "LIF-02", "LIF-10", "LIF-11", "LIF-12", "LIF-13", "LIF-20", "LIF-21", "LIF-22"}
    assert receiver_side <= requirements
    assert all(fault.sentence.endswith(".") for fault in CATALOGUE)
    assert "skips-doc-03" in listing()
    with pytest.raises(UnknownFault, match="no-such-fault"):
        Faults(["no-such-fault"])


def _answer(c: Case, envelope: bytes, fault: str):  # noqa: ANN202
    """The answer to ``envelope`` as the fault lets it come: after the retry that
    ``retry-counted-twice`` asks for, or, with ``late-final-ack``, the final one."""
    exchange = c.client.deliver(envelope)
    if fault == "retry-counted-twice":
        assert exchange.status == 503
        exchange = c.client.deliver(envelope)
    if fault == "late-final-ack":
        assert exchange.status == 202
        message_id = acknowledgement_of(exchange).ref_to_message_id
        exchange = c.client.wait_for_final_acknowledgement(message_id, deadline=10, interval=0.1)
    return exchange


def _still_conformant(c: Case, fault: str) -> None:
    """The rest of the profile still holds: a valid delivery is accepted, an unrelated
    rejection keeps its code, binding A answers."""
    accepted = _answer(c, c.sender.envelope(c.sender.permit()), fault)
    assert accepted.status == 200 and acknowledgement_of(accepted).status == "Accepted"
    if fault not in ("bad-digest-accepted", "wrong-code-for-untrusted-certificate", "untrusted-signer-accepted"):
        unrelated = _answer(c, c.sender.envelope(bad_signatures.with_tampered_content(c.sender.permit())), fault)
        if fault == "bare-rejections":
            assert unrelated.status == 422 and unrelated.response_body.startswith(b"Rejected: EPX-201 ")
        else:
            ack = acknowledgement_of(unrelated)
            assert ack.status == "Rejected" and ack.errors[0].code == "EPX-201"
            assert unrelated.status == (422 if fault not in ("rejection-with-200", "late-final-ack") else 200)
    if fault != "service-state-fault":
        assert c.soap.service_state().status == 200
    if fault not in ("pull-returns-other-permit", "anyone-may-cancel", "usage-not-recorded"):
        document = c.own()
        response = c.soap.outcome(c.soap.get_non_final_certificate(document.number, document.token, "FR"))
        assert _number_of(response.permit) == document.number


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_breaks_its_requirement_and_keeps_the_others(pki: Pki, fault: str) -> None:
    with start(pki, faults=[fault], **SETTINGS.get(fault, {})) as partner:
        case = Case(partner, pki)
        try:
            SCENARIOS[fault](case)
            _still_conformant(case, fault)
        finally:
            case.close()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_without_the_fault_its_scenario_fails(pki: Pki, fault: str) -> None:
    """Each scenario is a real check: against a conformant partner it fails."""
    with start(pki, **SETTINGS.get(fault, {})) as partner:
        case = Case(partner, pki)
        try:
            with pytest.raises(AssertionError):
                SCENARIOS[fault](case)
        finally:
            case.close()


@pytest.mark.parametrize(("fault", "expected"), [("rejected-changes-state", "EPX-303"), ("skips-doc-08", None)])
def test_a_fault_that_keeps_a_permit_with_twin_item_ids_answers_without_failing(pki: Pki, fault: str,
                                                                                expected: str | None) -> None:
    """A permit with two items of the same ID, kept because a fault overlooks DOC-08 or
    ERR-02, is answered as the fault says, never with 500 EPX-500."""
    with start(pki, faults=[fault]) as partner:
        case = Case(partner, pki)
        try:
            number = new_number()
            document = case.sender.permit(number=number, mutate=MUTATIONS["with_duplicate_item_id()"].apply)
            exchange = case.deliver(document)
            if expected is None:
                assert_accepted(exchange)
            else:
                assert_rejected(exchange, expected, 422)
            assert case.client.permit(number).status == 200
        finally:
            case.close()
