"""Steps of binding A: the EPIX adapter operations as the hub calls them (PULL-01 … PULL-12)."""

from __future__ import annotations

import math
from decimal import Decimal

from lxml import etree
from pytest_bdd import parsers, then, when

from epix import safexml
from epix.codes import meaning
from epix.messages import soap
from epix.model import Position
from epix.namespaces import DS, RSM, qname
from epix.report.warning import warn
from epix.transport import Exchange, PartnerUnreachable, SoapClient
from epix.validation import validate
from epix.validation.fault_code import faultcode_name
from steps import partner_documents
from steps.attach import attach_findings, attach_text, quoted
from steps.drafts import new_number
from steps.observe import SoapAnswer, permit_facts, read_soap, what_arrived, xml_of
from steps.scene import Scene, assert_fault, assert_partner_signed
from steps.state_changes import changes_state

_CALLERS = {
    "a caller without a client certificate": "none",
    "a caller whose certificate does not chain to a pilot CA": "foreign",
}
_MALFORMED = (b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
              b'<soapenv:Body>')
_WITH_DTD = (b'<?xml version="1.0"?>\n<!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n'
             b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
             b'xmlns:v1="urn:CitesDataExchange/v2/"><soapenv:Body><v1:GetNonFinalCitesCertificateRequest>'
             b'<CertificateNumber>&b;</CertificateNumber></v1:GetNonFinalCitesCertificateRequest></soapenv:Body>'
             b'</soapenv:Envelope>')
#: How a request may be written (PULL-11): the prefix of the envelope and of the request
#: namespace (``None``: the request element's default namespace).
_FORMS = {
    "as the EPIX hub sent it": ("soapenv", "v1"),
    "with other namespace prefixes": ("S", "ns7"),
    "with the adapter's namespace as the default namespace of the request": ("soapenv", None),
}


def _read(client: SoapClient, exchange: Exchange) -> SoapAnswer:
    answer = read_soap(exchange, client.settings)
    if answer.response is not None and answer.response.op == "ConfirmQuantities":
        attach_text("the confirmation's Result", answer.response.text or "(none)")
    return answer


@when("we ask the partner for the state of its service", target_fixture="answer")
def service_state(scene: Scene) -> SoapAnswer:
    client = scene.world.our_soap
    return _read(client, client.service_state())


@when(parsers.re(r"we request (?P<which>that permit with its security token|that permit with a wrong security "
                 r"token|a permit number that the partner never issued)"), target_fixture="answer")
def request_permit(scene: Scene, which: str) -> SoapAnswer:
    client = scene.world.our_soap
    document = scene.partner_document
    if which == "a permit number that the partner never issued":
        number, token = new_number(scene.world.partner.party), document.token if document else "NO-SUCH-TOKEN"
    elif which.endswith("wrong security token"):
        number, token = document.number, "WRONG-TOKEN-0000"
    else:
        number, token = document.number, document.token
    return _read(client, client.get_non_final_certificate(number, token, scene.world.partner_country))


@when(parsers.re(r"we request that permit with its security token, written (?P<form>.+)"), target_fixture="answer")
def request_in_form(scene: Scene, form: str) -> SoapAnswer:
    client = scene.world.our_soap
    document = scene.partner_document
    envelope, prefix = _FORMS[form]
    request = soap.build_request("GetNonFinalCitesCertificate", client.settings, number=document.number,
                                 token=document.token, country=scene.world.partner_country)
    return _read(client, client.call("GetNonFinalCitesCertificate",
                                     soap.with_prefixes(request, envelope=envelope, request=prefix)))


@when(parsers.re(r"we request that permit (?P<how>with its security token|without its certificate number), naming "
                 r"another country as its issuing country"), target_fixture="answer")
def request_from_another_country(scene: Scene, how: str) -> SoapAnswer:
    client = scene.world.our_soap
    document = scene.partner_document
    number = document.number if how == "with its security token" else None
    return _read(client, client.get_non_final_certificate(number, document.token, scene.world.another_country))


@when(parsers.re(r"we request that permit in a request with (?P<flaw>.+)"), target_fixture="answer")
def malformed_request(scene: Scene, flaw: str) -> SoapAnswer:
    client = scene.world.our_soap
    document = scene.partner_document
    if flaw == "no certificate number":
        exchange = client.get_non_final_certificate(None, document.token, scene.world.partner_country)
    elif flaw == "an issuing country code that is not ISO 3166-1 alpha-2":
        exchange = client.get_non_final_certificate(document.number, document.token, "FRA")
    elif flaw == "a body that is not well-formed XML":
        exchange = client.call("GetNonFinalCitesCertificate", _MALFORMED)
    elif flaw == "a body that declares a document type definition":
        exchange = client.call("GetNonFinalCitesCertificate", _WITH_DTD)
    else:
        raise LookupError(f"the steps know no malformed request with {flaw!r}")
    return _read(client, exchange)


