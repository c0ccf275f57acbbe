"""Validation of a binding-B Envelope on its own: what one file can show.

In the order of the profile's section 9: the envelope schema (ENV-10, EPX-101, errors
inside the payload document left to the document's own schema); the document type
and status (ENV-14, EPX-108); the payload's signature (with a trust store); the payload
document's schema and code lists (EPX-300, EPX-301); envelope and document agreement
(ENV-14 type, ENV-15 number and parties, EPX-302); the business rules (EPX-303).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from epix.findings import Finding
from epix.messages.envelope import parse_header
from epix.messages.errors import MessageError
from epix.model import ALLOWED_STATUSES, EnvelopeHeader, PermitFacts
from epix.namespaces import EPX, qname
from epix.safexml import xpath_of
from epix.validation import schema
from epix.validation.document import (
    PERMIT, Checking, check_cancellation, check_permit, check_usage_report, kind_of, schema_findings, text_at,
)
from epix.validation.report import ValidationReport
from epix.validation.signature import check_signature

AGREEMENT = "EPX-302"
PAYLOAD_KINDS = (PERMIT, "usage-report", "cancellation")


def validate_envelope(root: etree._Element, checking: Checking, trust: Any = None) -> ValidationReport:
    payload = _payload_document(root)
    findings = schema_findings(root, checking, schema.ENVELOPE, ignore=schema.within(payload))
    header = _header(root, findings)
    if payload is None:
        return ValidationReport("envelope", findings)
    payload_kind = kind_of(payload, checking.schema_set)
    if payload_kind not in PAYLOAD_KINDS:
        findings.append(_unsupported_payload(payload))
        return ValidationReport("envelope", findings)
    if header is not None:
        findings += _status_findings(root, header)
    return _validate_payload(root, payload, payload_kind, header, checking, trust, findings)


def _validate_payload(root: etree._Element, payload: etree._Element, kind: str, header: EnvelopeHeader | None,
                      checking: Checking, trust: Any, findings: list[Finding]) -> ValidationReport:
    holder = xpath_of(payload.getparent())
    signed = check_signature(payload, trust, sender=header.sender if header else None,
                             at=header.created_at if header else None, holder=holder)
    findings += signed.findings
    document = signed.element
    if kind != PERMIT:
        check = check_usage_report if kind == "usage-report" else check_cancellation
        findings += signed.placed(check(document, checking))
        if header is not None:
            findings += _epx_agreement(root, header, document, kind)
        return ValidationReport("envelope", findings, verification=signed.verification)
    replacement = header is not None and header.document_status == "replaced"
    permit = check_permit(document, checking, replacement=replacement, prefix=holder)
    findings += signed.unlined(permit.schema) + permit.codes
    if header is not None:
        findings += _permit_agreement(root, header, permit.facts)
    findings += permit.rules
    return ValidationReport("envelope", findings, facts=permit.facts, verification=signed.verification)


def _payload_document(root: etree._Element) -> etree._Element | None:
    """The one element inside ``epx:Payload``, in place; None if there is not exactly one."""
    payload = root.find(qname(EPX, "Payload"))
    if payload is None:
        return None
    documents = [child for child in payload if isinstance(child.tag, str)]
    return documents[0] if len(documents) == 1 else None


def _header(root: etree._Element, findings: list[Finding]) -> EnvelopeHeader | None:
    element = root.find(qname(EPX, "Header"))
    if element is None:
        return None
    try:
        return parse_header(element)
    except MessageError as exc:
        if not findings:
            findings.append(Finding("EPX-101", "ENV-10", exc.text, location=exc.location))
        return None


def _unsupported_payload(payload: etree._Element) -> Finding:
    name = etree.QName(payload)
    return Finding(
        "EPX-108", "ENV-14",
        f"The payload is a {name.localname} element (namespace {name.namespace or 'none'}), which is not a "
        f"document the profile carries: a permit, a usage report or a cancellation",
        location=xpath_of(payload), line=payload.sourceline,
    )


def _status_findings(root: etree._Element, header: EnvelopeHeader) -> list[Finding]:
    allowed = ALLOWED_STATUSES.get(header.document_type, ())
    if header.document_status in allowed:
        return []
    node = root.find(f"{qname(EPX, 'Header')}/{qname(EPX, 'DocumentStatus')}")
    return [Finding(
        "EPX-108", "ENV-14",
        f"DocumentStatus {header.document_status!r} does not go with DocumentType {header.document_type!r}, "
        f"which carries {' or '.join(repr(s) for s in allowed)}",
        location=xpath_of(node) if node is not None else None,
        line=node.sourceline if node is not None else None,
    )]


def _header_location(root: etree._Element, name: str) -> tuple[str | None, int | None]:
    node = root.find(f"{qname(EPX, 'Header')}/{qname(EPX, name)}")
    return (xpath_of(node), node.sourceline) if node is not None else (None, None)


def _disagreement(root: etree._Element, requirement: str, name: str, text: str) -> Finding:
    location, line = _header_location(root, name)
    return Finding(AGREEMENT, requirement, text, location=location, line=line)


def _permit_agreement(root: etree._Element, header: EnvelopeHeader, facts: PermitFacts) -> list[Finding]:
    findings = []
    if facts.document_type is not None and facts.document_type != header.document_type:
        findings.append(_disagreement(root, "ENV-14", "DocumentType",
            f"DocumentType is {header.document_type!r} but the payload is {_a(facts.document_type)} "
            f"(TypeCode {facts.type_code!r})"))
    if header.document_type in ("usage-report", "cancellation"):
        return findings
    if facts.number is not None and facts.number != header.document_number:
        findings.append(_disagreement(root, "ENV-15", "DocumentNumber",
            f"DocumentNumber {header.document_number!r} is not the permit's own number {facts.number!r}"))
    if facts.issuer.party_id is not None and facts.issuer.party_id != header.sender:
        findings.append(_disagreement(root, "ENV-15", "From",
            f"From {header.sender!r} is not the party that issued the permit ({facts.issuer.party_id!r}): "
            f"a party sends only the permits it issued"))
    return findings


def _epx_agreement(root: etree._Element, header: EnvelopeHeader, document: etree._Element, kind: str) -> list[Finding]:
    findings = []
    if header.document_type != kind:
        findings.append(_disagreement(root, "ENV-14", "DocumentType",
            f"DocumentType is {header.document_type!r} but the payload is {_a(kind)}"))
        return findings
    number = text_at(document, EPX, "DocumentID")
    if number is not None and number != header.document_number:
        findings.append(_disagreement(root, "ENV-15", "DocumentNumber",
            f"DocumentNumber {header.document_number!r} is not the {kind.replace('-', ' ')}'s DocumentID {number!r}"))
    party_element, role = ("IssuingPartyID", "issuing party") if kind == "cancellation" else ("ReportingPartyID", "reporting party")
    party = text_at(document, EPX, party_element)
    if party is not None and party != header.sender:
        findings.append(_disagreement(root, "ENV-15", "From",
            f"From {header.sender!r} is not the {kind.replace('-', ' ')}'s {role} ({party_element} {party!r})"))
    return findings


def _a(kind: str) -> str:
    words = kind.replace("-", " ") if kind != "re-export-certificate" else "re-export certificate"
    return f"an {words}" if words[:1] in "aeiou" else f"a {words}"
