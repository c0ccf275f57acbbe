"""What each hostile mode does (:data:`epix.partner.faults.HOSTILE`): one override each,
of a seam of :class:`~epix.partner.serving.Serving` (an ASGI layer around the partner's
application, the handling of one TLS connection, or the clock of its Date headers) or of
the acknowledger.

Each stays bounded, whatever the client does: bodies are streamed from one small buffer
(the partner never holds the 4 GiB it announces), and every answer that goes on for long
(``trickle``, ``endless-body``, ``huge-body``) ends as soon as the client goes away (the
``http.disconnect`` hypercorn hands the application), or when the server stops. Nothing
runs in a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import struct
import weakref
from collections.abc import Callable

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from epix.model import AckError, Acknowledgement, AckStatus
from epix.partner.answers import Acknowledger
from epix.partner.faults import override
from epix.partner.serving import ServeHttp, Serving

#: ``trickle``: the pause between two bytes of an answer.
TRICKLE_INTERVAL = 1.0
#: ``huge-body``: what follows the answer, announced in Content-Length (far above any cap).
HUGE_BODY_PADDING = 4 * 1024 ** 3
#: ``endless-body``, ``huge-body``: the block sent again and again (whitespace, which XML
#: allows after the root element, so only the size is wrong).
FILLER = b" " * (64 * 1024)
#: ``huge-error-text``: the size of each error's Text in a Rejected Acknowledgement.
HUGE_TEXT_CHARACTERS = 5_000_000
#: ``clock-skew``: how far ahead the web server's clock is, in seconds (past the 5 minutes
#: that ``epix preflight`` fails).
CLOCK_SKEW_SECONDS = 6 * 60
#: ``redirect``: where every answer sends the client (another path of the same origin,
#: which redirects again: a client that follows redirects goes round in circles).
REDIRECT_PREFIX = "/moved"

HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
             b"<body><h1>Bad Gateway</h1><p>The upstream server is not available. Please try again later.</p>"
             b"</body></html>\n")


# ----- the ASGI layers (Serving.middleware) -----

class _Layer:
    """An ASGI layer that answers each HTTP request itself (:meth:`answer`); other scopes pass."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.answer(scope, receive, send)

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError

    async def _partner_answer(self, scope: Scope, receive: Receive) -> tuple[Message, bytes]:
        """The conformant partner's answer to the request: its start message and its body
        (a few kilobytes: the partner's answers are Acknowledgements, permits, statuses)."""
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        return start, b"".join(chunks)


def _headers(start: Message, *, drop: tuple[bytes, ...] = (b"content-length",)) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in start.get("headers", []) if name.lower() not in drop]


