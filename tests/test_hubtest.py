"""The harness's side of a hub test (PULL-06): its adapters, and how it judges what the hub did."""

from __future__ import annotations

import ssl
import time
import tomllib
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from epix.hubtest import answers
from epix.hubtest.adapters import HarnessAdapters, ReceivedCall, Reply
from epix.hubtest.calls import HubAnswer, hub_fault_problem, in_time_problem
from epix.hubtest.form import CallerRequest, form_problems
from epix.hubtest.registry import RegisteredAdapter, write_registry
from epix.hubtest.relay import relay_problem
from epix.messages.hub_soap import build_hub_fault, hub_fault
from epix.messages.soap import SoapSettings, parse_fault, parse_response
from epix.model import Position
from epix.pki import Pki
from epix.transport import Exchange, client_context

ADAPTER_NS = "urn:CitesDataExchange/v2/"
ASKED = CallerRequest("ConfirmQuantities", "26FRH0001", "AB12-CD34-EF56", "FR",
                      (Position("A", Decimal(3)), Position("B", Decimal(1))))


def _request(children: str, *, namespace: str = ADAPTER_NS, op: str = "ConfirmQuantities") -> bytes:
    return (f'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v1="{namespace}">'
            f"<soapenv:Body><v1:{op}Request>{children}</v1:{op}Request></soapenv:Body></soapenv:Envelope>").encode()


_CHILDREN = ("<CertificateNumber>26FRH0001</CertificateNumber><TokenId>AB12-CD34-EF56</TokenId>"
             "<IsoCountryCode>FR</IsoCountryCode>")
_QUANTITIES = ("<ConfirmedQuantities><CitesPosition><ID>A</ID><InspectedUnitQuantity>3</InspectedUnitQuantity>"
               "</CitesPosition><CitesPosition><ID>B</ID><InspectedUnitQuantity>1</InspectedUnitQuantity>"
               "</CitesPosition></ConfirmedQuantities>")


def _call(body: bytes, action: str = '"urn:ConfirmQuantities"', content_type: str = "text/xml;charset=UTF-8"):
    return ReceivedCall("POST", "/", {"content-type": content_type, "soapaction": action}, body, None, 0.0)


# ---------------------------------------------------------------------------
# The adapter interface's form (3.1)

def test_the_deployed_form_with_the_quantities_has_no_problem() -> None:
    assert form_problems(_call(_request(_CHILDREN + _QUANTITIES)), ASKED) == []


def test_the_soapaction_may_come_without_quotes() -> None:
    assert form_problems(_call(_request(_CHILDREN + _QUANTITIES), action="urn:ConfirmQuantities"), ASKED) == []


def test_children_in_the_adapters_namespace_are_named() -> None:
    qualified = _CHILDREN.replace("<C", "<v1:C").replace("</C", "</v1:C").replace("<T", "<v1:T").replace(
        "</T", "</v1:T").replace("<I", "<v1:I").replace("</I", "</v1:I")
    problems = form_problems(_call(_request(qualified + _QUANTITIES)), ASKED)
    assert any("CertificateNumber is qualified" in p for p in problems), problems


def test_a_request_without_the_quantities_is_named() -> None:
    problems = form_problems(_call(_request(_CHILDREN)), ASKED)
    assert problems == ["the children of ConfirmQuantitiesRequest are ['CertificateNumber', 'TokenId', "
                        "'IsoCountryCode'], not ['CertificateNumber', 'TokenId', 'IsoCountryCode', "
                        "'ConfirmedQuantities']"], problems


def test_other_quantities_than_the_caller_confirmed_are_named() -> None:
    problems = form_problems(_call(_request(_CHILDREN + _QUANTITIES.replace(">3<", ">4<"))), ASKED)
    assert problems == ["ConfirmedQuantities names (ID, InspectedUnitQuantity) [('A', '4'), ('B', '1')], but the "
                        "caller confirmed [('A', '3'), ('B', '1')]"]


@pytest.mark.parametrize(("call", "expected"), [
    (_call(_request(_CHILDREN + _QUANTITIES), action='"ConfirmQuantities"'), "its SOAPAction is"),
    (_call(_request(_CHILDREN + _QUANTITIES), content_type="application/xml"), "its Content-Type is"),
    (_call(_request(_CHILDREN + _QUANTITIES, namespace="urn:CitesDataExchange")), "not ConfirmQuantitiesRequest in"),
    (_call(_request(_CHILDREN.replace(">FR<", ">CH<") + _QUANTITIES)), "IsoCountryCode is 'CH'"),
    (_call(b"<not-xml"), "its body is not usable XML"),
])
def test_each_departure_from_the_form_is_one_sentence(call: ReceivedCall, expected: str) -> None:
    problems = form_problems(call, ASKED)
    assert len(problems) == 1 and expected in problems[0], problems


