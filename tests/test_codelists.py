from __future__ import annotations

from pathlib import Path

import pytest

from epix.codelists import REQUIRED_LISTS, CodeListError, CodeLists, default_dir


@pytest.fixture(scope="module")
def lists() -> CodeLists:
    return CodeLists.load()


def _copy_lists(tmp_path: Path) -> Path:
    for path in default_dir().glob("*.csv"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    return tmp_path


def test_default_folder_is_the_repository_fixtures(lists):
    assert lists.folder == default_dir()
    assert default_dir().parts[-2:] == ("fixtures", "codelists")
    for name in REQUIRED_LISTS:
        assert (default_dir() / f"{name}.csv").is_file()


def test_purpose_codes_of_res_conf_12_3(lists):
    assert lists.codes("purpose") == tuple("BEGHLMNPQSTZ")
    assert lists.label("purpose", "Q") == "Circus or travelling exhibition"
    assert not lists.contains("purpose", "X")


def test_source_codes_in_the_order_of_the_form(lists):
    assert lists.codes("source") == tuple("WRDACFYUIOX")
    assert lists.contains("source", "W")
    assert not lists.contains("source", "K")
    assert not lists.contains("source", "w"), "codes are case-sensitive"
    assert "another code" in lists.note("source", "O")


def test_appendices(lists):
    assert lists.codes("appendix") == ("I", "II", "III")
    assert not lists.contains("appendix", "IV")


@pytest.mark.parametrize("code", ["KGM", "GRM", "MGM", "TNE", "LTR", "MLT", "MTR", "CMT", "MTK", "CMK",
                                  "MTQ", "CMQ", "H87", "NAR", "PR", "C62", "SET", "PCS"])
def test_units_include_rec_20_codes_and_pcs(lists, code):
    assert lists.contains("units", code)


def test_units_refuse_package_codes_and_pcs_is_explained(lists):
    assert not lists.contains("units", "BOX")
    assert not lists.contains("units", "kgm")
    assert lists.label("units", "KGM") == "kilogram"
    assert "pilot" in lists.note("units", "PCS")


def test_countries_are_all_249_iso_3166_alpha_2_codes(lists):
    assert len(lists["countries"]) == 249
    assert lists.label("countries", "CH") == "Switzerland"
    assert lists.label("countries", "BO") == "Bolivia, Plurinational State of"
    assert all(len(code) == 2 and code.isupper() for code in lists.codes("countries"))
    assert not lists.contains("countries", "XX")
    assert not lists.contains("countries", "UK")


def test_unknown_code_has_no_label_and_none_is_not_contained(lists):
    assert lists.label("source", "K") is None
    assert not lists.contains("source", None)


def test_unknown_list_name_is_a_clear_key_error(lists):
    with pytest.raises(KeyError, match="no code list 'colours'"):
        lists.contains("colours", "R")


def test_load_from_another_folder_and_extra_lists(tmp_path):
    folder = _copy_lists(tmp_path)
    (folder / "terms.csv").write_text("code,label\nLIV,live\nSKI,skins\n", encoding="utf-8")
    lists = CodeLists.load(folder)
    assert lists.contains("terms", "LIV")
    assert lists.folder == folder


def test_a_corrected_list_is_used(tmp_path):
    folder = _copy_lists(tmp_path)
    (folder / "source.csv").write_text("code,label,note\nW,wild,\nK,new source,\n", encoding="utf-8")
    assert CodeLists.load(folder).contains("source", "K")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", r"source\.csv, line 1: the file is empty"),
        ("id,name\nW,wild\n", r"source\.csv, line 1: the header is 'id,name'"),
        ("code,label\nW,wild\nR\n", r"source\.csv, line 3: 1 field\(s\), expected 2"),
        ("code,label\nW,wild\nR,ranched,extra\n", r"source\.csv, line 3: 3 field\(s\)"),
        ("code,label\nW,wild\nW,again\n", r"source\.csv, line 3: the code 'W' is listed twice"),
        ("code,label\nW,wild\nA B,spaced\n", r"source\.csv, line 3: the code 'A B' is empty or contains white space"),
        ("code,label\nW,wild\n,nothing\n", r"source\.csv, line 3: the code '' is empty"),
        ("code,label\nW,\n", r"source\.csv, line 2: the code 'W' has no label"),
        ("code,label\n", r"source\.csv: the list has a header but no codes"),
    ],
)
def test_malformed_csv_names_file_and_line(tmp_path, content, message):
    folder = _copy_lists(tmp_path)
    (folder / "source.csv").write_text(content, encoding="utf-8")
    with pytest.raises(CodeListError, match=message):
        CodeLists.load(folder)


def test_binary_csv_is_refused(tmp_path):
    folder = _copy_lists(tmp_path)
    (folder / "units.csv").write_bytes(b"code,label\n\xff\xfe\x00\n")
    with pytest.raises(CodeListError, match=r"units\.csv: not UTF-8"):
        CodeLists.load(folder)


def test_missing_list_and_missing_folder(tmp_path):
    folder = _copy_lists(tmp_path)
    (folder / "countries.csv").unlink()
    with pytest.raises(CodeListError, match=r"missing code list file\(s\) countries\.csv"):
        CodeLists.load(folder)
    with pytest.raises(CodeListError, match="does not exist"):
        CodeLists.load(tmp_path / "nowhere")
