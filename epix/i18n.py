"""The languages of the statement, the matrix and the console summary: English, French, Spanish.

Texts are marked in the code with ``_("…")`` (English, the gettext msgid) where
``_ = translator(lang)``, or with :func:`N_` where they are defined before a language is
known (the requirement titles); Babel extracts them (``babel.cfg``, ``make catalogues``)
into ``epix/locale/epix.pot``, and each language has its catalogue
``epix/locale/<lang>/LC_MESSAGES/epix.po``. No compiled ``.mo`` file is kept in the
repository: a catalogue is compiled in memory with Babel when first used, so a fresh
clone needs no build step and a ``.po`` edit takes effect at once. Scenario texts and
the partner's messages stay in English.
"""

from __future__ import annotations

import functools
import gettext
import io
import os
from collections.abc import Callable, Mapping
from pathlib import Path

LANGUAGES = ("en", "fr", "es")
DOMAIN = "epix"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


class UnknownLanguage(ValueError):
    """A language the harness has no catalogue for; the message names the known ones."""


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark ``message`` for extraction without translating it now."""
    return message


def default_language(environ: Mapping[str, str] | None = None) -> str:
    """The language of the locale (``LC_ALL``, then ``LC_MESSAGES``, then ``LANG``), English
    when it is none of :data:`LANGUAGES`."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            code = value.split(".", 1)[0].split("@", 1)[0].split("_", 1)[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"


def check_language(lang: str) -> str:
    """``lang`` if the harness speaks it, else :class:`UnknownLanguage`."""
    if lang not in LANGUAGES:
        raise UnknownLanguage(f"the language {lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


def translator(lang: str) -> Callable[[str], str]:
    """``_`` for ``lang``: the English text in, the language's text out."""
    return translations(lang).gettext


def plural(lang: str) -> Callable[[str, str, int], str]:
    """``ngettext`` for ``lang``: ``plural(lang)("{n} scenario", "{n} scenarios", n)``."""
    return translations(lang).ngettext


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The gettext translations of ``lang`` (English: the msgids themselves)."""
    check_language(lang)
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.GNUTranslations(io.BytesIO(compiled(catalogue_path(lang))))


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compiled(po_file: Path) -> bytes:
    """The ``.mo`` bytes of a ``.po`` catalogue (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_file.open("rb") as source:
        catalogue = read_po(source)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)
    return buffer.getvalue()
