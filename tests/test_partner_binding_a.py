"""Binding A at the simulated partner (PULL-01 … PULL-10) over real HTTPS with mutual TLS."""

from __future__ import annotations

from decimal import Decimal

import pytest

from epix.messages import soap
from epix.model import Position
from epix.partner import RunningPartner
from epix.partner.issuing import SeededDocument
from epix.pki import Pki
from epix.safexml import to_bytes
from epix.transport import Exchange, PartnerUnreachable, SoapClient
from epix.validation import validate
from partner_helpers import partner, start  # noqa: F401 (fixtures)

RAM = "urn:un:unece:uncefact:data:draft:ReusableAggregateBusinessInformationEntity:1"


@pytest.fixture
def soap_ch(partner: RunningPartner):  # noqa: ANN201
    with partner.soap_client("CH") as client:
        yield client


def _own(partner: RunningPartner, state: str = "issued") -> SeededDocument:
    return next(d for d in partner.documents() if d.state == state)


def _fault(client: SoapClient, exchange: Exchange, code: str, faultcode: str = "soap:Client") -> soap.SoapFault:
    assert exchange.status == 500 and exchange.media_type == "text/xml", exchange.as_text()
    fault = client.outcome(exchange)
    assert isinstance(fault, soap.SoapFault), exchange.as_text()
    assert (fault.faultcode, fault.error.code) == (faultcode, code), exchange.as_text()
    return fault


def _inspected(permit) -> dict[str, str]:  # noqa: ANN001
    found = {}
    for item in permit.iter(f"{{{RAM}}}IncludedSupplyChainConsignmentItem"):
        quantity = item.findtext(f"{{{RAM}}}ExaminationTransportEvent/{{{RAM}}}UnitQuantity")
        if quantity is not None:
            found[item.findtext(f"{{{RAM}}}ID")] = quantity
    return found


def test_service_state_answers(soap_ch: SoapClient) -> None:
    exchange = soap_ch.service_state()
    assert exchange.status == 200 and exchange.media_type == "text/xml"
    assert soap_ch.outcome(exchange).text == "available"
    assert exchange.elapsed < 10


def test_a_permit_is_returned_by_number_and_token(partner: RunningPartner, soap_ch: SoapClient, pki: Pki) -> None:
    document = _own(partner)
    exchange = soap_ch.get_non_final_certificate(document.number, document.token, "FR")
    response = soap_ch.outcome(exchange)
    assert exchange.status == 200 and isinstance(response, soap.SoapResponse)
    assert response.permit.findtext(f".//{{{RAM}}}ID") == document.number
    report = validate(to_bytes(response.permit), trust=pki.trust_store)
    assert report.valid, report.findings
    assert report.verification.passed
    assert validate(exchange.response_body, soap_settings=soap_ch.settings).valid


@pytest.mark.parametrize("case, code", [("unknown number", "EPX-304"), ("wrong token", "EPX-309"),
                                        ("other country", "EPX-104")])
def test_unknown_numbers_and_wrong_tokens_reveal_nothing(partner: RunningPartner, soap_ch: SoapClient,
                                                         case: str, code: str) -> None:
    document = _own(partner)
    number, token, country = document.number, document.token, "FR"
    if case == "unknown number":
        number = "26FR999999"
    elif case == "wrong token":
        token = "AAAA-BBBB-CCCC"
    else:
        country = "CH"
    exchange = soap_ch.get_non_final_certificate(number, token, country)
    _fault(soap_ch, exchange, code)
    assert b"CITESEPermit" not in exchange.response_body and document.token.encode() not in exchange.response_body


@pytest.mark.parametrize("case", ["no number", "country not alpha-2", "position with white space",
                                  "negative quantity", "not an integer"])
def test_malformed_requests_are_client_faults_epx_101(partner: RunningPartner, soap_ch: SoapClient, case: str) -> None:
    document = _own(partner)
    settings = soap_ch.settings
    arguments = {"number": document.number, "token": document.token, "country": "FR",
                 "positions": [Position("A", Decimal(1))]}
    body = soap.build_request("ConfirmQuantities", settings, **{**arguments, **(
        {"number": None} if case == "no number" else {"country": "FRA"} if case == "country not alpha-2" else {})})
    if case == "position with white space":
        body = body.replace(b"<ID>A</ID>", b"<ID>A B</ID>")
    elif case == "negative quantity":
        body = body.replace(b"InspectedUnitQuantity>1<", b"InspectedUnitQuantity>-1<")
    elif case == "not an integer":
        body = body.replace(b"InspectedUnitQuantity>1<", b"InspectedUnitQuantity>1.5<")
    _fault(soap_ch, soap_ch.call("ConfirmQuantities", body), "EPX-101")


def test_bodies_that_are_not_xml_or_declare_a_dtd_are_epx_100(soap_ch: SoapClient) -> None:
    _fault(soap_ch, soap_ch.call("ServiceState", b"<soap:Envelope"), "EPX-100")
    dtd = b'<!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'
    _fault(soap_ch, soap_ch.call("ServiceState", dtd), "EPX-100")


def test_a_soap_action_that_contradicts_the_body_is_epx_101(soap_ch: SoapClient) -> None:
    body = soap.build_request("ServiceState", soap_ch.settings)
    _fault(soap_ch, soap_ch.call("ServiceState", body, headers={"SOAPAction": '"urn:ConfirmQuantities"'}), "EPX-101")


