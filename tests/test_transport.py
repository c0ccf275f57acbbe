"""The transport clients: every exchange recorded, mutual TLS through an SSLContext,
timeouts, and connection failures said in one sentence."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from epix.messages import soap
from epix.model import AckError, Position
from epix.partner.server import BackgroundServer
from epix.pki import Pki
from epix.transport import (
    AnswerUnusable, PartnerClient, PartnerUnreachable, SoapClient, TlsSetupError, client_context, server_context,
)


async def _echo_app(scope, receive, send) -> None:  # noqa: ANN001
    """Answers with what the server knows of the caller (path, TLS client certificate)."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(1)
    if scope["path"] in _BODIES:
        await _BODIES[scope["path"]](send)
        return
    tls = scope.get("extensions", {}).get("tls") or {}
    body = json.dumps({"path": scope["path"], "client_cert_name": tls.get("client_cert_name"),
                       "chain": len(tls.get("client_cert_chain") or []), "tls_version": tls.get("tls_version")})
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body.encode()})


#: The test server's "for ever" ends after this many seconds, so that no test leaves it busy.
_FOR_AT_MOST = 8


async def _trickle(send) -> None:  # noqa: ANN001
    """Headers at once, then one byte of body every 50 ms, "for ever": each read is quick."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/xml")]})
    for _ in range(int(_FOR_AT_MOST / 0.05)):
        await send({"type": "http.response.body", "body": b" ", "more_body": True})
        await asyncio.sleep(0.05)


async def _endless(send) -> None:  # noqa: ANN001
    """A chunked body that does not end, as fast as it goes."""
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/xml")]})
    chunk = b"<a>" + b"x" * 65_536
    give_up = time.monotonic() + _FOR_AT_MOST
    while time.monotonic() < give_up:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await asyncio.sleep(0)


async def _huge(send) -> None:  # noqa: ANN001
    """A complete answer of 3 MiB."""
    body = b"<big>" + b"y" * (3 * 1024 * 1024) + b"</big>"
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/xml"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


_BODIES = {"/trickle": _trickle, "/endless": _endless, "/huge": _huge}


@pytest.fixture(scope="module")
def echo_server(pki: Pki) -> Iterator[BackgroundServer]:
    fr = pki.party("FR")
    context = server_context(fr.tls_server, fr.tls_server_key,
                             client_ca_files=[pki.party(p).ca for p in pki.parties])
    server = BackgroundServer(_echo_app, ssl_context=context)
    server.start()
    yield server
    server.stop()


def _context(pki: Pki, party: str | None = "CH"):  # noqa: ANN202
    if party is None:
        return client_context(pki.party("FR").ca)
    files = pki.party(party)
    return client_context(pki.party("FR").ca, files.tls_client, files.tls_client_key)


def test_a_client_certificate_reaches_the_application(echo_server: BackgroundServer, pki: Pki) -> None:
    with PartnerClient(echo_server.origin, ssl_context=_context(pki, "CH")) as client:
        exchange = client.status()
    seen = json.loads(exchange.response_body)
    assert exchange.status == 200
    assert "C=CH" in seen["client_cert_name"] and seen["chain"] == 1
    assert seen["tls_version"] in (0x0303, 0x0304)


def test_a_client_without_certificate_is_refused_in_one_sentence(echo_server: BackgroundServer, pki: Pki) -> None:
    with PartnerClient(echo_server.origin, ssl_context=_context(pki, None)) as client:
        with pytest.raises(PartnerUnreachable) as raised:
            client.status()
    sentence = str(raised.value)
    assert "client certificate" in sentence and "TLS 1.3" in sentence
    assert raised.value.exchange is not None and raised.value.exchange.status is None
    assert client.exchanges[-1].error == sentence


def test_a_client_certificate_of_an_unregistered_ca_is_refused(echo_server: BackgroundServer, pki: Pki) -> None:
    cert, key = pki.party("CH").bad("foreign-tls-client")
    context = client_context(pki.party("FR").ca, cert, key)
    with PartnerClient(echo_server.origin, ssl_context=context) as client:
        with pytest.raises(PartnerUnreachable, match="client certificate"):
            client.status()


def test_a_server_certificate_from_an_untrusted_ca_is_named(echo_server: BackgroundServer, pki: Pki) -> None:
    context = client_context(pki.party("DE").ca, pki.party("CH").tls_client, pki.party("CH").tls_client_key)
    with PartnerClient(echo_server.origin, ssl_context=context) as client:
        with pytest.raises(PartnerUnreachable, match="TLS certificate of the partner at https://127.0.0.1"):
            client.status()


def test_nothing_listening_is_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with PartnerClient(f"http://127.0.0.1:{port}/epix/v1") as client:
        with pytest.raises(PartnerUnreachable, match="connection refused"):
            client.status()


def test_every_call_has_a_timeout(echo_server: BackgroundServer, pki: Pki) -> None:
    """A partner that takes the request and does not answer has answered badly: not unreachable, not refused."""
    with PartnerClient(echo_server.origin, ssl_context=_context(pki), timeout=0.3) as client:
        with pytest.raises(AnswerUnusable, match=r"took the request but sent no complete answer within 0.3 s"):
            client.request("GET", client.url("slow"))


@pytest.mark.parametrize("path", ["trickle", "endless"])
def test_one_deadline_bounds_the_whole_exchange(echo_server: BackgroundServer, pki: Pki, path: str) -> None:
    """A body trickling a byte at a time, or never ending, ends the exchange at its deadline
    (httpx alone bounds each read, so neither would ever end)."""
    started = time.monotonic()
    with PartnerClient(echo_server.origin, ssl_context=_context(pki), timeout=1.0) as client:
        with pytest.raises(AnswerUnusable) as raised:
            client.request("GET", client.url(path))
    assert time.monotonic() - started < 5
    assert raised.value.exchange.status == 200
    assert "did not finish it within 1 s" in raised.value.sentence or "more than" in raised.value.sentence


def test_headers_that_never_end_are_bounded_too(endless_headers: int) -> None:
    started = time.monotonic()
    with PartnerClient(f"http://127.0.0.1:{endless_headers}/epix/v1", timeout=1.0) as client:
        with pytest.raises(AnswerUnusable, match="no complete answer within 1 s"):
            client.status()
    assert time.monotonic() - started < 5


def test_a_body_past_the_cap_is_refused_and_only_its_beginning_kept(echo_server: BackgroundServer, pki: Pki) -> None:
    with PartnerClient(echo_server.origin, ssl_context=_context(pki), max_body=1024 * 1024) as client:
        with pytest.raises(AnswerUnusable, match=r"HTTP 200, application/xml, with a body of more than 1,048,576 bytes"):
            client.request("GET", client.url("huge"))
    exchange = client.last
    assert exchange.truncated > 1024 * 1024 and len(exchange.response_body) <= 64 * 1024
    assert exchange.response_body.startswith(b"<big>yyy")
    assert "the harness stopped reading after" in exchange.as_text()
    with PartnerClient(echo_server.origin, ssl_context=_context(pki), max_body=4 * 1024 * 1024) as client:
        assert len(client.request("GET", client.url("huge")).response_body) == 3 * 1024 * 1024 + 11


def test_a_client_remembers_only_its_latest_exchanges() -> None:
    with PartnerClient("https://partner.example/epix/v1/",
                       transport=httpx.MockTransport(lambda request: httpx.Response(200, content=b"<ok/>"))) as client:
        for _ in range(100):
            client.status()
    assert len(client.exchanges) == 32 and client.last is client.exchanges[-1]


def test_an_exchange_records_both_sides() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(202, headers={"Content-Type": "application/xml; charset=utf-8"}, content=b"<ok/>")

    seen = []
    with PartnerClient("https://partner.example/epix/v1/", transport=httpx.MockTransport(answer),
                       party="CH", on_exchange=seen.append) as client:
        exchange = client.deliver(b"<envelope/>", headers={"Authorization": "Bearer secret"})
    assert exchange is client.last is seen[0]
    assert (exchange.method, exchange.url) == ("POST", "https://partner.example/epix/v1/envelopes")
    assert exchange.request_body == b"<envelope/>"
    assert exchange.request_headers["content-type"] == "application/xml"
    assert exchange.request_headers["epix-party"] == "CH"
    assert (exchange.status, exchange.media_type, exchange.response_body) == (202, "application/xml", b"<ok/>")
    assert exchange.elapsed >= 0 and exchange.ok
    text = exchange.as_text()
    assert "POST https://partner.example/epix/v1/envelopes" in text and "HTTP 202" in text
    assert "secret" not in text and "authorization: ***" in text


def test_resource_urls_quote_document_numbers() -> None:
    urls = []

    def answer(request: httpx.Request) -> httpx.Response:
        urls.append(request.url.raw_path.decode())
        return httpx.Response(404)

    with PartnerClient("https://p.example/epix/v1", transport=httpx.MockTransport(answer)) as client:
        client.permit("CH/2026/001")
        client.acknowledgement("0192f7a0-5a3e-7c1e-9a51-3b7f2d4c9e10")
        client.status()
        client.post_acknowledgement(b"<a/>")
    assert urls == ["/epix/v1/permits/CH%2F2026%2F001",
                    "/epix/v1/envelopes/0192f7a0-5a3e-7c1e-9a51-3b7f2d4c9e10/acknowledgement",
                    "/epix/v1/status", "/epix/v1/acknowledgements"]


def test_soap_client_sends_each_operation_with_its_action() -> None:
    requests = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        op = soap.SoapSettings().operation_for_action(request.headers["soapaction"])
        if op == "ConfirmQuantities":
            body = soap.build_fault("soap:Client", "refused", AckError("EPX-305", "too much"))
            return httpx.Response(500, headers={"Content-Type": soap.CONTENT_TYPE}, content=body)
        return httpx.Response(200, headers={"Content-Type": soap.CONTENT_TYPE},
                              content=soap.build_response("ServiceState", soap.SoapSettings(), text="available"))

    client = SoapClient("https://hub.example/epix", transport=httpx.MockTransport(answer))
    state = client.service_state()
    client.get_non_final_certificate("26CH000123", "K7Q2", "CH")
    client.get_final_certificate("26CH000123", "K7Q2", "CH")
    refused = client.confirm_quantities("26CH000123", "K7Q2", "CH", [Position("A", 3)])
    assert [r.headers["soapaction"] for r in requests] == [
        '"urn:ServiceState"', '"urn:GetNonFinalCitesCertificate"', '"urn:GetFinalCitesCertificate"',
        '"urn:ConfirmQuantities"']
    assert all(r.headers["content-type"] == soap.CONTENT_TYPE for r in requests)
    parsed = soap.parse_request(requests[3].content, soap.SoapSettings())
    assert (parsed.number, parsed.token, parsed.country, parsed.positions[0].id) == ("26CH000123", "K7Q2", "CH", "A")
    assert client.outcome(state).text == "available"
    fault = client.outcome(refused)
    assert isinstance(fault, soap.SoapFault) and fault.error.code == "EPX-305"
    assert len(client.exchanges) == 4


def test_tls_material_that_cannot_be_loaded_is_named(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(TlsSetupError, match="missing.pem"):
        client_context(tmp_path / "missing.pem")
    with pytest.raises(TlsSetupError, match="at least one CA"):
        server_context(tmp_path / "a.pem", tmp_path / "a.key", client_ca_files=[])


def _acknowledgement(status: str, *, error_text: str | None = None) -> bytes:
    from epix import clock
    from epix.messages.acknowledgement import build_acknowledgement
    from epix.model import Acknowledgement
    from epix.safexml import to_bytes

    errors = [AckError("EPX-303", error_text)] if error_text else []
    ack = Acknowledgement("8f0c5a4e-1b2d-4c3e-9f10-2a3b4c5d6e7f", "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "FR", "CH",
                          status, clock.now(), errors)
    return to_bytes(build_acknowledgement(ack))


@pytest.mark.parametrize("final", [
    _acknowledgement("Accepted", error_text="Received"),  # the word in a text is not the status
    b"Received",  # not XML: final, the caller's checks say what is wrong
])
def test_waiting_for_the_final_acknowledgement_reads_its_status(final: bytes) -> None:
    answers = [_acknowledgement("Received"), final]
    calls = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, content=answers[min(len(calls), len(answers)) - 1])

    with PartnerClient("https://fr.example/epix/v1", transport=httpx.MockTransport(answer)) as client:
        exchange = client.wait_for_final_acknowledgement("1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d", deadline=2,
                                                         interval=0.01)
    assert exchange.response_body == final
    assert len(calls) == 2