# ---------------------------------------------------------------------------
# Relayed unchanged

def test_the_same_envelope_is_unchanged_whatever_its_declaration() -> None:
    sent = answers.responding("FR", "CH", SoapSettings())(_request(_CHILDREN, op="GetNonFinalCitesCertificate")).body
    assert relay_problem(sent, sent) is None
    assert relay_problem(b'<?xml version="1.0" encoding="UTF-8"?>\n' + sent.split(b"?>", 1)[-1].lstrip(), sent) is None


def test_a_reindented_envelope_is_changed() -> None:
    from lxml import etree

    sent = answers.responding("FR", "CH", SoapSettings())(_request(_CHILDREN, op="GetNonFinalCitesCertificate")).body
    rewritten = etree.tostring(etree.fromstring(sent), pretty_print=True)
    problem = relay_problem(rewritten, sent)
    assert problem is not None and problem.startswith("the caller received another envelope than the adapter")


def test_an_answer_that_is_no_xml_is_named() -> None:
    assert relay_problem(b"<html>Bad gateway", b"<a/>").startswith("the caller received no XML envelope")


# ---------------------------------------------------------------------------
# What the adapters answer

def test_the_adapter_answers_a_permit_with_the_number_asked_for() -> None:
    reply = answers.responding("FR", "CH", SoapSettings())(_request(_CHILDREN, op="GetNonFinalCitesCertificate"))
    response = parse_response(reply.body, SoapSettings())
    assert reply.status == 200 and response.permit is not None
    assert "26FRH0001" in reply.body.decode()


def test_the_adapter_refuses_with_a_client_fault_and_its_code() -> None:
    reply = answers.refusing()(_request(_CHILDREN))
    fault = parse_fault(reply.body)
    assert reply.status == 500 and fault.faultcode == "soap:Client" and fault.error.code == answers.FAULT_CODE


# ---------------------------------------------------------------------------
# The adapters' server

def _client(pki: Pki, party: str | None = None) -> httpx.Client:
    files = pki.party(party) if party else None
    context = client_context(pki.party("FR").ca, files.tls_client if files else None,
                             files.tls_client_key if files else None)
    return httpx.Client(verify=context, timeout=10)


def test_the_adapters_record_each_request_and_answer_as_told(pki: Pki) -> None:
    with HarnessAdapters(pki.party("FR").tls_server, pki.party("FR").tls_server_key,
                         client_cas=(pki.party("DE").ca,)) as adapters:
        adapters.expect(lambda body: Reply(b"<ok/>", 200))
        with _client(pki, "DE") as client:
            response = client.post(adapters.url, content=b"<hello/>", headers={"SOAPAction": '"urn:ServiceState"'})
        assert response.status_code == 200 and response.content == b"<ok/>"
        [call] = adapters.received()
        assert call.body == b"<hello/>" and call.header("SOAPAction") == '"urn:ServiceState"'
        assert call.client_subject and "C=DE" in call.client_subject
        assert call.answered.body == b"<ok/>"
        adapters.expect(lambda body: Reply(b"<later/>", 200))
        assert adapters.received() == []


def test_the_adapters_refuse_a_client_without_the_hubs_certificate(pki: Pki) -> None:
    with HarnessAdapters(pki.party("FR").tls_server, pki.party("FR").tls_server_key,
                         client_cas=(pki.party("DE").ca,)) as adapters:
        adapters.expect(lambda body: Reply(b"<ok/>", 200))
        with _client(pki) as client, pytest.raises((httpx.TransportError, ssl.SSLError)):
            client.post(adapters.url, content=b"<hello/>")
        assert adapters.received() == []


def test_a_held_answer_comes_after_its_delay(pki: Pki) -> None:
    with HarnessAdapters(pki.party("FR").tls_server, pki.party("FR").tls_server_key) as adapters:
        adapters.expect(lambda body: Reply(b"<late/>", 200, delay=0.5))
        started = time.perf_counter()
        with _client(pki) as client:
            assert client.post(adapters.url, content=b"<x/>").content == b"<late/>"
        assert time.perf_counter() - started >= 0.5


# ---------------------------------------------------------------------------
# The registry of a simulated hub

