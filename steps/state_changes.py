"""Steps that change a document at the partner, and the tag of the scenarios that use them.

A scenario that reports the use of a permit, confirms its quantities, cancels it or
delivers an envelope again may change a test document of the partner (or, at a faulty
partner, change it although the answer was a rejection). Such a scenario carries the
tag ``@changes-state`` (:data:`epix.report.labels.CHANGES_STATE`): it gets a test
document of its own, which no other scenario sees
(:meth:`steps.world.World.take_document`); the others share one per state.

The step definitions that may change a document mark their text with
:func:`changes_state`; ``tests/test_features.py`` checks that every scenario with such a
step carries the tag, and that no other scenario does.
"""

from __future__ import annotations

from pytest_bdd.parsers import StepParser, string

_CHANGING: list[StepParser] = []


def changes_state(text: str | StepParser) -> StepParser:
    """Mark a step definition's text as one that may change a document at the partner:
    ``@when(changes_state(parsers.re(r"we cancel …")))``."""
    parser = string(text) if isinstance(text, str) else text
    _CHANGING.append(parser)
    return parser


def step_changes_state(text: str) -> bool:
    """Whether a step of a feature file (its text without the keyword) is one of the marked steps."""
    return any(parser.is_matching(text) for parser in _CHANGING)
