"""Validation of the documents a payload carries: permit, usage report, cancellation.

A permit: schema (DOC-01, EPX-300), code lists (DOC-02, EPX-301) and business rules
(DOC-03 … DOC-11, EPX-303) over the facts its field map reads. A usage report or a
cancellation: schema, and the code lists and single-file checks that apply to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import xmlschema
from lxml import etree

from epix.codelists import CodeLists
from epix.findings import Finding
from epix.model import PermitFacts
from epix.namespaces import EPX, PREFIXES, qname
from epix.paths import SCHEMAS
from epix.schemaset import SchemaSet, load_xmlschema, load_xsd
from epix.validation import codelist, schema
from epix.validation.rules import RuleContext, check_rules

_ENVELOPE_XSD = SCHEMAS / "envelope" / "envelope.xsd"
#: The profile's own messages (namespace ``epx``), by root element, with their kind.
EPX_KINDS: dict[str, str] = {
    qname(EPX, "Envelope"): "envelope",
    qname(EPX, "Acknowledgement"): "acknowledgement",
    qname(EPX, "UsageReport"): "usage-report",
    qname(EPX, "Cancellation"): "cancellation",
    qname(EPX, "Status"): "status",
    qname(EPX, "Tracking"): "tracking",
}
PERMIT = "permit"


@dataclass(frozen=True)
class Checking:
    """Everything the checks of one validation share."""

    schema_set: SchemaSet
    codelists: CodeLists
    now: datetime
    known_issuers: dict[str, str] = field(default_factory=dict)
    prefixes: Mapping[str, str] = field(default_factory=lambda: dict(PREFIXES))

    def rule_context(self, *, replacement: bool = False) -> RuleContext:
        return RuleContext(self.now, self.codelists, replacement=replacement, known_issuers=self.known_issuers)


def kind_of(root: etree._Element, schema_set: SchemaSet) -> str | None:
    """``permit`` for the schema set's permit root, the kind of an ``epx`` message, else None."""
    if root.tag == schema_set.fieldmap.root_tag:
        return PERMIT
    return EPX_KINDS.get(root.tag) or schema_set.kind_of(root.tag)


def lxml_schema_for(root_tag: str, schema_set: SchemaSet) -> etree.XMLSchema:
    """The schema for documents with this root element.

    The schema set decides; the profile's own ``epx`` messages fall back to the bundled
    ``schemas/envelope/envelope.xsd`` when a set (toolkit v3, say) does not name them.
    """
    if root_tag in schema_set.entries:
        return schema_set.schema_for(root_tag)
    return load_xsd(_ENVELOPE_XSD, confine_to=SCHEMAS)


def detailed_schema(root_tag: str, schema_set: SchemaSet) -> Callable[[], xmlschema.XMLSchemaBase]:
    """The same schema for xmlschema, compiled only when it is called (for error listings)."""
    def build() -> xmlschema.XMLSchemaBase:
        if root_tag in schema_set.entries:
            return schema_set.xmlschema_for(root_tag)
        return load_xmlschema(_ENVELOPE_XSD, confine_to=SCHEMAS)

    return build


def schema_findings(root: etree._Element, checking: Checking, check: schema.SchemaCheck, *,
                    ignore: Callable[[etree._Element], bool] | None = None) -> list[Finding]:
    """Every schema error of ``root`` as a finding of ``check``."""
    return schema.check_schema(root, lxml_schema_for(root.tag, checking.schema_set),
                               detailed_schema(root.tag, checking.schema_set), check,
                               ignore=ignore, prefixes=checking.prefixes)


def read_permit_facts(root: etree._Element, schema_set: SchemaSet) -> PermitFacts:
    return schema_set.fieldmap.extract(root)


@dataclass
class PermitCheck:
    """The findings on a permit, by step of the profile's section 9, and its facts."""

    facts: PermitFacts
    schema: list[Finding]
    codes: list[Finding]
    rules: list[Finding]

    @property
    def findings(self) -> list[Finding]:
        return self.schema + self.codes + self.rules


def check_permit(root: etree._Element, checking: Checking, *, replacement: bool = False, prefix: str = "",
                 facts: PermitFacts | None = None) -> PermitCheck:
    """Schema, code lists and rules of a permit, with locations in the message as received:
    ``prefix`` is the XPath of the element that holds the permit (an envelope's payload, a
    SOAP response) or ``""``. Fact locations are always put below it; schema locations
    only when ``root`` is a detached copy (a verified signature's signed element).
    ``facts``, when the caller already read them from this very ``root``, are not read again."""
    if facts is None:
        facts = read_permit_facts(root, checking.schema_set)
    schema_part = schema_findings(root, checking, schema.DOCUMENT)
    if root.getparent() is None:
        schema_part = relocated(schema_part, prefix)
    codes = relocated(codelist.check_permit(facts, checking.codelists), prefix)
    return PermitCheck(
        facts=facts,
        schema=schema_part,
        codes=not_reported(codes, schema_part),
        rules=relocated(check_rules(facts, checking.rule_context(replacement=replacement)), prefix),
    )


def check_usage_report(root: etree._Element, checking: Checking) -> list[Finding]:
    schema_part = schema_findings(root, checking, schema.DOCUMENT)
    return schema_part + not_reported(codelist.check_usage_report(root, checking.codelists), schema_part)


def check_cancellation(root: etree._Element, checking: Checking) -> list[Finding]:
    schema_part = schema_findings(root, checking, schema.DOCUMENT)
    return schema_part + not_reported(codelist.check_cancellation(root, checking.codelists), schema_part)


def not_reported(findings: list[Finding], schema_part: list[Finding]) -> list[Finding]:
    """``findings`` less those at a node the schema check already reported (a reason code
    the schema enumerates, an empty country code)."""
    taken = {f.location for f in schema_part if f.location}
    return [f for f in findings if f.location not in taken]


def relocated(findings: list[Finding], prefix: str) -> list[Finding]:
    """Findings whose absolute locations are put below ``prefix``."""
    if not prefix:
        return findings
    return [replace(f, location=prefix + f.location) if f.location and f.location.startswith("/") else f for f in findings]


def text_at(root: etree._Element, ns: str, name: str) -> str | None:
    element = root.find(qname(ns, name))
    if element is None:
        return None
    return (element.text or "").strip() or None
