"""The adapters the harness serves behind a hub under test (PULL-06, profile section 3.1).

One HTTPS server (:class:`~epix.partner.server.BackgroundServer`) stands for the issuing
Management Authorities whose adapters the hub's registry points at. It records every
request that reaches it (:class:`ReceivedCall`) and answers with the :class:`Reply` the
scenario set (:meth:`HarnessAdapters.expect`): a permit, a fault, or nothing within the
hub's timeout. What it sent back is kept too, so that a scenario can compare it with what
reached the caller.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from epix.partner.server import LOOPBACK, BackgroundServer, ServerError
from epix.transport import server_context

#: How often a held answer looks whether the adapters are stopping (seconds).
_POLL = 0.05
#: The most of a request's body the adapters keep; a larger one is refused with HTTP 413.
MAX_BODY = 16 * 1024 * 1024


@dataclass(frozen=True)
class Reply:
    """What the adapters answer: ``body`` with HTTP ``status``, after ``delay`` seconds."""

    body: bytes
    status: int = 200
    delay: float = 0.0
    content_type: str = "text/xml;charset=UTF-8"


@dataclass
class ReceivedCall:
    """One request that reached the adapters, and what they answered it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_subject: str | None
    received_at: float
    answered: Reply | None = None

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def as_text(self) -> str:
        """The request as it arrived, and what it was answered, for the report."""
        lines = [f"{self.method} {self.path}", *(f"{k}: {v}" for k, v in self.headers.items()),
                 f"(client certificate: {self.client_subject or 'none'})", "",
                 self.body.decode("utf-8", errors="replace")]
        if self.answered is not None:
            lines += ["", f"answered: HTTP {self.answered.status} after {self.answered.delay:g} s", "",
                      self.answered.body.decode("utf-8", errors="replace")]
        return "\n".join(lines)


@dataclass
class HarnessAdapters:
    """The adapters' server, started with :meth:`start` and stopped with :meth:`stop`.

    ``reply`` makes the answer to a request from its body (the scenario's choice, set with
    :meth:`expect`); ``calls`` are the requests received since then.
    """

    certificate: Path
    key: Path
    host: str = LOOPBACK
    port: int = 0
    #: CA files of the hub's TLS client certificate; when given, a client without one is refused.
    client_cas: tuple[Path, ...] = ()
    calls: list[ReceivedCall] = field(default_factory=list)
    _reply: Callable[[bytes], Reply] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _released: threading.Event = field(default_factory=threading.Event)
    _server: BackgroundServer | None = None

    @property
    def url(self) -> str:
        """The adapters' endpoint, as the hub's registry names it."""
        if self._server is None:
            raise ServerError("the harness's adapters are not started")
        return f"{self._server.origin}/"

    def start(self) -> HarnessAdapters:
        context = server_context(self.certificate, self.key, client_ca_files=self.client_cas,
                                 require_client_certificate=bool(self.client_cas))
        try:
            self._server = BackgroundServer(self._app, ssl_context=context, host=self.host, port=self.port)
        except ServerError as error:
            reason = str(error).split(";")[0]
            raise ServerError(f"the harness's adapters {reason}; give another address in us.adapters.listen") from None
        self._server.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> HarnessAdapters:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def expect(self, reply: Callable[[bytes], Reply]) -> None:
        """From now on, answer each request with ``reply(body)``; forget the calls received so far."""
        with self._lock:
            self._reply = reply
            self.calls = []

    def received(self, number: str | None = None) -> list[ReceivedCall]:
        """The requests received since :meth:`expect`; with ``number``, those that name that
        certificate number (a hub may also call its adapters for reasons of its own)."""
        with self._lock:
            calls = list(self.calls)
        if number is None:
            return calls
        return [call for call in calls if number.encode("utf-8") in call.body]

    async def _app(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                pass
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = bytearray()
        while True:
            message = await receive()
            if len(body) <= MAX_BODY:
                body.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        tls = (scope.get("extensions") or {}).get("tls") or {}
        call = ReceivedCall(scope["method"], scope["path"],
                            {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
                            bytes(body[:MAX_BODY]), tls.get("client_cert_name"), time.monotonic())
        with self._lock:
            self.calls.append(call)
            reply = self._reply
        if len(body) > MAX_BODY:
            answer = Reply(b"the request is larger than the harness's adapters accept", 413, content_type="text/plain")
        elif reply is None:
            answer = Reply(b"the harness's adapters were not told what to answer", 503, content_type="text/plain")
        else:
            answer = reply(call.body)
        call.answered = answer
        await self._wait(answer.delay)
        # Each connection serves one request: the adapters stop at once, with no idle connection to wait for.
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": [(b"content-type", answer.content_type.encode("latin-1")), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": answer.body})

    async def _wait(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when the adapters stop."""
        until = time.monotonic() + seconds
        while time.monotonic() < until and not self._released.is_set():
            await asyncio.sleep(min(_POLL, max(0.0, until - time.monotonic())))
