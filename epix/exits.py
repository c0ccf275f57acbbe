"""How the ``epix`` command ends: its exit codes, and the error for a command called wrongly.

Every command returns one of :class:`Exit`; a command that cannot start as called
raises :class:`UsageError`, which :func:`epix.cli.main` prints and turns into
:attr:`Exit.USAGE`. CI scripts rely on these numbers: they never change.
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """The exit codes of ``epix``."""

    #: Success: every claimed scenario passed (run), every file is valid (validate), done.
    OK = 0
    #: Failures or findings: a scenario failed or broke (run), a file has findings
    #: (validate, also for a file that is empty, binary or not XML), or the command's work failed.
    FAILED = 1
    #: A usage or configuration error, such as a wrong profile or option, or a failed set-up
    #: check of the preflight (certificates, trust anchors, clock, CRL, a binding's URL): nothing ran.
    USAGE = 2
    #: The partner under test was unreachable (run; preflight: its host name does not resolve,
    #: or it takes no TCP connection).
    UNREACHABLE = 3
    #: Stopped with Ctrl-C.
    INTERRUPTED = 130


class UsageError(Exception):
    """A mistake in how the command was called or configured; the message is shown as is."""
