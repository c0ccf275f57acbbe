"""The error codes of the profile (section 6), with their HTTP status and meaning.

This is the one place that maps a code to its HTTP status: the simulated partner
answers with it, and the suite checks a partner's answer against it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    code: str
    http_status: int
    meaning: str


_TABLE = [
    ("EPX-100", 400, "the body is not well-formed XML, or declares a DTD or entities"),
    ("EPX-101", 400, "the envelope is not valid against the envelope schema"),
    ("EPX-102", 415, "unsupported media type"),
    ("EPX-103", 413, "body too large"),
    ("EPX-104", 422, "unknown recipient (To)"),
    ("EPX-105", 403, "sender not authenticated or not authorised"),
    ("EPX-106", 409, "message ID already used for different content"),
    ("EPX-107", 422, "CreationDateTime outside the accepted window (replay)"),
    ("EPX-108", 422, "document type not supported"),
    ("EPX-110", 404, "unknown message ID"),
    ("EPX-200", 422, "the document carries no signature"),
    ("EPX-201", 422, "the signature does not verify (digest or signature value)"),
    ("EPX-202", 422, "the signing certificate does not chain to the sender's trust anchor"),
    ("EPX-203", 422, "the signing certificate was not valid at signing time"),
    ("EPX-204", 422, "the signing certificate is revoked"),
    ("EPX-205", 422, "a forbidden algorithm (SHA-1, RSA under 2048 bits, EC under 256 bits)"),
    ("EPX-206", 422, "the signature does not cover the whole document"),
    ("EPX-300", 422, "the document is not valid against its schema"),
    ("EPX-301", 422, "a value is not in its code list"),
    ("EPX-302", 422, "envelope and document disagree"),
    ("EPX-303", 422, "a CITES business rule is broken"),
    ("EPX-304", 404, "unknown document"),
    ("EPX-305", 422, "usage report: quantity above what the document allows"),
    ("EPX-306", 422, "usage report: the document had expired on the date of use"),
    ("EPX-307", 422, "the document is cancelled"),
    ("EPX-308", 422, "usage report: the document was already used in full"),
    ("EPX-309", 403, "binding A: the security token does not match the document"),
    ("EPX-310", 409, "binding A: no final version yet (no quantities confirmed)"),
    ("EPX-500", 503, "the receiver failed or is unavailable; try again"),
]

CODES: dict[str, ErrorCode] = {code: ErrorCode(code, status, meaning) for code, status, meaning in _TABLE}


def http_status(code: str) -> int:
    """The HTTP status that goes with ``code``; KeyError for a code the profile does not define."""
    return CODES[code].http_status


def meaning(code: str) -> str:
    return CODES[code].meaning
