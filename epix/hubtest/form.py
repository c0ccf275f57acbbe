"""Whether a request that reached the harness's adapters has the adapter interface's form (3.1).

The hub turns the caller's rpc call (3.2) into the request the deployed hub sent to an
adapter: an HTTPS ``POST`` with ``Content-Type: text/xml``, ``SOAPAction: "urn:<Op>"``, a
SOAP 1.1 body holding one ``<Op>Request`` in the adapter's namespace whose children are
unqualified, in the order of the table in 3.1, with the caller's values, and for
``ConfirmQuantities`` the ``ConfirmedQuantities`` the caller sent (PULL-06: "with the
quantities"). :func:`form_problems` lists, one sentence each, how a request departs from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from epix import safexml
from epix.hubtest.adapters import ReceivedCall
from epix.model import Position
from epix.namespaces import CITES_EXCHANGE_V2, SOAP

_PARAMETERS = ("CertificateNumber", "TokenId", "IsoCountryCode")


@dataclass(frozen=True)
class CallerRequest:
    """What the caller asked the hub for: the operation and its parameters."""

    op: str
    number: str | None = None
    token: str | None = None
    country: str | None = None
    positions: tuple[Position, ...] | None = None


def form_problems(call: ReceivedCall, asked: CallerRequest, namespace: str = CITES_EXCHANGE_V2) -> list[str]:
    """How ``call`` departs from the 3.1 request for what the caller ``asked`` (empty: it does not)."""
    problems = []
    if call.method != "POST":
        problems.append(f"it is an HTTP {call.method}, not a POST")
    media = (call.header("content-type") or "").split(";")[0].strip().lower()
    if media != "text/xml":
        problems.append(f"its Content-Type is {call.header('content-type')!r}, not text/xml")
    action = (call.header("soapaction") or "").strip().strip('"')
    if action != f"urn:{asked.op}":
        problems.append(f"its SOAPAction is {call.header('soapaction')!r}, not \"urn:{asked.op}\"")
    try:
        root = safexml.parse(call.body, source="the request that reached the adapter")
    except safexml.XmlRefused as refused:
        return [*problems, f"its body is not usable XML ({refused})"]
    request = _request_element(root, problems)
    if request is None:
        return problems
    wanted = f"{{{namespace}}}{asked.op}Request"
    if request.tag != wanted:
        problems.append(f"its body holds {_name(request)}, not {asked.op}Request in {namespace}")
        return problems
    problems.extend(_children_problems(request, asked))
    return problems


def _request_element(root: etree._Element, problems: list[str]) -> etree._Element | None:
    if root.tag != f"{{{SOAP}}}Envelope":
        problems.append(f"its root is {_name(root)}, not a SOAP 1.1 Envelope ({SOAP})")
        return None
    body = root.find(f"{{{SOAP}}}Body")
    content = [child for child in (body if body is not None else ()) if isinstance(child.tag, str)]
    if len(content) != 1:
        problems.append(f"its soap:Body holds {len(content)} elements, not one request element")
        return None
    return content[0]


def _children_problems(request: etree._Element, asked: CallerRequest) -> list[str]:
    children = [child for child in request if isinstance(child.tag, str)]
    expected = [] if asked.op == "ServiceState" else [*_PARAMETERS]
    if asked.op == "ConfirmQuantities":
        expected.append("ConfirmedQuantities")
    names = [etree.QName(child).localname for child in children]
    problems = []
    if names != expected:
        problems.append(f"the children of {asked.op}Request are {names or 'none'}, not {expected or 'none'}")
    problems.extend(f"{_name(child)} is qualified; the adapter interface's children are unqualified"
                    for child in children if etree.QName(child).namespace)
    values = {"CertificateNumber": asked.number, "TokenId": asked.token, "IsoCountryCode": asked.country}
    for child in children:
        name = etree.QName(child).localname
        if name in values and (child.text or "").strip() != (values[name] or ""):
            problems.append(f"{name} is {(child.text or '').strip()!r}, but the caller sent {values[name]!r}")
        if name == "ConfirmedQuantities":
            problems.extend(_positions_problems(child, asked.positions or ()))
    return problems


def _positions_problems(element: etree._Element, sent: Sequence[Position]) -> list[str]:
    problems = []
    received = []
    for position in (child for child in element if isinstance(child.tag, str)):
        if etree.QName(position).localname != "CitesPosition":
            problems.append(f"ConfirmedQuantities holds {_name(position)}, not only CitesPosition")
            continue
        parts = {etree.QName(part).localname: part for part in position if isinstance(part.tag, str)}
        problems.extend(f"{_name(part)} in CitesPosition is qualified; it is unqualified in 3.1"
                        for part in parts.values() if etree.QName(part).namespace)
        received.append(((parts["ID"].text or "").strip() if "ID" in parts else None,
                         (parts["InspectedUnitQuantity"].text or "").strip()
                         if "InspectedUnitQuantity" in parts else None))
    wanted = [(p.id, str(int(p.quantity))) for p in sent]
    if received != wanted:
        problems.append(f"ConfirmedQuantities names (ID, InspectedUnitQuantity) {received or 'nothing'}, "
                        f"but the caller confirmed {wanted}")
    return problems


def _name(element: etree._Element) -> str:
    name = etree.QName(element)
    return f"{{{name.namespace}}}{name.localname}" if name.namespace else name.localname
