"""What a scenario shows in the report: every exchange, findings, signature checks.

Each is attached to the Allure step that is running, so a reader sees, under the
step that failed, exactly what was sent and received.
"""

from __future__ import annotations

from collections.abc import Iterable

import allure

from epix import safexml
from epix.transport import Exchange

_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
_LIMIT = 200_000


def attach_exchange(exchange: Exchange) -> None:
    """The request and the response of one exchange, headers first, XML pretty-printed."""
    path = exchange.url.split("://", 1)[-1].split("/", 1)[-1]
    allure.attach(request_text(exchange), name=f"request: {exchange.method} /{path}",
                  attachment_type=allure.attachment_type.TEXT)
    outcome = f"HTTP {exchange.status}" if exchange.status is not None else "no response"
    allure.attach(response_text(exchange), name=f"response: {outcome}", attachment_type=allure.attachment_type.TEXT)


def request_text(exchange: Exchange) -> str:
    lines = [f"{exchange.method} {exchange.url}", *_headers(exchange.request_headers), "", _body(exchange.request_body)]
    return "\n".join(lines)


def response_text(exchange: Exchange) -> str:
    if exchange.status is None:
        return f"no response: {exchange.error or 'unknown reason'}"
    lines = [f"HTTP {exchange.status}  ({exchange.elapsed * 1000:.0f} ms)", *_headers(exchange.response_headers), "",
             _body(exchange.response_body)]
    return "\n".join(lines)


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


def _headers(headers: dict[str, str]) -> list[str]:
    return [f"{name}: {'***' if name.lower() in _SECRET_HEADERS else value}" for name, value in headers.items()]


def _body(body: bytes) -> str:
    if not body:
        return "(empty body)"
    shown = body[:_LIMIT]
    text = safexml.pretty(shown) if shown.lstrip().startswith(b"<") else shown.decode("utf-8", errors="replace")
    if len(body) > _LIMIT:
        text += f"\n… ({len(body) - _LIMIT} more bytes not shown)"
    return text
