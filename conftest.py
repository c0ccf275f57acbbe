"""pytest wiring of the conformance suite.

``pytest --profile fixtures/profiles/simulator.toml`` runs the suite (the scenarios of
``features/`` through ``steps/``) against the partner a profile describes; ``epix run``
does the same with progress, reports and a summary. Without ``--profile``, plain
``pytest`` runs the project's tests in ``tests/`` and this file only adds its options.

What happens here, before any scenario runs: the profile is loaded and checked (a wrong
profile stops the run with one sentence per mistake), scenarios are selected by
``--tags``, scenarios of capabilities the partner does not claim are skipped as
"not claimed", and each scenario gets its Allure labels from its Gherkin tags.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SUITE = ROOT / "steps"
SUITE_MODULE = SUITE / "test_conformance.py"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("epix", "EPIX conformance suite")
    group.addoption("--profile", metavar="TOML", default=None,
                    help="run the conformance suite against the partner this profile describes "
                         "(default for the suite: fixtures/profiles/simulator.toml)")
    group.addoption("--tags", metavar="EXPR", default=None,
                    help='run only the scenarios whose tags match, e.g. "@signatures and not @SIG-06"')
    group.addoption("--epix-outcome", metavar="JSON", default=None,
                    help="write each scenario's outcome to this file (used by `epix run`)")
    group.addoption("--epix-progress", action="store_true", default=False,
                    help="print one line per scenario as it ends (used by `epix run`)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "epix_tag(tag): a Gherkin tag of a conformance scenario")
    from epix.report.labels import REQUIREMENT_FAMILIES

    for prefix in REQUIREMENT_FAMILIES:
        for number in range(1, 40):
            config.addinivalue_line("markers", f"{prefix}-{number:02d}: a requirement of the EPIX profile")
    # an Examples block's @needs:DOC-02 becomes a mark of that name, which no marker line can
    # register (its name holds the ':' that ends a marker's name there)
    config.addinivalue_line("filterwarnings", r"ignore:Unknown pytest\.mark\.needs")
    if config.getoption("--profile") and config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(SUITE_MODULE)]
    if _runs_the_suite(config):
        _load_profile(config)
        _register_recorder(config)


def _runs_the_suite(config: pytest.Config) -> bool:
    if config.getoption("--profile"):
        return True
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        path = path if path.is_absolute() else Path(config.invocation_params.dir) / path
        try:
            path.resolve().relative_to(SUITE)
            return True
        except ValueError:
            if path.resolve() == ROOT:
                return False
    return False


def _load_profile(config: pytest.Config) -> None:
    from epix.profile import ProfileError, load_profile
    from epix.report.selection import TagExpressionError, parse_tags
    from steps.config import DEFAULT_PROFILE, PROFILE_KEY

    try:
        profile = load_profile(config.getoption("--profile") or DEFAULT_PROFILE)
    except ProfileError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[PROFILE_KEY] = profile
    if config.getoption("--tags"):
        try:
            parse_tags(config.getoption("--tags"))
        except TagExpressionError as error:
            raise pytest.UsageError(str(error)) from None


def _register_recorder(config: pytest.Config) -> None:
    """The recorder of outcomes, and the masking of the profile's secrets in all that the run writes."""
    from epix.report.recorder import RunRecorder, default_progress
    from epix.report.redact import EvidenceMasking
    from steps.config import MASKING_PLUGIN

    outcome = config.getoption("--epix-outcome")
    junit = getattr(config.option, "xmlpath", None)
    masking = EvidenceMasking([allure_results(config), Path(junit) if junit else None,
                               Path(outcome) if outcome else None])
    for secret in configured_profile(config).secrets():
        masking.redactor.add(secret)
    config.pluginmanager.register(masking, MASKING_PLUGIN)
    waivers = _handed_waivers(config)
    recorder = RunRecorder(progress=default_progress() if config.getoption("--epix-progress") else None,
                           save_to=Path(outcome) if outcome else None, redactor=masking.redactor, waivers=waivers)
    config.pluginmanager.register(recorder, "epix-recorder")
    if allure_results(config) is not None:
        from epix.report.allure_waivers import AllureWaivers
        from epix.report.allure_warnings import AllureWarnings

        for plugin in (AllureWarnings(), *([AllureWaivers()] if waivers is not None else [])):
            plugin.register()
            config.add_cleanup(plugin.unregister)


