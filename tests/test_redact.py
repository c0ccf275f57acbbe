"""Secrets are masked wherever evidence is written."""

from __future__ import annotations

import json
from pathlib import Path

from epix.report.redact import MASK, Redactor, sweep

TOKEN = "7K2P-QX9M-D4RT"


def test_a_secret_is_masked_in_text_and_bytes() -> None:
    redactor = Redactor([TOKEN])
    assert redactor.text(f"<TokenId>{TOKEN}</TokenId>") == f"<TokenId>{MASK}</TokenId>"
    assert redactor.data(f"token={TOKEN}\n".encode()) == f"token={MASK}\n".encode()


def test_escaped_forms_are_masked_too() -> None:
    secret = 'a<b&"c'
    redactor = Redactor([secret])
    assert redactor.text("<t>a&lt;b&amp;&quot;c</t>") == f"<t>{MASK}</t>"
    assert redactor.text(json.dumps({"v": secret})) == json.dumps({"v": MASK})


def test_only_whole_values_are_masked() -> None:
    redactor = Redactor(["4711"])
    assert redactor.text("item 4711, number 26CH47110") == f"item {MASK}, number 26CH47110"


def test_values_too_short_to_mask_safely_are_ignored_and_nothing_is_masked_without_secrets() -> None:
    assert not Redactor(["", None, "abc"])  # type: ignore[list-item]
    assert Redactor().text(TOKEN) == TOKEN


def test_the_longest_secret_is_masked_first() -> None:
    redactor = Redactor(["ABCD", "ABCD-EFGH"])
    assert redactor.text("ABCD-EFGH and ABCD") == f"{MASK} and {MASK}"


def test_sweep_rewrites_every_file_below_a_folder(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    (results / "deep").mkdir(parents=True)
    (results / "a-attachment.txt").write_text(f"POST /soap\n<TokenId>{TOKEN}</TokenId>\n")
    (results / "deep" / "b-result.json").write_text(json.dumps({"message": f"token {TOKEN} refused"}))
    (results / "clean.json").write_text("{}")
    junit = tmp_path / "junit.xml"
    junit.write_text(f"<testsuite><failure message='{TOKEN}'/></testsuite>")
    missing = tmp_path / "outcome.json"
    assert sweep([results, junit, missing], Redactor([TOKEN])) == 3
    for file in [*results.rglob("*"), junit]:
        if file.is_file():
            assert TOKEN not in file.read_text()
    assert not list(tmp_path.rglob("*.masking"))
    assert sweep([results], Redactor()) == 0
