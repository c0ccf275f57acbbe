"""The partner's ASGI application (Starlette): binding B's resources under ``/epix/v1`` and
binding A's SOAP endpoint at ``/epix/v1/soap``.

Handlers read the body with a size limit and hand it, with the caller's identity, to the
synchronous checks in a worker thread. Every exchange is logged in one line. An
unexpected error is answered 500 with EPX-500 and never takes the partner down.
"""

from __future__ import annotations

import logging
import time
from typing import TextIO

from starlette.applications import Starlette
import anyio.to_thread
from anyio import CapacityLimiter
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from epix.partner.answers import Answer, Rejection
from epix.partner.config import BASE_PATH, SOAP_PATH
from epix.partner.endpoint import PartnerEndpoint
from epix.partner.identity import Identity
from epix.partner.receive import too_large

log = logging.getLogger("epix.partner")
#: How much of an oversized body is read and thrown away before the 413 answer, so that
#: the client gets the answer instead of a broken connection; beyond it the connection closes.
_DRAIN_LIMIT = 64 * 1024 * 1024
#: How many requests are checked at once. The checks are CPU-bound Python: more threads
#: than cores only make them wait for each other (and for the interpreter lock).
WORKERS = 4


def log_exchanges(stream: TextIO, *, tag: str | None = None, logger: str = "epix.partner") -> None:
    """Write the partner's log (or another ``logger``'s, e.g. ``epix.hub``), one line per
    exchange, to ``stream`` (``tag`` names the worker process when there are several)."""
    log = logging.getLogger(logger)
    handler = logging.StreamHandler(stream)
    prefix = f"[{tag}] " if tag else ""
    handler.setFormatter(logging.Formatter(f"%(asctime)s {prefix}%(message)s", "%Y-%m-%dT%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def create_app(endpoint: PartnerEndpoint) -> Starlette:
    """The ASGI app of ``endpoint`` (started and stopped by the caller)."""
    handlers = _Handlers(endpoint)
    routes = [
        Route(f"{BASE_PATH}/envelopes", handlers.deliver, methods=["POST"]),
        Route(f"{BASE_PATH}/envelopes/{{message_id}}/acknowledgement", handlers.acknowledgement, methods=["GET"]),
        Route(f"{BASE_PATH}/permits/{{number:path}}", handlers.permit, methods=["GET"]),
        Route(f"{BASE_PATH}/status", handlers.status, methods=["GET"]),
        Route(f"{BASE_PATH}/acknowledgements", handlers.posted_acknowledgement, methods=["POST"]),
        Route(f"{BASE_PATH}{SOAP_PATH}", handlers.soap, methods=["POST"]),
        Route(f"{BASE_PATH}{SOAP_PATH}", handlers.soap_description, methods=["GET"]),
    ]
    app = Starlette(routes=routes, middleware=endpoint.serving.middleware())
    app.state.endpoint = endpoint
    app.state.connection = endpoint.serving.connection  # how the server serves each connection
    app.state.clock = endpoint.serving.clock  # the time of its Date headers
    return app


class _Handlers:
    def __init__(self, endpoint: PartnerEndpoint):
        self.endpoint = endpoint
        self.config = endpoint.config
        self._limiter: CapacityLimiter | None = None

    async def _run(self, function, *args):  # noqa: ANN001, ANN202
        """``function(*args)`` in a worker thread, at most :data:`WORKERS` at a time."""
        if self._limiter is None:
            self._limiter = CapacityLimiter(WORKERS)
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)

    async def deliver(self, request: Request) -> Response:
        return await self._exchange(request, self._delivery(request))

    async def acknowledgement(self, request: Request) -> Response:
        message_id = request.path_params["message_id"]
        return await self._exchange(request, lambda identity: self._sync(
            self.endpoint.resources.acknowledgement, identity, message_id))

    async def permit(self, request: Request) -> Response:
        number, issuer = request.path_params["number"], request.query_params.get("issuer")
        return await self._exchange(request, lambda identity: self._sync(
            self.endpoint.resources.permit, identity, number, issuer))

    async def status(self, request: Request) -> Response:
        return await self._exchange(request, lambda identity: self._sync(self.endpoint.resources.status))

    async def posted_acknowledgement(self, request: Request) -> Response:
        async def handle(identity: Identity) -> Answer:
            body, refusal = await self._xml_body(request)
            if refusal:
                return refusal
            try:
                root = self.endpoint.receiver.parse(body)
            except Rejection as rejection:
                return self.endpoint.acknowledger.rejection_answer(rejection, recipient=identity.party)
            return await self._run(self.endpoint.resources.posted_acknowledgement, identity, root)

        return await self._exchange(request, handle)

    async def soap(self, request: Request) -> Response:
        async def handle(identity: Identity) -> Answer:
            body = await _read_limited(request, self.config.max_body)
            if body is None:
                body = b""
            return await self._run(self.endpoint.puller.handle, body, request.headers.get("soapaction"),
                                           identity)

        return await self._exchange(request, handle)

    async def soap_description(self, request: Request) -> Response:
        """``GET`` of binding A's endpoint: its WSDL (``?wsdl``) and the schemas it refers to."""
        url = str(request.url.replace(query=""))
        return await self._exchange(request, lambda identity: self._sync(
            self.endpoint.puller.description, dict(request.query_params), url))

    async def _xml_body(self, request: Request) -> tuple[bytes, Answer | None]:
        """Step 1: size (EPX-103), then media type (EPX-102)."""
        limit = self.endpoint.receiver.body_limit()
        body = await _read_limited(request, limit)
        if body is None:
            return b"", self.endpoint.acknowledger.rejection_answer(too_large(limit))
        media = self.endpoint.receiver.check_media_type(request.headers.get("content-type"))
        if media is not None:
            return b"", self.endpoint.acknowledger.rejection_answer(media)
        return body, None

    async def _sync(self, function, *args) -> Answer:  # noqa: ANN001
        return await self._run(function, *args)

    async def _exchange(self, request: Request, handle) -> Response:  # noqa: ANN001
        started = time.perf_counter()
        identity = self.endpoint.identify(request.scope)
        try:
            answer = await handle(identity)
        except Exception:  # the partner answers EPX-500 and keeps running
            log.exception("%s %s failed", request.method, request.url.path)
            answer = self._failure(identity)
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s from %s -> %d %s (%.0f ms)", request.method, request.url.path, identity.party or "-",
                 answer.status, answer.summary, elapsed)
        return Response(answer.body, status_code=answer.status, headers=answer.headers)

    def _delivery(self, request: Request):  # noqa: ANN202
        async def handle(identity: Identity) -> Answer:
            body, refusal = await self._xml_body(request)
            if refusal:
                return refusal
            return await self._run(self.endpoint.receiver.deliver, body, identity)

        return handle

    def _failure(self, identity: Identity) -> Answer:
        rejection = Rejection("EPX-500", "ENV-06", "The receiver failed; try again with the same message ID and bytes")
        try:
            answer = self.endpoint.acknowledger.rejection_answer(rejection, recipient=identity.party)
        except Exception:  # even signing failed: answer without an Acknowledgement
            log.exception("could not sign the failure Acknowledgement")
            return Answer(500, b"EPX-500 the receiver failed", {"Content-Type": "text/plain"}, "failure")
        answer.status = 500
        answer.summary = "failure EPX-500"
        return answer


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or ``None`` when it is larger than ``limit`` (the rest is drained, up to a cap)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        await _drain(request, 0)
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            await _drain(request, size)
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _drain(request: Request, already: int) -> None:
    size = already
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > _DRAIN_LIMIT:
                return
    except Exception:  # the client went away: nothing more to drain
        return
