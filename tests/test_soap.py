"""Binding A: SOAP 1.1 requests, responses and faults, and their schema under namespace settings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from epix.messages.binding_a_schema import SOAP_ENVELOPE, binding_a_schema, binding_a_xmlschema
from epix.messages.errors import MessageError
from epix.messages.permit import build_permit
from epix.messages.soap import (
    CONTENT_TYPE, OPERATIONS, Attachment, FaultReceived, SoapFault, SoapRequest, SoapResponse, SoapSettings,
    build_fault, build_request, build_response, parse_fault, parse_request, parse_response, request_country,
    request_headers, service_state_finding, with_prefixes,
)
from epix.model import AckError, Position
from epix.safexml import XmlRefused, parse, to_bytes
from epix.samples import SAMPLE_ISSUED_AT, sample_permit, write_binding_a_samples
from epix.schemaset import default_schema_set

BINDING_A = Path(__file__).resolve().parent.parent / "fixtures" / "documents" / "binding-a"
DEFAULT = SoapSettings()
OTHER = SoapSettings(namespace="urn:example:adapter", response_namespace="urn:example:adapter:responses",
                     actions={"ServiceState": "http://example.org/ServiceState"})
SHARED = SoapSettings(namespace="urn:example:one", response_namespace="urn:example:one")
CERTIFICATE = {"number": "26CH000123", "token": "K7Q2-9XWD-4M3P", "country": "CH"}
POSITIONS = [Position("A", Decimal(12)), Position("B", Decimal(0))]


def permit() -> etree._Element:
    return build_permit(sample_permit(issued_at=SAMPLE_ISSUED_AT))


def request(op: str, settings: SoapSettings = DEFAULT, **changes: object) -> bytes:
    parameters: dict[str, object] = {} if op == "ServiceState" else dict(CERTIFICATE)
    if op == "ConfirmQuantities":
        parameters["positions"] = POSITIONS
    parameters.update(changes)
    return build_request(op, settings, **parameters)


def valid(data: bytes, settings: SoapSettings = DEFAULT) -> bool:
    return binding_a_schema(settings).validate(parse(data))


# ----- settings -----

def test_settings_default_to_the_spec() -> None:
    assert DEFAULT.namespace == "urn:CitesDataExchange/v2/"
    assert DEFAULT.response_namespace == "urn:CitesDataExchange/v2/"
    assert [DEFAULT.action(op) for op in OPERATIONS] == [f"urn:{op}" for op in OPERATIONS]


def test_soap_action_comes_from_the_settings() -> None:
    assert OTHER.action("ServiceState") == "http://example.org/ServiceState"
    assert OTHER.operation_for_action('"http://example.org/ServiceState"') == "ServiceState"
    assert OTHER.operation_for_action("urn:ServiceState") is None
    assert DEFAULT.operation_for_action("urn:ConfirmQuantities") == "ConfirmQuantities"
    assert request_headers("ConfirmQuantities", DEFAULT) == {
        "Content-Type": CONTENT_TYPE, "SOAPAction": '"urn:ConfirmQuantities"',
    }


def test_unknown_operation_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown binding-A operation 'GetPermit'"):
        build_request("GetPermit", DEFAULT)


# ----- round trips -----

@pytest.mark.parametrize("settings", [DEFAULT, OTHER, SHARED], ids=["deployed", "other", "shared"])
@pytest.mark.parametrize("op", OPERATIONS)
def test_request_round_trip(op: str, settings: SoapSettings) -> None:
    data = request(op, settings)
    assert valid(data, settings), binding_a_schema(settings).error_log
    parsed = parse_request(data, settings)
    if op == "ServiceState":
        assert parsed == SoapRequest("ServiceState")
    else:
        assert (parsed.op, parsed.number, parsed.token, parsed.country) == (op, *CERTIFICATE.values())
        assert parsed.positions == (POSITIONS if op == "ConfirmQuantities" else None)


@pytest.mark.parametrize("settings", [DEFAULT, OTHER, SHARED], ids=["deployed", "other", "shared"])
@pytest.mark.parametrize("op", ["GetNonFinalCitesCertificate", "GetFinalCitesCertificate"])
def test_certificate_response_round_trip(op: str, settings: SoapSettings) -> None:
    attachments = [Attachment("permit.pdf", b"%PDF-1.7\x00\xff"), Attachment("photo.jpg", b"\xff\xd8")]
    data = build_response(op, settings, permit=permit(), attachments=attachments, composite=True)
    assert valid(data, settings), binding_a_schema(settings).error_log
    parsed = parse_response(data, settings)
    assert (parsed.op, parsed.attachments, parsed.composite) == (op, attachments, True)
    assert parsed.permit.getparent() is None
    assert to_bytes(parsed.permit) == to_bytes(permit())


@pytest.mark.parametrize(("op", "text"), [("ConfirmQuantities", "Quantities confirmed"), ("ServiceState", "available")])
def test_text_response_round_trip(op: str, text: str) -> None:
    data = build_response(op, OTHER, text=text)
    assert valid(data, OTHER)
    parsed = parse_response(data, OTHER)
    assert (parsed.op, parsed.text, parsed.permit) == (op, text, None)


def test_fault_round_trip() -> None:
    error = AckError("EPX-309", "The security token does not match the document", location=None)
    data = build_fault("soap:Client", "TokenMismatch", error)
    assert valid(data)
    assert parse_fault(data) == SoapFault("soap:Client", "TokenMismatch", error)


def test_fault_without_detail_round_trip() -> None:
    data = build_fault("Server", "AdapterNotAvailable")
    assert valid(data)
    assert parse_fault(data) == SoapFault("soap:Server", "AdapterNotAvailable", None)


def test_fault_code_is_client_or_server() -> None:
    with pytest.raises(ValueError, match="soap:Client or soap:Server"):
        build_fault("soap:Receiver", "nope")


def test_fault_code_prefix_of_the_partner_is_read_as_soap() -> None:
    data = (b'<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><S:Fault>'
            b"<faultcode>S:Client</faultcode><faultstring>CertificateMissing</faultstring>"
            b"</S:Fault></S:Body></S:Envelope>")
    assert parse_fault(data) == SoapFault("soap:Client", "CertificateMissing", None)


def test_a_fault_where_a_response_was_expected_raises_fault_received() -> None:
    data = build_fault("soap:Client", "CalleeNotFound", AckError("EPX-304", "no such permit"))
    with pytest.raises(FaultReceived) as caught:
        parse_response(data, DEFAULT)
    assert caught.value.fault.faultstring == "CalleeNotFound"
    assert caught.value.fault.error.code == "EPX-304"


@pytest.mark.parametrize("count", [0, 2])
def test_a_certificate_response_carries_exactly_one_permit(count: int) -> None:
    root = parse(build_response("GetNonFinalCitesCertificate", DEFAULT, permit=permit()))
    carried = root.find(".//{*}CITESEPermit")
    if count == 0:
        carried.getparent().remove(carried)
    else:
        carried.addnext(build_permit(sample_permit(issued_at=SAMPLE_ISSUED_AT)))
    with pytest.raises(MessageError, match=f"carries {'no' if count == 0 else 2} CITESEPermit"):
        parse_response(to_bytes(root), DEFAULT)
    assert not valid(to_bytes(root))


def test_attachment_content_must_be_base64() -> None:
    root = parse(build_response("GetNonFinalCitesCertificate", DEFAULT, permit=permit(),
                                attachments=[Attachment("a.txt", b"abc")]))
    root.find(".//{*}AttachmentContent").text = "not base64!"
    with pytest.raises(MessageError, match="AttachmentContent of 'a.txt' is neither a cid: reference nor base64"):
        parse_response(to_bytes(root), DEFAULT)
    assert not valid(to_bytes(root))


# ----- samples -----

SAMPLES = sorted(p.name for p in BINDING_A.glob("*.xml"))


def test_every_operation_has_request_and_response_samples() -> None:
    expected = {f"{op}-{kind}.xml" for op in OPERATIONS for kind in ("request", "response")} | {"fault.xml"}
    assert set(SAMPLES) == expected


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_is_valid_and_parses(name: str) -> None:
    data = (BINDING_A / name).read_bytes()
    schema = binding_a_schema(DEFAULT)
    assert schema.validate(parse(data)), schema.error_log
    if name == "fault.xml":
        assert parse_fault(data).error.code == "EPX-101"
    elif name.endswith("-request.xml"):
        assert parse_request(data, DEFAULT).op == name.removesuffix("-request.xml")
    else:
        assert parse_response(data, DEFAULT).op == name.removesuffix("-response.xml")


def test_final_certificate_sample_carries_the_inspected_quantity() -> None:
    response = parse_response((BINDING_A / "GetFinalCitesCertificate-response.xml").read_bytes(), DEFAULT)
    assert response.permit.findtext(".//{*}ExaminationTransportEvent/{*}UnitQuantity") == "12"


def test_samples_are_what_the_writer_produces(tmp_path: Path) -> None:
    for path in write_binding_a_samples(tmp_path):
        assert path.read_bytes() == (BINDING_A / path.name).read_bytes(), f"regenerate {path.name}"


# ----- the schema refuses each constrained field (PULL-04) -----

REFUSED = [
    ("negative quantity", {"positions": [Position("A", Decimal(-1))]}),
    ("fractional quantity", {"positions": [Position("A", Decimal("1.5"))]}),
    ("position ID with a space", {"positions": [Position("A B", Decimal(1))]}),
    ("three-letter country", {"country": "FRA"}),
    ("lower-case country", {"country": "fr"}),
    ("no certificate number", {"number": None}),
    ("empty certificate number", {"number": ""}),
    ("no token", {"token": None}),
]


@pytest.mark.parametrize("changes", [c for _, c in REFUSED], ids=[i for i, _ in REFUSED])
def test_schema_refuses_a_malformed_confirmation(changes: dict[str, object]) -> None:
    assert valid(request("ConfirmQuantities"))
    assert not valid(request("ConfirmQuantities", **changes))


def test_schema_refuses_a_bad_error_code_in_a_fault() -> None:
    assert not valid(build_fault("soap:Client", "Invalid", AckError("EPX-1", "bad")))


def test_xmlschema_lists_every_error_with_its_path() -> None:
    data = request("ConfirmQuantities", country="FRA", positions=[Position("A B", Decimal(-1))])
    paths = {error.path for error in binding_a_xmlschema(DEFAULT).iter_errors(parse(data))}
    position = "/soapenv:Envelope/soapenv:Body/v1:ConfirmQuantitiesRequest/ConfirmedQuantities/CitesPosition"
    assert {"/soapenv:Envelope/soapenv:Body/v1:ConfirmQuantitiesRequest/IsoCountryCode",
            f"{position}/ID", f"{position}/InspectedUnitQuantity"} <= paths


@pytest.mark.parametrize("settings", [OTHER, SHARED], ids=["other", "shared"])
def test_xmlschema_reads_the_namespaces_of_the_settings(settings: SoapSettings) -> None:
    detailed = binding_a_xmlschema(settings)
    assert detailed.is_valid(parse(request("ConfirmQuantities", settings)))
    bad = request("ConfirmQuantities", settings, positions=[Position("A", Decimal(-1))])
    assert {error.path for error in detailed.iter_errors(parse(bad))} == {
        "/soapenv:Envelope/soapenv:Body/v1:ConfirmQuantitiesRequest/ConfirmedQuantities/CitesPosition/"
        "InspectedUnitQuantity"}


# ----- parser errors name the field (answered with a Client fault EPX-101) -----

REQUEST = "/soap:Envelope/soap:Body/cde:ConfirmQuantitiesRequest"
POSITION = f"{REQUEST}/ConfirmedQuantities/CitesPosition"
PARSE_ERRORS = [
    ({"number": None}, "CertificateNumber missing", REQUEST),
    ({"token": None}, "TokenId missing", REQUEST),
    ({"country": "FRA"}, "IsoCountryCode 'FRA' is not ISO 3166-1 alpha-2", f"{REQUEST}/IsoCountryCode"),
    ({"positions": [Position("A B", Decimal(1))]}, "position ID 'A B' contains white space", f"{POSITION}/ID"),
    ({"positions": [Position("A", Decimal(-1))]}, "InspectedUnitQuantity '-1' is not a non-negative integer",
     f"{POSITION}/InspectedUnitQuantity"),
    ({"positions": [Position("A", Decimal("2.5"))]}, "InspectedUnitQuantity '2.5' is not a non-negative integer",
     f"{POSITION}/InspectedUnitQuantity"),
    ({"positions": [Position("A", Decimal(1)), Position("", Decimal(1))]}, "position ID is empty",
     f"{POSITION}[2]/ID"),
]


@pytest.mark.parametrize(("changes", "text", "location"), PARSE_ERRORS, ids=[t for _, t, _ in PARSE_ERRORS])
def test_request_parser_names_the_field(changes: dict[str, object], text: str, location: str) -> None:
    with pytest.raises(MessageError) as caught:
        parse_request(request("ConfirmQuantities", **changes), DEFAULT)
    assert caught.value.text.startswith(text)
    assert caught.value.location == location


def test_request_in_other_namespaces_is_refused_by_the_default_settings() -> None:
    data = request("GetNonFinalCitesCertificate", OTHER)
    assert parse_request(data, OTHER).number == "26CH000123"
    with pytest.raises(MessageError, match="is in namespace urn:example:adapter, expected urn:CitesDataExchange/v2/"):
        parse_request(data, DEFAULT)


def test_request_validates_only_under_its_own_namespace_settings() -> None:
    data = request("ConfirmQuantities", OTHER, positions=[Position("A", Decimal(-1))])
    assert not valid(data, OTHER)


def test_unknown_request_element_is_named() -> None:
    data = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
            b'xmlns:cde="urn:CitesDataExchange"><soap:Body><cde:GetPermitRequest/></soap:Body></soap:Envelope>')
    with pytest.raises(MessageError, match="GetPermitRequest is not a binding-A request"):
        parse_request(data, DEFAULT)


def test_soap_12_envelope_is_named() -> None:
    data = b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>'
    with pytest.raises(MessageError, match="SOAP 1.2 envelope; binding A uses SOAP 1.1"):
        parse_request(data, DEFAULT)


def test_body_holds_exactly_one_element() -> None:
    root = parse(request("ServiceState"))
    body = root[0]
    body.append(etree.Element("{urn:CitesDataExchange}ServiceStateRequest"))
    with pytest.raises(MessageError, match="soap:Body holds 2 elements") as caught:
        parse_request(to_bytes(root), DEFAULT)
    assert caught.value.location == "/soap:Envelope/soap:Body"


def test_request_with_a_dtd_is_refused_before_parsing() -> None:
    data = b'<!DOCTYPE x [<!ENTITY e "boom">]>' + request("ServiceState").split(b"?>", 1)[1]
    with pytest.raises(XmlRefused):
        parse_request(data, DEFAULT)


def test_schema_set_names_soap_messages_and_their_xsd() -> None:
    schema_set = default_schema_set()
    assert schema_set.kind_of(SOAP_ENVELOPE) == "soap"
    assert schema_set.entry_for(SOAP_ENVELOPE).xsd.name == "soap-message.xsd"
    assert binding_a_schema(DEFAULT, schema_set).validate(parse(request("GetFinalCitesCertificate")))


# ----- the deployed wire (3.1, PULL-11) -----

#: The request of section 3.1's example, as the deployed hub's Savon sent it.
SPEC_EXAMPLE = b"""<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v1="urn:CitesDataExchange/v2/">
  <soapenv:Body>
    <v1:GetNonFinalCitesCertificateRequest>
      <CertificateNumber>26CH000123</CertificateNumber>
      <TokenId>7K2P-QX9M-D4RT</TokenId>
      <IsoCountryCode>CH</IsoCountryCode>
    </v1:GetNonFinalCitesCertificateRequest>
  </soapenv:Body>
