"""What the partner answers: signed Acknowledgements, rejections and their HTTP status.

Every answer of binding B that is not 2xx carries a Rejected Acknowledgement with at
least one error (ENV-05); the HTTP status follows the code of the first error
(ACK-06, :func:`epix.codes.http_status`). The faults of ACK-01 … ACK-06, SIG-03 and
ERR-03 change what is written here, and nothing else.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from lxml import etree

from epix import clock
from epix.codes import http_status
from epix.findings import Finding
from epix.messages.acknowledgement import build_acknowledgement
from epix.model import AckError, Acknowledgement, AckStatus
from epix.namespaces import DS, EPX, qname
from epix.partner.faults import Faults
from epix.safexml import parse, to_bytes
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


class Acknowledger:
    """Writes and signs the partner's Acknowledgements."""

    def __init__(self, party: str, key: SigningKey, faults: Faults):
        self.party = party
        self.key = key
        self.faults = faults

    def acknowledge(self, ref_to: str, recipient: str, status: AckStatus,
                    errors: list[AckError] | None = None) -> Acknowledged:
        """A signed Acknowledgement of ``ref_to`` for ``recipient``."""
        errors = list(errors or [])
        if status == "Accepted" and self.faults.on("accepted-with-error"):
            errors.append(AckError("EPX-303", "The document was accepted, but check its special conditions."))
        if self.faults.on("errors-without-sentences"):
            errors = [AckError(e.code, e.code, e.severity, None) for e in errors]
        if self.faults.on("ack-wrong-reference"):
            ref_to = str(uuid.uuid4())
        ack = Acknowledgement(str(uuid.uuid4()), ref_to, self.party, recipient, status, clock.now(), errors)
        return Acknowledged(status, self._http_status(status, errors), to_bytes(self._signed(build_acknowledgement(ack))))

    def reject(self, rejection: Rejection, *, ref_to: str | None, recipient: str | None) -> Acknowledged:
        return self.acknowledge(ref_to or NO_MESSAGE_ID, recipient or UNKNOWN_PARTY, "Rejected", [rejection.as_error()])

    def answer(self, acknowledged: Acknowledged, *, summary: str = "") -> Answer:
        """The HTTP answer carrying ``acknowledged``."""
        if acknowledged.status == "Rejected" and self.faults.on("bare-rejections"):
            text = "Rejected: " + _first_error(acknowledged.body)
            return Answer(acknowledged.http_status, text.encode(), {"Content-Type": "text/plain; charset=utf-8"}, summary)
        return Answer(acknowledged.http_status, acknowledged.body, {"Content-Type": XML}, summary)

    def rejection_answer(self, rejection: Rejection, *, ref_to: str | None = None,
                         recipient: str | None = None) -> Answer:
        acknowledged = self.reject(rejection, ref_to=ref_to, recipient=recipient)
        return self.answer(acknowledged, summary=f"Rejected {rejection.code}")

    def _http_status(self, status: AckStatus, errors: list[AckError]) -> int:
        if status == "Accepted":
            return 200
        if status == "Received":
            return 202
        if self.faults.on("rejection-with-200"):
            return 200
        first = next((e for e in errors if e.severity == "error"), None)
        return http_status(first.code) if first else 400

    def _signed(self, root: etree._Element) -> etree._Element:
        if self.faults.on("ack-schema-invalid"):
            note = etree.Element(qname(EPX, "Note"))
            note.text = "This element is not part of the envelope schema."
            root.find(qname(EPX, "CreationDateTime")).addnext(note)
        if self.faults.on("ack-unsigned"):
            return root
        signed = sign(root, self.key)
        if self.faults.on("ack-without-certificate"):
            for key_info in signed.iter(qname(DS, "KeyInfo")):
                key_info.getparent().remove(key_info)
        return signed


def _first_error(body: bytes) -> str:
    """The first error of an Acknowledgement as a line of text: its code, then its text
    (the ``bare-rejections`` fault leaves out the Acknowledgement, not what it says)."""
    root = parse(body, source="acknowledgement")
    error = root.find(qname(EPX, "Error"))
    if error is None:
        return "the message was refused"
    code, text = error.findtext(qname(EPX, "Code")), error.findtext(qname(EPX, "Text"))
    return " ".join(part for part in (code, text or "the message was refused") if part)
