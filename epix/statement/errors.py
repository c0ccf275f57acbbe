"""The one error of the statement: a run folder, a file in it or a tool that cannot serve."""

from __future__ import annotations


class StatementError(Exception):
    """No statement (or no PDF) could be made; the message says what and where, in one sentence."""
