"""The simulated hub over real HTTPS with mutual TLS (profile section 3.2): each fault and
status of the hub interface in the deployed order of checks, the relay (unchanged, adapter
faults with HTTP 200), the recorded exchanges, the quantities forwarded, the timeout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hub_helpers import call, hub_pki, positions, scripted_adapter, write_registry  # noqa: F401 - fixture

from epix.hub.running import HubConfig, RunningHub, start_hub
from epix.messages import soap
from epix.messages.hub_soap import (
    ID_NOT_TOKEN,
    TIMEOUT_FAULTSTRING,
    TRANSPORT_ERROR,
    build_call,
    call_headers,
    read_answer,
)
from epix.partner.issuing import SeededDocument
from epix.partner.running import running_partner
from epix.pki import HUB_PARTY, Pki


@pytest.fixture(scope="module")
def hub(hub_pki: Pki) -> Iterator[RunningHub]:
    with start_hub(HubConfig(pki_dir=hub_pki.root)) as running:
        yield running


def issued(hub: RunningHub, country: str = "CH") -> SeededDocument:
    return next(d for d in hub.partners[country].documents() if d.state == "issued")


def fault_of(response: httpx.Response) -> soap.SoapFault:
    answer = read_answer(response.content)
    assert isinstance(answer, soap.SoapFault), response.text
    return answer


def assert_hub_fault(response: httpx.Response, faultstring: str, faultcode: str = "Server") -> None:
    assert response.status_code == 500, response.text
    assert response.headers["content-type"].startswith("text/xml")
    fault = fault_of(response)
    assert (fault.faultcode, fault.faultstring) == (faultcode, faultstring)


# ----- the WSDL -----

def test_the_wsdl_is_served_with_the_hubs_own_address(hub: RunningHub) -> None:
    response = httpx.get(hub.wsdl_url, verify=hub.ssl_context("FR"), trust_env=False)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert f'location="{hub.action_url}"'.encode() in response.content
    assert b'soapAction="GetNonFinalCitesCertificate"' in response.content


# ----- the relay -----

def test_a_permit_is_relayed_unchanged_with_http_200(hub: RunningHub) -> None:
    document = issued(hub)
    response = call(hub, "GetNonFinalCitesCertificate", number=document.number, token=document.token, country="CH")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    record = hub.exchanges[-1]
    assert record.adapter is not None and response.content == record.adapter.response_body
    answer = read_answer(response.content, hub.partners["CH"].config.soap)
    assert isinstance(answer, soap.SoapResponse) and answer.permit is not None


def test_the_adapter_gets_the_adapter_interfaces_request(hub: RunningHub) -> None:
    document = issued(hub)
    call(hub, "GetNonFinalCitesCertificate", number=document.number, token=document.token, country="CH")
    adapter = hub.exchanges[-1].adapter
    assert adapter is not None
    assert adapter.request_headers["soapaction"] == '"urn:GetNonFinalCitesCertificate"'
    assert adapter.request_headers["content-type"].startswith("text/xml")
    request = soap.parse_request(adapter.request_body, hub.partners["CH"].config.soap)
    assert (request.op, request.number, request.token, request.country) == (
        "GetNonFinalCitesCertificate", document.number, document.token, "CH")


def test_an_adapters_fault_is_relayed_unchanged_with_http_200(hub: RunningHub) -> None:
    document = issued(hub)
    response = call(hub, "GetNonFinalCitesCertificate", number=document.number, token="WRONG-TOKEN-0000",
                    country="CH")
    assert response.status_code == 200
    record = hub.exchanges[-1]
    assert record.adapter is not None and record.adapter.status == 500
    assert response.content == record.adapter.response_body
    fault = fault_of(response)
    assert fault.faultcode == "soap:Client" and fault.error is not None and fault.error.code == "EPX-309"


def test_the_quantities_are_forwarded_and_confirmed(hub: RunningHub) -> None:
    document = issued(hub, "DE")
    item = document.items[0]
    response = call(hub, "ConfirmQuantities", number=document.number, token=document.token, country="DE",
                    positions=positions((item.id, 1)))
    assert response.status_code == 200, response.text
    forwarded = soap.parse_request(hub.exchanges[-1].adapter.request_body, hub.partners["DE"].config.soap)
    assert [(p.id, int(p.quantity)) for p in forwarded.positions or []] == [(item.id, 1)]
    final = call(hub, "GetFinalCitesCertificate", number=document.number, token=document.token, country="DE")
    assert isinstance(read_answer(final.content, hub.partners["DE"].config.soap), soap.SoapResponse)


def test_service_state_names_the_adapter_by_its_country(hub: RunningHub) -> None:
    response = call(hub, "ServiceState", country="FR")
    answer = read_answer(response.content, hub.partners["FR"].config.soap)
    assert response.status_code == 200 and isinstance(answer, soap.SoapResponse) and answer.text == "available"


@pytest.mark.parametrize("action", ['"urn:CitesDataExchange#ServiceState"', "urn:CitesDataExchange/ServiceState",
                                    '"urn:CitesDataExchangeServiceState"', "ServiceState"])
def test_the_prefixed_soap_actions_are_accepted(hub: RunningHub, action: str) -> None:
    response = call(hub, "ServiceState", country="CH", headers={"SOAPAction": action})
    assert response.status_code == 200, response.text


def test_the_record_masks_the_token(hub: RunningHub) -> None:
    document = issued(hub)
    call(hub, "GetNonFinalCitesCertificate", number=document.number, token=document.token, country="CH")
    text = hub.exchanges[-1].as_text()
    assert document.token in hub.exchanges[-1].adapter.request_body.decode()
    assert document.token not in text and "***" in text and document.number in text


# ----- the hub's own faults, and their order -----

def test_a_caller_without_certificate_gets_certificate_missing(hub: RunningHub) -> None:
    assert_hub_fault(call(hub, "ServiceState", party=None, country="CH"), "CertificateMissing")


def test_a_caller_whose_country_has_no_ma_gets_caller_not_found(hub: RunningHub) -> None:
    assert_hub_fault(call(hub, "ServiceState", party=HUB_PARTY, country="CH"), "CallerNotFound")


def test_a_country_without_adapter_gets_callee_not_found(hub: RunningHub) -> None:
    assert_hub_fault(call(hub, "GetNonFinalCitesCertificate", number="26IT000001", token="T", country="IT"),
                     "CalleeNotFound")
    assert_hub_fault(call(hub, "ServiceState"), "CalleeNotFound")


def test_a_position_id_with_white_space_is_a_client_fault(hub: RunningHub) -> None:
    document = issued(hub)
    response = call(hub, "ConfirmQuantities", number=document.number, token=document.token, country="CH",
                    positions=positions(("A B", 1)))
    assert_hub_fault(response, ID_NOT_TOKEN, "Client")
    assert hub.exchanges[-1].adapter is None


@pytest.mark.parametrize("body, headers", [
    (b"not xml", {}),
    (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", {}),
    (build_call("ServiceState", country="CH"), {"SOAPAction": '"GetFinalCitesCertificate"'}),
    (build_call("ServiceState", country="CH"), {"SOAPAction": '"Unknown"'}),
])
def test_a_request_that_does_not_parse_is_invalid(hub: RunningHub, body: bytes, headers: dict[str, str]) -> None:
    assert_hub_fault(call(hub, "ServiceState", party=None, body=body, headers=headers), "Invalid Request")


@pytest.mark.parametrize("party, country, ids, expected", [
    (None, "IT", ("A B", 1), "CertificateMissing"),           # before the caller and the callee
    (HUB_PARTY, "IT", ("A B", 1), "CallerNotFound"),          # before the callee
    ("FR", "IT", ("A B", 1), "CalleeNotFound"),               # before the position IDs
])
def test_the_checks_run_in_the_deployed_order(hub: RunningHub, party: str | None, country: str,
                                              ids: tuple[str, int], expected: str) -> None:
    response = call(hub, "ConfirmQuantities", party=party, number="26CH000001", token="T", country=country,
                    positions=positions(ids))
    assert_hub_fault(response, expected)


# ----- with a registry: access lists, timeouts, transport errors, the proxy header -----

@pytest.fixture(scope="module")
def ch_adapter(hub_pki: Pki) -> Iterator:
    with running_partner("CH", pki_dir=hub_pki.root, peers=("FR", "DE", HUB_PARTY)) as partner:
        yield partner


def _registry_hub(tmp_path: Path, pki: Pki, adapters: list[dict[str, object]], **config: object) -> RunningHub:
    registry = write_registry(tmp_path / "registry.toml", pki, adapters, callers=("CH", "FR", "DE"))
    return start_hub(HubConfig(pki_dir=pki.root, adapters=registry, **config))  # type: ignore[arg-type]


def test_a_caller_the_adapter_does_not_allow_gets_adapter_not_available(tmp_path: Path, hub_pki: Pki,
                                                                        ch_adapter) -> None:  # noqa: ANN001
    entry = {"country": "CH", "url": ch_adapter.soap_url, "ca": str(ch_adapter.server_ca),
             "namespace": ch_adapter.config.soap.namespace, "callers": ["FR"]}
    with _registry_hub(tmp_path, hub_pki, [entry]) as hub:
        assert_hub_fault(call(hub, "ServiceState", party="DE", country="CH"), "AdapterNotAvailable")
        assert call(hub, "ServiceState", party="FR", country="CH").status_code == 200


def test_an_adapter_too_slow_gives_the_timeout_fault_within_timeout_plus_2_s(tmp_path: Path, hub_pki: Pki) -> None:
    with scripted_adapter(hub_pki, delay=4.0) as adapter:
        entry = {"country": "CH", "url": adapter.url, "ca": str(adapter.ca), "timeout": 1.0}
        with _registry_hub(tmp_path, hub_pki, [entry]) as hub:
            started = time.monotonic()
            response = call(hub, "ServiceState", country="CH")
            elapsed = time.monotonic() - started
        assert_hub_fault(response, TIMEOUT_FAULTSTRING)
        assert 1.0 <= elapsed < 3.0
        assert len(adapter.received) == 1


def test_an_unreachable_adapter_is_a_transport_error_fault(tmp_path: Path, hub_pki: Pki) -> None:
    entry = {"country": "CH", "url": "https://127.0.0.1:9/", "ca": str(hub_pki.party("CH").ca)}
    with _registry_hub(tmp_path, hub_pki, [entry]) as hub:
        assert_hub_fault(call(hub, "ServiceState", country="CH"), TRANSPORT_ERROR)


def test_an_answer_that_is_no_soap_is_a_transport_error_fault(tmp_path: Path, hub_pki: Pki) -> None:
    with scripted_adapter(hub_pki, status=502, body=b"<html>Bad gateway</html>") as adapter:
        entry = {"country": "CH", "url": adapter.url, "ca": str(adapter.ca)}
        with _registry_hub(tmp_path, hub_pki, [entry]) as hub:
            assert_hub_fault(call(hub, "ServiceState", country="CH"), TRANSPORT_ERROR)


def test_the_adapter_sees_the_hubs_client_certificate_and_the_namespaces_of_its_entry(tmp_path: Path,
                                                                                       hub_pki: Pki) -> None:
    with scripted_adapter(hub_pki) as adapter:
        entry = {"country": "CH", "url": adapter.url, "ca": str(adapter.ca), "namespace": "urn:example:adapter"}
        with _registry_hub(tmp_path, hub_pki, [entry]) as hub:
            response = call(hub, "ServiceState", country="CH")
        assert response.status_code == 200 and response.content == adapter.body
        headers, body = adapter.received[0]
        assert headers["soapaction"] == '"urn:ServiceState"'
        request = soap.parse_request(body, soap.SoapSettings(namespace="urn:example:adapter"))
        assert request.op == "ServiceState"


def test_without_mtls_the_proxy_header_names_the_caller(tmp_path: Path, hub_pki: Pki, ch_adapter) -> None:  # noqa: ANN001
    entry = {"country": "CH", "url": ch_adapter.soap_url, "ca": str(ch_adapter.server_ca),
             "namespace": ch_adapter.config.soap.namespace}
    with _registry_hub(tmp_path, hub_pki, [entry], mtls=False) as hub:
        served = call(hub, "ServiceState", party=None, country="CH",
                      headers={"X-SSL-CLIENT-S-DN": "/C=FR/O=FR Management Authority/CN=client"})
        assert served.status_code == 200, served.text
        assert_hub_fault(call(hub, "ServiceState", party=None, country="CH"), "CertificateMissing")
        assert_hub_fault(call(hub, "ServiceState", party=None, country="CH",
                              headers={"X-SSL-CLIENT-S-DN": "/C=IT/CN=client"}), "CallerNotFound")


def test_call_headers_are_the_bare_soap_action() -> None:
    assert call_headers("ConfirmQuantities") == {"Content-Type": "text/xml;charset=UTF-8",
                                                 "SOAPAction": '"ConfirmQuantities"'}
