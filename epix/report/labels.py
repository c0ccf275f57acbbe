"""Gherkin tags of the suite and what they mean in a report.

Every scenario carries the requirement IDs it checks (``@SIG-02``) and exactly one
``@capability:…`` tag; each feature carries one ``@area:…`` tag. Allure shows areas as
epics, features as features and requirement IDs as stories and links. A scenario that
may change a test document at the partner carries ``@changes-state``, so that it gets a
document of its own (``steps/state_changes.py``); the report does not show that tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The families of requirement IDs the profile defines (``SIG-02``, ``CALL-04``, …).
REQUIREMENT_FAMILIES = ("PULL", "CALL", "ENV", "ACK", "SIG", "DOC", "ERR", "LIF", "HUB", "OUT")
REQUIREMENT = re.compile(rf"^(?:{'|'.join(REQUIREMENT_FAMILIES)})-\d{{2}}$")
CAPABILITY_PREFIX = "capability:"
AREA_PREFIX = "area:"
SEVERITY_PREFIX = "severity:"
#: The tag of a scenario that may change a test document at the partner.
CHANGES_STATE = "changes-state"

#: ``@area:…`` tag -> the epic shown in the report.
AREAS: dict[str, str] = {
    "pull": "Binding A: requesting permits",
    "envelope": "Binding B: transport and envelope",
    "acknowledgements": "Binding B: acknowledgements",
    "signatures": "Signatures",
    "documents": "Permit documents and CITES rules",
    "errors": "Error handling",
    "lifecycle": "Permit lifecycle",
}

#: Requirements whose breach puts the exchange's trust at stake; the rest are "normal".
_CRITICAL = {"ENV-02", "ENV-11", "PULL-03", "PULL-05", "LIF-01", "LIF-20", "ACK-04", "ERR-02"}
_MINOR = {"ERR-03", "PULL-09", "LIF-02", "ENV-01"}
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")


@dataclass(frozen=True)
class ScenarioTags:
    """The meaning of one scenario's tags."""

    requirements: tuple[str, ...]
    capabilities: tuple[str, ...]
    area: str | None
    severity: str
    changes_state: bool = False

    @property
    def capability(self) -> str | None:
        return self.capabilities[0] if len(self.capabilities) == 1 else None

    @property
    def epic(self) -> str | None:
        return AREAS.get(self.area or "")


def read_tags(tags: set[str] | list[str] | tuple[str, ...]) -> ScenarioTags:
    """Sort a scenario's tags (feature, scenario and example tags together) by meaning."""
    requirements = sorted({t for t in tags if REQUIREMENT.match(t)}, key=_requirement_order)
    capabilities = sorted(t[len(CAPABILITY_PREFIX):] for t in tags if t.startswith(CAPABILITY_PREFIX))
    areas = [t[len(AREA_PREFIX):] for t in tags if t.startswith(AREA_PREFIX)]
    explicit = [t[len(SEVERITY_PREFIX):] for t in tags if t.startswith(SEVERITY_PREFIX)]
    return ScenarioTags(
        requirements=tuple(requirements),
        capabilities=tuple(capabilities),
        area=areas[0] if areas else None,
        severity=explicit[0] if explicit else severity_of(requirements),
        changes_state=CHANGES_STATE in tags,
    )


def severity_of(requirements: list[str] | tuple[str, ...]) -> str:
    """The most severe of the requirements' severities."""
    if any(r in _CRITICAL or r.startswith("SIG-") for r in requirements):
        return "critical"
    if requirements and all(r in _MINOR for r in requirements):
        return "minor"
    return "normal"


def _requirement_order(requirement: str) -> tuple[str, int]:
    prefix, number = requirement.split("-")
    return prefix, int(number)
