"""What a refusal of the client certificate looks like over real sockets, and what a partner
that completes the TLS handshake and then closes or resets the connection looks like.

Under TLS 1.3 the server judges the client certificate after the client's handshake has
finished, so a refusal reaches the client on its first read, not in the handshake. What
httpx raises then:

(a) a server that sends the TLS alert (OpenSSL's blocking server): ``httpx.ReadError``
    from an ``ssl.SSLError`` naming the alert: a refusal, named as one;
(a') the simulated partner's server (hypercorn on asyncio), which closes the connection
    without an alert: ``httpx.RemoteProtocolError`` ("Server disconnected without sending
    a response"), with no cause behind it;
(b) a server that completes the handshake and then closes, or resets the connection
    (SO_LINGER 0), without a word: the same ``httpx.RemoteProtocolError``, with no cause
    (OpenSSL reads a reset there as an end of file).

(a') and (b) cannot be told apart from the client on a first contact, so both stay
``PartnerUnreachable`` with a sentence that names both reasons. Once the partner has
answered a connection made with a certificate, it did not refuse that certificate: a
later (b) with it is the partner's failure (``AnswerUnusable``), for every client made
with that certificate (:mod:`epix.transport.acquaintance`).
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from collections.abc import Iterator

import httpx
import pytest

from epix.partner.server import BackgroundServer
from epix.pki import Pki
from epix.transport import AnswerUnusable, PartnerClient, PartnerUnreachable, client_context, server_context


async def _app(scope, receive, send) -> None:  # noqa: ANN001
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _mtls(pki: Pki) -> ssl.SSLContext:
    fr = pki.party("FR")
    return server_context(fr.tls_server, fr.tls_server_key, client_ca_files=[pki.party(p).ca for p in pki.parties])


@pytest.fixture(scope="module")
def partner_server(pki: Pki) -> Iterator[BackgroundServer]:
    server = BackgroundServer(_app, ssl_context=_mtls(pki))
    server.start()
    yield server
    server.stop()


def _serve(context: ssl.SSLContext, after_handshake: str) -> tuple[socket.socket, str]:
    """A TLS server on 127.0.0.1 that completes (or refuses) each handshake, then reads the
    request and closes (``close``) or resets (``reset``) the connection without a word
    (``answer-first``: answers the first connection's request, then closes each without one).
    With a context that requires a client certificate, OpenSSL refuses a bad one with an alert."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    accepted = []

    def connection(raw: socket.socket) -> None:
        accepted.append(raw)
        try:
            tls = context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()  # the refusal: OpenSSL has sent its alert
            return
        tls.settimeout(2)
        try:
            tls.recv(65536)
            if after_handshake == "answer-first" and len(accepted) == 1:
                tls.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n"
                            b"connection: close\r\n\r\nok")
        except (ssl.SSLError, OSError):
            pass
        if after_handshake == "reset":
            tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        tls.close()

    def accept() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=connection, args=(raw,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener, f"https://127.0.0.1:{listener.getsockname()[1]}"


def _refusal(url: str, context: ssl.SSLContext) -> PartnerUnreachable:
    with PartnerClient(url, ssl_context=context, timeout=5) as client:
        with pytest.raises(PartnerUnreachable) as raised:
            client.status()
    return raised.value


def _foreign(pki: Pki) -> ssl.SSLContext:
    cert, key = pki.party("CH").bad("foreign-tls-client")
    return client_context(pki.party("FR").ca, cert, key)


def test_a_server_that_refuses_with_an_alert_is_a_refusal_named_as_one(pki: Pki) -> None:
    listener, url = _serve(_mtls(pki), "close")
    try:
        refused = _refusal(url, _foreign(pki))
    finally:
        listener.close()
    assert isinstance(refused.__cause__, httpx.ReadError)
    assert "refused the connection with the TLS alert" in refused.sentence
    assert "client certificate" in refused.sentence


@pytest.mark.parametrize("identity", ["foreign", "none"])
def test_the_simulated_partner_refuses_a_certificate_by_closing_without_an_alert(
        partner_server: BackgroundServer, pki: Pki, identity: str) -> None:
    context = _foreign(pki) if identity == "foreign" else client_context(pki.party("FR").ca)
    refused = _refusal(partner_server.origin, context)
    assert isinstance(refused.__cause__, httpx.RemoteProtocolError)
    assert refused.__cause__.__cause__ is None or not isinstance(refused.__cause__.__cause__, ssl.SSLError)
    assert "refuses the client certificate" in refused.sentence


@pytest.mark.parametrize("after_handshake", ["close", "reset"])
def test_a_close_or_reset_after_the_handshake_looks_exactly_like_that_refusal(
        partner_server: BackgroundServer, pki: Pki, after_handshake: str) -> None:
    fr = pki.party("FR")
    listener, url = _serve(server_context(fr.tls_server, fr.tls_server_key, require_client_certificate=False),
                           after_handshake)
    ours = client_context(fr.ca, pki.party("CH").tls_client, pki.party("CH").tls_client_key)
    try:
        silent = _refusal(url, ours)
    finally:
        listener.close()
    refused = _refusal(partner_server.origin, _foreign(pki))
    assert type(silent.__cause__) is type(refused.__cause__) is httpx.RemoteProtocolError
    assert str(silent.__cause__) == str(refused.__cause__)
    assert silent.sentence.replace(url, "") == refused.sentence.replace(partner_server.origin.rstrip("/"), "")


def test_a_close_after_the_handshake_by_a_partner_that_answered_the_certificate_before_is_its_failure(
        pki: Pki) -> None:
    fr = pki.party("FR")
    listener, url = _serve(server_context(fr.tls_server, fr.tls_server_key, require_client_certificate=False),
                           "answer-first")
    ours = client_context(fr.ca, pki.party("CH").tls_client, pki.party("CH").tls_client_key)
    try:
        with PartnerClient(url, ssl_context=ours, timeout=5) as first:
            assert first.status().status == 200
            with pytest.raises(AnswerUnusable) as dropped:
                first.status()
            with PartnerClient(url, ssl_context=ours, timeout=5, acquaintance=first.acquaintance) as same_certificate:
                with pytest.raises(AnswerUnusable):
                    same_certificate.status()
        stranger = _refusal(url, ours)  # a client of its own: nothing says the partner answered it
    finally:
        listener.close()
    assert "answered connections with this client certificate before" in dropped.value.sentence
    assert "refuses the client certificate without saying so" in stranger.sentence
