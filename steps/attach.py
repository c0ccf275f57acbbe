"""What a scenario shows in the report: every exchange, findings, signature checks.

Each is attached to the Allure step that is running, so a reader sees, under the
step that failed, exactly what was sent and received.
"""

from __future__ import annotations

from collections.abc import Iterable

import allure

from epix.transport import Exchange


def attach_exchange(exchange: Exchange) -> None:
    """The request and the response of one exchange, headers first, XML pretty-printed."""
    path = exchange.url.split("://", 1)[-1].split("/", 1)[-1]
    allure.attach(exchange.request_text(), name=f"request: {exchange.method} /{path}",
                  attachment_type=allure.attachment_type.TEXT)
    outcome = f"HTTP {exchange.status}" if exchange.status is not None else "no response"
    allure.attach(exchange.response_text(), name=f"response: {outcome}", attachment_type=allure.attachment_type.TEXT)


def attach_findings(title: str, findings: Iterable[object]) -> None:
    text = "\n".join(str(f) for f in findings) or "(none)"
    allure.attach(text, name=title, attachment_type=allure.attachment_type.TEXT)


def attach_verification(title: str, verification) -> None:  # noqa: ANN001 - epix.signing.Verification
    """The signature checks performed and how each ended (passed, failed, indeterminate)."""
    lines = [f"outcome: {verification.outcome}"]
    lines += [f"  {check.outcome:<13} {check.name}: {check.detail}" for check in verification.checks]
    if verification.finding is not None:
        lines.append(f"finding: {verification.finding}")
    allure.attach("\n".join(lines), name=title, attachment_type=allure.attachment_type.TEXT)


def attach_text(title: str, text: str) -> None:
    allure.attach(text, name=title, attachment_type=allure.attachment_type.TEXT)


#: How many characters of a text the partner wrote a failure's sentence quotes.
QUOTED_CHARACTERS = 300
_attached: dict[str, str] = {}


def quoted(text: str | None, *, title: str = "the partner's text", limit: int = QUOTED_CHARACTERS) -> str:
    """A text the partner wrote (an error's Text, a fault string …), quoted for a sentence:
    one line, control characters escaped, cut after ``limit`` characters. A cut text is
    attached whole, once, to the Allure step that is running, and the quote says so."""
    if text is None:
        return "(none)"
    shown = printable(text, limit, note=False)
    more = len(text) - limit
    if more <= 0:
        return f'"{shown}"'
    if _attached.get(title) is not text:  # the same text quoted twice is attached once
        _attached.clear()
        _attached[title] = text
        allure.attach(text, name=title, attachment_type=allure.attachment_type.TEXT)
    return f'"{shown}"… ({more:,} more characters; the whole text is attached)'


def printable(text: str, limit: int = QUOTED_CHARACTERS, *, note: bool = True) -> str:
    """``text`` as one line a person can read: control characters escaped, cut after
    ``limit`` characters (with ``note``, saying how many more there were)."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])
    more = len(text) - limit
    return shown + (f"… ({more:,} more characters)" if note and more > 0 else "")
