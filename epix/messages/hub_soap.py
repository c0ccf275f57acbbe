"""Binding A's hub interface (profile section 3.2): the importing caller's rpc request and the hub's own faults.

As deployed (wash_out, rpc style): the body holds one element ``<Op>`` in
``urn:CitesDataExchange`` whose children are unqualified (``CertificateNumber``,
``TokenId``, ``IsoCountryCode``, and for ``ConfirmQuantities`` ``ConfirmedQuantities``
with 0..n ``CitesPosition``); the SOAPAction is the bare operation name (the prefixed
forms :data:`ACTION_PREFIXES` are accepted too). The hub answers with the adapter's
envelope relayed unchanged (read with :func:`epix.messages.soap.parse_response`), or with
a fault of its own (:func:`build_hub_fault`) whose ``faultstring`` is one of
:data:`HUB_FAULTS`.

Builders write what they are given (``None`` leaves an element out); :func:`parse_call`
raises :class:`~epix.messages.errors.MessageError` naming what is wrong and where.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal

from lxml import etree

from epix import safexml
from epix.messages import _fields as f
from epix.messages.errors import MessageError
from epix.messages.soap import (
    OPERATIONS,
    SOAP12,
    FaultReceived,
    SoapFault,
    SoapRequest,
    SoapResponse,
    SoapSettings,
    parse_response,
)
from epix.model import Position
from epix.namespaces import CITES_EXCHANGE, CITES_EXCHANGE_V2, PREFIXES, SOAP

#: The namespace of the rpc element ``<Op>`` (wash_out's ``soap_service namespace``).
HUB_NAMESPACE = CITES_EXCHANGE
#: ``Content-Type`` of the caller's request and of the hub's own faults.
CONTENT_TYPE = "text/xml;charset=UTF-8"
#: ``Content-Type`` of a relayed adapter envelope, as deployed (``render xml:``).
RELAYED_CONTENT_TYPE = "application/xml"
#: What may stand before the operation name in the SOAPAction (besides nothing).
ACTION_PREFIXES: tuple[str, ...] = ("urn:CitesDataExchange#", "urn:CitesDataExchange/", "urn:CitesDataExchange")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"

#: The ``faultstring`` of the hub's timeout fault, as in the hub's source.
TIMEOUT_FAULTSTRING = "This request took too long to process..."
#: The ``faultstring`` of a position ID with white space (a ``Client`` fault).
ID_NOT_TOKEN = "XML structure is not valid. ID must be a token"
#: The hub's own faults: ``faultstring`` → ``faultcode`` (unprefixed, as wash_out wrote it).
HUB_FAULTS: dict[str, str] = {
    "CertificateMissing": "Server",
    "CallerNotFound": "Server",
    "CalleeNotFound": "Server",
    "AdapterNotAvailable": "Server",
    TIMEOUT_FAULTSTRING: "Server",
    "Invalid Request": "Server",
    ID_NOT_TOKEN: "Client",
}
#: The faultstring of a failure to reach the adapter, when the transport names none.
TRANSPORT_ERROR = "HTTPError"

_PREFIXES = {**PREFIXES, "hub": HUB_NAMESPACE}


def call_headers(op: str) -> dict[str, str]:
    """The HTTP headers of the caller's request: ``text/xml`` and the bare SOAPAction in quotes."""
    _check_operation(op)
    return {"Content-Type": CONTENT_TYPE, "SOAPAction": f'"{op}"'}


def operation_of_action(header: str | None) -> str | None:
    """The operation a SOAPAction names (quotes allowed; bare or with a prefix of
    :data:`ACTION_PREFIXES`), or ``None`` when it names none."""
    value = (header or "").strip().strip('"').strip()
    for prefix in ("", *ACTION_PREFIXES):
        if value.startswith(prefix) and value[len(prefix):] in OPERATIONS:
            return value[len(prefix):]
    return None


def build_call(
    op: str,
    *,
    number: str | None = None,
    token: str | None = None,
    country: str | None = None,
    positions: Sequence[Position] | None = None,
) -> bytes:
    """The importing caller's request for ``op``; parameters left ``None`` are left out
    (for ``ServiceState`` only ``IsoCountryCode`` is meant: whose adapter's state)."""
    _check_operation(op)
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soapenv": SOAP, "urn": HUB_NAMESPACE})
    body = f.add(envelope, SOAP, "Body")
    call = f.add(body, HUB_NAMESPACE, op)
    f.add_optional(call, "", "CertificateNumber", number)
    f.add_optional(call, "", "TokenId", token)
    f.add_optional(call, "", "IsoCountryCode", country)
    if op == "ConfirmQuantities" and positions is not None:
        listing = f.add(call, "", "ConfirmedQuantities")
        for position in positions:
            element = f.add(listing, "", "CitesPosition")
            f.add(element, "", "ID", position.id)
            f.add(element, "", "InspectedUnitQuantity", f.format_quantity(position.quantity))
    return safexml.to_bytes(envelope)


