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
from steps.attach import printable

_CODE = re.compile(r"EPX-\d{3}")
#: How many bytes of a body a sentence shows when it names what arrived.
FIRST_BYTES = 60


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


def what_arrived(exchange: Exchange | None) -> str:
    """What a partner sent, in words: the HTTP status, the media type, the size and the
    first bytes (cut, printable); a redirect with its ``Location``. Never a local path."""
    if exchange is None:
        return "no answer"
    if exchange.status is None:
        return f"no answer ({printable(exchange.error or 'no reason given')})"
    body = exchange.response_body
    if 300 <= exchange.status < 400:
        location = exchange.header("Location")
        where = f'to "{printable(location, 200)}"' if location else "without a Location"
        return f"a redirect (HTTP {exchange.status}) {where}"
    media = exchange.media_type or "no Content-Type"
    if not body.strip():
        return f"HTTP {exchange.status}, {media}, with {'an empty body' if not body else 'a body of white space'}"
    size = f"{exchange.truncated:,}+" if exchange.truncated else f"{len(body):,}"
    first = printable(body[:FIRST_BYTES].decode("utf-8", errors="replace"), FIRST_BYTES)
    more = "…" if len(body) > FIRST_BYTES else ""
    return f'HTTP {exchange.status}, {media}, {size} bytes beginning "{first}"{more}'


def xml_of(exchange: Exchange, ids: str, what: str) -> etree._Element:
    """The partner's answer read as XML, or a failed check naming what arrived instead.

    ``what`` names what was expected ("the permit", "the status") for the sentence."""
    if exchange.status is not None and 300 <= exchange.status < 400:
        raise AssertionError(f"{ids}: expected {what}; the partner answered {what_arrived(exchange)}")
    try:
        return safexml.parse(exchange.response_body, source="the answer")
    except safexml.XmlRefused as refused:
        raise AssertionError(f"{ids}: expected {what} as XML; the partner answered {what_arrived(exchange)}, "
                             f"which cannot be read: {printable(refused.reason, 200)}") from None


def permit_facts_of(exchange: Exchange, ids: str, what: str) -> tuple[etree._Element, PermitFacts]:
    """The permit a partner's answer carries (the root, or the first permit inside it, as in
    a SOAP body) and what it says; a failed check naming what arrived when it carries none."""
    root = xml_of(exchange, ids, what)
    fieldmap = default_schema_set().fieldmap
    permit = root if root.tag == fieldmap.root_tag else next(root.iter(fieldmap.root_tag), None)
    if permit is None:
        raise AssertionError(f"{ids}: expected {what}; the partner answered {what_arrived(exchange)}, which "
                             f"carries no {etree.QName(fieldmap.root_tag).localname}")
    if permit is not root:
        permit = etree.fromstring(etree.tostring(permit))
    return permit, fieldmap.extract(permit)


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
            why = getattr(not_a_response, "reason", None) or str(not_a_response) or type(not_a_response).__name__
            return SoapAnswer(exchange, problem=f"{what_arrived(exchange)}, which is neither a SOAP response nor a "
                                                f"SOAP fault ({printable(why, 200)})")


@dataclass(frozen=True)
class TlsConnection:
    """A connection we opened to the partner's endpoint: ``version`` is the TLS version
    negotiated (``None`` over plain HTTP)."""

    url: str
    scheme: str
    host: str | None
    version: str | None = None
