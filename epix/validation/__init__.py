"""Validate one message of the profile: what a single file can show.

:func:`validate` reads the bytes safely (EPX-100), tells the kind of message by its root
element and runs the checks of that kind in the order of the profile's section 9:

- permit: signature (with ``trust``), schema (DOC-01), code lists (DOC-02), rules
  (DOC-03 … DOC-11);
- usage report, cancellation: signature, schema, code lists;
- envelope: envelope schema (ENV-10), document type and status (ENV-14), then the
  payload document as above, with envelope/document agreement (ENV-14, ENV-15) before
  its business rules;
- acknowledgement: schema (ACK-01), status and errors (ACK-03), signature;
- status, tracking: schema;
- SOAP (binding A): request, response or fault, see :mod:`epix.validation.binding_a`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from lxml import etree

from epix import clock
from epix.codelists import CodeLists, default_codelists
from epix.findings import Finding
from epix.namespaces import EPX, SOAP, qname
from epix.safexml import XmlRefused, parse, xpath_of
from epix.schemaset import SchemaSet, default_schema_set
from epix.validation import schema
from epix.validation.document import (
    PERMIT, Checking, check_cancellation, check_permit, check_usage_report, kind_of, schema_findings, text_at,
)
from epix.validation.report import ValidationReport
from epix.validation.signature import check_signature

__all__ = ["ValidationReport", "validate", "validate_root", "WELL_FORMED_REQUIREMENT"]

#: The requirement a message that cannot be read at all breaks (EPX-100).
WELL_FORMED_REQUIREMENT = "DOC-01"


def validate(
    data: bytes | etree._Element,
    *,
    schema_set: SchemaSet | None = None,
    codelists: CodeLists | None = None,
    trust: Any = None,
    now: datetime | None = None,
    soap_settings: Any = None,
    known_issuers: dict[str, str] | None = None,
    source: str = "message",
) -> ValidationReport:
    """Every finding on one message (bytes, or an element already read with :mod:`epix.safexml`).

    ``trust`` (an :class:`epix.signing.TrustStore`) turns on signature checks; ``now``
    pins the clock for DOC-04; ``soap_settings`` gives binding A's namespaces;
    ``known_issuers`` (document number -> issuing party) informs DOC-09.
    """
    if isinstance(data, etree._Element):
        root = data
    else:
        try:
            root = parse(data, source=source)
        except XmlRefused as exc:
            finding = Finding("EPX-100", WELL_FORMED_REQUIREMENT, _sentence(exc.reason), line=exc.line)
            return ValidationReport("unreadable", [finding])
    checking = Checking(
        schema_set or default_schema_set(), codelists or default_codelists(), now or clock.now(), dict(known_issuers or {}),
    )
    return validate_root(root, checking, trust=trust, soap_settings=soap_settings)


def validate_root(root: etree._Element, checking: Checking, *, trust: Any = None, soap_settings: Any = None) -> ValidationReport:
    """:func:`validate` for a parsed root and a prepared :class:`Checking`."""
    if root.tag == qname(SOAP, "Envelope"):
        from epix.messages.soap import SoapSettings

        soap_settings = soap_settings or SoapSettings()
        checking = replace(checking, prefixes=soap_settings.prefixes)
    report = _dispatch(root, checking, trust, soap_settings)
    if any(finding.line is None and finding.location for finding in report.findings):
        evaluate = etree.XPathDocumentEvaluator(root.getroottree(), namespaces=dict(checking.prefixes))
        report.findings = [_with_line(finding, evaluate) for finding in report.findings]
    return report


def _dispatch(root: etree._Element, checking: Checking, trust: Any, soap_settings: Any) -> ValidationReport:
    if root.tag == qname(SOAP, "Envelope"):
        from epix.validation.binding_a import validate_soap

        return validate_soap(root, checking, trust, soap_settings)
    kind = kind_of(root, checking.schema_set)
    if kind == "envelope":
        from epix.validation.envelope import validate_envelope

        return validate_envelope(root, checking, trust)
    handler = _HANDLERS.get(kind or "")
    if handler is None:
        return ValidationReport("unknown", [_unknown_root(root, checking.schema_set)])
    return handler(root, checking, trust)


def _validate_permit(root: etree._Element, checking: Checking, trust: Any) -> ValidationReport:
    facts = checking.schema_set.fieldmap.extract(root)
    signed = check_signature(root, trust, sender=facts.issuer.party_id, at=facts.issued_at)
    result = check_permit(signed.element, checking, facts=facts if signed.element is root else None)
    findings = signed.findings + signed.unlined(result.schema) + result.codes + result.rules
    return ValidationReport(PERMIT, findings, facts=result.facts, verification=signed.verification)


def _validate_usage_report(root: etree._Element, checking: Checking, trust: Any) -> ValidationReport:
    signed = check_signature(root, trust, sender=text_at(root, EPX, "ReportingPartyID"), at=None)
    return ValidationReport("usage-report", signed.findings + signed.unlined(check_usage_report(signed.element, checking)),
                            verification=signed.verification)


def _validate_cancellation(root: etree._Element, checking: Checking, trust: Any) -> ValidationReport:
    at = _moment(text_at(root, EPX, "CancellationDateTime"))
    signed = check_signature(root, trust, sender=text_at(root, EPX, "IssuingPartyID"), at=at)
    return ValidationReport("cancellation", signed.findings + signed.unlined(check_cancellation(signed.element, checking)),
                            verification=signed.verification)


def _validate_acknowledgement(root: etree._Element, checking: Checking, trust: Any) -> ValidationReport:
    findings = schema_findings(root, checking, schema.ACKNOWLEDGEMENT)
    findings += _ack_status_findings(root)
    signed = check_signature(root, trust, sender=text_at(root, EPX, "From"),
                             at=_moment(text_at(root, EPX, "CreationDateTime")))
    return ValidationReport("acknowledgement", findings + signed.findings, verification=signed.verification)


def _validate_schema_only(check: schema.SchemaCheck, kind: str):  # noqa: ANN202
    def run(root: etree._Element, checking: Checking, trust: Any) -> ValidationReport:
        return ValidationReport(kind, schema_findings(root, checking, check))

    return run


_HANDLERS = {
    PERMIT: _validate_permit,
    "usage-report": _validate_usage_report,
    "cancellation": _validate_cancellation,
    "acknowledgement": _validate_acknowledgement,
    "status": _validate_schema_only(schema.STATUS, "status"),
    "tracking": _validate_schema_only(schema.TRACKING, "tracking"),
}


def _ack_status_findings(root: etree._Element) -> list[Finding]:
    """ACK-03: ``Rejected`` carries an error of severity ``error``; ``Accepted`` none."""
    status_node = root.find(qname(EPX, "Status"))
    status = text_at(root, EPX, "Status")
    severities = [text_at(error, EPX, "Severity") for error in root.iterfind(qname(EPX, "Error"))]
    text = None
    if status == "Rejected" and "error" not in severities:
        text = "A Rejected acknowledgement carries at least one Error of Severity 'error'"
    elif status == "Accepted" and "error" in severities:
        text = "An Accepted acknowledgement carries no Error of Severity 'error' (warnings only)"
    if text is None:
        return []
    location = xpath_of(status_node) if status_node is not None else None
    line = status_node.sourceline if status_node is not None else None
    return [Finding("EPX-101", "ACK-03", text, location=location, line=line)]


def _unknown_root(root: etree._Element, schema_set: SchemaSet) -> Finding:
    name = etree.QName(root)
    return Finding(
        "EPX-300", "DOC-01",
        f"The root element {name.localname} (namespace {name.namespace or 'none'}) is not a message of the "
        f"profile: expected a permit ({schema_set.fieldmap.root}), an epx:Envelope, epx:UsageReport, "
        f"epx:Cancellation, epx:Acknowledgement, epx:Status, epx:Tracking or a soap:Envelope",
        location=xpath_of(root), line=root.sourceline,
    )


def _with_line(finding: Finding, evaluate: etree.XPathDocumentEvaluator) -> Finding:
    """The finding with the line of the node its location names, where it has none yet
    (``evaluate``: an evaluator on the message's tree, with the prefixes of the locations)."""
    if finding.line is not None or not finding.location:
        return finding
    try:
        found = evaluate(finding.location)
    except (etree.XPathError, TypeError):
        return finding
    node = found[0] if isinstance(found, list) and found else None
    if isinstance(node, etree._ElementUnicodeResult):
        node = node.getparent()
    if isinstance(node, etree._Element) and node.sourceline:
        return replace(finding, line=node.sourceline)
    return finding


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:]
