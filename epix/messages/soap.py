"""Binding A (profile section 3): the SOAP 1.1 requests, responses and faults of the EPIX hub.

The hub's namespaces and SOAPAction values are settings (:class:`SoapSettings`): the
defaults are those deployed (``urn:CitesDataExchange``, responses in
``urn:CitesDataExchange/v2/``, SOAPAction ``urn:<Operation>``). Builders write what they
are given: a ``None`` leaves its element out, so a malformed request for a negative test
comes from the same code as a good one. Parsers read bytes with :mod:`epix.safexml`
(so :class:`~epix.safexml.XmlRefused`, EPX-100, passes through) and raise
:class:`MessageError` (EPX-101, a Client fault) naming the field and its XPath; in those
XPaths ``cde`` is the request namespace and ``cdr`` the response namespace.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from epix import safexml
from epix.messages import _fields as f
from epix.messages.acknowledgement import build_error, parse_error
from epix.messages.errors import MessageError
from epix.messages.identifiers import COUNTRY_CODE, ITEM_ID, NOT_COUNTRY_CODE, NOT_ITEM_ID
from epix.model import AckError, Position
from epix.namespaces import CITES_EXCHANGE, CITES_EXCHANGE_V2, EPX, PREFIXES, RSM, SOAP

OPERATIONS: tuple[str, ...] = (
    "GetNonFinalCitesCertificate", "GetFinalCitesCertificate", "ConfirmQuantities", "ServiceState",
)
#: The operations whose request names a certificate, and whose response carries a permit.
CERTIFICATE_OPERATIONS: tuple[str, ...] = ("GetNonFinalCitesCertificate", "GetFinalCitesCertificate")
#: ``Content-Type`` of every SOAP 1.1 message (PULL-09).
CONTENT_TYPE = "text/xml; charset=utf-8"
FAULT_CODES: tuple[str, ...] = ("soap:Client", "soap:Server")
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
_NON_NEGATIVE_INTEGER = re.compile(r"\+?[0-9]+|-0+")
_TEXT_ELEMENT = {"ConfirmQuantities": "Result", "ServiceState": "State"}


def _default_actions() -> dict[str, str]:
    return {op: f"urn:{op}" for op in OPERATIONS}


@dataclass(frozen=True)
class SoapSettings:
    """The namespaces and SOAPAction values of one hub or adapter (a profile setting).

    ``actions`` maps an operation to its SOAPAction; an operation it does not name has
    ``urn:<Operation>``, as deployed.
    """

    namespace: str = CITES_EXCHANGE
    response_namespace: str = CITES_EXCHANGE_V2
    actions: Mapping[str, str] = field(default_factory=_default_actions)

    def action(self, op: str) -> str:
        """The SOAPAction of ``op`` (unquoted)."""
        _check_operation(op)
        return self.actions.get(op, f"urn:{op}")

    def operation_for_action(self, header: str | None) -> str | None:
        """The operation a SOAPAction header value names (quotes allowed), or ``None``."""
        value = (header or "").strip().strip('"')
        return next((op for op in OPERATIONS if self.action(op) == value), None)

    @property
    def prefixes(self) -> dict[str, str]:
        """The prefixes of the XPath locations of binding-A messages."""
        return {**PREFIXES, "cdr": self.response_namespace, "cde": self.namespace}


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes


@dataclass
class SoapRequest:
    op: str
    number: str | None = None
    token: str | None = None
    country: str | None = None
    positions: list[Position] | None = None


@dataclass
class SoapResponse:
    op: str
    permit: etree._Element | None = None
    attachments: list[Attachment] = field(default_factory=list)
    composite: bool = False
    text: str | None = None


@dataclass
class SoapFault:
    faultcode: str
    faultstring: str
    error: AckError | None = None


class FaultReceived(Exception):
    """:func:`parse_response` found a ``soap:Fault`` where a response was expected."""

    def __init__(self, fault: SoapFault):
        self.fault = fault
        code = f" {fault.error.code}" if fault.error else ""
        super().__init__(f"the partner answered with a fault: {fault.faultcode} {fault.faultstring!r}{code}")


def request_headers(op: str, settings: SoapSettings) -> dict[str, str]:
    """The HTTP headers of a request for ``op``: SOAP 1.1 media type and quoted SOAPAction."""
    return {"Content-Type": CONTENT_TYPE, "SOAPAction": f'"{settings.action(op)}"'}


# ----- requests -----

def build_request(
    op: str,
    settings: SoapSettings,
    *,
    number: str | None = None,
    token: str | None = None,
    country: str | None = None,
    positions: Sequence[Position] | None = None,
) -> bytes:
    """A SOAP 1.1 request for ``op``; parameters left ``None`` are left out of the message."""
    _check_operation(op)
    body = _soap_body({"cde": settings.namespace})
    request = f.add(body, settings.namespace, f"{op}Request")
    if op != "ServiceState":
        f.add_optional(request, settings.namespace, "CertificateNumber", number)
        f.add_optional(request, settings.namespace, "TokenId", token)
        f.add_optional(request, settings.namespace, "IsoCountryCode", country)
    if op == "ConfirmQuantities" and positions is not None:
        _write_positions(f.add(request, settings.namespace, "ConfirmedQuantities"), positions, settings)
    return safexml.to_bytes(body.getparent())


def _write_positions(parent: etree._Element, positions: Sequence[Position], settings: SoapSettings) -> None:
    for position in positions:
        element = f.add(parent, settings.namespace, "CitesPosition")
        f.add(element, settings.namespace, "ID", position.id)
        f.add(element, settings.namespace, "InspectedUnitQuantity", f.format_quantity(position.quantity))


def parse_request(body: bytes, settings: SoapSettings) -> SoapRequest:
    """The operation and parameters of a request, checked as PULL-04 requires."""
    where = _locator(settings)
    element = _body_content(safexml.parse(body, source="SOAP request"), where)
    op = _operation_of(element, settings.namespace, "Request", where)
    if op == "ServiceState":
        return SoapRequest(op)
    ns = settings.namespace
    request = SoapRequest(
        op,
        number=f.required_text(element, ns, "CertificateNumber", where),
        token=f.text_of(f.require(element, ns, "TokenId", where)),
        country=_country(element, ns, where),
    )
    if op == "ConfirmQuantities":
        request.positions = _positions(f.require(element, ns, "ConfirmedQuantities", where), ns, where)
    return request


def _country(element: etree._Element, ns: str, where: f.Locator) -> str:
    value_element = f.require(element, ns, "IsoCountryCode", where)
    value = f.text_of(value_element)
    return f.check(value, COUNTRY_CODE, value_element, f"IsoCountryCode {value!r} {NOT_COUNTRY_CODE}", where)


def _positions(parent: etree._Element, ns: str, where: f.Locator) -> list[Position]:
    elements = f.children(parent, ns, "CitesPosition")
    if not elements:
        raise MessageError("CitesPosition missing: ConfirmedQuantities names at least one item", where(parent))
    return [_position(e, ns, where) for e in elements]


def _position(element: etree._Element, ns: str, where: f.Locator) -> Position:
    id_element = f.require(element, ns, "ID", where)
    item_id = f.text_of(id_element)
    if not item_id:
        raise MessageError("position ID is empty", where(id_element))
    f.check(item_id, ITEM_ID, id_element, f"position ID {item_id!r} {NOT_ITEM_ID}", where)
    quantity_element = f.require(element, ns, "InspectedUnitQuantity", where)
    quantity = f.text_of(quantity_element)
    f.check(quantity, _NON_NEGATIVE_INTEGER, quantity_element,
            f"InspectedUnitQuantity {quantity!r} is not a non-negative integer", where)
    return Position(id=item_id, quantity=Decimal(int(quantity)))


# ----- responses -----

def build_response(
    op: str,
    settings: SoapSettings,
    *,
    permit: etree._Element | None = None,
    attachments: Iterable[Attachment] = (),
    composite: bool = False,
    text: str | None = None,
) -> bytes:
    """The response to ``op``: for the certificate operations a copy of ``permit`` (left
    out when ``None``), its attachments and the Composite flag; otherwise ``text``."""
    _check_operation(op)
    ns = settings.response_namespace
    body = _soap_body({"cdr": ns})
    response = f.add(body, ns, f"{op}Response")
    if op in CERTIFICATE_OPERATIONS:
        if permit is not None:
            response.append(f.detached_copy(permit))
        listing = f.add(response, ns, "Attachments")
        for attachment in attachments:
            item = f.add(listing, ns, "Attachment")
            f.add(item, ns, "AttachmentName", attachment.name)
            f.add(item, ns, "AttachmentContent", base64.b64encode(attachment.content).decode("ascii"))
        f.add(response, ns, "Composite", "true" if composite else "false")
    else:
        f.add_optional(response, ns, _TEXT_ELEMENT[op], text)
    return safexml.to_bytes(body.getparent())


def parse_response(body: bytes, settings: SoapSettings) -> SoapResponse:
    """The content of a response; a fault raises :class:`FaultReceived`."""
    where = _locator(settings)
    element = _body_content(safexml.parse(body, source="SOAP response"), where)
    if element.tag == f"{{{SOAP}}}Fault":
        raise FaultReceived(_fault(element, where))
    ns = settings.response_namespace
    op = _operation_of(element, ns, "Response", where)
    if op not in CERTIFICATE_OPERATIONS:
        return SoapResponse(op, text=f.text_of(f.require(element, ns, _TEXT_ELEMENT[op], where)))
    return SoapResponse(
        op,
        permit=_the_permit(element, where),
        attachments=_attachments(element, ns, where),
        composite=_composite(element, ns, where),
    )


def _the_permit(element: etree._Element, where: f.Locator) -> etree._Element:
    permits = element.findall(f"{{{RSM}}}CITESEPermit")
    if len(permits) != 1:
        found = "no" if not permits else str(len(permits))
        raise MessageError(f"the response carries {found} rsm:CITESEPermit; exactly one is expected", where(element))
    return f.detached_copy(permits[0])


def _attachments(element: etree._Element, ns: str, where: f.Locator) -> list[Attachment]:
    listing = element.find(f"{{{ns}}}Attachments")
    if listing is None:
        return []
    return [_attachment(item, ns, where) for item in f.children(listing, ns, "Attachment")]


def _attachment(item: etree._Element, ns: str, where: f.Locator) -> Attachment:
    name = f.required_text(item, ns, "AttachmentName", where)
    content = f.require(item, ns, "AttachmentContent", where)
    try:
        data = base64.b64decode("".join(f.text_of(content).split()), validate=True)
    except (binascii.Error, ValueError):
        raise MessageError(f"AttachmentContent of {name!r} is not base64", where(content)) from None
    return Attachment(name, data)


def _composite(element: etree._Element, ns: str, where: f.Locator) -> bool:
    flag = element.find(f"{{{ns}}}Composite")
    if flag is None:
        return False
    value = f.text_of(flag)
    if value not in ("true", "false", "1", "0"):
        raise MessageError(f"Composite {value!r} is not a boolean", where(flag))
    return value in ("true", "1")


# ----- faults -----

def build_fault(faultcode: str, faultstring: str, error: AckError | None = None) -> bytes:
    """A SOAP 1.1 fault; ``error`` becomes the ``epx:Error`` of its detail."""
    code = faultcode if faultcode.startswith("soap:") else f"soap:{faultcode}"
    if code not in FAULT_CODES:
        raise ValueError(f"faultcode {faultcode!r}: binding A uses soap:Client or soap:Server")
    body = _soap_body({"epx": EPX} if error else {})
    fault = f.add(body, SOAP, "Fault")
    f.add(fault, "", "faultcode", code)
    f.add(fault, "", "faultstring", faultstring)
    if error is not None:
        f.add(fault, "", "detail").append(build_error(error))
    return safexml.to_bytes(body.getparent())


def parse_fault(body: bytes) -> SoapFault:
    """The fault code (as ``soap:Client`` / ``soap:Server`` for SOAP 1.1's codes), string and EPX error."""
    where = _locator(SoapSettings())
    element = _body_content(safexml.parse(body, source="SOAP fault"), where)
    f.expect_root(element, SOAP, "Fault", where)
    return _fault(element, where)


def _fault(element: etree._Element, where: f.Locator) -> SoapFault:
    code_element = f.require(element, "", "faultcode", where)
    detail = element.find("detail")
    error = detail.find(f"{{{EPX}}}Error") if detail is not None else None
    return SoapFault(
        faultcode=_fault_code(code_element, where),
        faultstring=f.text_of(f.require(element, "", "faultstring", where)),
        error=parse_error(error) if error is not None else None,
    )


def _fault_code(element: etree._Element, where: f.Locator) -> str:
    value = f.text_of(element)
    prefix, _, local = value.rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    if not local or (prefix and namespace is None):
        raise MessageError(f"faultcode {value!r} is not a qualified name in scope", where(element))
    return f"soap:{local}" if namespace == SOAP else value


# ----- shared -----

def _check_operation(op: str) -> None:
    if op not in OPERATIONS:
        raise ValueError(f"unknown binding-A operation {op!r}; expected one of {', '.join(OPERATIONS)}")


def _soap_body(nsmap: dict[str, str]) -> etree._Element:
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP, **nsmap})
    return f.add(envelope, SOAP, "Body")


