"""Reading what the partner answered, tolerantly.

A scenario checks one requirement. So the answer is read as far as it can be, and each
Then step judges only its own part: an acknowledgement with an extra element still
tells its status (ACK-01 is judged elsewhere), and a rejection without an
acknowledgement still tells its code if the body names one (ENV-05 is judged elsewhere).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from epix import safexml
from epix.messages.soap import FaultReceived, SoapFault, SoapResponse, SoapSettings, parse_fault, parse_response
from epix.model import AckError, PermitFacts
from epix.namespaces import EPX, qname
from epix.schemaset import default_schema_set
from epix.transport import Exchange

_CODE = re.compile(r"EPX-\d{3}")


@dataclass
class AckView:
    """The parts of an Acknowledgement a step may look at; ``None`` where absent."""

    element: etree._Element
    status: str | None
    message_id: str | None
    ref_to_message_id: str | None
    sender: str | None
    recipient: str | None
    errors: list[AckError] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [e.code for e in self.errors]

    @property
    def decisive_code(self) -> str | None:
        """The code of the first error of severity ``error`` (ERR-01)."""
        for error in self.errors:
            if error.severity == "error":
                return error.code
        return self.errors[0].code if self.errors else None


def read_ack(body: bytes) -> AckView | None:
    """The Acknowledgement in ``body``, or ``None`` when the body is not one."""
    try:
        root = safexml.parse(body, source="acknowledgement")
    except safexml.XmlRefused:
        return None
    if root.tag != qname(EPX, "Acknowledgement"):
        return None
    return AckView(
        element=root,
        status=_text(root, "Status"),
        message_id=_text(root, "MessageID"),
        ref_to_message_id=_text(root, "RefToMessageID"),
        sender=_text(root, "From"),
        recipient=_text(root, "To"),
        errors=[_error(e) for e in root.findall(qname(EPX, "Error"))],
    )


def permit_facts(document: etree._Element) -> PermitFacts:
    """What a permit the partner returned says, read with the bundled field map."""
    return default_schema_set().fieldmap.extract(document)


def codes_in(exchange: Exchange) -> list[str]:
    """The EPX codes an answer names: from its acknowledgement, else from any text in the body."""
    ack = read_ack(exchange.response_body)
    if ack is not None and ack.errors:
        return ack.codes
    return _CODE.findall(exchange.response_body.decode("utf-8", errors="replace"))


def _error(element: etree._Element) -> AckError:
    return AckError(code=_text(element, "Code") or "", text=_text(element, "Text") or "",
                    severity=_text(element, "Severity") or "error", location=_text(element, "Location"))


def _text(element: etree._Element, name: str) -> str | None:
    child = element.find(qname(EPX, name))
    return child.text.strip() if child is not None and child.text is not None else None


# ---------------------------------------------------------------------------
# Binding A

@dataclass
class SoapOutcome:
    """A SOAP answer: a response, a fault, or neither (``problem`` says why)."""

    response: SoapResponse | None = None
    fault: SoapFault | None = None
    problem: str | None = None

    @property
    def fault_code(self) -> str | None:
        """The EPX code of the fault's ``epx:Error``, if any."""
        return self.fault.error.code if self.fault is not None and self.fault.error is not None else None

    @property
    def is_client_fault(self) -> bool:
        return self.fault is not None and (self.fault.faultcode or "").split(":")[-1] == "Client"


def read_soap(exchange: Exchange, settings: SoapSettings) -> SoapOutcome:
    body = exchange.response_body
    try:
        return SoapOutcome(response=parse_response(body, settings))
    except FaultReceived as received:
        return SoapOutcome(fault=received.fault)
    except Exception as not_a_response:  # noqa: BLE001 - any reason it is not a response
        try:
            return SoapOutcome(fault=parse_fault(body))
        except Exception:  # noqa: BLE001
            return SoapOutcome(problem=str(not_a_response) or type(not_a_response).__name__)
