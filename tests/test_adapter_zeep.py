"""A standard SOAP client (zeep) talks to the simulated adapter from the WSDL it serves:
the WSDL describes binding A's adapter interface as deployed (3.1), over HTTPS with mutual TLS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from epix.messages import soap
from epix.partner import RunningPartner
from epix.pki import Pki
from epix.safexml import to_bytes
from epix.validation import validate
from partner_helpers import partner, start  # noqa: F401 (fixture)

RAM = "urn:un:unece:uncefact:data:draft:ReusableAggregateBusinessInformationEntity:1"
RSM = "urn:un:unece:uncefact:data:standard:CITESEPermit:2"


@pytest.fixture
def session(partner: RunningPartner, pki: Pki) -> Iterator[requests.Session]:
    """An HTTPS session as CH: its TLS client certificate, trusting the partner's server."""
    files = pki.party("CH")
    with requests.Session() as opened:
        opened.trust_env = False  # else REQUESTS_CA_BUNDLE replaces the session's trust anchor (requests#3829)
        opened.cert = (str(files.tls_client), str(files.tls_client_key))
        opened.verify = str(partner.server_ca)
        yield opened


@pytest.fixture
def client(partner: RunningPartner, session: requests.Session):  # noqa: ANN201
    """A zeep client built from the WSDL the adapter serves at ``<adapter URL>?wsdl``."""
    return zeep.Client(f"{partner.soap_url}?wsdl", transport=Transport(session=session, timeout=10,
                                                                        operation_timeout=10))


def test_the_wsdl_names_the_four_operations_of_the_deployed_wire(client, partner: RunningPartner) -> None:  # noqa: ANN001
    [service] = client.wsdl.services.values()
    [port] = service.ports.values()
    assert port.binding_options["address"] == partner.soap_url
    operations = port.binding._operations
    assert sorted(operations) == sorted(soap.OPERATIONS)
    assert {name: op.soapaction for name, op in operations.items()} == {op: f"urn:{op}" for op in soap.OPERATIONS}
    assert all(op.style == "document" for op in operations.values())


def test_zeep_calls_all_four_operations_over_mutual_tls(client, partner: RunningPartner, pki: Pki) -> None:  # noqa: ANN001
    document = next(d for d in partner.documents() if d.state == "issued")
    item = document.items[0]
    asked = {"CertificateNumber": document.number, "TokenId": document.token, "IsoCountryCode": "FR"}

    assert client.service.ServiceState() == "available"

    answer = client.service.GetNonFinalCitesCertificate(**asked)
    permit = answer.CITESEPermit or answer.CITESEPermit__1  # the unqualified or the qualified (signed) permit
    assert permit.HeaderExchangedDocument.ID == document.number and permit.Signature is not None
    assert answer.Composite is False and answer.Attachments == []

    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.GetFinalCitesCertificate(**asked)
    assert caught.value.code.endswith("Client")
    assert etree.QName(caught.value.detail[0]).localname == "Error"

    result = client.service.ConfirmQuantities(
        **asked, ConfirmedQuantities={"CitesPosition": [{"ID": item.id, "InspectedUnitQuantity": 1}]})
    assert result == "Quantities confirmed"

    final = _raw(client, "GetFinalCitesCertificate", asked)
    carried = final.permit
    inspected = carried.findtext(f".//{{{RAM}}}IncludedSupplyChainConsignmentItem/{{{RAM}}}ExaminationTransportEvent/"
                                 f"{{{RAM}}}UnitQuantity")
    assert inspected == "1"
    report = validate(to_bytes(carried), trust=pki.trust_store)
    assert report.valid and report.verification.passed, report.findings


def _raw(client, op: str, asked: dict) -> soap.SoapResponse:  # noqa: ANN001
    """The answer to ``op`` as zeep received it, read with the harness's reader."""
    with client.settings(raw_response=True):
        answer = getattr(client.service, op)(**asked)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/xml")
    return soap.parse_response(answer.content, soap.SoapSettings())


def test_a_schema_the_wsdl_does_not_name_is_not_served(partner: RunningPartner, session: requests.Session) -> None:
    assert session.get(f"{partner.soap_url}?xsd=../pyproject.toml", timeout=10).status_code == 404
    assert session.get(f"{partner.soap_url}?xsd=binding-a/adapter.wsdl", timeout=10).status_code == 404
    assert session.get(f"{partner.soap_url}?xsd=binding-a/cites-data-exchange.xsd", timeout=10).status_code == 200


def test_the_wsdl_follows_the_adapters_own_namespaces_and_actions(pki: Pki) -> None:
    settings = soap.SoapSettings(namespace="urn:example:adapter", response_namespace="urn:example:adapter/v2/",
                                 actions={"ServiceState": "urn:example:State"})
    with start(pki, soap=settings) as adapter, requests.Session() as session:
        session.trust_env = False
        files = pki.party("CH")
        session.cert, session.verify = (str(files.tls_client), str(files.tls_client_key)), str(adapter.server_ca)
        client = zeep.Client(f"{adapter.soap_url}?wsdl", transport=Transport(session=session, timeout=10,
                                                                             operation_timeout=10))
        [service] = client.wsdl.services.values()
        [port] = service.ports.values()
        assert port.binding._operations["ServiceState"].soapaction == "urn:example:State"
        assert client.service.ServiceState() == "available"
        document = next(d for d in adapter.documents() if d.state == "issued")
        answer = client.service.GetNonFinalCitesCertificate(CertificateNumber=document.number, TokenId=document.token,
                                                           IsoCountryCode="FR")
        assert (answer.CITESEPermit or answer.CITESEPermit__1).HeaderExchangedDocument.ID == document.number
