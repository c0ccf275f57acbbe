"""The code lists of the permit document (purpose, source, appendix, units, countries).

They are data, not code: one CSV per list under ``fixtures/codelists/`` with the header
``code,label`` and optionally a ``note`` column, so a pilot can correct a list without
touching the harness. :meth:`CodeLists.load` reads every ``*.csv`` of a folder; the
list's name is the file name without ``.csv``.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from epix.paths import FIXTURES

#: The lists every folder of code lists must provide.
REQUIRED_LISTS: tuple[str, ...] = ("purpose", "source", "appendix", "units", "countries")
_HEADER = ("code", "label")
_OPTIONAL_COLUMNS = ("note",)


def default_dir() -> Path:
    """``fixtures/codelists`` of the repository the package lives in."""
    return FIXTURES / "codelists"


class CodeListError(ValueError):
    """A code list file is missing or malformed; the message names the file and line."""


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    note: str = ""


@dataclass(frozen=True)
class CodeList:
    name: str
    entries: dict[str, Code]

    def codes(self) -> tuple[str, ...]:
        """The codes in the order of the file."""
        return tuple(self.entries)

    def __contains__(self, code: object) -> bool:
        return code in self.entries

    def __len__(self) -> int:
        return len(self.entries)


class CodeLists:
    """All code lists of one folder, by name (``source``, ``units`` …)."""

    def __init__(self, lists: dict[str, CodeList], *, folder: Path | None = None):
        self.lists = lists
        self.folder = folder

    @classmethod
    def load(cls, dir: str | Path | None = None) -> CodeLists:
        """Read every ``*.csv`` in ``dir`` (default: the repository's ``fixtures/codelists``)."""
        folder = Path(dir) if dir is not None else default_dir()
        if not folder.is_dir():
            raise CodeListError(f"{folder}: the code list folder does not exist")
        lists = {path.stem: _read_list(path) for path in sorted(folder.glob("*.csv"))}
        missing = [name for name in REQUIRED_LISTS if name not in lists]
        if missing:
            files = ", ".join(f"{name}.csv" for name in missing)
            raise CodeListError(f"{folder}: missing code list file(s) {files}")
        return cls(lists, folder=folder)

    def __getitem__(self, name: str) -> CodeList:
        try:
            return self.lists[name]
        except KeyError:
            known = ", ".join(sorted(self.lists))
            raise KeyError(f"no code list {name!r} (known: {known})") from None

    def names(self) -> tuple[str, ...]:
        return tuple(self.lists)

    def contains(self, name: str, code: str | None) -> bool:
        """Whether ``code`` is in the list ``name`` (exact, case-sensitive)."""
        return code is not None and code in self[name]

    def label(self, name: str, code: str) -> str | None:
        """The label of ``code`` in list ``name``; ``None`` when the code is not listed."""
        entry = self[name].entries.get(code)
        return entry.label if entry else None

    def note(self, name: str, code: str) -> str | None:
        entry = self[name].entries.get(code)
        return entry.note if entry else None

    def codes(self, name: str) -> tuple[str, ...]:
        return self[name].codes()


def _read_list(path: Path) -> CodeList:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CodeListError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(text.splitlines())
    try:
        header = next(reader)
    except StopIteration:
        raise CodeListError(f"{path}, line 1: the file is empty; expected the header 'code,label'") from None
    except csv.Error as exc:
        raise CodeListError(f"{path}, line 1: {exc}") from None
    columns = _check_header(path, header)
    entries: dict[str, Code] = {}
    try:
        for row in reader:
            _add_row(path, reader.line_num, row, columns, entries)
    except csv.Error as exc:
        raise CodeListError(f"{path}, line {reader.line_num}: {exc}") from None
    if not entries:
        raise CodeListError(f"{path}: the list has a header but no codes")
    return CodeList(path.stem, entries)


def _check_header(path: Path, header: list[str]) -> list[str]:
    columns = [c.strip() for c in header]
    unknown = [c for c in columns[2:] if c not in _OPTIONAL_COLUMNS]
    if tuple(columns[:2]) != _HEADER or unknown:
        raise CodeListError(
            f"{path}, line 1: the header is {','.join(header)!r}; expected 'code,label' "
            f"optionally followed by {', '.join(_OPTIONAL_COLUMNS)}"
        )
    return columns


def _add_row(path: Path, line: int, row: list[str], columns: list[str], entries: dict[str, Code]) -> None:
    if not row or all(not cell.strip() for cell in row):
        return
    where = f"{path}, line {line}"
    if len(row) != len(columns):
        raise CodeListError(f"{where}: {len(row)} field(s), expected {len(columns)} ({','.join(columns)})")
    values = dict(zip(columns, row))
    code = values["code"]
    if not code or code != code.strip() or any(ch.isspace() for ch in code):
        raise CodeListError(f"{where}: the code {code!r} is empty or contains white space")
    if not values["label"].strip():
        raise CodeListError(f"{where}: the code {code!r} has no label")
    if code in entries:
        raise CodeListError(f"{where}: the code {code!r} is listed twice")
    entries[code] = Code(code, values["label"].strip(), values.get("note", "").strip())


@functools.cache
def default_codelists() -> CodeLists:
    """The repository's code lists, loaded once."""
    return CodeLists.load()
