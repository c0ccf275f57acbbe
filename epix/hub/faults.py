"""The simulated hub's fault modes: each breaks one behaviour of PULL-06 (profile section 3.2).

Built as the partner's switchboard (:mod:`epix.partner.faults`): a fault is an entry of
:data:`CATALOGUE` plus one override in :mod:`epix.hub.fault_overrides` that replaces one
seam, a method of the hub's parts (:class:`~epix.hub.gate.Gate`, the checks of the caller
and the callee; :class:`~epix.hub.relay.Relay`, the call to the adapter and the answer).
A hub without faults is exactly the conformant code; :func:`epix.hub.conduct.conduct`
replaces the seams of the faults switched on, on one hub's parts only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from epix.partner.faults import Override


@dataclass(frozen=True)
class HubFault:
    """One way the hub breaks PULL-06: its name, the requirement, what it does."""

    name: str
    requirement: str
    sentence: str


CATALOGUE: tuple[HubFault, ...] = (
    HubFault("hub-accepts-no-certificate", "PULL-06",
             "serves a caller without a client certificate as if it were its first registered caller."),
    HubFault("hub-serves-unknown-caller", "PULL-06", "serves a caller whose country has no registered MA."),
    HubFault("hub-misnames-unknown-callee", "PULL-06",
             "answers AdapterNotAvailable, not CalleeNotFound, for an IsoCountryCode without an adapter."),
    HubFault("hub-ignores-adapter-callers", "PULL-06",
             "lets every registered caller use every adapter, whatever callers the adapter allows."),
    HubFault("hub-waits-for-adapter", "PULL-06",
             "waits for an adapter up to 60 seconds and relays its late answer, never giving the timeout fault."),
    HubFault("hub-rewrites-answer", "PULL-06",
             "re-serialises the adapter's answer (indented, declaration added) instead of relaying it unchanged."),
    HubFault("hub-replaces-adapter-fault", "PULL-06",
             "answers an adapter's fault with a fault of its own ('Something went wrong', HTTP 500)."),
    HubFault("hub-drops-quantities", "PULL-06",
             "forwards ConfirmQuantities without ConfirmedQuantities, as the deployed hub did."),
    HubFault("hub-qualifies-children", "PULL-06",
             "sends adapters the old request form: the children of <Op>Request in the adapter's namespace."),
)
FAULTS: dict[str, HubFault] = {fault.name: fault for fault in CATALOGUE}


class UnknownHubFault(ValueError):
    """A fault name that is not in the hub's catalogue."""


def check_names(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` if each is a hub fault; :class:`UnknownHubFault` otherwise."""
    names = tuple(names)
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise UnknownHubFault(f"unknown hub fault {', '.join(unknown)}; see epix simulate --role hub --list-faults")
    return names


def listing() -> str:
    """The catalogue as text, one fault a line: name, requirement, what it does."""
    width = max(len(f.name) for f in CATALOGUE)
    return "\n".join(f"{f.name:<{width}}  {f.requirement:<8}  {f.sentence}" for f in CATALOGUE)


#: The override of each fault, by name (registered by :mod:`epix.hub.fault_overrides`).
OVERRIDES: dict[str, Override] = {}


def override(fault: str, seam: Callable) -> Callable[[Callable], Callable]:
    """Register the decorated function as what ``fault`` does instead of ``seam``; it is
    called with the part, ``base`` (what it replaces) and the seam's arguments."""
    if fault not in FAULTS:
        raise KeyError(f"no hub fault named {fault!r}")

    def register(function: Callable) -> Callable:
        if fault in OVERRIDES:
            raise ValueError(f"the hub fault {fault} has an override already")
        OVERRIDES[fault] = Override(fault, seam, function)
        return function

    return register

