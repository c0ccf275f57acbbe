"""Three languages: the catalogues are complete, every requirement has a title in each, the summary speaks French."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from epix.i18n import LANGUAGES, UnknownLanguage, catalogue_path, default_language, translator
from epix.report.catalogue import SPEC_FILES, spec_requirements
from epix.report.outcomes import FAILED, NOT_CLAIMED, PASSED, WARNING, RunOutcome, ScenarioResult, summary_table
from epix.report.requirements import TITLES, requirement_titles

ROOT = Path(__file__).resolve().parents[1]
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _extracted() -> set[str]:
    """Every text the code marks for translation, as ``make catalogues`` extracts it (babel.cfg)."""
    method_map = [("epix/**.py", "python")]
    return {message for _file, _line, message, *_rest in extract_from_dir(str(ROOT), method_map)
            if isinstance(message, str)}


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    return _extracted()


def test_the_extraction_finds_the_statement_the_summary_and_the_titles(extracted: set[str]) -> None:
    assert {"EPIX pilot readiness statement", "Passed", "All areas", "not covered"} <= extracted
    assert set(TITLES.values()) <= extracted


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_each_catalogue_translates_every_text_and_keeps_its_placeholders(lang: str, extracted: set[str]) -> None:
    with catalogue_path(lang).open("rb") as source:
        catalogue = read_po(source)
    entries = {message.id: message for message in catalogue if message.id}
    missing = sorted(extracted - set(entries))
    assert not missing, f"{lang}: not in the catalogue (run `make catalogues`, then translate): {missing}"
    untranslated = sorted(text for text in extracted if not entries[text].string)
    assert not untranslated, f"{lang}: untranslated: {untranslated}"
    fuzzy = sorted(text for text in extracted if entries[text].fuzzy)
    assert not fuzzy, f"{lang}: fuzzy: {fuzzy}"
    wrong = sorted(text for text in extracted
                   if sorted(_PLACEHOLDER.findall(text)) != sorted(_PLACEHOLDER.findall(entries[text].string)))
    assert not wrong, f"{lang}: placeholders changed in: {wrong}"


def test_no_text_is_translated_inside_an_f_string() -> None:
    """Babel does not look inside f-strings (Python 3.11): a ``_("…")`` there is never extracted."""
    hidden = []
    for path in sorted((ROOT / "epix").rglob("*.py")):
        for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            prefix = re.match(r"[A-Za-z]*", token.string).group(0).lower() if token.type == tokenize.STRING else ""
            if "f" in prefix and re.search(r"(?<![\w.])_\(", token.string):
                hidden.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert not hidden, f"translate outside the f-string, where Babel finds it: {hidden}"


def test_every_requirement_of_the_spec_has_a_title_in_each_language() -> None:
    ids = spec_requirements(*SPEC_FILES)
    assert len(ids) >= 65
    english = requirement_titles("en")
    for lang in LANGUAGES:
        titles = requirement_titles(lang)
        untitled = [i for i in ids if not titles.get(i)]
        assert not untitled, f"{lang}: no title for {untitled}"
        if lang != "en":
            same = [i for i in ids if titles[i] == english[i]]
            assert not same, f"{lang}: the title is still English for {same}"
    assert set(TITLES) == set(ids), "a title for a requirement the spec does not define"


def test_a_translator_translates_and_english_is_the_text_itself() -> None:
    assert translator("fr")("Passed") == "Réussi"
    assert translator("es")("Passed") == "Superado"
    assert translator("en")("Passed") == "Passed"
    with pytest.raises(UnknownLanguage, match="'de' is not one of en, fr, es"):
        translator("de")


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "fr_CH.UTF-8"}, "fr"),
    ({"LC_ALL": "es_ES.UTF-8", "LANG": "fr_FR.UTF-8"}, "es"),
    ({"LC_MESSAGES": "fr_FR", "LANG": "es_ES"}, "fr"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({}, "en"),
])
def test_the_default_language_is_the_locale_s(environ: dict[str, str], expected: str) -> None:
    assert default_language(environ) == expected


def _result(outcome: str, area: str, name: str) -> ScenarioResult:
    return ScenarioResult(f"steps/test_conformance.py::test_{name}", name, area, ["LIF-02"], "receive", outcome)


def test_the_summary_table_speaks_french() -> None:
    outcome = RunOutcome([_result(PASSED, "lifecycle", "a"), _result(FAILED, "lifecycle", "b"),
                          _result(WARNING, "pull", "c"), _result(NOT_CLAIMED, "pull", "d")])
    table = summary_table(outcome, "fr").splitlines()
    assert table[0].split()[:4] == ["Domaine", "Réussi", "Avertissement", "Échoué"]
    assert table[-1].startswith("Tous les domaines")
    assert any(line.startswith("Cycle de vie du permis") for line in table)
    assert summary_table(outcome, "en").splitlines()[0].startswith("Area")
