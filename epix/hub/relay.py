"""The hub's call to an adapter (profile section 3.1) and how its answer reaches the caller (3.2).

The request is the adapter interface's, made by :func:`epix.messages.soap.build_request`
with the adapter's namespaces, the quantities included (this profile's hub forwards
them); it goes out with the adapter's :class:`~epix.hub.adapter_client.AdapterClient`,
awaited on the hub's event loop, with the hub's TLS client certificate and the adapter's
timeout as the deadline of the whole exchange. Each step is a method, a seam for
:mod:`epix.hub.faults`:

- :meth:`Relay.adapter_request`: the request the adapter gets;
- :meth:`Relay.deadline`: how long the hub waits (the adapter's ``timeout``);
- :meth:`Relay.answer`: the adapter's answer relayed unchanged with HTTP 200, its fault
  too; no answer in time is the timeout fault, a failed transport a fault named for it.
"""

from __future__ import annotations

import ssl
from epix import safexml
from epix.hub.adapter_client import AdapterClient
from epix.hub.answers import HubAnswer
from epix.hub.gate import HubRefusal
from epix.hub.registry import AdapterEntry, Registry
from epix.messages import soap
from epix.messages.hub_soap import TIMEOUT_FAULTSTRING, TRANSPORT_ERROR
from epix.namespaces import SOAP
from epix.transport import AnswerUnusable, Exchange, PartnerUnreachable, client_context


class Relay:
    """The hub's clients of its adapters, one kept-alive client per adapter."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self._clients = {
            country: AdapterClient(entry.url, entry.settings, ssl_context=self._tls(entry))
            for country, entry in registry.adapters.items()
        }

    def _tls(self, entry: AdapterEntry) -> ssl.SSLContext | None:
        if not entry.url.startswith("https:"):
            return None
        certificate, key = self.registry.client_certificate, self.registry.client_key
        if entry.ca is not None:
            return client_context(entry.ca, certificate, key)
        context = ssl.create_default_context()
        if certificate is not None:
            context.load_cert_chain(certificate, key)
        return context

    async def aclose(self) -> None:
        """Close the clients, on the event loop that used them."""
        for client in self._clients.values():
            await client.aclose()

    def adapter_request(self, entry: AdapterEntry, request: soap.SoapRequest) -> bytes:
        """The adapter interface's request (3.1) for ``request``, with the quantities."""
        return soap.build_request(request.op, entry.settings, number=request.number, token=request.token,
                                  country=request.country, positions=request.positions)

    def deadline(self, entry: AdapterEntry) -> float:
        """Seconds the hub waits for ``entry``'s whole answer: its ``timeout``."""
        return entry.timeout

    async def forward(self, entry: AdapterEntry, op: str, body: bytes) -> tuple[HubAnswer, Exchange | None]:
        """Call the adapter and make the caller's answer; the exchange with the adapter (``None`` if none began)."""
        try:
            exchange = await self._clients[entry.country].call(op, body, timeout=self.deadline(entry))
        except AnswerUnusable as unusable:
            late = unusable.exchange is None or unusable.exchange.truncated is None
            return HubAnswer.fault(TIMEOUT_FAULTSTRING if late else TRANSPORT_ERROR), unusable.exchange
        except PartnerUnreachable as unreachable:
            return HubAnswer.fault(TRANSPORT_ERROR), unreachable.exchange
        try:
            return self.answer(exchange), exchange
        except HubRefusal as refusal:
            return HubAnswer.fault(refusal.faultstring), exchange

    def answer(self, exchange: Exchange) -> HubAnswer:
        """The adapter's envelope relayed unchanged with HTTP 200, a fault too; an answer
        that is neither a success nor a SOAP fault is a transport error."""
        fault = _carries_fault(exchange.response_body)
        if fault or exchange.ok:
            return HubAnswer.relayed(exchange.response_body, adapter_fault=fault)
        raise HubRefusal(TRANSPORT_ERROR)


def _carries_fault(body: bytes) -> bool:
    if b"Fault" not in body:
        return False
    try:
        root = safexml.parse(body, source="adapter answer")
    except safexml.XmlRefused:
        return False
    return root.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault") is not None
