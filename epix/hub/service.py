"""One call through the hub, from the caller's request to its answer (profile section 3.2).

The order of checks is the deployed hub's: the request parses (``Invalid Request``),
then the checks of :class:`~epix.hub.gate.Gate`, then the call to the adapter
(:class:`~epix.hub.relay.Relay`). Every call is recorded as a :class:`HubExchange`;
its text masks the call's security token.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from epix.hub.answers import HubAnswer
from epix.hub.conduct import conduct
from epix.hub.gate import Gate, HubRefusal
from epix.hub.registry import Registry
from epix.hub.relay import Relay
from epix.messages.errors import MessageError
from epix.messages.hub_soap import operation_of_action, parse_call
from epix.messages.soap import SoapRequest
from epix.report.redact import Redactor
from epix.safexml import XmlRefused
from epix.transport import Exchange

log = logging.getLogger("epix.hub")
#: How many calls a hub remembers (the latest).
KEPT_EXCHANGES = 256


@dataclass(frozen=True)
class HubExchange:
    """One call through the hub: who called, for what, what it answered, and the
    exchange with the adapter (``None`` when the hub answered without calling one)."""

    caller: str | None
    op: str | None
    callee: str | None
    request: bytes
    answer: HubAnswer
    adapter: Exchange | None
    token: str | None = None

    def as_text(self) -> str:
        """The call as a person reads it, the security token masked."""
        redactor = Redactor([self.token] if self.token else [])
        lines = [f"{self.op or '(unreadable request)'} from {self.caller or '-'} for {self.callee or '-'}: "
                 f"HTTP {self.answer.status} {self.answer.summary}"]
        if self.adapter is not None:
            lines += ["", "to the adapter:", self.adapter.as_text()]
        return redactor.text("\n".join(lines)) + "\n"


class Hub:
    """The hub's handling of calls: its gate, its relay and its record."""

    def __init__(self, registry: Registry, *, mtls: bool = True, faults: tuple[str, ...] = ()):
        self.registry = registry
        self.gate = Gate(registry, mtls=mtls)
        self.relay = Relay(registry)
        conduct(faults, (self.gate, self.relay))
        self.exchanges: deque[HubExchange] = deque(maxlen=KEPT_EXCHANGES)

    async def aclose(self) -> None:
        """Close the relay's clients, on the hub's event loop."""
        await self.relay.aclose()

    async def handle(self, scope: dict, soap_action: str | None, body: bytes) -> HubExchange:
        """One call answered (the checks of section 3.2 in order, then the relay) and recorded."""
        caller = request = entry = None
        adapter: Exchange | None = None
        try:
            request = self.parse(body, soap_action)
            caller = self.gate.caller_country(scope)
            self.gate.check_caller(caller)
            entry = self.gate.adapter_for(request)
            self.gate.check_access(caller, entry)
            self.gate.check_positions(request)
        except HubRefusal as refusal:
            answer = HubAnswer.fault(refusal.faultstring)
        else:
            sent = self.relay.adapter_request(entry, request)
            answer, adapter = await self.relay.forward(entry, request.op, sent)
        record = HubExchange(caller, request.op if request else None, entry.country if entry else None, body, answer,
                             adapter, request.token if request else None)
        self.exchanges.append(record)
        return record

    def parse(self, body: bytes, soap_action: str | None) -> SoapRequest:
        """The caller's request, read as wash_out read it; ``Invalid Request`` when it cannot
        be read or its SOAPAction names another operation than its body."""
        try:
            request = parse_call(body, strict=False)
        except (XmlRefused, MessageError) as error:
            log.info("Invalid Request: %s", error)
            raise HubRefusal("Invalid Request") from None
        named = operation_of_action(soap_action)
        if soap_action and soap_action.strip().strip('"') and named != request.op:
            raise HubRefusal("Invalid Request")
        return request