def parse_call(body: bytes, *, strict: bool = True) -> SoapRequest:
    """The operation and parameters of a caller's request.

    ``strict`` requires the form of section 3.2 (``<Op>`` in :data:`HUB_NAMESPACE`, its
    children unqualified); without it, names are read whatever their namespace, as
    wash_out read them. Missing parameters are ``None``; a position ID is kept as sent
    (the hub checks it after the caller, :data:`ID_NOT_TOKEN`); a quantity that is not a
    non-negative integer is a :class:`MessageError`.
    """
    where = functools.partial(safexml.xpath_of, prefixes=_PREFIXES)
    root = safexml.parse(body, source="SOAP request")
    if root.tag == f"{{{SOAP12}}}Envelope":
        raise MessageError(f"a SOAP 1.2 envelope; the hub interface uses SOAP 1.1 ({SOAP})", where(root))
    f.expect_root(root, SOAP, "Envelope", where)
    soap_body = f.require(root, SOAP, "Body", where)
    content = [child for child in soap_body if isinstance(child.tag, str)]
    if len(content) != 1:
        raise MessageError(f"soap:Body holds {len(content)} elements; exactly one is expected", where(soap_body))
    call = content[0]
    name = etree.QName(call)
    if name.localname not in OPERATIONS:
        raise MessageError(f"{name.localname} is not an operation of the hub (expected one of "
                           f"{', '.join(OPERATIONS)})", where(call))
    if strict and name.namespace != HUB_NAMESPACE:
        raise MessageError(f"{name.localname} is in namespace {name.namespace or '(none)'}, expected {HUB_NAMESPACE}",
                           where(call))
    reader = _Reader(strict, where)
    op = name.localname
    request = SoapRequest(op, number=reader.text(call, "CertificateNumber"), token=reader.text(call, "TokenId"),
                          country=reader.text(call, "IsoCountryCode"))
    if op == "ConfirmQuantities":
        listing = reader.child(call, "ConfirmedQuantities")
        request.positions = [] if listing is None else [
            reader.position(element) for element in reader.children(listing, "CitesPosition")]
    return request


class _Reader:
    """Children by local name: unqualified only (``strict``), or in any namespace."""

    def __init__(self, strict: bool, where: f.Locator):
        self.strict = strict
        self.where = where

    def children(self, parent: etree._Element, name: str) -> list[etree._Element]:
        found = []
        for child in parent:
            if not isinstance(child.tag, str) or etree.QName(child).localname != name:
                continue
            if self.strict and etree.QName(child).namespace:
                raise MessageError(f"{name} is in namespace {etree.QName(child).namespace}; the hub interface's "
                                   "parameters are unqualified", self.where(child))
            found.append(child)
        return found

    def child(self, parent: etree._Element, name: str) -> etree._Element | None:
        found = self.children(parent, name)
        return found[0] if found else None

    def text(self, parent: etree._Element, name: str) -> str | None:
        element = self.child(parent, name)
        return None if element is None else f.text_of(element)

    def position(self, element: etree._Element) -> Position:
        item = self.child(element, "ID")
        quantity_element = self.child(element, "InspectedUnitQuantity")
        if item is None or quantity_element is None:
            missing = "ID" if item is None else "InspectedUnitQuantity"
            raise MessageError(f"{missing} missing in CitesPosition", self.where(element))
        quantity = f.text_of(quantity_element)
        if not quantity.lstrip("+").isdigit():
            raise MessageError(f"InspectedUnitQuantity {quantity!r} is not a non-negative integer",
                               self.where(quantity_element))
        return Position(id=item.text or "", quantity=Decimal(int(quantity)))


def build_hub_fault(faultcode: str, faultstring: str) -> bytes:
    """One of the hub's own faults as wash_out wrote it: unprefixed ``faultcode``
    (``Server`` or ``Client``) typed ``xsd:QName``, ``faultstring`` typed ``xsd:string``."""
    if faultcode not in ("Server", "Client"):
        raise ValueError(f"faultcode {faultcode!r}: the hub's own faults are Server or Client")
    envelope = etree.Element(f"{{{SOAP}}}Envelope",
                             nsmap={"soap": SOAP, "soap-enc": SOAP_ENCODING, "xsd": XSD, "xsi": XSI})
    body = f.add(envelope, SOAP, "Body")
    fault = f.add(body, SOAP, "Fault")
    fault.set("encodingStyle", SOAP_ENCODING)
    f.add(fault, "", "faultcode", faultcode).set(f"{{{XSI}}}type", "xsd:QName")
    f.add(fault, "", "faultstring", faultstring).set(f"{{{XSI}}}type", "xsd:string")
    return safexml.to_bytes(envelope)


def hub_fault(faultstring: str) -> bytes:
    """The hub's own fault with ``faultstring`` (one of :data:`HUB_FAULTS`, or a transport error's name: ``Server``)."""
    return build_hub_fault(HUB_FAULTS.get(faultstring, "Server"), faultstring)


def read_answer(body: bytes, settings: SoapSettings | None = None) -> SoapResponse | SoapFault:
    """A hub's answer: the relayed adapter response (in ``settings``' response namespace,
    ``urn:CitesDataExchange/v2/`` by default), or a fault (the hub's own or a relayed one).
    Raises ``XmlRefused`` or ``MessageError`` when it is neither."""
    try:
        return parse_response(body, settings or SoapSettings(response_namespace=CITES_EXCHANGE_V2))
    except FaultReceived as received:
        return received.fault


def _check_operation(op: str) -> None:
    if op not in OPERATIONS:
        raise ValueError(f"unknown binding-A operation {op!r}; expected one of {', '.join(OPERATIONS)}")


__all__ = [
    "ACTION_PREFIXES", "CONTENT_TYPE", "HUB_FAULTS", "HUB_NAMESPACE", "ID_NOT_TOKEN", "RELAYED_CONTENT_TYPE",
    "TIMEOUT_FAULTSTRING", "build_call", "build_hub_fault", "call_headers", "hub_fault", "operation_of_action",
    "parse_call", "read_answer",
]
