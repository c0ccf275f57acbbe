"""The hub's asynchronous client of one adapter, awaited on the hub's event loop.

One kept-alive ``httpx.AsyncClient`` per adapter, with the hub's TLS client certificate and
TCP_NODELAY (as :class:`epix.transport.SoapClient` sets it). Each call is bounded as the
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

import httpx

from epix.messages import soap
from epix.transport import AnswerUnusable, Exchange
from epix.transport.acquaintance import Acquaintance
from epix.transport.client import DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, NO_DELAY, CappedBody
from epix.transport.errors import answer_too_large, problem_of
from epix.transport.loop_network import LoopTransport


class AdapterClient:
    """Binding A's calls to the adapter at ``url``, over one kept-alive connection pool."""

    def __init__(self, url: str, settings: soap.SoapSettings, *, ssl_context: ssl.SSLContext | None,
                 connect_timeout: float = DEFAULT_CONNECT_TIMEOUT, max_body: int = DEFAULT_MAX_BODY):
        self.url = url
        self.settings = settings
        self.connect_timeout = connect_timeout
        self.max_body = max_body
        self.acquaintance = Acquaintance()
        verify = ssl_context if ssl_context is not None else True
        self._http = httpx.AsyncClient(
            verify=verify,
            transport=LoopTransport(verify=verify, trust_env=False, socket_options=NO_DELAY),
            trust_env=False,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, op: str, body: bytes, *, timeout: float) -> Exchange:
        """POST ``body`` as operation ``op`` within ``timeout`` seconds for the whole exchange.

        Raises :class:`PartnerUnreachable` when no connection is made, and
        :class:`AnswerUnusable` when the adapter took the connection but its answer did not
        complete within ``timeout``, or grew past ``max_body``.
        """
        request = self._http.build_request(
            "POST", self.url, content=body, headers=soap.request_headers(op, self.settings),
            # The deadline below bounds every read and write; the connection has a bound of its own.
            timeout=httpx.Timeout(None, connect=min(timeout, self.connect_timeout)),
        )
        url = str(request.url)
        exchange = Exchange("POST", url, dict(request.headers), body)
        started = time.perf_counter()
        due = time.monotonic() + timeout
        try:
            async with asyncio.timeout(timeout):
                await self._exchange(request, exchange)
        except TimeoutError:
            exchange.elapsed = time.perf_counter() - started
            late = httpx.ReadTimeout("the exchange's deadline has passed", request=request)
            raise problem_of(exchange, url, timeout, late, acquainted=self.acquaintance.answered, late=True) from None
        except httpx.TransportError as error:
            exchange.elapsed = time.perf_counter() - started
            raise problem_of(exchange, url, timeout, error, acquainted=self.acquaintance.answered,
                             late=time.monotonic() >= due) from error
        exchange.elapsed = time.perf_counter() - started
        if exchange.truncated:
            exchange.error = answer_too_large(exchange, url, self.max_body)
            raise AnswerUnusable(exchange.error, url=url, exchange=exchange)
        return exchange

    async def _exchange(self, request: httpx.Request, exchange: Exchange) -> None:
        response = await self._http.send(request, stream=True)
        try:
            exchange.status = response.status_code
            self.acquaintance.answered = True
            exchange.response_headers = dict(response.headers)
            received = CappedBody(exchange, self.max_body)
            async for chunk in response.aiter_bytes():
                if not received.take(chunk):
                    break
            exchange.response_body = received.bytes()
        finally:
            await response.aclose()
