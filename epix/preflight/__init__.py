"""``epix preflight``: the set-up checks that name an expired certificate, a wrong trust
anchor, a refused client certificate, a stale CRL or a skewed clock before any scenario runs.

    report = preflight(Target.of(profile))
    print(report.text()); sys.exit(report.exit_code())
"""

from epix.preflight.checks import preflight
from epix.preflight.target import Binding, Target
from epix.preflight.verdicts import FAIL, OK, SKIP, WARN, Line, Report

__all__ = ["FAIL", "OK", "SKIP", "WARN", "Binding", "Line", "Report", "Target", "preflight"]