@when(changes_state(parsers.re(r"we confirm the quantities of that permit in a request with (?P<flaw>.+)")),
      target_fixture="answer")
def malformed_confirmation(scene: Scene, flaw: str) -> SoapAnswer:
    client = scene.world.our_soap
    document = scene.partner_document
    first = partner_documents.items(scene, document)[0]
    positions = {
        "an item ID that contains white space": [Position("A B", Decimal(1))],
        "a negative inspected quantity": [Position(first.id, Decimal(-1))],
        "an inspected quantity that is not a whole number": [Position(first.id, Decimal("1.5"))],
    }[flaw]
    country = scene.world.partner_country
    return _read(client, client.confirm_quantities(document.number, document.token, country, positions))


@when(parsers.re(r"(?P<caller>a caller without a client certificate|a caller whose certificate does not chain to a "
                 r"pilot CA|a registered party that the partner does not serve) requests that permit with its "
                 r"security token"), target_fixture="answer")
def other_caller_requests(scene: Scene, caller: str) -> SoapAnswer:
    identity = _CALLERS.get(caller) or scene.world.unserved_party()
    client = scene.world.soap(identity)
    document = scene.partner_document
    try:
        return _read(client, client.get_non_final_certificate(document.number, document.token,
                                                              scene.world.partner_country))
    except PartnerUnreachable as refused:
        attach_text("refused", refused.sentence)
        return SoapAnswer(None, refused=refused.sentence)


@when("we request the final version of that permit", target_fixture="answer")
def request_final(scene: Scene) -> SoapAnswer:
    client = scene.world.our_soap
    document = scene.partner_document
    return _read(client, client.get_final_certificate(document.number, document.token, scene.world.partner_country))


@when(changes_state(parsers.re(r"we confirm (?:an inspected quantity of (?P<quantity>\d+)|(?P<more>more than the "
                               r"permitted quantity)) for (?P<item>the first item|an item the permit does not have) "
                               r"of that permit")), target_fixture="answer")
def confirm(scene: Scene, quantity: str | None, more: str | None, item: str) -> SoapAnswer:
    client = scene.world.our_soap
    document = scene.partner_document
    first = partner_documents.items(scene, document)[0]
    amount = Decimal(math.floor(first.quantity) + 1) if more else Decimal(quantity)
    item_id = first.id if item == "the first item" else "NO-SUCH-ITEM"
    exchange = client.confirm_quantities(document.number, document.token, scene.world.partner_country,
                                         [Position(item_id, amount)])
    return _read(client, exchange)


@when(changes_state("we confirm that permit without naming any quantity, as the EPIX hub did"),
      target_fixture="answer")
def confirm_nothing(scene: Scene) -> SoapAnswer:
    client = scene.world.our_soap
    document = scene.partner_document
    return _read(client, client.confirm_quantities(document.number, document.token, scene.world.partner_country, None))


# ---------------------------------------------------------------------------
# Then

def _answered(scene: Scene, answer: SoapAnswer) -> SoapAnswer:
    assert answer.exchange is not None, f"{scene.ids}: no SOAP answer was received"
    return answer


@then("the partner answers with its state and no fault")
def state_answered(scene: Scene, answer: SoapAnswer) -> None:
    """PULL-01: a ServiceStateResponse and no fault. Its State is the profile's choice: a
    missing or other one passes with a warning (``soap.service_state_finding`` says what it misses)."""
    _answered(scene, answer)
    assert answer.fault is None, (f"{scene.ids}: ServiceState answered with the fault "
                                  f"{quoted(answer.fault.faultcode, limit=80)} {_faultstring(answer)}")
    assert answer.response is not None, f"{scene.ids}: ServiceState answered {answer.problem}"
    finding = soap.service_state_finding(answer.response)
    attach_text("the State", finding or f"{answer.response.text}, as the profile names it")
    if finding:
        warn("PULL-01", finding)


@then("the answer arrives within the adapter timeout")
def answered_in_time(scene: Scene, answer: SoapAnswer) -> None:
    _answered(scene, answer)
    limit = scene.world.adapter_timeout
    elapsed = answer.exchange.elapsed
    attach_text("adapter timeout", f"{limit:g} s (the answer took {elapsed:.2f} s)")
    assert elapsed <= limit, (f"{scene.ids}: the answer took {elapsed:.2f} s, expected at most the adapter timeout "
                              f"of {limit:g} s")