def test_a_caller_without_certificate_is_refused_by_tls(partner: RunningPartner) -> None:
    with partner.soap_client(None) as client, pytest.raises(PartnerUnreachable, match="client certificate"):
        client.service_state()


def test_a_caller_the_adapter_does_not_serve_is_epx_105(pki: Pki) -> None:
    with start(pki, peers=("CH",)) as partner, partner.soap_client("DE") as client:
        fault = _fault(client, client.service_state(), "EPX-105")
        assert fault.faultstring == "CallerNotFound"


def test_without_mutual_tls_a_caller_without_header_gets_certificate_missing(pki: Pki) -> None:
    with start(pki, mtls=False) as partner, partner.soap_client(None) as client:
        fault = _fault(client, client.service_state(), "EPX-105")
        assert fault.faultstring == "CertificateMissing"
    with start(pki, mtls=False) as partner, partner.soap_client("CH") as client:
        assert client.service_state().status == 200


def test_confirmations_set_quantities_and_make_the_final_permit(partner: RunningPartner, soap_ch: SoapClient,
                                                                pki: Pki) -> None:
    document = _own(partner)
    a, b = document.items
    args = (document.number, document.token, "FR")
    _fault(soap_ch, soap_ch.get_final_certificate(*args), "EPX-310")
    confirmed = soap_ch.confirm_quantities(*args, [Position(a.id, Decimal(3))])
    assert confirmed.status == 200 and soap_ch.outcome(confirmed).text
    again = soap_ch.confirm_quantities(*args, [Position(a.id, Decimal(3))])
    assert again.status == 200
    final = soap_ch.outcome(soap_ch.get_final_certificate(*args))
    assert _inspected(final.permit) == {a.id: "3"}
    assert validate(to_bytes(final.permit), trust=pki.trust_store).valid
    soap_ch.confirm_quantities(*args, [Position(a.id, Decimal(2)), Position(b.id, Decimal(1))])
    assert _inspected(soap_ch.outcome(soap_ch.get_final_certificate(*args)).permit) == {a.id: "2", b.id: "1"}
    assert _inspected(soap_ch.outcome(soap_ch.get_non_final_certificate(*args)).permit) == {}
    with partner.client("CH") as client:
        assert client.permit(document.number).header("EPIX-Document-State") == "partially-used"


@pytest.mark.parametrize("case, code", [("above the permitted quantity", "EPX-305"), ("unknown item", "EPX-303"),
                                        ("cancelled", "EPX-307")])
def test_refused_confirmations_change_nothing(partner: RunningPartner, soap_ch: SoapClient, case: str, code: str) -> None:
    document = _own(partner, "cancelled" if case == "cancelled" else "issued")
    item = document.items[0]
    quantity = item.quantity + 1 if case.startswith("above") else Decimal(1)
    position = Position("ZZ" if case == "unknown item" else item.id, quantity)
    _fault(soap_ch, soap_ch.confirm_quantities(document.number, document.token, "FR", [position]), code)
    assert next(d for d in partner.documents() if d.number == document.number) == document


@pytest.mark.parametrize(("envelope", "prefix"), [("soapenv", "v1"), ("S", "ns7"), ("env", None)],
                         ids=["as deployed", "other prefixes", "default namespace"])
def test_the_request_is_accepted_with_any_prefixes(partner: RunningPartner, soap_ch: SoapClient, envelope: str,
                                                   prefix: str | None) -> None:
    document = _own(partner)
    request = soap.build_request("GetNonFinalCitesCertificate", soap_ch.settings, number=document.number,
                                 token=document.token, country="FR")
    exchange = soap_ch.call("GetNonFinalCitesCertificate", soap.with_prefixes(request, envelope=envelope, request=prefix))
    response = soap_ch.outcome(exchange)
    assert isinstance(response, soap.SoapResponse), exchange.as_text()
    assert response.permit.findtext(f".//{{{RAM}}}ID") == document.number and response.permit_qualified


def test_another_country_is_epx_104_before_any_other_parameter(soap_ch: SoapClient) -> None:
    _fault(soap_ch, soap_ch.get_non_final_certificate(None, None, "CH"), "EPX-104")
    _fault(soap_ch, soap_ch.confirm_quantities("not a number!", "X", "DE", [Position("A B", Decimal(-1))]), "EPX-104")
    _fault(soap_ch, soap_ch.get_non_final_certificate("26FR999999", "X", "FRA"), "EPX-101")


@pytest.mark.parametrize("positions", [None, []], ids=["no ConfirmedQuantities", "no CitesPosition"])
def test_a_confirmation_without_quantities_changes_nothing(partner: RunningPartner, soap_ch: SoapClient,
                                                           positions: list | None) -> None:
    document = _own(partner)
    exchange = soap_ch.confirm_quantities(document.number, document.token, "FR", positions)
    assert exchange.status == 200 and soap_ch.outcome(exchange).text, exchange.as_text()
    _fault(soap_ch, soap_ch.get_final_certificate(document.number, document.token, "FR"), "EPX-310")
    assert next(d for d in partner.documents() if d.number == document.number) == document
