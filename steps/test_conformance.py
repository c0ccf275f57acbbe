"""The conformance suite: every scenario of features/*.feature.

Run it with ``epix run`` or ``pytest --profile fixtures/profiles/simulator.toml``.
"""

from pathlib import Path

from pytest_bdd import scenarios

FEATURES = Path(__file__).resolve().parents[1] / "features"

scenarios(*sorted(str(path) for path in FEATURES.glob("*.feature")))
