"""What each direction of an exchange needs of the two parties, and how one side is judged.

A cell of the matrix is one direction between two parties: a row party A and a column
party B. Each binding has one direction:

- **Binding A, "can A's importing system fetch from B's adapter?"**: B serves the adapter
  interface (section 3.1): B must claim ``pull`` and pass every requirement the suite
  checks for ``pull``, and for ``final`` and ``confirm-quantities`` where B claims them
  (PULL-01 … PULL-12 but PULL-06, and the LIF rules a confirmation touches). A's side is
  its importing system (``import``, CALL-01 … CALL-07).
- **Binding B, "can A deliver to B?"**: B receives (sections 4 to 9): B must claim
  ``receive`` and pass every requirement the suite checks for it (ENV, ACK, SIG, DOC, ERR,
  LIF-02), and for ``usage-report`` and ``cancel`` where B claims them. A's side is its
  sending system (``send``, OUT-01 … OUT-03).

Which requirements a capability needs is read from the suite itself (the scenarios of
that capability and the requirement IDs they check), so a requirement the suite gains
is needed at once; a requirement whose every scenario the run skipped as not claimed
(a confirmation scenario that needs ``final`` too, for a party without ``final``) is
not needed of that party. A side whose capability the suite has no scenario for yet (``import``,
``send`` today) is *not shown*, never passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from epix.matrix.runs import PartyRun

# How one side of a direction stands.
PASSED, WARNED, FAILED, NOT_CLAIMED, INCOMPLETE, NOT_SHOWN = (
    "passed", "warned", "failed", "not-claimed", "incomplete", "not-shown")
#: Outcomes that show a requirement holds; ``waived`` does not (a waiver accepts a failure, it is no pass).
_HOLDS = ("passed", "warning")
_NOT_RUN = ("not claimed", "skipped")


@dataclass(frozen=True)
class SideNeed:
    """What one side must show: the capabilities it must claim, and those counted when it claims them."""

    role: str
    required: frozenset[str]
    if_claimed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Direction:
    """One binding's direction between a row party (A) and a column party (B)."""

    binding: str
    row: SideNeed
    column: SideNeed


IMPORTING, ADAPTER, SENDING, RECEIVING = "importing system", "adapter", "sending system", "receiving endpoint"

BINDING_A = Direction("A", row=SideNeed(IMPORTING, frozenset({"import"})),
                      column=SideNeed(ADAPTER, frozenset({"pull"}), frozenset({"final", "confirm-quantities"})))
BINDING_B = Direction("B", row=SideNeed(SENDING, frozenset({"send"})),
                      column=SideNeed(RECEIVING, frozenset({"receive"}), frozenset({"usage-report", "cancel"})))
DIRECTIONS = (BINDING_A, BINDING_B)


@dataclass(frozen=True)
class Side:
    """How one party stands on one side of a direction, with the requirement IDs behind it."""

    party: str
    role: str
    state: str
    #: The capabilities whose requirements were counted.
    capabilities: tuple[str, ...] = ()
    #: Optional capabilities the party does not claim (so they were not counted).
    not_offered: tuple[str, ...] = ()
    #: Optional capabilities of which no scenario ran (so they were not counted either).
    unshown: tuple[str, ...] = ()
    #: The required capabilities the party does not claim.
    not_claimed: tuple[str, ...] = ()
    passed: tuple[str, ...] = ()
    warned: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    broken: tuple[str, ...] = ()
    waived: tuple[str, ...] = ()
    #: Requirements the suite checks for these capabilities that no scenario of the run showed.
    missing: tuple[str, ...] = ()
    #: Whether the suite has any scenario for the required capabilities.
    in_suite: bool = True
    #: Every requirement the side needs (those of the capabilities counted).
    needed: tuple[str, ...] = ()

    @property
    def holds(self) -> bool:
        return self.state in (PASSED, WARNED)

    @property
    def blocks(self) -> bool:
        """Whether this side alone makes the direction not ready."""
        return self.state in (FAILED, NOT_CLAIMED)


def judge_side(run: PartyRun, need: SideNeed, requirements: Mapping[str, frozenset[str]]) -> Side:
    """How the party of ``run`` stands on the side ``need`` describes; ``requirements`` maps each
    capability to the requirement IDs the suite checks for it."""
    party, required = run.party, sorted(need.required)
    if not any(requirements.get(c) for c in required):
        return Side(party, need.role, NOT_SHOWN, tuple(required), in_suite=False)
    ran = {c for c in need.required | need.if_claimed if any(r.outcome not in _NOT_RUN for r in run.of(frozenset({c})))}
    listed = {r.capability for r in run.of(need.required | need.if_claimed)}
    not_claimed = tuple(c for c in required if c not in ran and _all_not_claimed(run, c))
    if not_claimed:
        return Side(party, need.role, NOT_CLAIMED, tuple(required), not_claimed=not_claimed)
    unrun = tuple(c for c in required if c not in ran)
    if unrun:
        return Side(party, need.role, NOT_SHOWN, unrun)
    counted = sorted(need.required | (need.if_claimed & ran))
    not_offered = tuple(sorted(c for c in need.if_claimed - ran if c in listed and _all_not_claimed(run, c)))
    unshown = tuple(sorted(c for c in need.if_claimed - ran if c not in not_offered and requirements.get(c)))
    results = [r for r in run.of(frozenset(counted)) if r.outcome not in _NOT_RUN]
    shown = {requirement for result in results for requirement in result.requirements}
    declined = {requirement for result in run.of(frozenset(counted)) if result.outcome == "not claimed"
                for requirement in result.requirements} - shown
    needed = sorted(set().union(*(requirements.get(c, frozenset()) for c in counted)) - declined, key=_order)
    by_requirement: dict[str, list[str]] = {}
    for result in results:
        for requirement in result.requirements:
            by_requirement.setdefault(requirement, []).append(result.outcome)
    verdicts = {requirement: _verdict(by_requirement.get(requirement, [])) for requirement in needed}
    grouped = {verdict: tuple(r for r in needed if verdicts[r] == verdict)
               for verdict in ("passed", "warning", "failed", "broken", "waived", "missing")}
    side = Side(party, need.role, PASSED, tuple(counted), not_offered, unshown, (), grouped["passed"],
                grouped["warning"], grouped["failed"], grouped["broken"], grouped["waived"], grouped["missing"], True,
                tuple(needed))
    if side.failed or side.broken or side.waived:
        return replace(side, state=FAILED)
    if side.missing:
        return replace(side, state=INCOMPLETE)
    return replace(side, state=WARNED if side.warned else PASSED)


def _verdict(outcomes: list[str]) -> str:
    """A requirement's verdict from the outcomes of the scenarios that check it."""
    for worst in ("failed", "broken", "waived"):
        if worst in outcomes:
            return worst
    if not outcomes:
        return "missing"
    return "warning" if "warning" in outcomes else "passed"


def _all_not_claimed(run: PartyRun, capability: str) -> bool:
    results = run.of(frozenset({capability}))
    return bool(results) and all(r.outcome == "not claimed" for r in results)


def _order(requirement: str) -> tuple[str, int]:
    prefix, _, number = requirement.partition("-")
    return prefix, int(number) if number.isdigit() else 0
