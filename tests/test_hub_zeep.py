"""A standard SOAP client (zeep 4.3), built from the WSDL the simulated hub serves, calls all
four operations over HTTPS with mutual TLS and gets the answers (profile section 3.2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hub_helpers import hub_pki  # noqa: F401 - fixture

from epix.hub.running import HubConfig, RunningHub, start_hub
from epix.pki import Pki

zeep = pytest.importorskip("zeep", reason="zeep is in the dev extras")
requests = pytest.importorskip("requests")


@pytest.fixture(scope="module")
def hub(hub_pki: Pki) -> Iterator[RunningHub]:
    with start_hub(HubConfig(pki_dir=hub_pki.root)) as running:
        yield running


@pytest.fixture
def client(hub: RunningHub, hub_pki: Pki):  # noqa: ANN201
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the hub's CA
    session.verify = str(hub.server_ca)
    files = hub_pki.party("FR")
    session.cert = (str(files.tls_client), str(files.tls_client_key))
    transport = zeep.transports.Transport(session=session, timeout=10, operation_timeout=10)
    # Lenient reading: the relayed answer has 0..n Attachments and, signed, a qualified rsm:CITESEPermit.
    yield zeep.Client(hub.wsdl_url, transport=transport, settings=zeep.Settings(strict=False))
    session.close()


def test_zeep_calls_the_four_operations_through_the_hub(hub: RunningHub, client) -> None:  # noqa: ANN001
    document = next(d for d in hub.partners["CH"].documents() if d.state == "issued")
    asked = {"CertificateNumber": document.number, "TokenId": document.token, "IsoCountryCode": "CH"}

    assert client.service.ServiceState(IsoCountryCode="CH") == "available"

    permit = client.service.GetNonFinalCitesCertificate(**asked)
    assert permit.Composite is False and permit.CITESEPermit

    item = document.items[0]
    result = client.service.ConfirmQuantities(
        **asked, ConfirmedQuantities={"CitesPosition": [{"ID": item.id, "InspectedUnitQuantity": 1}]})
    assert result

    final = client.service.GetFinalCitesCertificate(**asked)
    assert final.CITESEPermit

    sent = [record for record in hub.exchanges if record.op == "ConfirmQuantities"][-1]
    assert sent.caller == "FR" and sent.answer.status == 200
    assert b"<InspectedUnitQuantity>1</InspectedUnitQuantity>" in sent.adapter.request_body


def test_zeep_raises_the_hubs_fault(client) -> None:  # noqa: ANN001
    with pytest.raises(zeep.exceptions.Fault) as raised:
        client.service.ServiceState(IsoCountryCode="IT")
    assert raised.value.message == "CalleeNotFound"


def test_zeep_raises_a_relayed_adapter_fault(hub: RunningHub, client) -> None:  # noqa: ANN001
    document = next(d for d in hub.partners["CH"].documents() if d.state == "issued")
    with pytest.raises(zeep.exceptions.Fault):
        client.service.GetNonFinalCitesCertificate(CertificateNumber=document.number, TokenId="WRONG-TOKEN-0000",
                                                   IsoCountryCode="CH")
    assert hub.exchanges[-1].answer.kind == "relayed-fault"
