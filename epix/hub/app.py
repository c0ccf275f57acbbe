"""The hub's ASGI application (Starlette): the WSDL and the calls, at the deployed paths.

``GET /api/v1/soap_api/wsdl`` serves ``schemas/hub/hub-interface.wsdl`` with the hub's own
address; ``POST /api/v1/soap_api/action`` is one call (:meth:`epix.hub.service.Hub.handle`).
The hub's clients of its adapters are closed on the server's loop when it stops
(``app.state.stopping``, see :mod:`epix.partner.server`).
Each call is logged in one line, without its token.
"""

from __future__ import annotations

import functools
import logging
import time

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from epix import safexml
from epix.hub.answers import HubAnswer
from epix.hub.service import Hub
from epix.paths import SCHEMAS

log = logging.getLogger("epix.hub")
SOAP_API = "/api/v1/soap_api"
WSDL_PATH = f"{SOAP_API}/wsdl"
ACTION_PATH = f"{SOAP_API}/action"
WSDL_FILE = SCHEMAS / "hub" / "hub-interface.wsdl"
_WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
#: The largest call the hub reads (a ConfirmQuantities of many positions is a few KiB).
MAX_CALL = 1024 * 1024


def create_app(hub: Hub) -> Starlette:
    """The ASGI app of ``hub``."""

    async def wsdl(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return Response(wsdl_for(f"{base}{ACTION_PATH}"), media_type="text/xml;charset=UTF-8")

    async def action(request: Request) -> Response:
        started = time.perf_counter()
        body = await _read_limited(request)
        if body is None:
            answer, op, caller, callee = HubAnswer.fault("Invalid Request"), None, None, None
        else:
            call = await hub.handle(request.scope, request.headers.get("soapaction"), body)
            answer, op, caller, callee = call.answer, call.op, call.caller, call.callee
        log.info("POST %s %s from %s for %s -> %d %s (%.0f ms)", ACTION_PATH, op or "-", caller or "-", callee or "-",
                 answer.status, answer.summary, (time.perf_counter() - started) * 1000)
        return Response(answer.body, status_code=answer.status, media_type=answer.content_type)

    app = Starlette(routes=[
        Route(WSDL_PATH, wsdl, methods=["GET"]),
        Route(ACTION_PATH, action, methods=["POST"]),
    ])
    app.state.stopping = hub.aclose
    return app


@functools.lru_cache(maxsize=16)
def wsdl_for(location: str) -> bytes:
    """The hub interface's WSDL with ``location`` as the address of its port."""
    root = safexml.parse(WSDL_FILE.read_bytes(), source=str(WSDL_FILE))
    for address in root.iter(f"{{{_WSDL_SOAP}}}address"):
        address.set("location", location)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


async def _read_limited(request: Request) -> bytes | None:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_CALL:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
