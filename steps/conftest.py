"""Fixtures of the conformance suite: the world of a run, the scene of each scenario, and the
results that When steps hand to Then steps.

A When step returns its result as one of the fixtures below (pytest-bdd's
``target_fixture``); a Then step asks for it by name. The fixtures defined here only
answer when no step of the scenario has produced the result: the feature file checks
something it never did.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from steps.config import DEFAULT_PROFILE, MASKING_PLUGIN, allure_results, configured_profile
from epix.report import allure_files
from epix.report.labels import read_tags
from epix.report.recorder import scenario_tags
from epix.transport import Delivery, PartnerUnreachable
from steps.acknowledgement_steps import *  # noqa: F403 - the step definitions
from steps.delivery_steps import *  # noqa: F403
from steps.hub_steps import *  # noqa: F403
from steps.lifecycle_steps import *  # noqa: F403
from steps.observe import Answer, TlsConnection
from steps.pull_steps import *  # noqa: F403
from steps.scene import Scene
from steps.world import World, open_world


@pytest.fixture(scope="session")
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    from epix.profile import load_profile

    profile = configured_profile(request.config) or load_profile(DEFAULT_PROFILE)
    with open_world(profile, _started_simulator(request.config)) as opened:
        masking = request.config.pluginmanager.get_plugin(MASKING_PLUGIN)
        if masking is not None:  # the simulated partner's tokens are known only now
            for secret in opened.profile.secrets():
                masking.redactor.add(secret)
        results = allure_results(request.config)
        if results is not None:
            allure_files.write_environment(results, allure_files.environment(opened.profile))
        yield opened


def _started_simulator(config: pytest.Config):  # noqa: ANN202 - epix.partner.RunningPartner or None
    """The simulated partner ``epix run`` started and checked before the session, if any."""
    from epix.partner.suite import StartedSimulator

    handed = [p for p in config.pluginmanager.get_plugins() if isinstance(p, StartedSimulator)]
    return handed[0].running if handed else None


@pytest.fixture()
def scene(world: World, request: pytest.FixtureRequest) -> Scene:
    """What one scenario is about: its requirements, whether it changes a document at the
    partner (the tag ``@changes-state``), the documents in play."""
    if world.unreachable is not None:
        raise PartnerUnreachable(world.unreachable, url=world.endpoint_url)
    tags = read_tags(scenario_tags(request.node))
    return Scene(world, tags.requirements, tags.changes_state)


@pytest.fixture()
def delivery() -> Delivery:
    """The last delivery of the scenario (a When step that delivers gives it)."""
    raise LookupError("the scenario delivered nothing before checking the answer")


@pytest.fixture()
def answer() -> Answer:
    """The partner's answer to the scenario's last request (a When step that asks gives it)."""
    raise LookupError("the scenario asked the partner nothing before checking the answer")


@pytest.fixture()
def connection() -> TlsConnection:
    """The connection the scenario opened to the partner's endpoint."""
    raise LookupError("the scenario opened no connection before checking it")