@then("the answer carries exactly one permit, with the number we asked for")
def one_permit(scene: Scene, answer: SoapAnswer) -> None:
    _answered(scene, answer)
    assert answer.response is not None and answer.response.permit is not None, (
        f"{scene.ids}: the answer carries no permit: {_neither(answer)}")
    body = xml_of(answer.exchange, scene.ids, "a SOAP response")
    count = sum(1 for _ in body.iter(qname(RSM, "CITESEPermit"), "CITESEPermit"))
    assert count == 1, f"{scene.ids}: the answer carries {count} permits, expected exactly one"
    number = _number(answer.response.permit)
    assert number == scene.partner_document.number, (
        f"{scene.ids}: the answer carries permit {number}, expected {scene.partner_document.number}")


@then("that permit follows every document rule of the profile")
def permit_follows_rules(scene: Scene, answer: SoapAnswer) -> None:
    permit = _answered(scene, answer).response.permit
    report = validate(permit)
    errors = [f for f in report.findings if f.severity == "error"]
    attach_findings("findings on the returned permit", report.findings)
    assert not errors, (f"{scene.ids}: the returned permit breaks {errors[0].requirement}: "
                        f"{quoted(errors[0].text, title='finding')}")


@then(parsers.re(r"the partner refuses the request as the caller's error, with (?P<code>EPX-\d{3})"))
def client_fault(scene: Scene, answer: SoapAnswer, code: str) -> None:
    _answered(scene, answer)
    assert answer.fault is not None, (
        f"{scene.ids}: expected a Client fault {code} ({meaning(code)}); the partner answered "
        f"{'a response, ' + what_arrived(answer.exchange) if answer.response else answer.problem}, without a fault")
    assert_fault(scene, answer.fault, code, faultstring=_faultstring(answer))


@then("the partner accepts the confirmation, or refuses it as the caller's error, but not as its own failure")
def confirmation_not_failed(scene: Scene, answer: SoapAnswer) -> None:
    _answered(scene, answer)
    if answer.fault is not None:
        assert faultcode_name(answer.fault.faultcode) == "Client", (
            f"{scene.ids}: a confirmation without quantities must be accepted or refused as the caller's error; the "
            f"partner answered the fault {quoted(answer.fault.faultcode, limit=80)} {_faultstring(answer)}")
        return
    assert answer.response is not None, f"{scene.ids}: the confirmation was answered {answer.problem}"


@then("the partner still has no final version of that permit")
def still_no_final(scene: Scene) -> None:
    answer = request_final(scene)
    client_fault(scene, answer, "EPX-310")


@then("the refusal reveals nothing of the permit")
def reveals_nothing(scene: Scene, answer: SoapAnswer) -> None:
    """PULL-03: no permit, no element of one, and none of the permit's values (names,
    species, parties, quantities, dates) anywhere in the refusal."""
    _answered(scene, answer)
    body = answer.exchange.response_body
    assert f"{{{RSM}}}".encode() not in body and b"CITESEPermit" not in body, (
        f"{scene.ids}: the refusal carries a permit")
    for revealing in (b"ScientificName", b"ConsignorTradeParty", b"ConsigneeTradeParty"):
        assert revealing not in body, f"{scene.ids}: the refusal reveals {revealing.decode()} of the permit"
    text = body.decode("utf-8", errors="replace").casefold()
    secrets = _revealing_values(scene)
    attach_text("values of the permit looked for in the refusal", "\n".join(sorted(secrets)) or "(none)")
    found = sorted(v for v in secrets if v.casefold() in text)
    assert not found, (f"{scene.ids}: the refusal reveals the permit's "
                       f"{', '.join(quoted(v, limit=60) for v in found[:5])}")


def _revealing_values(scene: Scene) -> set[str]:
    """What the asked-for permit says that a refusal must not show: its names, species,
    parties, quantities and dates, as the partner serves it with the right token."""
    document = scene.partner_document
    if document is None or document.state == "unknown":
        return set()
    facts = partner_documents.facts(scene, document)
    values: set[str] = {facts.place_of_issue, facts.security_stamp, *facts.special_conditions}
    for party in (facts.importer, facts.exporter):
        values |= {party.name, party.address}
    for item in facts.items:
        values |= {item.scientific_name, item.common_name, item.description, *item.marks,
                   None if item.quantity is None else str(item.quantity)}
    # Dates that no refusal has a reason to carry: the end of validity, and the moment of
    # issue to the second (a fault may well carry today's date, the day of issue).
    if facts.valid_until is not None:
        values.add(facts.valid_until.date().isoformat())
    if facts.issued_at is not None:
        values.add(facts.issued_at.strftime("%Y-%m-%dT%H:%M:%S"))
    values = {str(v) for v in values if v is not None}
    # Short values (a quantity of 1, a two-letter code) would be found in any answer.
    return {v.strip() for v in values if len(v.strip()) >= 4}


