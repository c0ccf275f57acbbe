"""The suite's scenarios as data: read from the feature files, with their tags' meaning.

Used to check that every receiver-side requirement of the profile is covered, to list
what a run will do, and by the self-test to know which scenarios a fault may fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pytest_bdd.parser import FeatureParser

from epix.i18n import N_
from epix.paths import FEATURES, PROJECT
from epix.report.labels import REQUIREMENT_FAMILIES, ScenarioTags, read_tags

#: The exchange contract, kept with the code: the profile and the permit document.
SPEC_FILES = (PROJECT / "docs" / "spec" / "epix-pilot-profile.md", PROJECT / "docs" / "spec" / "permit-document.md")

#: Requirements the suite does not check yet, and why (English; translated where shown).
#: Everything else in the spec must be covered.
_IMPORTING_SIDE = N_("binding A's importing side: the harness does not yet play the hub for an importing MA")
NOT_COVERED = {
    **{f"CALL-0{n}": _IMPORTING_SIDE for n in range(1, 8)},
    **{f"HUB-0{n}": N_("a hub's behaviour; the simulated partner does not play the hub role") for n in range(1, 5)},
    **{f"OUT-0{n}": N_("outbound conformance: what an MA sends, not what it receives") for n in range(1, 4)},
}

_SPEC_REQUIREMENT = re.compile(rf"^- ((?:{'|'.join(REQUIREMENT_FAMILIES)})-\d{{2}}):", re.MULTILINE)


@dataclass(frozen=True)
class ScenarioEntry:
    """One scenario, or one Examples block of a Scenario Outline.

    ``steps`` are the texts of its steps without their keywords, for an Examples block
    those of every row (the row's values put in), each text once.
    """

    feature_file: str
    feature: str
    name: str
    line: int
    tags: frozenset[str]
    examples: str | None = None
    rows: int = 1
    steps: tuple[str, ...] = ()

    @property
    def meaning(self) -> ScenarioTags:
        return read_tags(self.tags)


def read_catalogue(features: Path = FEATURES) -> list[ScenarioEntry]:
    """Every scenario of every ``*.feature`` file in ``features``, outlines split per Examples block."""
    entries: list[ScenarioEntry] = []
    for path in sorted(features.glob("*.feature")):
        feature = FeatureParser(str(features), path.name).parse()
        for template in feature.scenarios.values():
            base = frozenset(feature.tags | template.tags)
            blocks = [e for e in template.examples if e]
            if not blocks:
                entries.append(ScenarioEntry(path.name, feature.name, template.name, template.line_number, base,
                                             steps=_step_texts(template, [{}])))
                continue
            for block in blocks:
                entries.append(ScenarioEntry(path.name, feature.name, template.name, template.line_number,
                                             base | frozenset(block.tags), block.name or None, len(block.examples),
                                             _step_texts(template, block.as_contexts())))
    return entries


def _step_texts(template, rows) -> tuple[str, ...]:  # noqa: ANN001 - pytest-bdd's ScenarioTemplate, its rows
    texts: dict[str, None] = {}
    for row in rows:
        texts.update((step.name, None) for step in template.render(row).steps)
    return tuple(texts)


def spec_requirements(*spec_files: Path) -> list[str]:
    """The requirement IDs defined in the given specification files, in order of appearance."""
    found: list[str] = []
    for path in spec_files:
        for match in _SPEC_REQUIREMENT.finditer(path.read_text(encoding="utf-8")):
            if match.group(1) not in found:
                found.append(match.group(1))
    return found
