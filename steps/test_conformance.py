"""The conformance suite: every scenario of features/*.feature.

Run it with ``epix run`` or ``pytest --profile fixtures/profiles/simulator.toml``.
"""

from pytest_bdd import scenarios

from epix.report.catalogue import FEATURES

scenarios(*sorted(str(path) for path in FEATURES.glob("*.feature")))