@then("the partner refuses the caller before looking at the request")
def caller_refused(scene: Scene, answer: SoapAnswer) -> None:
    if answer.refused is not None:
        return
    _answered(scene, answer)
    fault = answer.fault
    assert fault is not None, (
        f"{scene.ids}: the caller must be refused (TLS refusal, or the fault CertificateMissing); the partner "
        f"answered {what_arrived(answer.exchange)}"
        f"{', with a permit' if answer.response and answer.response.permit is not None else ''}")
    if fault.faultstring != "CertificateMissing":
        assert_fault(scene, fault, "EPX-105", faultstring=_faultstring(answer))


@then("the partner refuses the request with EPX-105")
def refused_105(scene: Scene, answer: SoapAnswer) -> None:
    assert answer.refused is None, f"{scene.ids}: the partner refused the connection; expected the fault EPX-105"
    _answered(scene, answer)
    assert answer.fault is not None, (
        f"{scene.ids}: expected a fault with EPX-105 for a caller the partner does not serve; it answered "
        f"{'a response' if answer.response else _neither(answer)}")
    assert_fault(scene, answer.fault, "EPX-105", faultstring=_faultstring(answer))


@then(parsers.re(r"the final permit shows an inspected quantity of (?P<quantity>\d+) on the first item"))
def final_quantity(scene: Scene, answer: SoapAnswer, quantity: str) -> None:
    _answered(scene, answer)
    assert answer.response is not None and answer.response.permit is not None, (
        f"{scene.ids}: the final permit was not returned: {_neither(answer)}")
    facts = permit_facts(_standalone(answer.response.permit))
    first = facts.items[0] if facts.items else None
    seen = first.inspected_quantity if first else None
    assert seen is not None and Decimal(seen) == Decimal(quantity), (
        f"{scene.ids}: the final permit shows an inspected quantity of {seen} on its first item, expected {quantity}")


@then(parsers.re(r"the answer has the media type text/xml and the HTTP status (?P<status>\d{3})"))
def media_and_status(scene: Scene, answer: SoapAnswer, status: str) -> None:
    exchange = answer.exchange
    assert exchange.media_type == "text/xml", (
        f"{scene.ids}: the answer's Content-Type is {quoted(exchange.content_type, limit=80)}, expected text/xml "
        f"({what_arrived(exchange)})")
    assert exchange.status == int(status), f"{scene.ids}: the answer has HTTP {exchange.status}, expected {status}"


@then("the permit comes as it was signed, under its qualified name rsm:CITESEPermit")
def permit_qualified(scene: Scene, answer: SoapAnswer) -> None:
    _permit(scene, answer)
    assert answer.response.permit_qualified, (
        f"{scene.ids}: the permit comes as the unqualified CITESEPermit; a signed permit is returned as signed, "
        f"the qualified rsm:CITESEPermit")


@then("the permit carries one enveloped signature that covers the whole document")
def permit_signed(scene: Scene, answer: SoapAnswer) -> None:
    permit = _permit(scene, answer)
    signatures = list(permit.iter(qname(DS, "Signature")))
    assert len(signatures) == 1, f"{scene.ids}: the returned permit carries {len(signatures)} signatures, expected 1"
    assert permit[-1] is signatures[0], f"{scene.ids}: the signature is not the last child of the permit"
    references = signatures[0].findall(f"{qname(DS, 'SignedInfo')}/{qname(DS, 'Reference')}")
    assert [r.get("URI") for r in references] == [""], (
        f"{scene.ids}: the signature's references are {[r.get('URI') for r in references]}, expected one with URI=\"\"")


@then("the signature verifies against the partner's trust anchor at the permit's issue date")
def permit_signature_verifies(scene: Scene, answer: SoapAnswer) -> None:
    permit = _standalone(_permit(scene, answer))
    assert_partner_signed(scene, permit, "the returned permit", at=permit_facts(permit).issued_at)


def _permit(scene: Scene, answer: SoapAnswer) -> etree._Element:
    _answered(scene, answer)
    assert answer.response is not None and answer.response.permit is not None, (
        f"{scene.ids}: the answer carries no permit: {_neither(answer)}")
    return answer.response.permit


def _faultstring(answer: SoapAnswer) -> str:
    return quoted(answer.fault.faultstring if answer.fault else None, title="fault string")


def _neither(answer: SoapAnswer) -> str:
    """What came instead of a permit: the fault, or what arrived when it was no SOAP at all."""
    if answer.fault is not None:
        return f"the fault {quoted(answer.fault.faultcode, limit=80)} {_faultstring(answer)}"
    return answer.problem or what_arrived(answer.exchange)


def _standalone(permit: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(permit))


def _number(permit: etree._Element) -> str | None:
    return permit_facts(_standalone(permit)).number
