"""Fixtures of the conformance suite: the world of a run, and the scene of each scenario."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from steps.config import DEFAULT_PROFILE, allure_results, configured_profile
from epix.report import allure_files
from epix.report.labels import read_tags
from epix.report.recorder import scenario_tags
from epix.transport import PartnerUnreachable
from steps.acknowledgement_steps import *  # noqa: F403 - the step definitions
from steps.delivery_steps import *  # noqa: F403
from steps.lifecycle_steps import *  # noqa: F403
from steps.pull_steps import *  # noqa: F403
from steps.scene import Scene
from steps.world import World, open_world


@pytest.fixture(scope="session")
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    from epix.profile import load_profile

    profile = configured_profile(request.config) or load_profile(DEFAULT_PROFILE)
    with open_world(profile) as opened:
        results = allure_results(request.config)
        if results is not None:
            allure_files.write_environment(results, allure_files.environment(opened.profile))
        yield opened


@pytest.fixture()
def scene(world: World, request: pytest.FixtureRequest) -> Scene:
    """What one scenario drafted, sent and received; whether it may change a document at the
    partner, its tag ``@changes-state`` says (steps/state_changes.py)."""
    if world.unreachable is not None:
        url = (world.partner.binding_b or world.partner.binding_a).url
        raise PartnerUnreachable(world.unreachable, url=url)
    tags = read_tags(scenario_tags(request.node))
    return Scene(world, tags.requirements, tags.changes_state)
