"""What the hub answers a caller: an adapter's envelope relayed, or a fault of its own (section 3.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from epix.messages.hub_soap import CONTENT_TYPE, RELAYED_CONTENT_TYPE, hub_fault

Kind = Literal["relayed", "relayed-fault", "hub-fault"]


@dataclass(frozen=True)
class HubAnswer:
    """An answer: its HTTP status, body and ``Content-Type``, and what it is."""

    status: int
    body: bytes
    content_type: str
    kind: Kind
    #: The hub's own faultstring (``kind`` ``hub-fault``), else ``None``.
    faultstring: str | None = None

    @classmethod
    def fault(cls, faultstring: str) -> HubAnswer:
        """The hub's own fault: HTTP 500, ``text/xml``."""
        return cls(500, hub_fault(faultstring), CONTENT_TYPE, "hub-fault", faultstring)

    @classmethod
    def relayed(cls, body: bytes, *, adapter_fault: bool) -> HubAnswer:
        """The adapter's envelope unchanged, HTTP 200, ``application/xml`` (its faults too)."""
        return cls(200, body, RELAYED_CONTENT_TYPE, "relayed-fault" if adapter_fault else "relayed")

    @property
    def summary(self) -> str:
        return f"fault {self.faultstring}" if self.faultstring else self.kind
