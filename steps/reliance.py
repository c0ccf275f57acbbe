"""Steps whose verdict rests on requirements they do not check, and the tags that say so.

A step that concludes acceptance takes as evidence only a verified acknowledgement
(:func:`steps.scene.verified_ack`): valid against the envelope schema (ACK-01), signed
by the partner (ACK-04) with its certificate in ``KeyInfo`` (SIG-03). A partner that
breaks one of those fails such a scenario even when it accepted the document, so the
scenario depends on them: it carries ``@needs:ACK-01 @needs:ACK-04 @needs:SIG-03``
(:data:`epix.report.labels.NEEDS_PREFIX`), unless it checks them itself.

The step definitions mark their text with :func:`relies_on`; ``tests/test_features.py``
checks that every scenario (every Examples row) with such a step carries the tags.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pytest_bdd.parsers import StepParser, string

#: What a verified acknowledgement rests on.
VERIFIED_ACKNOWLEDGEMENT = ("ACK-01", "ACK-04", "SIG-03")

_RELYING: list[tuple[StepParser, tuple[str, ...], Callable[[Mapping[str, object]], bool] | None]] = []


def relies_on(requirements: tuple[str, ...], text: str | StepParser, *,
              when: Callable[[Mapping[str, object]], bool] | None = None) -> StepParser:
    """Mark a step definition's text as resting on ``requirements`` (only for the step's
    arguments that ``when`` accepts, if given): ``@then(relies_on(VERIFIED_ACKNOWLEDGEMENT, "…"))``."""
    parser = string(text) if isinstance(text, str) else text
    _RELYING.append((parser, tuple(requirements), when))
    return parser


def reliance_of(text: str) -> set[str]:
    """The requirements a step of a feature file (its text without the keyword) rests on."""
    found: set[str] = set()
    for parser, requirements, when in _RELYING:
        if parser.is_matching(text) and (when is None or when(parser.parse_arguments(text) or {})):
            found.update(requirements)
    return found
