"""A client of a hub's interface (profile section 3.2): the importing caller's side.

The hub serves its WSDL at ``GET <hub>/api/v1/soap_api/wsdl`` and takes the calls at
``POST <hub>/api/v1/soap_api/action``, as the deployed hub did; the calls are those of
:mod:`epix.messages.hub_soap` (the rpc element in ``urn:CitesDataExchange`` with
unqualified children, the bare SOAPAction). Like the partner clients, every call has one
deadline, a body cap and its :class:`~epix.transport.exchange.Exchange` recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

from epix.messages import hub_soap
from epix.model import Position
from epix.transport.client import _HttpEndpoint
from epix.transport.exchange import Exchange

WSDL_PATH = "/api/v1/soap_api/wsdl"
ACTION_PATH = "/api/v1/soap_api/action"


class HubClient(_HttpEndpoint):
    """The hub interface at ``base_url`` (e.g. ``https://hub.example.org``)."""

    def __init__(self, base_url: str, **options):
        super().__init__(**options)
        self.base_url = base_url.rstrip("/")

    @property
    def wsdl_url(self) -> str:
        return f"{self.base_url}{WSDL_PATH}"

    @property
    def action_url(self) -> str:
        return f"{self.base_url}{ACTION_PATH}"

    def wsdl(self) -> Exchange:
        """``GET`` the hub's WSDL."""
        return self.request("GET", self.wsdl_url)

    def call(self, op: str, *, number: str | None = None, token: str | None = None, country: str | None = None,
             positions: Sequence[Position] | None = None, timeout: float | None = None) -> Exchange:
        """Call ``op`` at the hub; a parameter left ``None`` is left out of the request."""
        body = hub_soap.build_call(op, number=number, token=token, country=country,
                                   positions=list(positions) if positions is not None else None)
        return self.request("POST", self.action_url, content=body, headers=hub_soap.call_headers(op),
                            timeout=timeout)
