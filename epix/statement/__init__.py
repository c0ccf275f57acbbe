"""The readiness statement of a run: one self-contained HTML page (and a PDF of it) that says,
requirement by requirement, what a party was shown to do, in English, French or Spanish.

``build_statement(run_dir, lang=…, pdf=…)`` writes it from a run folder; ``epix run`` calls
it at the end, ``epix statement RUN_DIR`` makes it again.
"""

from epix.statement.build import build_statement
from epix.statement.errors import StatementError

__all__ = ["StatementError", "build_statement"]