def _handed_waivers(config: pytest.Config):  # noqa: ANN202 - epix.report.waivers.WaiverBook | None
    """The waivers ``epix run --waivers`` read and handed to the suite as a plugin, if any."""
    from epix.report.waivers import WaiverBook

    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, WaiverBook)), None)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Environment, categories and executor into the Allure results, when the suite runs with --alluredir."""
    profile = configured_profile(session.config)
    results = allure_results(session.config)
    if profile is None or results is None:
        return
    from epix.report import allure_files

    allure_files.write_all(results, profile)


def allure_results(config: pytest.Config) -> Path | None:
    from steps.config import allure_results as results

    return results(config)


def configured_profile(config: pytest.Config):  # noqa: ANN201 - epix.profile.Profile, imported lazily
    """The profile this run checked at start (``None`` when the suite does not run)."""
    from steps.config import configured_profile as profile

    return profile(config)


def pytest_bdd_apply_tag(tag: str, function):  # noqa: ANN001, ANN201
    """Gherkin tags become one ``epix_tag`` mark each; their meaning is read at collection."""
    pytest.mark.epix_tag(tag)(function)
    return True


@pytest.hookimpl(wrapper=True)
def pytest_bdd_before_step_call(request: pytest.FixtureRequest, step_func_args: dict) -> Iterator[None]:
    """Allure lists a step's arguments as the step's parameters: let it see the step's own
    (the document, the error code …), not the fixtures the step uses (the scene, whose
    exchanges would be written out in full into every step of the report)."""
    fixtures = {name: step_func_args.pop(name) for name in list(step_func_args) if name in request.fixturenames}
    try:
        return (yield)
    finally:
        step_func_args.update(fixtures)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    profile = configured_profile(config)
    if profile is None:
        return
    from epix.report.labels import NEEDS_PERSON, NEEDS_PERSON_MARK, read_tags
    from epix.report.recorder import scenario_tags
    from epix.report.selection import parse_tags

    selected = parse_tags(config.getoption("--tags")) if config.getoption("--tags") else None
    claims = _claimed_capabilities(profile)
    kept, dropped = [], []
    for item in items:
        if not _is_scenario(item):
            kept.append(item)
            continue
        tags = scenario_tags(item)
        if selected is not None and not selected(tags):
            dropped.append(item)
            continue
        kept.append(item)
        meaning = read_tags(tags)
        _label(item, meaning, profile)
        if meaning.capability not in claims:
            item.add_marker(pytest.mark.skip(reason=f"not claimed: the partner does not claim "
                                                    f"'{meaning.capability}'"))
        elif NEEDS_PERSON in tags:
            item.add_marker(pytest.mark.skip(reason=f"{NEEDS_PERSON_MARK}: a person judges this scenario"))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _is_scenario(item: pytest.Item) -> bool:
    try:
        Path(str(item.path)).resolve().relative_to(SUITE)
    except ValueError:
        return False
    return True


def _claimed_capabilities(profile) -> frozenset[str]:  # noqa: ANN001
    if profile.partner is not None:
        return profile.partner.capabilities
    from steps.world import simulator_capabilities

    return simulator_capabilities(profile.simulator)


def _label(item: pytest.Item, meaning, profile) -> None:  # noqa: ANN001
    """Allure labels from the tags: the checked requirements as the scenario's one story
    (counted once in the overview), and each as a tag and a link to the spec; the requirements
    the scenario only needs (``@needs:…``) as a plain ``needs`` label."""
    argless = {mark.name for mark in item.iter_markers() if not mark.args and not mark.kwargs}
    label = pytest.mark.allure_label
    if meaning.epic:
        item.add_marker(label(meaning.epic, label_type="epic"))
    item.add_marker(label(meaning.severity, label_type="severity"))
    if meaning.capability:
        item.add_marker(label(meaning.capability, label_type="capability"))
    if meaning.story:
        item.add_marker(label(meaning.story, label_type="story"))
    for requirement in meaning.requirements:
        if requirement not in argless:
            item.add_marker(label(requirement, label_type="tag"))
        item.add_marker(pytest.mark.allure_link(profile.requirement_links.format(requirement), name=requirement,
                                                link_type="requirement"))
    for requirement in meaning.needs:  # depended on, not checked: no story, no link
        item.add_marker(label(requirement, label_type="needs"))
