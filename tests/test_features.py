"""The feature files: every receiver-side requirement of the profile is checked, and tags are well formed."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path

import pytest

from epix.profile import CAPABILITIES
from epix.report.catalogue import FEATURES, NOT_COVERED, read_catalogue, spec_requirements
from epix.report.labels import AREAS, CHANGES_STATE, NEEDS_PREFIX, REQUIREMENT, read_tags

ROOT = Path(__file__).resolve().parents[1]
#: The exchange contract, kept with the code so that a clone checks against the spec it implements.
SPEC = ROOT / "docs" / "spec"
#: Where the project's shared specification lives beside a checkout, when it does.
SHARED_SPEC = ROOT.parent / "shared" / "spec"



@pytest.fixture(scope="module")
def catalogue():
    return read_catalogue()


@pytest.fixture(scope="module")
def spec_ids() -> list[str]:
    files = [SPEC / "epix-pilot-profile.md", SPEC / "permit-document.md"]
    missing = [str(f) for f in files if not f.exists()]
    assert not missing, f"the specification is missing from the repository: {missing}"
    return spec_requirements(*files)


@pytest.mark.skipif(not SHARED_SPEC.is_dir(), reason="no shared specification beside this checkout")
@pytest.mark.parametrize("name", ["epix-pilot-profile.md", "permit-document.md"])
def test_the_spec_in_the_repository_is_the_shared_one(name) -> None:
    assert (SPEC / name).read_bytes() == (SHARED_SPEC / name).read_bytes(), (
        f"docs/spec/{name} differs from {SHARED_SPEC / name}: copy the shared specification into docs/spec/"
    )


def test_the_spec_defines_the_requirements_we_expect(spec_ids) -> None:
    assert len(spec_ids) >= 65
    for prefix in ("PULL", "ENV", "ACK", "SIG", "DOC", "ERR", "LIF", "HUB", "OUT"):
        assert any(i.startswith(prefix + "-") for i in spec_ids), prefix


def _gaps(catalogue, spec_ids) -> list[str]:
    """Requirements of the spec that no scenario checks (one that only needs it does not count)."""
    covered = {r for entry in catalogue for r in entry.meaning.requirements}
    return [i for i in spec_ids if i not in covered and i not in NOT_COVERED]


def test_every_receiver_side_requirement_is_checked_by_a_scenario(catalogue, spec_ids) -> None:
    gaps = _gaps(catalogue, spec_ids)
    assert not gaps, f"requirements without a scenario: {', '.join(gaps)}"


def test_a_requirement_without_a_scenario_is_found(catalogue, spec_ids) -> None:
    without_sig06 = [e for e in catalogue if "SIG-06" not in e.tags]
    assert _gaps(without_sig06, spec_ids) == ["SIG-06"]


def test_a_requirement_that_scenarios_only_need_is_not_covered(catalogue, spec_ids) -> None:
    """@needs:SIG-06 says a scenario depends on SIG-06, not that it checks it."""
    needing = [dataclasses.replace(e, tags=(e.tags - {"SIG-06"}) | {f"{NEEDS_PREFIX}SIG-06"}) for e in catalogue]
    assert _gaps(needing, spec_ids) == ["SIG-06"]
    assert read_tags({"ERR-02", f"{NEEDS_PREFIX}LIF-22"}).needs == ("LIF-22",)
    assert read_tags({"ERR-02", f"{NEEDS_PREFIX}LIF-22"}).requirements == ("ERR-02",)


def test_scenarios_name_only_requirements_that_the_spec_defines(catalogue, spec_ids) -> None:
    unknown = {r for e in catalogue for r in (*e.meaning.requirements, *e.meaning.needs) if r not in spec_ids}
    assert not unknown, f"tags that are not requirements of the spec: {sorted(unknown)}"


def test_needs_tags_name_requirements_and_never_one_the_scenario_checks(catalogue) -> None:
    for entry in catalogue:
        where = f"{entry.feature_file}:{entry.line} {entry.name!r} {entry.examples or ''}".rstrip()
        needs = [t.removeprefix(NEEDS_PREFIX) for t in entry.tags if t.startswith(NEEDS_PREFIX)]
        assert all(REQUIREMENT.match(n) for n in needs), f"{where}: @needs: must name a requirement: {needs}"
        both = sorted(set(needs) & set(entry.meaning.requirements))
        assert not both, f"{where} both checks and needs {both}: a scenario needs only what it does not check"


def test_the_exclusions_are_requirements_of_the_spec(spec_ids) -> None:
    assert set(NOT_COVERED) <= set(spec_ids)


def test_every_scenario_has_requirements_and_exactly_one_known_capability(catalogue) -> None:
    for entry in catalogue:
        where = f"{entry.feature_file}:{entry.line} {entry.name!r}"
        tags = entry.meaning
        assert tags.requirements, f"{where} names no requirement"
        assert len(tags.capabilities) == 1, f"{where} has capabilities {tags.capabilities}, expected exactly one"
        assert tags.capability in CAPABILITIES, f"{where}: unknown capability {tags.capability!r}"
        assert tags.area in AREAS, f"{where}: the feature has no known @area tag"


def test_examples_add_only_requirement_tags(catalogue) -> None:
    """Example blocks may name further requirements their rows check (``@DOC-02``) or depend
    on (``@needs:DOC-02``), nothing else (a scenario that changes state carries
    @changes-state itself, for all its rows)."""
    for path in FEATURES.glob("*.feature"):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines[1:], start=1):
            if line.strip().startswith("Examples") and lines[number - 1].strip().startswith("@"):
                tags = lines[number - 1].split()
                assert all(REQUIREMENT.match(t[1:].removeprefix(NEEDS_PREFIX)) for t in tags), (
                    f"{path.name}:{number}: {tags}")


def test_no_feature_name_holds_the_separator_of_scenario_titles() -> None:
    """epix.report.recorder.scenario_title reads "<feature>: <scenario>"."""
    for path in FEATURES.glob("*.feature"):
        names = [line.strip().removeprefix("Feature:") for line in path.read_text().splitlines()
                 if line.strip().startswith("Feature:")]
        assert names and all(": " not in name for name in names), path.name


def test_every_area_has_one_feature_file() -> None:
    areas = []
    for path in FEATURES.glob("*.feature"):
        first = path.read_text().splitlines()[0]
        areas.append(first.removeprefix("@area:"))
    assert sorted(areas) == sorted(AREAS)


def test_steps_in_given_and_when_hide_the_mechanics() -> None:
    """Given and When read as the domain: no XPath, no HTTP status numbers, no XML tags."""
    for path in FEATURES.glob("*.feature"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            text = line.strip()
            if text.startswith(("Given ", "When ")):
                assert "/" not in text.replace("text/plain", "").replace("application/", "") \
                    .replace("ISO 3166-1", ""), f"{path.name}:{number}: {text}"
                assert "<rsm:" not in text and "HTTP" not in text, f"{path.name}:{number}: {text}"


# ---------------------------------------------------------------------------
# @changes-state: a scenario that may change a document at the partner gets one of its own.

def _state_tag_problems(catalogue) -> list[str]:
    """Scenarios whose steps may change a document at the partner without the tag
    @changes-state, and scenarios with the tag whose steps change nothing. Which steps
    change state, their definitions say (steps.state_changes.changes_state)."""
    for path in sorted((ROOT / "steps").glob("*_steps.py")):
        importlib.import_module(f"steps.{path.stem}")
    from steps.state_changes import step_changes_state

    problems = []
    for entry in catalogue:
        where = f"{entry.feature_file}:{entry.line} {entry.name!r}"
        changing = [text for text in entry.steps if step_changes_state(text)]
        if changing and not entry.meaning.changes_state:
            problems.append(f"{where}: the step {changing[0]!r} may change a document at the partner; "
                            f"tag the scenario @{CHANGES_STATE}")
        if entry.meaning.changes_state and not changing:
            problems.append(f"{where} is tagged @{CHANGES_STATE}, but none of its steps changes a document")
    return problems


def _reliance_problems(catalogue) -> list[str]:
    """Scenarios (Examples rows) with a step that rests on requirements they neither check
    nor tag @needs: (steps.reliance.relies_on says which steps rest on what)."""
    for path in sorted((ROOT / "steps").glob("*_steps.py")):
        importlib.import_module(f"steps.{path.stem}")
    from steps.reliance import reliance_of

    problems = []
    for entry in catalogue:
        resting = set().union(*(reliance_of(text) for text in entry.steps))
        missing = sorted(resting - set(entry.meaning.requirements) - set(entry.meaning.needs))
        if missing:
            problems.append(f"{entry.feature_file}:{entry.line} {entry.name!r}: its steps rest on "
                            f"{', '.join(missing)}; tag it " + " ".join(f"@needs:{r}" for r in missing))
    return problems


def test_a_scenario_says_what_its_steps_rest_on(catalogue) -> None:
    problems = _reliance_problems(catalogue)
    assert not problems, "\n".join(problems)


def test_a_scenario_that_rests_on_the_acknowledgement_without_the_tags_is_found(catalogue) -> None:
    accepting = next(e for e in catalogue if "the partner accepts it" in e.steps)
    bare = dataclasses.replace(accepting, tags=frozenset(t for t in accepting.tags if not t.startswith("needs:")))
    assert _reliance_problems([bare]) and not _reliance_problems([accepting])


def test_a_scenario_that_changes_a_document_at_the_partner_says_so(catalogue) -> None:
    problems = _state_tag_problems(catalogue)
    assert not problems, "\n".join(problems)


def test_a_scenario_that_changes_state_without_the_tag_is_found(catalogue) -> None:
    untagged = [dataclasses.replace(e, tags=e.tags - {CHANGES_STATE}) if "Cancelling twice" in e.name else e
                for e in catalogue]
    problems = _state_tag_problems(untagged)
    assert len(problems) == 1 and "Cancelling twice changes nothing" in problems[0] and "we cancel" in problems[0]
    tagged = [dataclasses.replace(e, tags=e.tags | {CHANGES_STATE}) if "reports the state of its" in e.name else e
              for e in catalogue]
    problems = _state_tag_problems(tagged)
    assert len(problems) == 1 and "The partner reports the state of its service" in problems[0]


def test_the_changes_state_tag_is_no_requirement_capability_or_area() -> None:
    tags = read_tags({"PULL-08", "capability:confirm-quantities", CHANGES_STATE})
    assert tags.changes_state and tags.requirements == ("PULL-08",)
    assert tags.capabilities == ("confirm-quantities",) and tags.area is None
    assert not read_tags({"PULL-08"}).changes_state
