"""The manifest of a run folder: the SHA-256 of every file in it, when and by whom it was signed.

``manifest.json`` lists each file of the folder by its path relative to the folder (``/``
between folders), except itself and its signature ``manifest.sig`` (:mod:`epix.report.seal`).
Besides the digests it holds the time of signing, the subject and SHA-256 fingerprint of the
signing certificate and the harness version: nothing secret (the files themselves were swept
for secrets before, :mod:`epix.report.redact`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "epix-run-manifest/1"
_CHUNK = 1 << 20


class ManifestError(Exception):
    """A manifest that cannot be read; the message says what is wrong with it."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_digests(folder: Path) -> dict[str, str]:
    """The SHA-256 of every file below ``folder`` by its relative path, the manifest and signature left out."""
    digests = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if name not in (MANIFEST, SIGNATURE):
            digests[name] = sha256_of(path)
    return digests


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says; ``signed_at`` is UTC (``2026-11-29T22:30:00Z``)."""

    signed_at: str
    signer: str
    certificate_sha256: str
    harness_version: str
    files: dict[str, str] = field(default_factory=dict)
    format: str = FORMAT

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ManifestError(f"{MANIFEST} is not JSON ({exc})") from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ManifestError(f"{MANIFEST} is not a manifest of a run folder (its format is not {FORMAT!r})")
        names = ("signed_at", "signer", "certificate_sha256", "harness_version")
        missing = [name for name in (*names, "files") if name not in document]
        if missing:
            raise ManifestError(f"{MANIFEST} lacks {', '.join(missing)}")
        files = document["files"]
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise ManifestError(f"{MANIFEST}: 'files' must map each file's path to its SHA-256")
        return cls(*(str(document[name]) for name in names), dict(files))


@dataclass(frozen=True)
class Differences:
    """How a folder differs from its manifest: files whose digest changed, files added, files removed."""

    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changed or self.added or self.removed)

    def lines(self) -> list[str]:
        """One line per file: ``changed: outcome.json``."""
        return ([f"changed: {name}" for name in self.changed] + [f"added:   {name}" for name in self.added]
                + [f"removed: {name}" for name in self.removed])


def compare(recorded: dict[str, str], actual: dict[str, str]) -> Differences:
    """The files of ``actual`` whose digest is not the one ``recorded``, and those only in one of them."""
    return Differences(
        changed=tuple(sorted(name for name in recorded.keys() & actual.keys() if recorded[name] != actual[name])),
        added=tuple(sorted(actual.keys() - recorded.keys())),
        removed=tuple(sorted(recorded.keys() - actual.keys())),
    )
