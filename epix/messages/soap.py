"""Binding A (profile section 3.1): the SOAP 1.1 requests, responses and faults of the adapter interface.

The wire is the one the EPIX hub deployed. A request is what the hub's Savon sent: the
envelope prefix ``soapenv``, one ``<Op>Request`` element in the adapter's request
namespace (prefix ``v1``) whose children are **unqualified**, ``SOAPAction:
"urn:<Op>"`` in quotes, ``Content-Type: text/xml;charset=UTF-8``. A response is the
pilot adapter's v2 response: ``<Op>Response`` in the response namespace with unqualified
children; for the certificate operations an unqualified ``CITESEPermit`` (its children in
the ``CITESEPermit:2`` namespace), or the qualified ``rsm:CITESEPermit`` when the permit
is signed (renaming a signed root would break its signature), then 0..n ``Attachments``
and the required ``Composite``; otherwise one ``Result`` or ``State`` text.

The namespaces and SOAPAction values are settings (:class:`SoapSettings`) whose defaults
are the spec's (both namespaces ``urn:CitesDataExchange/v2/``, SOAPAction
``urn:<Operation>``). Readers take any prefixes. Builders write what they are given: a
``None`` leaves its element out, so a malformed request for a negative test comes from
the same code as a good one. Parsers read bytes with :mod:`epix.safexml` (so
:class:`~epix.safexml.XmlRefused`, EPX-100, passes through) and raise
:class:`MessageError` (EPX-101, a Client fault) naming the field and its XPath; in those
XPaths ``cde`` is the request namespace and ``cdr`` the response namespace.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from epix import safexml
from epix.messages import _fields as f
from epix.messages.acknowledgement import build_error, parse_error
from epix.messages.errors import MessageError
from epix.messages.identifiers import COUNTRY_CODE, ITEM_ID, NOT_COUNTRY_CODE, NOT_ITEM_ID
from epix.model import AckError, Position
from epix.namespaces import CITES_EXCHANGE_V2, DS, EPX, PREFIXES, RSM, SOAP

OPERATIONS: tuple[str, ...] = (
    "GetNonFinalCitesCertificate", "GetFinalCitesCertificate", "ConfirmQuantities", "ServiceState",
)
#: The operations whose request names a certificate, and whose response carries a permit.
CERTIFICATE_OPERATIONS: tuple[str, ...] = ("GetNonFinalCitesCertificate", "GetFinalCitesCertificate")
#: ``Content-Type`` of every SOAP 1.1 message, spelt as the deployed hub sent it (3.1, PULL-09).
CONTENT_TYPE = "text/xml;charset=UTF-8"
FAULT_CODES: tuple[str, ...] = ("soap:Client", "soap:Server")
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
#: The prefixes of the deployed wire: the envelope, the request namespace (Savon's
#: ``namespace_identifier: :v1``) and the response namespace (the pilot's v2 response).
ENVELOPE_PREFIX = "soapenv"
REQUEST_PREFIX = "v1"
RESPONSE_PREFIX = "v2"
#: The two answers of ``ServiceState`` the profile names (3.1); any other is a warning.
SERVICE_STATES: tuple[str, ...] = ("available", "unavailable")
#: Seconds the deployed hub waited for an adapter's answer unless told otherwise (``time_out``, 3.1).
ADAPTER_TIMEOUT = 5.0
#: An attachment carried as a MIME part of the message is referred to by this scheme.
CID = "cid:"
_NON_NEGATIVE_INTEGER = re.compile(r"\+?[0-9]+|-0+")
_TEXT_ELEMENT = {"ConfirmQuantities": "Result", "ServiceState": "State"}
_PERMIT = "CITESEPermit"


def _default_actions() -> dict[str, str]:
    return {op: f"urn:{op}" for op in OPERATIONS}


@dataclass(frozen=True)
class SoapSettings:
    """The namespaces and SOAPAction values of one adapter (a profile setting).

    ``namespace`` is the request namespace (each adapter registers its own with the hub),
    ``response_namespace`` that of its responses; ``actions`` maps an operation to its
    SOAPAction, and an operation it does not name has ``urn:<Operation>``, as deployed.
    """

    namespace: str = CITES_EXCHANGE_V2
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
    """One ``Attachments`` entry: its name, and its content in base64 or, for a MIME
    part of the message, the ``cid:`` reference to it (``reference``; ``content`` empty)."""

    name: str
    content: bytes = b""
    reference: str | None = None


@dataclass
class SoapRequest:
    op: str
    number: str | None = None
    token: str | None = None
    country: str | None = None
    #: ``None`` when a ``ConfirmQuantitiesRequest`` has no ``ConfirmedQuantities`` (as the deployed hub sent it).
    positions: list[Position] | None = None


@dataclass
class SoapResponse:
    op: str
    #: The permit as a document of its own: always the qualified ``rsm:CITESEPermit``.
    permit: etree._Element | None = None
    attachments: list[Attachment] = field(default_factory=list)
    composite: bool = False
    #: ``Result`` or ``State``; ``None`` when the response has none.
    text: str | None = None
    #: Whether the permit came as the qualified ``rsm:CITESEPermit`` (``False``: the unqualified ``CITESEPermit``).
    permit_qualified: bool | None = None


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
    """A request for ``op`` as the deployed hub sent it; parameters left ``None`` are left
    out of the message (``ServiceStateRequest`` is always empty)."""
    _check_operation(op)
    body = _soap_body({REQUEST_PREFIX: settings.namespace})
    request = f.add(body, settings.namespace, f"{op}Request")
    if op != "ServiceState":
        f.add_optional(request, "", "CertificateNumber", number)
        f.add_optional(request, "", "TokenId", token)
        f.add_optional(request, "", "IsoCountryCode", country)
    if op == "ConfirmQuantities" and positions is not None:
        _write_positions(f.add(request, "", "ConfirmedQuantities"), positions)
    return safexml.to_bytes(body.getparent())


def _write_positions(parent: etree._Element, positions: Sequence[Position]) -> None:
    for position in positions:
        element = f.add(parent, "", "CitesPosition")
        f.add(element, "", "ID", position.id)
        f.add(element, "", "InspectedUnitQuantity", f.format_quantity(position.quantity))


def parse_request(body: bytes, settings: SoapSettings) -> SoapRequest:
    """The operation and parameters of a request, checked as PULL-04 requires; any
    prefixes, children unqualified (PULL-11)."""
    where = _locator(settings)
    element = _body_content(safexml.parse(body, source="SOAP request"), where)
    op = _operation_of(element, settings.namespace, "Request", where)
    if op == "ServiceState":
        return SoapRequest(op)
    request = SoapRequest(
        op,
        number=f.required_text(element, "", "CertificateNumber", where),
        token=f.text_of(f.require(element, "", "TokenId", where)),
        country=_country(element, where),
    )
    if op == "ConfirmQuantities":
        quantities = element.find("ConfirmedQuantities")
        request.positions = None if quantities is None else _positions(quantities, where)
    return request


def with_prefixes(message: bytes, *, envelope: str, request: str | None) -> bytes:
    """A request written with other namespace prefixes: ``envelope`` for the SOAP envelope,
    ``request`` for the request namespace, or ``None`` to make that the default namespace
    of the request element (its unqualified children then undeclare it, ``xmlns=""``).
    To a namespace-aware reader it is the same message (PULL-11)."""
    root = safexml.parse(message, source="SOAP request")
    prefixes = {SOAP: envelope}
    parts: list[str] = []

    def write(element: etree._Element, declared: dict[str | None, str]) -> None:
        name = etree.QName(element)
        scope = dict(declared)
        declarations = []
        if name.namespace and name.namespace not in prefixes:  # the request element
            prefixes[name.namespace] = request
            declarations.append(f' xmlns:{request}="{escape(name.namespace)}"' if request else
                                f' xmlns="{escape(name.namespace)}"')
            scope[request] = name.namespace
        if not name.namespace and scope.get(None):
            declarations.append(' xmlns=""')
            scope[None] = ""
        if element is root:
            declarations.insert(0, f' xmlns:{envelope}="{SOAP}"')
        prefix = prefixes.get(name.namespace) if name.namespace else None
        qualified = f"{prefix}:{name.localname}" if prefix else name.localname
        parts.append(f"<{qualified}{''.join(declarations)}>{escape(element.text or '')}")
        for child in element:
            if isinstance(child.tag, str):
                write(child, scope)
        parts.append(f"</{qualified}>")

    write(root, {})
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + "".join(parts)).encode("utf-8")


def request_country(body: bytes, settings: SoapSettings) -> str | None:
    """The ``IsoCountryCode`` a certificate request names, when it is a well-formed
    ISO 3166-1 alpha-2 code; ``None`` for any other request, body or value.

    An adapter reads it before any other parameter (PULL-12); whether the rest of the
    request is complete and well-formed is :func:`parse_request`'s to say."""
    try:
        element = _body_content(safexml.parse(body, source="SOAP request"), _locator(settings))
    except (safexml.XmlRefused, MessageError):
        return None
    name = etree.QName(element)
    op = name.localname.removesuffix("Request")
    if name.namespace != settings.namespace or op not in OPERATIONS or op == "ServiceState":
        return None
    codes = element.findall("IsoCountryCode")
    value = f.text_of(codes[0]) if len(codes) == 1 else ""
    return value if COUNTRY_CODE.fullmatch(value) else None


