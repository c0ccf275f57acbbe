"""``epix validate FILE… [--trust DIR] [--schema-set TOML] [--format text|json]``.

Validates each file on its own (a permit, usage report, cancellation, envelope,
acknowledgement, status, tracking or binding-A SOAP message) and prints every finding
with its code, requirement, location and sentence. A file that cannot be validated at
all gets one line naming it. Exit codes: 0 every file valid, 1 findings (including a
file that is empty, binary or not XML), 2 a usage error (a file missing, a directory,
unreadable or over 50 MB; a bad option).
"""

from __future__ import annotations

import argparse
import json
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from epix.codelists import default_codelists
from epix.exits import Exit, UsageError
from epix.findings import Finding
from epix.validation import validate
from epix.validation.report import ValidationReport

#: The largest file the validator reads (50 MB); larger files are refused unread.
MAX_FILE_BYTES = 50 * 1024 * 1024
_SNIFF = 8192
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class FileRefused(Exception):
    """A file that cannot be validated; ``exit_code`` says whether it is a usage error."""

    def __init__(self, message: str, exit_code: Exit):
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class FileResult:
    path: str
    report: ValidationReport | None = None
    problem: str | None = None
    exit_code: Exit = Exit.OK
    extra: dict[str, Any] = field(default_factory=dict)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate permits, envelopes and other messages of the profile, one file each",
        description=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="the XML files to validate")
    parser.add_argument("--trust", type=Path, metavar="DIR",
                        help="a PKI folder (epix pki init): also verify signatures, the sender being the "
                             "document's issuing party or the envelope's From")
    parser.add_argument("--schema-set", type=Path, metavar="TOML",
                        help="the schema set to validate permits with (default: schemas/v2.schemaset.toml)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = {"schema_set": _schema_set(args.schema_set), "trust": _trust(args.trust), "codelists": _codelists()}
    results = [validate_file(path, **options) for path in args.files]
    if args.format == "json":
        json.dump([_as_json(result) for result in results], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for result in results:
            _print_text(result)
    return max(result.exit_code for result in results)


def validate_file(path: str, **options: Any) -> FileResult:
    """Read and validate one file; a file that cannot be validated gets a one-line problem."""
    try:
        data = read_document(Path(path))
    except FileRefused as exc:
        return FileResult(path, problem=str(exc), exit_code=exc.exit_code)
    report = validate(data, source=path, **options)
    if report.kind == "unreadable":
        finding = report.findings[0]
        where = f" (line {finding.line})" if finding.line and "line" not in finding.text else ""
        return FileResult(path, report=report, problem=f"not an XML document the profile accepts (EPX-100): "
                          f"{_lower_first(finding.text)}{where}", exit_code=Exit.FAILED)
    return FileResult(path, report=report, exit_code=Exit.OK if report.valid else Exit.FAILED)


def read_document(path: Path) -> bytes:
    """The bytes of ``path``; :class:`FileRefused` for what is no document to validate.

    The size is checked before anything is read, so a huge file is never loaded.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileRefused("no such file", Exit.USAGE) from None
    except OSError as exc:
        raise FileRefused(f"cannot read the file: {exc.strerror}", Exit.USAGE) from None
    if stat.S_ISDIR(info.st_mode):
        raise FileRefused("is a directory, not a file", Exit.USAGE)
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused("is not a regular file", Exit.USAGE)
    if info.st_size > MAX_FILE_BYTES:
        raise FileRefused(f"the file is {info.st_size:,} bytes, larger than the {_megabytes(MAX_FILE_BYTES)} "
                          f"({MAX_FILE_BYTES:,} bytes) the validator reads", Exit.USAGE)
    if info.st_size == 0:
        raise FileRefused("the file is empty", Exit.FAILED)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise FileRefused(f"cannot read the file: {exc.strerror}", Exit.USAGE) from None
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(f"the file is larger than the {_megabytes(MAX_FILE_BYTES)} the validator reads", Exit.USAGE)
    if _is_binary(data):
        raise FileRefused("binary content, not an XML document", Exit.FAILED)
    return data


def _is_binary(data: bytes) -> bool:
    head = data[:_SNIFF]
    return b"\x00" in head and not head.startswith(_UTF16_BOMS)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def _schema_set(path: Path | None) -> Any:
    from epix.schemaset import SchemaSet, SchemaSetError, default_schema_set

    if path is None:
        return default_schema_set()
    try:
        return SchemaSet.load(path)
    except SchemaSetError as exc:
        raise UsageError(str(exc)) from None


def _trust(folder: Path | None) -> Any:
    if folder is None:
        return None
    if not folder.is_dir():
        raise UsageError(f"--trust {folder}: no such PKI folder (make one with: epix pki init --parties CH,FR --out DIR)")
    from epix.signing import TrustError, TrustStore

    try:
        return TrustStore.from_dir(folder)
    except (OSError, ValueError, TrustError) as exc:
        raise UsageError(f"--trust {folder}: {exc}") from None


def _codelists() -> Any:
    from epix.codelists import CodeListError

    try:
        return default_codelists()
    except CodeListError as exc:
        raise UsageError(str(exc)) from None


def _print_text(result: FileResult) -> None:
    if result.problem is not None:
        print(f"{result.path}: {result.problem}")
        return
    report = result.report
    assert report is not None
    for finding in report.findings:
        print(_finding_line(result.path, finding))
    print(_summary(result.path, report))


def _finding_line(path: str, finding: Finding) -> str:
    line = f":{finding.line}" if finding.line else ""
    where = f" at {finding.location}" if finding.location else ""
    return f"{path}{line}: {finding.code} {finding.requirement} {finding.severity}{where}: {finding.text}"


def _summary(path: str, report: ValidationReport) -> str:
    errors = len(report.errors)
    warnings = len(report.findings) - errors
    verdict = "valid" if report.valid else f"invalid, {errors} error{'s' if errors != 1 else ''}"
    if warnings:
        verdict += f", {warnings} warning{'s' if warnings != 1 else ''}"
    signature = f"; signature {report.verification.outcome}" if report.verification is not None else ""
    return f"{path}: {report.kind} {verdict}{signature}"


def _as_json(result: FileResult) -> dict[str, Any]:
    if result.report is None:
        return {"file": result.path, "valid": False, "problem": result.problem, "findings": []}
    data = {"file": result.path, **result.report.as_dict()}
    if result.problem is not None:
        data["problem"] = result.problem
    return data


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


__all__ = ["register", "run", "validate_file", "read_document", "MAX_FILE_BYTES", "FileRefused"]
