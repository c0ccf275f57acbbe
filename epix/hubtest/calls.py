"""Calling a hub under test as the importing caller, and judging its answer (PULL-06).

:func:`ask` makes one call (:class:`~epix.transport.hub_client.HubClient`) and returns a
:class:`HubAnswer`: the exchange, or the sentence of a refused connection. The judges
return ``None`` when the answer holds, else one sentence that says what arrived instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from epix.hubtest.form import CallerRequest
from epix.messages.errors import MessageError
from epix.messages.hub_soap import HUB_FAULTS
from epix.messages.soap import SoapFault, parse_fault
from epix.safexml import XmlRefused
from epix.transport import Exchange, PartnerUnreachable
from epix.transport.hub_client import HubClient

#: PULL-06: the caller is answered within the adapter's timeout plus this many seconds.
TIMEOUT_MARGIN = 2.0


@dataclass
class HubAnswer:
    """The hub's answer to one call: ``exchange``, or ``refused`` (no connection was served)."""

    asked: CallerRequest
    exchange: Exchange | None = None
    refused: str | None = None

    def fault(self) -> SoapFault | None:
        """The SOAP fault the answer carries, or ``None`` when it carries none."""
        if self.exchange is None:
            return None
        try:
            return parse_fault(self.exchange.response_body)
        except (XmlRefused, MessageError):
            return None


def ask(client: HubClient, asked: CallerRequest, *, timeout: float | None = None) -> HubAnswer:
    """Call the hub with what the caller ``asked``; a refused connection is an answer too."""
    try:
        exchange = client.call(asked.op, number=asked.number, token=asked.token, country=asked.country,
                               positions=asked.positions, timeout=timeout)
    except PartnerUnreachable as refused:
        return HubAnswer(asked, refused=refused.sentence)
    return HubAnswer(asked, exchange)


def what_arrived(answer: HubAnswer) -> str:
    """What the hub answered, in a few words, for a sentence."""
    if answer.exchange is None:
        return f"no answer: {answer.refused}"
    fault = answer.fault()
    exchange = answer.exchange
    if fault is not None:
        return f"HTTP {exchange.status} with the fault {fault.faultcode} {fault.faultstring!r}"
    return f"HTTP {exchange.status} ({exchange.content_type or 'no Content-Type'}), {len(exchange.response_body)} bytes"


def hub_fault_problem(answer: HubAnswer, faultstring: str) -> str | None:
    """Why ``answer`` is not the hub's own fault ``faultstring`` (with its ``faultcode``, 3.2)."""
    fault = answer.fault()
    if fault is None or fault.faultstring.strip() != faultstring:
        return f"expected the hub's fault {faultstring!r}; the hub answered {what_arrived(answer)}"
    expected = HUB_FAULTS.get(faultstring, "Server")
    if fault.faultcode.rpartition(":")[2] != expected:
        return f"the hub's fault {faultstring!r} has the faultcode {fault.faultcode!r}, not {expected}"
    return None


def in_time_problem(answer: HubAnswer, adapter_timeout: float) -> str | None:
    """Why ``answer`` did not come within the adapter's timeout plus :data:`TIMEOUT_MARGIN`."""
    if answer.exchange is None:
        return f"the hub gave no answer: {answer.refused}"
    limit = adapter_timeout + TIMEOUT_MARGIN
    if answer.exchange.elapsed > limit:
        return (f"the hub answered after {answer.exchange.elapsed:.1f} s; with the adapter's timeout of "
                f"{adapter_timeout:g} s it must answer within {limit:g} s")
    return None
