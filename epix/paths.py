"""Where the harness's own files are.

The harness runs from a checkout: the conformance suite (``features/``, ``steps/``), the
schemas, the code lists and the report generator stand beside the ``epix`` package, not
inside it. This is the one module that knows that layout.
"""

from __future__ import annotations

from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
FEATURES = PROJECT / "features"
STEPS = PROJECT / "steps"
SCHEMAS = PROJECT / "schemas"
FIXTURES = PROJECT / "fixtures"
REPORTS = PROJECT / "reports"
