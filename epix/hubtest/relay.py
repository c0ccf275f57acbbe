"""Whether an adapter's answer reached the caller unchanged (PULL-06).

The deployed hub relays the adapter's SOAP envelope as it came. The harness compares
the two as XML in canonical form (C14N 1.0): the XML declaration, the encoding, the
order of attributes and how an empty element is written may differ, nothing else.
"""

from __future__ import annotations

from lxml import etree

from epix import safexml

_CONTEXT = 60


def relay_problem(received: bytes, sent: bytes) -> str | None:
    """Why ``received`` (what the caller got) is not the envelope ``sent`` (what the adapter
    answered), or ``None`` when it is the same."""
    if received == sent:
        return None
    try:
        theirs = _canonical(received, "the caller's answer")
    except safexml.XmlRefused as refused:
        return f"the caller received no XML envelope ({refused})"
    ours = _canonical(sent, "the adapter's answer")
    if theirs == ours:
        return None
    at = next((i for i, (a, b) in enumerate(zip(theirs, ours)) if a != b), min(len(theirs), len(ours)))
    start = max(0, at - _CONTEXT // 2)
    return (f"the caller received another envelope than the adapter answered: from character {at} of the canonical "
            f"form, the caller got {_excerpt(theirs, start)!r} where the adapter sent {_excerpt(ours, start)!r}")


def _canonical(body: bytes, source: str) -> str:
    root = safexml.parse(body, source=source)
    return etree.tostring(root, method="c14n").decode("utf-8")


def _excerpt(text: str, start: int) -> str:
    return text[start:start + _CONTEXT]
