"""What the partner answers: signed Acknowledgements, rejections and their HTTP status.

Every answer of binding B that is not 2xx carries a Rejected Acknowledgement with at
least one error (ENV-05); the HTTP status follows the code of the first error
(ACK-06, :func:`epix.codes.http_status`). An Acknowledgement is made in the steps of
:meth:`Acknowledger.acknowledge`: what it says (ACK-02, ACK-03, ERR-03), its XML
(ACK-01), its signature with the signing certificate (ACK-04, SIG-03), its HTTP status
(ACK-06); :meth:`Acknowledger.answer` carries it (ENV-05). Which of the findings of a
check is the error of the answer is :class:`Errors`' (ERR-01).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from epix import clock
from epix.codes import http_status
from epix.findings import Finding
from epix.messages.acknowledgement import build_acknowledgement
from epix.model import AckError, Acknowledgement, AckStatus
from epix.safexml import to_bytes
from epix.signing import SigningKey, sign

XML = "application/xml"
#: ``RefToMessageID`` of a rejection whose request carried no readable message ID.
NO_MESSAGE_ID = "00000000-0000-0000-0000-000000000000"
#: ``To`` of a rejection whose sender is unknown (a user-assigned ISO 3166 code).
UNKNOWN_PARTY = "ZZ"


class Rejection(Exception):
    """A check failed: the error that decides the answer (the first failing check, ERR-01)."""

    def __init__(self, code: str, requirement: str, text: str, location: str | None = None):
        super().__init__(f"{code} [{requirement}] {text}")
        self.code = code
        self.requirement = requirement
        self.text = text
        self.location = location

    @classmethod
    def of(cls, finding: Finding) -> Rejection:
        return cls(finding.code, finding.requirement, finding.text, finding.location)

    def as_error(self) -> AckError:
        return AckError(code=self.code, text=self.text, location=self.location)


@dataclass
class Answer:
    """An HTTP answer: status, body, headers, and a short summary for the exchange log."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    summary: str = ""


@dataclass(frozen=True)
class Acknowledged:
    """A signed Acknowledgement and the HTTP status it goes with."""

    status: AckStatus
    http_status: int
    body: bytes


class Errors:
    """ERR-01: the errors a check found count against the message, and the first that
    counts, in the order of the checks of section 9, decides the answer."""

    def counts(self, finding: Finding) -> bool:
        """Whether ``finding`` counts against the message: every error does."""
        return True

    def first(self, findings: Iterable[Finding]) -> Finding | None:
        """The first of ``findings`` that counts, if any."""
        return next((finding for finding in findings if self.counts(finding)), None)


class Acknowledger:
    """Writes and signs the partner's Acknowledgements."""

    def __init__(self, party: str, key: SigningKey):
        self.party = party
        self.key = key

    def acknowledge(self, ref_to: str, recipient: str, status: AckStatus,
                    errors: list[AckError] | None = None) -> Acknowledged:
        """A signed Acknowledgement of ``ref_to`` for ``recipient``."""
        ack = self.acknowledgement(ref_to, recipient, status, list(errors or []))
        body = to_bytes(self.sign(self.element(ack)))
        return Acknowledged(status, self.answer_status(status, ack.errors), body)

    def acknowledgement(self, ref_to: str, recipient: str, status: AckStatus,
                        errors: list[AckError]) -> Acknowledgement:
        """What the Acknowledgement says: it refers to the delivered message ID (ACK-02), an
        Accepted one carries no error of severity ``error`` (ACK-03), each error has its
        sentence and, where there is one, its location (ERR-03)."""
        return Acknowledgement(str(uuid.uuid4()), ref_to, self.party, recipient, status, clock.now(), errors)

    def element(self, ack: Acknowledgement) -> etree._Element:
        """The Acknowledgement as XML, valid against the envelope schema (ACK-01)."""
        return build_acknowledgement(ack)

    def sign(self, root: etree._Element) -> etree._Element:
        """Signed (ACK-04), with the signing certificate in ``KeyInfo`` (SIG-03)."""
        return sign(root, self.key)

    def answer_status(self, status: AckStatus, errors: list[AckError]) -> int:
        """ACK-06: 200 Accepted, 202 Received, a rejection by the code of its first error."""
        if status == "Accepted":
            return 200
        if status == "Received":
            return 202
        first = next((e for e in errors if e.severity == "error"), None)
        return http_status(first.code) if first else 400

    def reject(self, rejection: Rejection, *, ref_to: str | None, recipient: str | None) -> Acknowledged:
        return self.acknowledge(ref_to or NO_MESSAGE_ID, recipient or UNKNOWN_PARTY, "Rejected", [rejection.as_error()])

    def answer(self, acknowledged: Acknowledged, *, summary: str = "") -> Answer:
        """The HTTP answer carrying ``acknowledged`` (ENV-05: a rejection too)."""
        return Answer(acknowledged.http_status, acknowledged.body, {"Content-Type": XML}, summary)

    def rejection_answer(self, rejection: Rejection, *, ref_to: str | None = None,
                         recipient: str | None = None) -> Answer:
        acknowledged = self.reject(rejection, ref_to=ref_to, recipient=recipient)
        return self.answer(acknowledged, summary=f"Rejected {rejection.code}")
