"""The hub's asynchronous client of an adapter: one deadline for the whole exchange, the
body capped, the hub's client certificate presented, each failure said in one sentence."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hub_helpers import call, hub_pki, scripted_adapter, write_registry  # noqa: F401 - fixture

from epix.hub.adapter_client import AdapterClient
from epix.hub.running import HubConfig, start_hub
from epix.messages import soap
from epix.partner.server import BackgroundServer
from epix.pki import Pki
from epix.transport import AnswerUnusable, Exchange, PartnerUnreachable, client_context, server_context

SETTINGS = soap.SoapSettings()
#: The test server's "for ever" ends after this many seconds, so that no test leaves it busy.
_FOR_AT_MOST = 8


async def _adapter_app(scope, receive, send) -> None:  # noqa: ANN001
    """Answers as its path says: ``/trickle``, ``/endless``, ``/huge``, else what it knows of the caller."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/trickle":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/xml")]})
        for _ in range(int(_FOR_AT_MOST / 0.05)):
            await send({"type": "http.response.body", "body": b" ", "more_body": True})
            await asyncio.sleep(0.05)
        return
    if scope["path"] == "/endless":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/xml")]})
        give_up = time.monotonic() + _FOR_AT_MOST
        while time.monotonic() < give_up:
            await send({"type": "http.response.body", "body": b"<a>" + b"x" * 65_536, "more_body": True})
            await asyncio.sleep(0)
        return
    if scope["path"] == "/huge":
        body = b"<big>" + b"y" * (3 * 1024 * 1024) + b"</big>"
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/xml")]})
        await send({"type": "http.response.body", "body": body})
        return
    tls = scope.get("extensions", {}).get("tls") or {}
    headers = {name.decode(): value.decode() for name, value in scope["headers"]}
    body = json.dumps({"client_cert_name": tls.get("client_cert_name"), "soapaction": headers.get("soapaction")})
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body.encode()})


@pytest.fixture(scope="module")
def adapter(pki: Pki) -> Iterator[BackgroundServer]:
    ch = pki.party("CH")
    context = server_context(ch.tls_server, ch.tls_server_key, client_ca_files=[pki.party(p).ca for p in pki.parties])
    server = BackgroundServer(_adapter_app, ssl_context=context)
    server.start()
    yield server
    server.stop()


def _call(url: str, pki: Pki, *, timeout: float = 5.0, **options: object) -> Exchange:
    """One call on a loop of its own, the client closed on it."""
    fr = pki.party("FR")

    async def main() -> Exchange:
        client = AdapterClient(url, SETTINGS, ssl_context=client_context(pki.party("CH").ca, fr.tls_client,
                                                                         fr.tls_client_key), **options)
        try:
            return await client.call("ServiceState", soap.build_request("ServiceState", SETTINGS), timeout=timeout)
        finally:
            await client.aclose()

    return asyncio.run(main())


def test_a_call_is_recorded_with_the_client_certificate_and_the_soap_action(adapter: BackgroundServer,
                                                                            pki: Pki) -> None:
    exchange = _call(f"{adapter.origin}/adapter", pki)
    seen = json.loads(exchange.response_body)
    assert exchange.status == 200 and exchange.elapsed > 0
    assert "C=FR" in seen["client_cert_name"]
    assert seen["soapaction"] == '"urn:ServiceState"'
    assert b"ServiceStateRequest" in exchange.request_body


@pytest.mark.parametrize("path", ["trickle", "endless"])
def test_one_deadline_bounds_the_whole_exchange(adapter: BackgroundServer, pki: Pki, path: str) -> None:
    """A body trickling a byte at a time, or never ending, ends the exchange at its deadline."""
    started = time.monotonic()
    with pytest.raises(AnswerUnusable) as raised:
        _call(f"{adapter.origin}/{path}", pki, timeout=1.0)
    assert time.monotonic() - started < 3
    assert raised.value.exchange.status == 200
    assert ("did not finish it within 1 s" in raised.value.sentence
            or raised.value.exchange.truncated is not None)


def test_headers_that_never_end_are_a_late_answer(endless_headers: int) -> None:
    async def main() -> Exchange:
        client = AdapterClient(f"http://127.0.0.1:{endless_headers}/", SETTINGS, ssl_context=None)
        try:
            return await client.call("ServiceState", b"<x/>", timeout=1.0)
        finally:
            await client.aclose()

    started = time.monotonic()
    with pytest.raises(AnswerUnusable, match="no complete answer within 1 s") as raised:
        asyncio.run(main())
    assert time.monotonic() - started < 3
    assert raised.value.exchange.status is None and raised.value.exchange.truncated is None


def test_a_body_past_the_cap_is_refused_and_only_its_beginning_kept(adapter: BackgroundServer, pki: Pki) -> None:
    with pytest.raises(AnswerUnusable, match=r"HTTP 200, text/xml, with a body of more than 1,048,576 bytes") as raised:
        _call(f"{adapter.origin}/huge", pki, max_body=1024 * 1024)
    exchange = raised.value.exchange
    assert exchange.truncated > 1024 * 1024 and len(exchange.response_body) <= 64 * 1024
    assert exchange.response_body.startswith(b"<big>yyy")
    assert len(_call(f"{adapter.origin}/huge", pki, max_body=4 * 1024 * 1024).response_body) == 3 * 1024 * 1024 + 11


def test_an_adapter_not_listening_is_unreachable_in_one_sentence(pki: Pki) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(PartnerUnreachable, match="connection refused") as raised:
        _call(f"https://127.0.0.1:{port}/adapter", pki)
    assert raised.value.exchange.status is None and raised.value.exchange.error == raised.value.sentence



def test_an_adapter_whose_certificate_is_not_trusted_is_named(adapter: BackgroundServer, pki: Pki) -> None:
    async def main() -> Exchange:
        client = AdapterClient(f"{adapter.origin}/adapter", SETTINGS, ssl_context=client_context(pki.party("FR").ca))
        try:
            return await client.call("ServiceState", b"<x/>", timeout=5.0)
        finally:
            await client.aclose()

    with pytest.raises(PartnerUnreachable, match="the TLS certificate of the partner at .* was not accepted"):
        asyncio.run(main())


def test_the_hub_closes_its_adapter_clients_when_it_stops(tmp_path: Path, hub_pki: Pki) -> None:
    with scripted_adapter(hub_pki) as scripted:
        registry = write_registry(tmp_path / "registry.toml", hub_pki,
                                  [{"country": "CH", "url": scripted.url, "ca": str(scripted.ca)}], callers=("FR",))
        with start_hub(HubConfig(pki_dir=hub_pki.root, adapters=registry)) as hub:
            assert call(hub, "ServiceState", country="CH").status_code == 200
            pool = hub.hub.relay._clients["CH"]._pool
            assert len(pool.connections) == 1
        assert pool.connections == []
