"""How each fault of :mod:`epix.hub.faults` changes the hub: one override of one seam each."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from epix import safexml
from epix.hub.answers import HubAnswer
from epix.hub.faults import override
from epix.hub.gate import Gate, HubRefusal
from epix.hub.registry import AdapterEntry
from epix.hub.relay import Relay
from epix.messages.soap import SoapRequest
from epix.namespaces import SOAP
from epix.transport import Exchange

#: How long the hub with ``hub-waits-for-adapter`` waits for an adapter.
WAITS = 60.0


@override("hub-accepts-no-certificate", Gate.caller_country)
def accepts_no_certificate(gate: Gate, base: Callable, scope: dict) -> str:
    try:
        return base(scope)
    except HubRefusal:
        return gate.registry.callers[0] if gate.registry.callers else "ZZ"


@override("hub-serves-unknown-caller", Gate.check_caller)
def serves_unknown_caller(gate: Gate, base: Callable, country: str) -> None:
    return None


@override("hub-misnames-unknown-callee", Gate.adapter_for)
def misnames_unknown_callee(gate: Gate, base: Callable, request: SoapRequest) -> AdapterEntry:
    try:
        return base(request)
    except HubRefusal:
        raise HubRefusal("AdapterNotAvailable") from None


@override("hub-ignores-adapter-callers", Gate.check_access)
def ignores_adapter_callers(gate: Gate, base: Callable, caller: str, entry: AdapterEntry) -> None:
    return None


@override("hub-waits-for-adapter", Relay.deadline)
def waits_for_adapter(relay: Relay, base: Callable, entry: AdapterEntry) -> float:
    return max(WAITS, base(entry))


@override("hub-rewrites-answer", Relay.answer)
def rewrites_answer(relay: Relay, base: Callable, exchange: Exchange) -> HubAnswer:
    answer = base(exchange)
    if answer.kind == "hub-fault":
        return answer
    root = safexml.parse(answer.body, source="adapter answer")
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return HubAnswer.relayed(body, adapter_fault=answer.kind == "relayed-fault")


@override("hub-replaces-adapter-fault", Relay.answer)
def replaces_adapter_fault(relay: Relay, base: Callable, exchange: Exchange) -> HubAnswer:
    answer = base(exchange)
    return HubAnswer.fault("Something went wrong") if answer.kind == "relayed-fault" else answer


@override("hub-drops-quantities", Relay.adapter_request)
def drops_quantities(relay: Relay, base: Callable, entry: AdapterEntry, request: SoapRequest) -> bytes:
    return base(entry, SoapRequest(request.op, number=request.number, token=request.token, country=request.country))


@override("hub-qualifies-children", Relay.adapter_request)
def qualifies_children(relay: Relay, base: Callable, entry: AdapterEntry, request: SoapRequest) -> bytes:
    root = safexml.parse(base(entry, request), source="adapter request")
    operation = root.find(f"{{{SOAP}}}Body/*")
    for element in operation.iterdescendants():
        if isinstance(element.tag, str) and etree.QName(element).namespace is None:
            element.tag = f"{{{entry.namespace}}}{etree.QName(element).localname}"
    return safexml.to_bytes(root)
