"""The hub's asynchronous client of one adapter, awaited on the hub's event loop.

One kept-alive connection pool per adapter (httpcore's, the layer under httpx, on the
loop's own streams: :mod:`epix.transport.loop_network`), with the hub's TLS client
certificate and TCP_NODELAY (as :class:`epix.transport.SoapClient` sets it); without
httpx's layer of models a call through the hub costs about a tenth less. Each call is bounded as the
harness's own clients bound theirs: one deadline for the whole exchange (connect, TLS,
request, headers and body), the body capped at ``max_body``; it is recorded as an
:class:`~epix.transport.Exchange`, and a failure raises
:class:`~epix.transport.AnswerUnusable` or :class:`~epix.transport.PartnerUnreachable`
with the sentences of :mod:`epix.transport.errors`.
"""

from __future__ import annotations

import asyncio
import ssl
import time

import httpcore
import httpx

from epix.messages import soap
from epix.transport import AnswerUnusable, Exchange
from epix.transport.acquaintance import Acquaintance
from epix.transport.client import DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, NO_DELAY, CappedBody
from epix.transport.errors import answer_too_large, problem_of
from epix.transport.loop_network import LoopBackend


#: httpcore's errors as httpx names them, for the sentences of :mod:`epix.transport.errors`.
_AS_HTTPX: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
}


class AdapterClient:
    """Binding A's calls to the adapter at ``url``, over one kept-alive connection pool
    (httpcore's, on :class:`~epix.transport.loop_network.LoopBackend`)."""

    def __init__(self, url: str, settings: soap.SoapSettings, *, ssl_context: ssl.SSLContext | None,
                 connect_timeout: float = DEFAULT_CONNECT_TIMEOUT, max_body: int = DEFAULT_MAX_BODY):
        self.url = url
        self.settings = settings
        self.connect_timeout = connect_timeout
        self.max_body = max_body
        self.acquaintance = Acquaintance()
        target = httpx.URL(url)
        self._host = target.netloc.decode("ascii")
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context if ssl_context is not None else ssl.create_default_context(),
            network_backend=LoopBackend(), socket_options=NO_DELAY,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def call(self, op: str, body: bytes, *, timeout: float) -> Exchange:
        """POST ``body`` as operation ``op`` within ``timeout`` seconds for the whole exchange.

        Raises :class:`PartnerUnreachable` when no connection is made, and
        :class:`AnswerUnusable` when the adapter took the connection but its answer did not
        complete within ``timeout``, or grew past ``max_body``.
        """
        soap_headers = soap.request_headers(op, self.settings)
        # Named in lower case, as h11 sends them and httpx records them.
        headers = {"host": self._host, **{name.lower(): value for name, value in soap_headers.items()},
                   "content-length": str(len(body))}
        exchange = Exchange("POST", self.url, headers, body)
        # The deadline below bounds every read and write; the connection has a bound of its own.
        request = httpcore.Request("POST", self.url, headers=list(headers.items()), content=body,
                                   extensions={"timeout": {"connect": min(timeout, self.connect_timeout)}})
        started = time.perf_counter()
        due = time.monotonic() + timeout
        try:
            async with asyncio.timeout(timeout):
                await self._exchange(request, exchange)
        except TimeoutError:
            exchange.elapsed = time.perf_counter() - started
            late = httpx.ReadTimeout("the exchange's deadline has passed")
            raise problem_of(exchange, self.url, timeout, late, acquainted=self.acquaintance.answered,
                             late=True) from None
        except tuple(_AS_HTTPX) as failure:
            exchange.elapsed = time.perf_counter() - started
            error = _AS_HTTPX[type(failure)](str(failure))
            error.__cause__ = failure
            raise problem_of(exchange, self.url, timeout, error, acquainted=self.acquaintance.answered,
                             late=time.monotonic() >= due) from error
        exchange.elapsed = time.perf_counter() - started
        if exchange.truncated:
            exchange.error = answer_too_large(exchange, self.url, self.max_body)
            raise AnswerUnusable(exchange.error, url=self.url, exchange=exchange)
        return exchange

    async def _exchange(self, request: httpcore.Request, exchange: Exchange) -> None:
        response = await self._pool.handle_async_request(request)
        try:
            exchange.status = response.status
            self.acquaintance.answered = True
            exchange.response_headers = {name.decode("latin-1"): value.decode("latin-1")
                                         for name, value in response.headers}
            received = CappedBody(exchange, self.max_body)
            async for chunk in response.aiter_stream():
                if not received.take(chunk):
                    break
            exchange.response_body = received.bytes()
        finally:
            await response.aclose()
