"""The hub interface's wire (profile section 3.2): the caller's rpc request, the SOAPAction
forms, the hub's own faults as wash_out wrote them, and reading a hub's answer."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from epix import safexml
from epix.messages import soap
from epix.messages.errors import MessageError
from epix.messages.hub_soap import (
    HUB_FAULTS,
    HUB_NAMESPACE,
    ID_NOT_TOKEN,
    TIMEOUT_FAULTSTRING,
    build_call,
    build_hub_fault,
    hub_fault,
    operation_of_action,
    parse_call,
    read_answer,
)
from epix.model import Position

POSITIONS = [Position("A", Decimal(3)), Position("B", Decimal(0))]


def test_the_call_is_the_rpc_element_with_unqualified_children() -> None:
    body = build_call("ConfirmQuantities", number="26CH000123", token="7K2P-QX9M-D4RT", country="CH",
                      positions=POSITIONS)
    operation = safexml.parse(body).find(f"{{{soap.SOAP}}}Body/*")
    assert operation.tag == f"{{{HUB_NAMESPACE}}}ConfirmQuantities"
    assert [child.tag for child in operation] == ["CertificateNumber", "TokenId", "IsoCountryCode",
                                                  "ConfirmedQuantities"]
    assert all(etree.QName(e).namespace is None for e in operation.iterdescendants())


def test_a_call_reads_back_as_written() -> None:
    body = build_call("ConfirmQuantities", number="26CH000123", token="7K2P-QX9M-D4RT", country="CH",
                      positions=POSITIONS)
    request = parse_call(body)
    assert (request.op, request.number, request.token, request.country) == (
        "ConfirmQuantities", "26CH000123", "7K2P-QX9M-D4RT", "CH")
    assert request.positions == POSITIONS


def test_none_leaves_an_element_out_and_reads_as_none() -> None:
    request = parse_call(build_call("GetNonFinalCitesCertificate", number="26CH000123"))
    assert (request.number, request.token, request.country) == ("26CH000123", None, None)
    assert parse_call(build_call("ServiceState", country="FR")).country == "FR"


def test_a_position_id_with_white_space_is_kept_for_the_hub_to_refuse() -> None:
    request = parse_call(build_call("ConfirmQuantities", country="CH", positions=[Position("A B", Decimal(1))]))
    assert request.positions == [Position("A B", Decimal(1))]


def _qualified_children(body: bytes) -> bytes:
    root = safexml.parse(body)
    for element in root.find(f"{{{soap.SOAP}}}Body/*").iterdescendants():
        element.tag = f"{{{HUB_NAMESPACE}}}{element.tag}"
    return safexml.to_bytes(root)


def test_strict_reading_wants_unqualified_children_lenient_reading_takes_any() -> None:
    body = _qualified_children(build_call("GetNonFinalCitesCertificate", number="26CH000123", token="T",
                                          country="CH"))
    with pytest.raises(MessageError, match="CertificateNumber is in namespace urn:CitesDataExchange"):
        parse_call(body)
    assert parse_call(body, strict=False).number == "26CH000123"


@pytest.mark.parametrize("body, message", [
    (b"<x/>", "expected soap:Envelope"),
    (build_call("ServiceState").replace(b"ServiceState", b"Unknown"), "Unknown is not an operation of the hub"),
    (build_call("ServiceState").replace(HUB_NAMESPACE.encode(), b"urn:other"), "expected urn:CitesDataExchange"),
    (build_call("ConfirmQuantities", positions=[Position("A", Decimal(1))]).replace(b">1<", b">-1<"),
     "InspectedUnitQuantity '-1' is not a non-negative integer"),
])
def test_a_call_that_cannot_be_read_names_what_and_where(body: bytes, message: str) -> None:
    with pytest.raises(MessageError, match=message):
        parse_call(body)


@pytest.mark.parametrize("header, op", [
    ('"GetNonFinalCitesCertificate"', "GetNonFinalCitesCertificate"),
    ("ServiceState", "ServiceState"),
    ('"urn:CitesDataExchangeConfirmQuantities"', "ConfirmQuantities"),
    ('"urn:CitesDataExchange/GetFinalCitesCertificate"', "GetFinalCitesCertificate"),
    ('"urn:CitesDataExchange#ServiceState"', "ServiceState"),
    ('"urn:ServiceState"', None),
    ("", None),
    (None, None),
])
def test_the_soap_action_forms(header: str | None, op: str | None) -> None:
    assert operation_of_action(header) == op


def test_the_hubs_fault_is_as_wash_out_wrote_it() -> None:
    body = build_hub_fault("Server", "CalleeNotFound")
    fault = safexml.parse(body).find(f"{{{soap.SOAP}}}Body/{{{soap.SOAP}}}Fault")
    assert fault.findtext("faultcode") == "Server"
    assert fault.find("faultcode").get("{http://www.w3.org/2001/XMLSchema-instance}type") == "xsd:QName"
    parsed = soap.parse_fault(body)
    assert (parsed.faultcode, parsed.faultstring) == ("Server", "CalleeNotFound")


def test_each_deployed_faultstring_has_its_code() -> None:
    assert HUB_FAULTS[ID_NOT_TOKEN] == "Client"
    assert HUB_FAULTS[TIMEOUT_FAULTSTRING] == "Server"
    assert TIMEOUT_FAULTSTRING == "This request took too long to process..."
    assert soap.parse_fault(hub_fault(ID_NOT_TOKEN)).faultcode == "Client"
    with pytest.raises(ValueError, match="Server or Client"):
        build_hub_fault("soap:Server", "x")


def test_read_answer_gives_a_response_or_a_fault() -> None:
    response = soap.build_response("ServiceState", soap.SoapSettings(), text="available")
    assert isinstance(read_answer(response), soap.SoapResponse)
    assert read_answer(hub_fault("CallerNotFound")).faultstring == "CallerNotFound"
