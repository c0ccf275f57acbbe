"""Validation of one binding-A SOAP message: request, response or fault.

The SOAP structure and the operation's element are checked against the binding-A
schema with the namespaces of the profile's :class:`~epix.messages.soap.SoapSettings`
(a request: PULL-04, EPX-101); a request's parameters as :func:`parse_request` reads
them, with the country in ISO 3166-1; the permit a response carries is a document of
its own (PULL-02: DOC-01 … DOC-11), its signature checked when a trust store is given.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lxml import etree

from epix.findings import Finding
from epix.messages.binding_a_schema import binding_a_schema, binding_a_xmlschema
from epix.messages.errors import MessageError
from epix.messages.soap import SoapSettings, parse_request
from epix.namespaces import SOAP, qname
from epix.safexml import to_bytes
from epix.validation import schema
from epix.validation.document import Checking, check_permit
from epix.validation.report import ValidationReport
from epix.validation.signature import check_signature

BINDING_A_FAULT = schema.SchemaCheck("EPX-101", "PULL-03", "binding A fault")
_CHECKS = {
    "soap-request": schema.BINDING_A_REQUEST,
    "soap-response": schema.BINDING_A_RESPONSE,
    "soap-fault": BINDING_A_FAULT,
}


def soap_kind(root: etree._Element) -> str:
    """``soap-request``, ``soap-response`` or ``soap-fault``, from the body's first element."""
    content = body_content(root)
    if content is not None and content.tag == qname(SOAP, "Fault"):
        return "soap-fault"
    if content is not None and etree.QName(content).localname.endswith("Response"):
        return "soap-response"
    return "soap-request"


def body_content(root: etree._Element) -> etree._Element | None:
    body = root.find(qname(SOAP, "Body"))
    if body is None:
        return None
    return next((child for child in body if isinstance(child.tag, str)), None)


def validate_soap(root: etree._Element, checking: Checking, trust: Any = None,
                  settings: SoapSettings | None = None) -> ValidationReport:
    settings = settings or SoapSettings()
    checking = replace(checking, prefixes=settings.prefixes)
    kind = soap_kind(root)
    permit = _carried_permit(root, checking)
    schemas = checking.schema_set if root.tag in checking.schema_set.entries else None
    findings = schema.check_schema(
        root, binding_a_schema(settings, schemas), lambda: binding_a_xmlschema(settings, schemas), _CHECKS[kind],
        ignore=schema.within(permit), prefixes=checking.prefixes,
    )
    if kind == "soap-request":
        findings += _request_findings(root, checking, settings, schema_failed=bool(findings))
        return ValidationReport(kind, findings)
    if permit is None:
        return ValidationReport(kind, findings)
    return _with_permit(kind, permit, checking, trust, findings)


def _with_permit(kind: str, carried: etree._Element, checking: Checking, trust: Any,
                 findings: list[Finding]) -> ValidationReport:
    holder = schema.locator(checking.prefixes)(carried.getparent())
    permit = carried if carried.tag == checking.schema_set.fieldmap.root_tag else _as_document(carried, checking)
    facts = checking.schema_set.fieldmap.extract(permit)
    signed = check_signature(permit, trust, sender=facts.issuer.party_id, at=facts.issued_at, holder=holder)
    result = check_permit(signed.element, checking, prefix=holder, facts=facts if signed.element is permit else None)
    found = signed.findings + signed.unlined(result.schema) + result.codes + result.rules
    if permit is not carried:
        found = _at_the_unqualified_name(found, holder, checking)
    return ValidationReport(kind, findings + found, facts=result.facts, verification=signed.verification)


def _at_the_unqualified_name(findings: list[Finding], holder: str, checking: Checking) -> list[Finding]:
    """Findings on an unqualified permit located at its name in the message (``CITESEPermit``)."""
    qualified = schema.locator(checking.prefixes)(etree.Element(checking.schema_set.fieldmap.root_tag))
    local = etree.QName(checking.schema_set.fieldmap.root_tag).localname
    return [replace(f, location=f"{holder}/{local}{f.location[len(holder) + len(qualified):]}")
            if f.location and f.location.startswith(holder + qualified) else f for f in findings]


def _carried_permit(root: etree._Element, checking: Checking) -> etree._Element | None:
    """The permit a response carries: the qualified root element of the field map, or the
    unqualified element of that local name of the pilot's template (3.1)."""
    content = body_content(root)
    if content is None:
        return None
    qualified = checking.schema_set.fieldmap.root_tag
    return next(content.iter(qualified, etree.QName(qualified).localname), None)


def _as_document(carried: etree._Element, checking: Checking) -> etree._Element:
    """An unqualified permit as the document it is (the same type under the qualified name)."""
    document = etree.fromstring(to_bytes(carried))
    document.tag = checking.schema_set.fieldmap.root_tag
    return etree.fromstring(to_bytes(document))


def _request_findings(root: etree._Element, checking: Checking, settings: SoapSettings, *, schema_failed: bool) -> list[Finding]:
    """What the schema cannot say about a request: its parameters as read, the country's list."""
    try:
        request = parse_request(to_bytes(root), settings)
    except MessageError as exc:
        return [] if schema_failed else [Finding("EPX-101", "PULL-04", exc.text, location=exc.location)]
    if request.country is None or checking.codelists.contains("countries", request.country):
        return []
    node = next(root.iter("IsoCountryCode"), None)
    return [Finding(
        "EPX-101", "PULL-04",
        f"IsoCountryCode {request.country!r} is not an ISO 3166-1 alpha-2 country code",
        location=schema.locator(checking.prefixes)(node) if node is not None else None,
        line=node.sourceline if node is not None else None,
    )]
