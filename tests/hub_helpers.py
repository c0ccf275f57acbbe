"""Helpers of the simulated hub's tests: a PKI with the hub's material, a caller, a
registry file, and adapters of our own (slow, or answering what a test says).

Test modules import the fixtures they use (``from hub_helpers import hub_pki, ...``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from epix.hub.running import RunningHub
from epix.messages import soap
from epix.messages.hub_soap import build_call, call_headers
from epix.model import Position
from epix.partner.server import BackgroundServer
from epix.pki import HUB_PARTY, Pki, init_pki
from epix.transport import server_context

PARTIES = ["CH", "FR", "DE", HUB_PARTY]


@pytest.fixture(scope="module")
def hub_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return init_pki(PARTIES, tmp_path_factory.mktemp("hub-pki"))


def call(hub: RunningHub, op: str, *, party: str | None = "FR", headers: dict[str, str] | None = None,
         body: bytes | None = None, timeout: float = 20.0, **parameters: object) -> httpx.Response:
    """POST one call to ``hub`` as ``party`` (no client certificate for ``None``)."""
    content = body if body is not None else build_call(op, **parameters)  # type: ignore[arg-type]
    with httpx.Client(verify=hub.ssl_context(party), timeout=timeout, trust_env=False) as client:
        return client.post(hub.action_url, content=content, headers={**call_headers(op), **(headers or {})})


def positions(*pairs: tuple[str, int]) -> list[Position]:
    from decimal import Decimal

    return [Position(item, Decimal(quantity)) for item, quantity in pairs]


def write_registry(path: Path, pki: Pki, adapters: list[dict[str, object]], callers: tuple[str, ...] = ("CH", "FR"),
                   ) -> Path:
    """A registry file at ``path``: ``[hub]`` with ``callers`` and the PKI's hub client certificate, then
    ``adapters`` (JSON's strings, numbers and lists are TOML's too)."""
    hub = pki.party(HUB_PARTY)
    lines = ["[hub]", f'client_certificate = "{hub.tls_client}"', f'client_key = "{hub.tls_client_key}"',
             f"callers = {json.dumps(list(callers))}"]
    for adapter in adapters:
        lines += ["", "[[adapter]]", *(f"{key} = {json.dumps(value)}" for key, value in adapter.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


class ScriptedAdapter:
    """An adapter of our own over HTTPS with mutual TLS: it waits ``delay`` seconds, then
    answers ``status`` and ``body`` (by default a ServiceStateResponse), and keeps what it got."""

    def __init__(self, pki: Pki, party: str = "CH", *, delay: float = 0.0, status: int = 200,
                 body: bytes | None = None):
        self.delay = delay
        self.status = status
        self.body = body or soap.build_response("ServiceState", soap.SoapSettings(), text="available")
        self.received: list[tuple[dict[str, str], bytes]] = []
        files = pki.party(party)
        context = server_context(files.tls_server, files.tls_server_key,
                                 client_ca_files=[pki.party(p).ca for p in pki.parties])
        self.ca = files.ca
        self.server = BackgroundServer(Starlette(routes=[Route("/", self._answer, methods=["POST"])]),
                                       ssl_context=context)

    @property
    def url(self) -> str:
        return f"{self.server.origin}/"

    async def _answer(self, request: Request) -> Response:
        self.received.append((dict(request.headers), await request.body()))
        await asyncio.sleep(self.delay)
        return Response(self.body, status_code=self.status, media_type="text/xml")


@contextlib.contextmanager
def scripted_adapter(pki: Pki, **options: object) -> Iterator[ScriptedAdapter]:
    adapter = ScriptedAdapter(pki, **options)  # type: ignore[arg-type]
    adapter.server.start()
    try:
        yield adapter
    finally:
        adapter.server.stop()
