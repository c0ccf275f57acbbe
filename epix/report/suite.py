"""Which version of the conformance suite ran: the harness's version and a digest of its scenarios.

Two runs with the same suite version ran the same scenarios (the same ``features/*.feature``
files, byte for byte), whatever the harness's own version says.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from epix import __version__
from epix.paths import FEATURES

#: How many hex digits of the SHA-256 the suite version shows.
DIGEST_LENGTH = 12


def suite_digest(features: Path = FEATURES) -> str:
    """The SHA-256 of the feature files (each file's name and bytes, in name order), shortened."""
    digest = hashlib.sha256()
    for path in sorted(features.glob("*.feature")):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:DIGEST_LENGTH]


def suite_version(features: Path = FEATURES) -> str:
    """``0.1.0+3f2a9c81d0e4``: the harness's version and the digest of its scenarios."""
    return f"{__version__}+{suite_digest(features)}"