def _country(element: etree._Element, where: f.Locator) -> str:
    value_element = f.require(element, "", "IsoCountryCode", where)
    value = f.text_of(value_element)
    return f.check(value, COUNTRY_CODE, value_element, f"IsoCountryCode {value!r} {NOT_COUNTRY_CODE}", where)


def _positions(parent: etree._Element, where: f.Locator) -> list[Position]:
    return [_position(e, where) for e in f.children(parent, "", "CitesPosition")]


def _position(element: etree._Element, where: f.Locator) -> Position:
    id_element = f.require(element, "", "ID", where)
    item_id = f.text_of(id_element)
    if not item_id:
        raise MessageError("position ID is empty", where(id_element))
    f.check(item_id, ITEM_ID, id_element, f"position ID {item_id!r} {NOT_ITEM_ID}", where)
    quantity_element = f.require(element, "", "InspectedUnitQuantity", where)
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
    """The response to ``op`` in the pilot's v2 form: for the certificate operations a copy
    of ``permit`` (left out when ``None``; unqualified unless it is signed), one
    ``Attachments`` per attachment and ``Composite``; otherwise ``text``."""
    _check_operation(op)
    ns = settings.response_namespace
    body = _soap_body({RESPONSE_PREFIX: ns})
    response = f.add(body, ns, f"{op}Response")
    if op in CERTIFICATE_OPERATIONS:
        if permit is not None:
            response.append(_carried(permit))
        for attachment in attachments:
            entry = f.add(response, "", "Attachments")
            f.add(entry, "", "AttachmentName", attachment.name)
            f.add(entry, "", "AttachmentContent", attachment.reference if attachment.reference is not None
                  else base64.b64encode(attachment.content).decode("ascii"))
        f.add(response, "", "Composite", "true" if composite else "false")
    else:
        f.add_optional(response, "", _TEXT_ELEMENT[op], text)
    return safexml.to_bytes(body.getparent())