def _body_content(root: etree._Element, where: f.Locator) -> etree._Element:
    if root.tag == f"{{{SOAP12}}}Envelope":
        raise MessageError(f"a SOAP 1.2 envelope; binding A uses SOAP 1.1 ({SOAP})", where(root))
    f.expect_root(root, SOAP, "Envelope", where)
    body = f.require(root, SOAP, "Body", where)
    content = [child for child in body if isinstance(child.tag, str)]
    if len(content) != 1:
        raise MessageError(f"soap:Body holds {len(content)} elements; exactly one is expected", where(body))
    return content[0]


def _operation_of(element: etree._Element, ns: str, suffix: str, where: f.Locator) -> str:
    name = etree.QName(element)
    op = name.localname.removesuffix(suffix)
    if not name.localname.endswith(suffix) or op not in OPERATIONS:
        expected = ", ".join(f"{o}{suffix}" for o in OPERATIONS)
        raise MessageError(f"{name.localname} is not a binding-A {suffix.lower()} (expected {expected})", where(element))
    if name.namespace != ns:
        raise MessageError(f"{name.localname} is in namespace {name.namespace or '(none)'}, expected {ns}", where(element))
    return op


def _locator(settings: SoapSettings) -> f.Locator:
    return functools.partial(safexml.xpath_of, prefixes=settings.prefixes)