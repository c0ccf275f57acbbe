"""The languages the matrix is written in, and the translator of its words.

Every sentence of the matrix is an English message id marked ``_("…")`` (with
``{name}`` placeholders filled in after translation), so that the project's gettext
catalogues can carry it; :func:`translator` gives the function that turns it into the
reader's language.
"""

from __future__ import annotations

from collections.abc import Callable

#: The languages the matrix can be written in.
LANGUAGES = ("en",)


def translator(lang: str) -> Callable[[str], str]:
    """The function that gives a message in ``lang`` (one of :data:`LANGUAGES`)."""
    if lang not in LANGUAGES:
        raise ValueError(f"{lang!r} is not a language of the matrix; choose one of {', '.join(LANGUAGES)}")
    return _english


def _english(message: str) -> str:
    return message