def _carried(permit: etree._Element) -> etree._Element:
    """The permit as the response carries it: a signed one as it is (``rsm:CITESEPermit``),
    any other under the unqualified name ``CITESEPermit`` of the pilot's template."""
    carried = f.detached_copy(permit)
    if carried.find(f"{{{DS}}}Signature") is None:
        carried.tag = _PERMIT
    return carried


def parse_response(body: bytes, settings: SoapSettings) -> SoapResponse:
    """The content of a response; a fault raises :class:`FaultReceived`."""
    where = _locator(settings)
    element = _body_content(safexml.parse(body, source="SOAP response"), where)
    if element.tag == f"{{{SOAP}}}Fault":
        raise FaultReceived(_fault(element, where))
    op = _operation_of(element, settings.response_namespace, "Response", where)
    if op not in CERTIFICATE_OPERATIONS:
        return SoapResponse(op, text=f.optional_text(element, "", _TEXT_ELEMENT[op]))
    permit, qualified = _the_permit(element, where)
    return SoapResponse(
        op,
        permit=permit,
        attachments=[_attachment(entry, where) for entry in element.findall("Attachments")],
        composite=_composite(element, where),
        permit_qualified=qualified,
    )


def service_state_finding(response: SoapResponse) -> str | None:
    """What a ``ServiceStateResponse`` misses of the profile's choice (3.1: ``State`` is
    ``available`` or ``unavailable``), as a sentence; ``None`` when nothing. Not a failure:
    the profile makes a missing or other ``State`` a warning."""
    if response.op != "ServiceState" or response.text in SERVICE_STATES:
        return None
    found = "names no State" if not response.text else f"names the State {response.text!r}"
    return f"the ServiceStateResponse {found}; the profile's choice is one of {', '.join(SERVICE_STATES)}"


def _the_permit(element: etree._Element, where: f.Locator) -> tuple[etree._Element, bool]:
    """The one permit a response carries, under either name, as a document of its own."""
    permits = element.findall(_PERMIT) + element.findall(f"{{{RSM}}}{_PERMIT}")
    if len(permits) != 1:
        found = "no" if not permits else str(len(permits))
        raise MessageError(f"the response carries {found} CITESEPermit (unqualified, or rsm:CITESEPermit); "
                           "exactly one is expected", where(element))
    permit = f.detached_copy(permits[0])
    qualified = permit.tag == f"{{{RSM}}}{_PERMIT}"
    if not qualified:
        permit.tag = f"{{{RSM}}}{_PERMIT}"
    return permit, qualified


def _attachment(entry: etree._Element, where: f.Locator) -> Attachment:
    name = f.text_of(f.require(entry, "", "AttachmentName", where))
    content = f.require(entry, "", "AttachmentContent", where)
    value = "".join(f.text_of(content).split())
    if value.startswith(CID):
        return Attachment(name, reference=value)
    try:
        return Attachment(name, base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        raise MessageError(f"AttachmentContent of {name!r} is neither a cid: reference nor base64",
                           where(content)) from None


def _composite(element: etree._Element, where: f.Locator) -> bool:
    flag = f.require(element, "", "Composite", where)
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
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soap": SOAP, **({"epx": EPX} if error else {})})
    fault = f.add(f.add(envelope, SOAP, "Body"), SOAP, "Fault")
    f.add(fault, "", "faultcode", code)
    f.add(fault, "", "faultstring", faultstring)
    if error is not None:
        f.add(fault, "", "detail").append(build_error(error))
    return safexml.to_bytes(envelope)


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
    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={ENVELOPE_PREFIX: SOAP, **nsmap})
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