</soapenv:Envelope>"""


def _canonical(data: bytes) -> bytes:
    parser = etree.XMLParser(remove_blank_text=True)
    return etree.tostring(etree.fromstring(data, parser), method="c14n")


def test_the_request_is_the_spec_example_byte_for_byte_after_canonicalisation() -> None:
    built = build_request("GetNonFinalCitesCertificate", DEFAULT, number="26CH000123", token="7K2P-QX9M-D4RT",
                          country="CH")
    assert _canonical(built) == _canonical(SPEC_EXAMPLE)
    assert b"<soapenv:Envelope" in built and b"<v1:GetNonFinalCitesCertificateRequest>" in built
    assert request_headers("GetNonFinalCitesCertificate", DEFAULT) == {
        "Content-Type": "text/xml;charset=UTF-8", "SOAPAction": '"urn:GetNonFinalCitesCertificate"'}


def test_the_service_state_request_is_empty() -> None:
    root = parse(request("ServiceState"))
    element = root.find("{*}Body/{urn:CitesDataExchange/v2/}ServiceStateRequest")
    assert element is not None and len(element) == 0 and not (element.text or "").strip()


@pytest.mark.parametrize("form", [
    SPEC_EXAMPLE,
    SPEC_EXAMPLE.replace(b"soapenv", b"S").replace(b"v1:", b"ns7:").replace(b"xmlns:v1", b"xmlns:ns7"),
    SPEC_EXAMPLE.replace(b' xmlns:v1="urn:CitesDataExchange/v2/"', b"")
                .replace(b"<v1:GetNonFinalCitesCertificateRequest>",
                         b'<GetNonFinalCitesCertificateRequest xmlns="urn:CitesDataExchange/v2/">')
                .replace(b"</v1:GetNonFinalCitesCertificateRequest>", b"</GetNonFinalCitesCertificateRequest>")
                .replace(b"<CertificateNumber>", b'<CertificateNumber xmlns="">')
                .replace(b"<TokenId>", b'<TokenId xmlns="">').replace(b"<IsoCountryCode>", b'<IsoCountryCode xmlns="">'),
], ids=["as deployed", "other prefixes", "default namespace"])
def test_any_prefixes_are_read(form: bytes) -> None:
    parsed = parse_request(form, DEFAULT)
    assert (parsed.op, parsed.number, parsed.token, parsed.country) == (
        "GetNonFinalCitesCertificate", "26CH000123", "7K2P-QX9M-D4RT", "CH")
    assert valid(form)


def test_qualified_children_are_named_as_such() -> None:
    qualified = SPEC_EXAMPLE.replace(b"<CertificateNumber>", b"<v1:CertificateNumber>").replace(
        b"</CertificateNumber>", b"</v1:CertificateNumber>")
    with pytest.raises(MessageError, match="CertificateNumber is in namespace urn:CitesDataExchange/v2/, "
                                           "expected no namespace"):
        parse_request(qualified, DEFAULT)
    assert not valid(qualified)


def test_the_old_request_namespace_is_named() -> None:
    old = SPEC_EXAMPLE.replace(b'xmlns:v1="urn:CitesDataExchange/v2/"', b'xmlns:v1="urn:CitesDataExchange"')
    with pytest.raises(MessageError, match="is in namespace urn:CitesDataExchange, expected urn:CitesDataExchange/v2/"):
        parse_request(old, DEFAULT)


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, "CH"), ({"number": None, "token": None}, "CH"), ({"number": "not a number!"}, "CH"),
    ({"country": "FRA"}, None), ({"country": "fr"}, None), ({"country": None}, None),
])
def test_request_country_is_read_before_any_other_parameter(changes: dict[str, object], expected: str | None) -> None:
    assert request_country(request("ConfirmQuantities", **changes), DEFAULT) == expected


def test_request_country_of_what_is_no_certificate_request_is_none() -> None:
    assert request_country(request("ServiceState"), DEFAULT) is None
    assert request_country(b"<soap:Envelope", DEFAULT) is None
    assert request_country(request("GetFinalCitesCertificate", OTHER), DEFAULT) is None


@pytest.mark.parametrize(("positions", "expected"), [(None, None), ([], [])])
def test_a_confirmation_without_quantities_is_read(positions: list | None, expected: list | None) -> None:
    data = request("ConfirmQuantities", positions=positions)
    assert (b"ConfirmedQuantities" in data) is (positions is not None)
    assert valid(data)
    assert parse_request(data, DEFAULT).positions == expected


def test_an_unsigned_permit_goes_unqualified_and_a_signed_one_qualified(pki) -> None:  # noqa: ANN001
    from epix.signing import sign

    unsigned = parse(build_response("GetNonFinalCitesCertificate", DEFAULT, permit=permit()))
    response = unsigned.find("{*}Body/{urn:CitesDataExchange/v2/}GetNonFinalCitesCertificateResponse")
    assert [child.tag for child in response] == ["CITESEPermit", "Composite"]
    assert {etree.QName(child).namespace for child in response[0]} == {"urn:un:unece:uncefact:data:standard:CITESEPermit:2"}
    assert parse_response(to_bytes(unsigned), DEFAULT).permit_qualified is False

    signed = sign(permit(), pki.signing_key("CH"))
    data = build_response("GetNonFinalCitesCertificate", DEFAULT, permit=signed)
    carried = parse(data).find("{*}Body/{*}GetNonFinalCitesCertificateResponse")[0]
    assert carried.tag == "{urn:un:unece:uncefact:data:standard:CITESEPermit:2}CITESEPermit"
    parsed = parse_response(data, DEFAULT)
    assert parsed.permit_qualified is True and to_bytes(parsed.permit) == to_bytes(signed)
    assert valid(data)


def test_attachments_repeat_without_wrapper_and_may_refer_to_a_mime_part() -> None:
    attachments = [Attachment("permit.pdf", reference="cid:311886019166"), Attachment("a.txt", b"abc"),
                   Attachment("", b"")]
    data = build_response("GetFinalCitesCertificate", DEFAULT, permit=permit(), attachments=attachments)
    response = parse(data).find("{*}Body/{*}GetFinalCitesCertificateResponse")
    assert [child.tag for child in response] == ["CITESEPermit", "Attachments", "Attachments", "Attachments",
                                                 "Composite"]
    assert valid(data), binding_a_schema(DEFAULT).error_log
    assert parse_response(data, DEFAULT).attachments == attachments


def test_composite_is_required() -> None:
    root = parse(build_response("GetNonFinalCitesCertificate", DEFAULT, permit=permit()))
    composite = root.find(".//Composite")
    composite.getparent().remove(composite)
    with pytest.raises(MessageError, match="Composite missing"):
        parse_response(to_bytes(root), DEFAULT)
    assert not valid(to_bytes(root))


@pytest.mark.parametrize(("text", "finding"), [
    ("available", None), ("unavailable", None), (None, "names no State"), ("up", "names the State 'up'"),
])
def test_a_missing_or_other_service_state_is_a_finding_not_a_failure(text: str | None, finding: str | None) -> None:
    data = build_response("ServiceState", DEFAULT, text=text)
    assert valid(data)
    response = parse_response(data, DEFAULT)
    assert response == SoapResponse("ServiceState", text=text)
    sentence = service_state_finding(response)
    assert (sentence is None) if finding is None else finding in sentence


# ----- a response shaped like the pilot adapter's v2 template -----

PILOT = Path(__file__).resolve().parent.parent / "fixtures" / "documents" / "pilot"


def test_a_response_shaped_like_the_pilot_template_is_read() -> None:
    from datetime import timedelta

    from epix.validation import validate

    data = (PILOT / "GetNonFinalCitesCertificate-response.xml").read_bytes()
    response = parse_response(data, DEFAULT)
    assert response.op == "GetNonFinalCitesCertificate" and response.permit_qualified is False
    assert response.permit.tag == "{urn:un:unece:uncefact:data:standard:CITESEPermit:2}CITESEPermit"
    assert response.permit.findtext("{*}HeaderExchangedDocument/{*}ID") == "26CH000123"
    assert response.attachments == [Attachment("", reference="cid:311886019166"),
                                    Attachment("26CH000123.pdf", reference="cid:311886019167")]
    assert response.composite is False
    assert valid(data), binding_a_schema(DEFAULT).error_log
    report = validate(data, now=SAMPLE_ISSUED_AT + timedelta(days=1))
    assert report.kind == "soap-response" and report.findings == [] and report.facts.number == "26CH000123"


@pytest.mark.parametrize("op", OPERATIONS)
@pytest.mark.parametrize(("envelope", "prefix"), [("S", "ns7"), ("soapenv", None)], ids=["prefixed", "default"])
def test_with_prefixes_writes_the_same_request_otherwise(op: str, envelope: str, prefix: str | None) -> None:
    data = request(op, token="T<&>\"'")
    rewritten = with_prefixes(data, envelope=envelope, request=prefix)
    root = parse(rewritten)
    assert root.prefix == envelope and root[0][0].prefix == prefix
    assert parse_request(rewritten, DEFAULT) == parse_request(data, DEFAULT)
    assert _canonical(rewritten) != _canonical(data)
