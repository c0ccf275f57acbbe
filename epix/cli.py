"""The ``epix`` command: ``run | preflight | simulate | validate | pki | report | statement |
verify-statement | matrix``.

Each subcommand lives in its own module under :mod:`epix.commands` (``-`` in its name is
``_`` in the module's) and provides
``register(subparsers)``, which adds its parser and sets ``func`` to a callable taking
the parsed arguments and returning the exit code. The exit codes and :class:`UsageError`
live in :mod:`epix.exits`: 0 success, 1 findings or failures, 2 usage or configuration
error (or a failed set-up check), 3 partner unreachable.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from epix import __version__
from epix.exits import Exit, UsageError

COMMANDS = ("run", "preflight", "simulate", "validate", "pki", "report", "statement", "verify-statement", "matrix")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="epix",
        description="Conformance harness for the EPIX electronic CITES permit exchange pilot.",
    )
    parser.add_argument("--version", action="version", version=f"epix {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module_name = f"epix.commands.{name.replace('-', '_')}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return Exit.USAGE
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"epix {args.command}: {exc}", file=sys.stderr)
        return Exit.USAGE
    except KeyboardInterrupt:
        print(f"epix {args.command}: interrupted", file=sys.stderr)
        return Exit.INTERRUPTED
