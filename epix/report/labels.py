"""Gherkin tags of the suite and what they mean in a report.

Every scenario carries the requirement IDs it checks (``@SIG-02``) and exactly one
``@capability:…`` tag; each feature carries one ``@area:…`` tag. A scenario may also name
requirements it only depends on (``@needs:LIF-22``: it cancels a document to see that a
rejected one was not kept, so a partner that breaks LIF-22 may fail it too); those are
not what it checks: they cover nothing, and a fault of such a requirement may fail it
without the self-test calling that inexact. Allure shows areas as epics, features as
features and the checked requirement IDs as stories and links, the needed ones as a
plain ``needs`` label. A scenario that may change a test document at the partner carries
``@changes-state``, so that it gets a document of its own (``steps/state_changes.py``);
the report does not show that tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from epix.i18n import N_

#: The families of requirement IDs the profile defines (``SIG-02``, ``CALL-04``, …).
REQUIREMENT_FAMILIES = ("PULL", "CALL", "ENV", "ACK", "SIG", "DOC", "ERR", "LIF", "HUB", "OUT")
REQUIREMENT = re.compile(rf"^(?:{'|'.join(REQUIREMENT_FAMILIES)})-\d{{2}}$")
#: ``@needs:LIF-22``: a requirement the scenario depends on without checking it.
NEEDS_PREFIX = "needs:"
CAPABILITY_PREFIX = "capability:"
AREA_PREFIX = "area:"
SEVERITY_PREFIX = "severity:"
#: The tag of a scenario that may change a test document at the partner.
CHANGES_STATE = "changes-state"
#: The tag of a scenario that a person must judge (none today): the run skips it with
#: :data:`NEEDS_PERSON_MARK`, and its requirement shows as "needs a person".
NEEDS_PERSON = "needs-person"
NEEDS_PERSON_MARK = "needs a person"

#: ``@area:…`` tag -> the epic shown in the report (English; translated in the statement and summary).
AREAS: dict[str, str] = {
    "pull": N_("Binding A: requesting permits"),
    "envelope": N_("Binding B: transport and envelope"),
    "acknowledgements": N_("Binding B: acknowledgements"),
    "signatures": N_("Signatures"),
    "documents": N_("Permit documents and CITES rules"),
    "errors": N_("Error handling"),
    "lifecycle": N_("Permit lifecycle"),
    "hub": N_("Binding A: the hub"),
}

#: Requirements whose breach puts the exchange's trust at stake; the rest are "normal".
_CRITICAL = {"ENV-02", "ENV-11", "PULL-03", "PULL-05", "LIF-01", "LIF-20", "ACK-04", "ERR-02"}
_MINOR = {"ERR-03", "PULL-09", "LIF-02", "ENV-01"}
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")


@dataclass(frozen=True)
class ScenarioTags:
    """The meaning of one scenario's tags: ``requirements`` are those it checks, ``needs``
    those it depends on (never one it checks)."""

    requirements: tuple[str, ...]
    capabilities: tuple[str, ...]
    area: str | None
    severity: str
    changes_state: bool = False
    needs: tuple[str, ...] = ()

    @property
    def capability(self) -> str | None:
        return self.capabilities[0] if len(self.capabilities) == 1 else None

    @property
    def epic(self) -> str | None:
        return AREAS.get(self.area or "")

    def may_fail_for(self, requirement: str) -> bool:
        """Whether a partner that breaks ``requirement`` may fail this scenario: it checks it or needs it."""
        return may_fail_for(requirement, self.requirements, self.needs)


def may_fail_for(requirement: str, checks: tuple[str, ...] | list[str], needs: tuple[str, ...] | list[str]) -> bool:
    """Whether a scenario that checks ``checks`` and needs ``needs`` may fail because a partner
    breaks ``requirement`` (the self-test's measure of an exact detection)."""
    return requirement in checks or requirement in needs


def read_tags(tags: set[str] | list[str] | tuple[str, ...]) -> ScenarioTags:
    """Sort a scenario's tags (feature, scenario and example tags together) by meaning."""
    requirements = sorted({t for t in tags if REQUIREMENT.match(t)}, key=_requirement_order)
    needs = sorted({need for t in tags if t.startswith(NEEDS_PREFIX)
                    and REQUIREMENT.match(need := t[len(NEEDS_PREFIX):]) and need not in requirements},
                   key=_requirement_order)
    capabilities = sorted(t[len(CAPABILITY_PREFIX):] for t in tags if t.startswith(CAPABILITY_PREFIX))
    areas = [t[len(AREA_PREFIX):] for t in tags if t.startswith(AREA_PREFIX)]
    explicit = [t[len(SEVERITY_PREFIX):] for t in tags if t.startswith(SEVERITY_PREFIX)]
    return ScenarioTags(
        requirements=tuple(requirements),
        capabilities=tuple(capabilities),
        area=areas[0] if areas else None,
        severity=explicit[0] if explicit else severity_of(requirements),
        changes_state=CHANGES_STATE in tags,
        needs=tuple(needs),
    )


def severity_of(requirements: list[str] | tuple[str, ...]) -> str:
    """The most severe of the (checked) requirements' severities."""
    if any(r in _CRITICAL or r.startswith("SIG-") for r in requirements):
        return "critical"
    if requirements and all(r in _MINOR for r in requirements):
        return "minor"
    return "normal"


def _requirement_order(requirement: str) -> tuple[str, int]:
    prefix, number = requirement.split("-")
    return prefix, int(number)
