"""How the transport clients report a partner that does not answer, with the network mocked (respx).

The real-HTTPS behaviour (mutual TLS, refused certificates) is in test_transport.py;
here each kind of transport failure is produced exactly, to check its one sentence and
that what was sent is still recorded for the report.
"""

from __future__ import annotations

import ssl

import httpx
import pytest
import respx

from epix.messages import soap
from epix.transport import AnswerUnusable, PartnerClient, PartnerUnreachable, SoapClient
from epix.transport.errors import explain

BASE = "https://epix.example.fr/epix/v1"


@pytest.fixture
def client():
    with PartnerClient(BASE, timeout=2.5) as partner:
        yield partner


@pytest.mark.parametrize(
    "error, sentence",
    [
        (httpx.ConnectTimeout("timed out"), "no connection to the partner at https://epix.example.fr within 2.5 s"),
        (httpx.RemoteProtocolError("Server disconnected"), "refuses the client certificate"),
    ],
    ids=["connect-timeout", "tls13-certificate-refusal"],
)
def test_each_transport_failure_is_one_sentence_and_the_request_is_kept(respx_mock, client, error, sentence):
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    respx_mock.post(f"{BASE}/envelopes").mock(side_effect=fail)
    with pytest.raises(PartnerUnreachable) as unreachable:
        client.deliver(b"<epx:Envelope/>")
    assert sentence in unreachable.value.sentence
    assert "\n" not in unreachable.value.sentence
    exchange = unreachable.value.exchange
    assert exchange is client.last
    assert exchange.status is None and exchange.request_body == b"<epx:Envelope/>"
    assert exchange.error == unreachable.value.sentence


def test_a_partner_that_takes_the_request_and_times_out_answered_badly(respx_mock, client):
    """Not unreachable, and never a refusal: the partner's failure, with what was sent kept."""
    respx_mock.post(f"{BASE}/envelopes").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(AnswerUnusable) as unusable:
        client.deliver(b"<epx:Envelope/>")
    assert unusable.value.sentence == ("the partner at https://epix.example.fr took the request but sent no "
                                       "complete answer within 2.5 s")
    assert unusable.value.exchange is client.last and client.last.request_body == b"<epx:Envelope/>"


def test_an_answer_is_recorded_with_status_headers_and_body(respx_mock, client):
    respx_mock.post(f"{BASE}/envelopes").mock(
        return_value=httpx.Response(503, headers={"Retry-After": "2", "Content-Type": "application/xml"},
                                    content=b"<busy/>"))
    exchange = client.deliver(b"<envelope/>", headers={"EPIX-Party": "CH"})
    assert (exchange.status, exchange.response_body) == (503, b"<busy/>")
    assert exchange.header("retry-after") == "2"
    assert exchange.request_headers["content-type"] == "application/xml"
    assert exchange.request_headers["epix-party"] == "CH"


def test_the_timeout_of_the_client_is_sent_with_every_request(respx_mock, client):
    route = respx_mock.get(f"{BASE}/status").mock(return_value=httpx.Response(200))
    client.status()
    assert route.calls.last.request.extensions["timeout"] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    with PartnerClient(BASE, timeout=12, connect_timeout=4) as slow:
        slow.status()
    assert route.calls.last.request.extensions["timeout"] == {"connect": 4, "read": 12, "write": 12, "pool": 12}


def test_a_soap_fault_is_read_with_its_epx_code(respx_mock):
    from epix.model import AckError

    fault = soap.build_fault("soap:Client", "Unknown certificate", AckError("EPX-304", "No permit 26FR999999"))
    respx_mock.post("https://hub.example.org/adapter").mock(
        return_value=httpx.Response(500, headers={"Content-Type": "text/xml"}, content=fault))
    with SoapClient("https://hub.example.org/adapter", timeout=2) as client:
        exchange = client.get_non_final_certificate("26FR999999", "TOKEN", "FR")
        outcome = client.outcome(exchange)
    assert exchange.request_headers["soapaction"].strip('"') == "urn:GetNonFinalCitesCertificate"
    assert isinstance(outcome, soap.SoapFault)
    assert (outcome.faultcode, outcome.error.code) == ("soap:Client", "EPX-304")


@pytest.mark.parametrize(
    "beneath, sentence",
    [
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (ssl.SSLError(1, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required"),
         "refused the TLS handshake"),
    ],
    ids=["refused", "tls-alert"],
)
def test_what_the_socket_layer_said_is_named(beneath, sentence):
    try:
        raise httpx.ConnectError("connect failed") from beneath
    except httpx.ConnectError as error:
        assert sentence in explain(error, BASE, 5)


def test_a_cause_chain_that_loops_still_gives_one_sentence():
    outer = httpx.ConnectError("connect failed")
    inner = RuntimeError("wrapped")
    outer.__context__, inner.__context__ = inner, outer
    assert explain(outer, BASE, 5).startswith("could not connect to the partner at https://epix.example.fr")
