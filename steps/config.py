"""What the top-level conftest learnt before the run, for the suite's fixtures to read."""

from __future__ import annotations

from pathlib import Path

import pytest

from epix.paths import FIXTURES

DEFAULT_PROFILE = FIXTURES / "profiles" / "simulator.toml"
PROFILE_KEY = pytest.StashKey["object"]()
#: The name of the plugin that masks secrets in what the run writes (epix.report.redact).
MASKING_PLUGIN = "epix-masking"


def configured_profile(config: pytest.Config):  # noqa: ANN201 - epix.profile.Profile or None
    """The profile this run checked at start."""
    return config.stash.get(PROFILE_KEY, None)


def allure_results(config: pytest.Config) -> Path | None:
    """The Allure results folder of this run (``--alluredir``), if any."""
    folder = getattr(config.option, "allure_report_dir", None)
    return Path(folder) if folder else None