async def _request_read(receive: Receive) -> None:
    """Read the request body and throw it away (a chunk at a time)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return


@contextlib.asynccontextmanager
async def _watching(receive: Receive):
    """An event set when the client goes away (or the server stops serving the request)."""
    gone = asyncio.Event()

    async def watch() -> None:
        try:
            while (await receive())["type"] != "http.disconnect":
                pass
        finally:
            gone.set()

    watcher = asyncio.ensure_future(watch())
    try:
        yield gone
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await watcher


async def _stream(send: Send, gone: asyncio.Event, limit: int | None) -> None:
    """:data:`FILLER` until the client is gone, or ``limit`` bytes (``None``: no end) are sent."""
    sent = 0
    while not gone.is_set() and (limit is None or sent < limit):
        block = FILLER if limit is None else FILLER[:limit - sent]
        sent += len(block)
        try:
            await send({"type": "http.response.body", "body": block,
                        "more_body": limit is None or sent < limit})
        except Exception:  # the connection is closed: nothing more to send
            return
        await asyncio.sleep(0)  # the client's disconnect, and the server's other work, get their turn


class Trickle(_Layer):
    """``trickle``: the partner's answer, its body one byte every :data:`TRICKLE_INTERVAL` seconds."""

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, body = await self._partner_answer(scope, receive)
        headers = [*_headers(start), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": start.get("status", 200), "headers": headers})
        async with _watching(receive) as gone:
            for index in range(len(body)):
                await send({"type": "http.response.body", "body": body[index:index + 1],
                            "more_body": index < len(body) - 1})
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(gone.wait(), TRICKLE_INTERVAL)
                if gone.is_set():
                    return


class EndlessBody(_Layer):
    """``endless-body``: the partner's answer, then whitespace, chunked, without end."""

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, body = await self._partner_answer(scope, receive)
        await send({"type": "http.response.start", "status": start.get("status", 200), "headers": _headers(start)})
        await send({"type": "http.response.body", "body": body, "more_body": True})
        async with _watching(receive) as gone:
            await _stream(send, gone, None)


class HugeBody(_Layer):
    """``huge-body``: the partner's answer and :data:`HUGE_BODY_PADDING` bytes of whitespace,
    announced in ``Content-Length`` and streamed."""

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, body = await self._partner_answer(scope, receive)
        length = len(body) + HUGE_BODY_PADDING
        headers = [*_headers(start), (b"content-length", str(length).encode())]
        await send({"type": "http.response.start", "status": start.get("status", 200), "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": True})
        async with _watching(receive) as gone:
            await _stream(send, gone, HUGE_BODY_PADDING)


class _Fixed(_Layer):
    """Every request answered alike, without the partner (a proxy in front of it, misconfigured)."""

    status = 200
    content_type = b"text/html; charset=utf-8"

    def body(self) -> bytes:
        return b""

    def extra_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        return []

    async def answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _request_read(receive)
        body = self.body()
        headers = [(b"content-type", self.content_type), (b"content-length", str(len(body)).encode()),
                   *self.extra_headers(scope)]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class HtmlPage(_Fixed):
    """``html-200``: HTTP 200 and an HTML error page."""

    def body(self) -> bytes:
        return HTML_PAGE


class Empty(_Fixed):
    """``empty-200``: HTTP 200, an empty body."""

    content_type = b"application/xml"


class Redirect(_Fixed):
    """``redirect``: 302 to the same path below :data:`REDIRECT_PREFIX`."""

    status = 302

    def extra_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        host = dict(scope.get("headers", [])).get(b"host", b"127.0.0.1").decode("latin-1")
        path = scope.get("raw_path") or scope["path"].encode()
        location = f"{scope.get('scheme', 'https')}://{host}{REDIRECT_PREFIX}{path.decode('latin-1')}"
        return [(b"location", location.encode("latin-1"))]


def _layer(cls: type[_Layer]) -> Callable[[Serving, Callable[[], list[Middleware]]], list[Middleware]]:
    def middleware(serving: Serving, base: Callable[[], list[Middleware]]) -> list[Middleware]:
        return [Middleware(cls), *base()]

    middleware.__name__ = middleware.__qualname__ = f"{cls.__name__.lower()}_layer"
    return middleware


override("trickle", Serving.middleware)(_layer(Trickle))
override("endless-body", Serving.middleware)(_layer(EndlessBody))
override("huge-body", Serving.middleware)(_layer(HugeBody))
override("html-200", Serving.middleware)(_layer(HtmlPage))
override("empty-200", Serving.middleware)(_layer(Empty))
override("redirect", Serving.middleware)(_layer(Redirect))


# ----- the connection (Serving.connection) -----

#: ``reset-after-handshake``: the partners (their Serving part) that have answered their one request.
_ANSWERED_ONCE: weakref.WeakSet[Serving] = weakref.WeakSet()


@override("reset-after-handshake", Serving.connection)
async def reset_after_handshake(serving: Serving, base: Callable, reader: asyncio.StreamReader,
                                writer: asyncio.StreamWriter, http: ServeHttp) -> None:
    """The first connection answers one request and is closed; every later one is reset (an
    RST, with a zero linger time) once the TLS handshake is done, before the request is read."""
    if serving not in _ANSWERED_ONCE:
        _ANSWERED_ONCE.add(serving)
        await http(1)
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


# ----- the clock of the HTTP layer (Serving.clock) -----

@override("clock-skew", Serving.clock)
def clock_skew(serving: Serving, base: Callable[[], float]) -> float:
    """The web server's clock :data:`CLOCK_SKEW_SECONDS` fast: a front end whose time is not
    kept by NTP, while the application behind it (its acknowledgements) keeps the right time."""
    return base() + CLOCK_SKEW_SECONDS


# ----- the acknowledger -----

@override("huge-error-text", Acknowledger.acknowledgement)
def huge_error_text(acknowledger: Acknowledger, base: Callable, ref_to: str, recipient: str, status: AckStatus,
                    errors: list[AckError]) -> Acknowledgement:
    ack = base(ref_to, recipient, status, errors)
    if ack.status != "Rejected":
        return ack
    return dataclasses.replace(ack, errors=[dataclasses.replace(e, text=_huge(e.text)) for e in ack.errors])


def _huge(text: str) -> str:
    """``text`` repeated to :data:`HUGE_TEXT_CHARACTERS` characters."""
    unit = f"{text} "
    return (unit * (HUGE_TEXT_CHARACTERS // len(unit) + 1))[:HUGE_TEXT_CHARACTERS]
