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

