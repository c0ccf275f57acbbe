"""Secrets out of the evidence: what a run writes carries no security token or password.

A run's evidence (Allure results and attachments, ``junit.xml``, ``outcome.json``, the
console lines, the HTML report made from the results) is shown in meetings and mailed
around. The values a profile or a partner makes secret (binding A security tokens, any
value the profile marks secret) are registered with one :class:`Redactor` as they
become known; :func:`sweep` rewrites every file a run wrote with each of them masked
before the HTML report is made from them, so nothing written escapes it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

MASK = "***"
#: Shorter values would mask ordinary words and numbers; a profile refuses them as secrets.
MIN_SECRET_LENGTH = 4


class Redactor:
    """The secrets of one run, and how to mask them in text and bytes."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Register ``secret`` (with its XML- and JSON-escaped forms); too short a value is ignored."""
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            return
        forms = {secret, html.escape(secret, quote=True), html.escape(secret, quote=False), json.dumps(secret)[1:-1]}
        if forms - self._secrets:
            self._secrets |= forms
            self._pattern = None

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def text(self, value: str) -> str:
        """``value`` with every secret masked (a secret is masked only where it stands as a whole
        value, not inside a longer word or number)."""
        if not self._secrets:
            return value
        return self._compiled().sub(MASK, value)

    def data(self, value: bytes) -> bytes:
        """``value`` (UTF-8, or bytes that are mostly text) with every secret masked."""
        if not self._secrets:
            return value
        text = value.decode("utf-8", errors="surrogateescape")
        return self.text(text).encode("utf-8", errors="surrogateescape")

    def _compiled(self) -> re.Pattern[str]:
        if self._pattern is None:
            alternatives = "|".join(re.escape(s) for s in sorted(self._secrets, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")
        return self._pattern


def sweep(paths: Iterable[Path], redactor: Redactor) -> int:
    """Mask every secret in the files at ``paths`` (folders: every file below them, recursively);
    returns how many files were rewritten. Files are replaced whole, never left half-written."""
    if not redactor:
        return 0
    changed = 0
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.is_file() else []
        for file in files:
            before = file.read_bytes()
            after = redactor.data(before)
            if after != before:
                partial = file.with_name(file.name + ".masking")
                partial.write_bytes(after)
                partial.replace(file)
                changed += 1
    return changed


class EvidenceMasking:
    """A pytest plugin: once the run has written everything (the Allure results as scenarios
    end, ``junit.xml`` and the outcome when the session ends), each file is swept."""

    def __init__(self, paths: Iterable[Path | None]):
        self.redactor = Redactor()
        self.paths = [path for path in paths if path is not None]

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        sweep(self.paths, self.redactor)