def test_the_registry_names_the_adapters_and_who_may_call(tmp_path: Path, pki: Pki) -> None:
    path = write_registry(tmp_path / "registry.toml", client_certificate=pki.party("DE").tls_client,
                          client_key=pki.party("DE").tls_client_key, callers=["CH", "DE"],
                          adapters=[RegisteredAdapter("FR", "https://127.0.0.1:9444/", pki.party("FR").ca, 1.0,
                                                      callers=("CH",))])
    data = tomllib.loads(path.read_text())
    assert data["hub"]["callers"] == ["CH", "DE"]
    assert data["adapter"] == [{"country": "FR", "url": "https://127.0.0.1:9444/", "ca": str(pki.party("FR").ca),
                                "timeout": 1.0, "callers": ["CH"]}]


# ---------------------------------------------------------------------------
# Judging the hub's answer

def _answer(body: bytes, status: int = 500, elapsed: float = 0.1) -> HubAnswer:
    exchange = Exchange("POST", "https://hub.test/api/v1/soap_api/action", {}, b"", status=status,
                        response_headers={"content-type": "text/xml"}, response_body=body, elapsed=elapsed)
    return HubAnswer(ASKED, exchange)


def test_the_hubs_own_fault_holds_and_another_is_named() -> None:
    assert hub_fault_problem(_answer(hub_fault("CalleeNotFound")), "CalleeNotFound") is None
    assert hub_fault_problem(_answer(hub_fault("AdapterNotAvailable")), "CalleeNotFound") == (
        "expected the hub's fault 'CalleeNotFound'; the hub answered HTTP 500 with the fault Server "
        "'AdapterNotAvailable'")


def test_a_hub_fault_with_the_wrong_faultcode_is_named() -> None:
    problem = hub_fault_problem(_answer(build_hub_fault("Client", "CallerNotFound")), "CallerNotFound")
    assert problem == "the hub's fault 'CallerNotFound' has the faultcode 'Client', not Server"


def test_a_permit_where_a_fault_was_due_is_named() -> None:
    permit = answers.responding("FR", "CH", SoapSettings())(_request(_CHILDREN, op="GetNonFinalCitesCertificate"))
    problem = hub_fault_problem(_answer(permit.body, 200), "CertificateMissing")
    assert problem.startswith("expected the hub's fault 'CertificateMissing'; the hub answered HTTP 200 (text/xml)")


def test_a_refused_connection_is_no_fault() -> None:
    refused = HubAnswer(ASKED, refused="the hub closed the connection during the TLS handshake")
    assert hub_fault_problem(refused, "CertificateMissing") == (
        "expected the hub's fault 'CertificateMissing'; the hub answered no answer: the hub closed the connection "
        "during the TLS handshake")


def test_an_answer_after_the_timeout_and_its_margin_is_late() -> None:
    assert in_time_problem(_answer(b"", elapsed=6.9), 5.0) is None
    assert in_time_problem(_answer(b"", elapsed=7.2), 5.0) == (
        "the hub answered after 7.2 s; with the adapter's timeout of 5 s it must answer within 7 s")


def test_the_calls_for_one_permit_are_told_apart(pki: Pki) -> None:
    with HarnessAdapters(pki.party("FR").tls_server, pki.party("FR").tls_server_key) as adapters:
        adapters.expect(lambda body: Reply(b"<ok/>", 200))
        with _client(pki) as client:
            client.post(adapters.url, content=_request(_CHILDREN))
            client.post(adapters.url, content=_request("", op="ServiceState"))
        assert len(adapters.received()) == 2
        assert [call.body for call in adapters.received("26FRH0001")] == [_request(_CHILDREN)]


def test_an_address_in_use_is_named(pki: Pki) -> None:
    from epix.partner.server import ServerError

    with HarnessAdapters(pki.party("FR").tls_server, pki.party("FR").tls_server_key) as first:
        taken = HarnessAdapters(pki.party("FR").tls_server, pki.party("FR").tls_server_key, port=int(
            first.url.rsplit(":", 1)[1].strip("/")))
        with pytest.raises(ServerError) as caught:
            taken.start()
    assert str(caught.value).startswith(f"the harness's adapters cannot listen on 127.0.0.1:{taken.port} (")
    assert str(caught.value).endswith("; give another address in us.adapters.listen")


def test_a_request_past_the_cap_is_refused_and_kept_in_part(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    from epix.hubtest import adapters as module

    monkeypatch.setattr(module, "MAX_BODY", 1000)
    with HarnessAdapters(pki.party("FR").tls_server, pki.party("FR").tls_server_key) as adapters:
        adapters.expect(lambda body: Reply(b"<ok/>", 200))
        with _client(pki) as client:
            assert client.post(adapters.url, content=b"x" * 5000).status_code == 413
        [call] = adapters.received()
        assert len(call.body) == 1000 and call.answered.status == 413
