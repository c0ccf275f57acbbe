"""Reading what the partner answered, tolerantly; and the results that When steps hand to Then steps.

A scenario checks one requirement. So the answer is read as far as it can be, and each
Then step judges only its own part: an acknowledgement with an extra element still
tells its status (ACK-01 is judged elsewhere), and a rejection without an
acknowledgement still tells its code if the body names one (ENV-05 is judged elsewhere).

A When step returns what it got as a fixture for the Then steps (pytest-bdd's
``target_fixture``): ``delivery`` (an :class:`epix.transport.Delivery`), ``answer`` (an
:class:`Answer`, or a :class:`SoapAnswer` of binding A) or ``connection`` (a
:class:`TlsConnection`).
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
from epix.transport import Delivery, Exchange

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


def final_ack(delivery: Delivery) -> AckView | None:
    """The acknowledgement that ends a delivery: the final one, when it was polled for after
    ``202 Received`` and came with HTTP 200; else the one in the answer (``None``: no
    acknowledgement, or no answer at all)."""
    if delivery.followed and delivery.final.status == 200:
        polled = read_ack(delivery.final.response_body)
        if polled is not None:
            return polled
    return read_ack(delivery.answer.response_body) if delivery.answer is not None else None


def schema_problems(element: etree._Element) -> list[str]:
    """Why an element is not valid against its schema (empty when it is)."""
    schema = default_schema_set().schema_for(element.tag)
    if schema.validate(element):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log][:5]


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
# Answers to our requests

@dataclass(frozen=True)
class Answer:
    """The partner's answer to one request of ours, or, with ``exchange`` ``None``, why the
    connection was refused (``refused``)."""

    exchange: Exchange | None
    refused: str | None = None


@dataclass(frozen=True)
class SoapAnswer(Answer):
    """A binding A answer read as SOAP: a response, a fault, or neither (``problem`` says why)."""

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


def read_soap(exchange: Exchange, settings: SoapSettings) -> SoapAnswer:
    body = exchange.response_body
    try:
        return SoapAnswer(exchange, response=parse_response(body, settings))
    except FaultReceived as received:
        return SoapAnswer(exchange, fault=received.fault)
    except Exception as not_a_response:  # noqa: BLE001 - any reason it is not a response
        try:
            return SoapAnswer(exchange, fault=parse_fault(body))
        except Exception:  # noqa: BLE001
            return SoapAnswer(exchange, problem=str(not_a_response) or type(not_a_response).__name__)


@dataclass(frozen=True)
class TlsConnection:
    """A connection we opened to the partner's endpoint: ``version`` is the TLS version
    negotiated (``None`` over plain HTTP)."""

    url: str
    scheme: str
    host: str | None
    version: str | None = None
