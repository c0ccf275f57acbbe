"""DOC-02: every coded value is in its code list (EPX-301).

Permits are checked on their facts (purpose, appendix, source, units, every country);
usage reports and cancellations on their few coded elements, read from the XML.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lxml import etree

from epix.codelists import CodeLists
from epix.findings import Finding
from epix.model import CANCELLATION_REASONS, PERMIT_TYPES, ItemFacts, PermitFacts
from epix.namespaces import PREFIXES
from epix.safexml import xpath_of

CODE = "EPX-301"
REQUIREMENT = "DOC-02"
#: How a finding names each list; a short list is spelled out in full.
LIST_TITLES: dict[str, str] = {
    "purpose": "the CITES purpose code list",
    "source": "the CITES source code list",
    "appendix": "the CITES appendices",
    "units": "the UN/ECE Recommendation 20 unit codes (or PCS)",
    "countries": "the ISO 3166-1 alpha-2 country codes",
}
_SPELL_OUT = 15


@dataclass(frozen=True)
class CodedValue:
    """One coded value of a document: what it is, its list, the value and where it is."""

    what: str
    list_name: str
    value: str | None
    location: str | None
    owner: str = ""

    def sentence(self, codelists: CodeLists) -> str:
        of = f" of {self.owner}" if self.owner else ""
        what = self.what[:1].upper() + self.what[1:]
        return f"{what} {self.value!r}{of} is not in {describe_list(codelists, self.list_name)}"


def describe_list(codelists: CodeLists, name: str) -> str:
    title = LIST_TITLES.get(name, f"the code list {name!r}")
    codes = codelists.codes(name)
    return f"{title} ({', '.join(codes)})" if len(codes) <= _SPELL_OUT else title


def check_values(values: Iterable[CodedValue], codelists: CodeLists) -> list[Finding]:
    """A finding for each value that is present and not in its list."""
    return [
        Finding(
            CODE,
            REQUIREMENT,
            value.sentence(codelists),
            location=value.location,
        )
        for value in values
        if value.value is not None and not codelists.contains(value.list_name, value.value)
    ]


#: The coded facts of every item: (fact, attribute of ItemFacts, what it is, its list).
_ITEM_CODES: tuple[tuple[str, str, str, str], ...] = (
    ("items.appendix", "appendix", "appendix", "appendix"),
    ("items.source", "source", "source code", "source"),
    ("items.unit", "unit", "unit of quantity", "units"),
    ("items.inspected_unit", "inspected_unit", "unit of the inspected quantity", "units"),
    ("items.origin_country", "origin_country", "country of origin", "countries"),
    ("items.reexport_country", "reexport_country", "country of last re-export", "countries"),
)


def _header_values(facts: PermitFacts) -> Iterator[CodedValue]:
    yield CodedValue("purpose code", "purpose", facts.purpose, facts.where("purpose"))
    for fact, role, country in (
        ("issuer.country", "issuing authority", facts.issuer.country),
        ("importer.country", "importer", facts.importer.country),
        ("exporter.country", "exporter", facts.exporter.country),
    ):
        yield CodedValue("country code", "countries", country, facts.where(fact), f"the {role}")
    if facts.issuer.party_id:
        country = facts.issuer.party_id.split("-", 1)[0]
        yield CodedValue("country", "countries", country, facts.where("issuer.party_id"), "the issuing party ID")


def _item_value(facts: PermitFacts, index: int, item: ItemFacts, fact: str, what: str, list_name: str,
                value: str | None) -> CodedValue:
    label = f"item {item.id!r}" if item.id else f"item {index + 1}"
    return CodedValue(what, list_name, value, facts.where(fact, index), label)


def permit_values(facts: PermitFacts) -> Iterator[CodedValue]:
    """Every coded value of a permit that has a code list."""
    yield from _header_values(facts)
    for index, item in enumerate(facts.items):
        for fact, attr, what, list_name in _ITEM_CODES:
            yield _item_value(facts, index, item, fact, what, list_name, getattr(item, attr))


def _unlisted_values(facts: PermitFacts, codelists: CodeLists) -> Iterator[CodedValue]:
    """The values of :func:`permit_values` that are present and not in their list, in the
    same order; the location and label of an item value are made only for those."""
    yield from (value for value in _header_values(facts)
                if value.value is not None and not codelists.contains(value.list_name, value.value))
    contains = codelists.contains
    for index, item in enumerate(facts.items):
        for fact, attr, what, list_name in _ITEM_CODES:
            value = getattr(item, attr)
            if value is not None and not contains(list_name, value):
                yield _item_value(facts, index, item, fact, what, list_name, value)


def check_permit(facts: PermitFacts, codelists: CodeLists) -> list[Finding]:
    """DOC-02 for a permit: the document type and every value with a code list."""
    findings = []
    if facts.type_code is not None and facts.type_code not in PERMIT_TYPES:
        findings.append(Finding(
            CODE, REQUIREMENT,
            f"Document type code {facts.type_code!r} is not one of {', '.join(PERMIT_TYPES)} "
            f"(export, re-export, import, other)",
            location=facts.where("type_code"),
        ))
    return findings + check_values(_unlisted_values(facts, codelists), codelists)


def _located(node: etree._Element | etree._ElementUnicodeResult) -> tuple[str, str]:
    """The value of an element or attribute found by XPath, and its location."""
    if isinstance(node, etree._ElementUnicodeResult):
        return str(node), f"{xpath_of(node.getparent())}/@{node.attrname}"
    return (node.text or "").strip(), xpath_of(node)


def _values_at(root: etree._Element, what_by_path: dict[str, str], list_name: str, *, party: bool = False) -> list[CodedValue]:
    values = []
    for path, what in what_by_path.items():
        for node in root.xpath(path, namespaces=PREFIXES):
            value, location = _located(node)
            if party:
                value = value.split("-", 1)[0]
            values.append(CodedValue(what, list_name, value, location))
    return values


def check_usage_report(root: etree._Element, codelists: CodeLists) -> list[Finding]:
    """DOC-02 for a usage report: the unit of every inspected quantity, the parties' countries."""
    units = _values_at(root, {"epx:Position/epx:InspectedUnitQuantity/@unitCode": "unit of the inspected quantity"}, "units")
    parties = _values_at(
        root,
        {"epx:IssuingPartyID": "country of the issuing party", "epx:ReportingPartyID": "country of the reporting party"},
        "countries",
        party=True,
    )
    return check_values(units + parties, codelists)


def check_cancellation(root: etree._Element, codelists: CodeLists) -> list[Finding]:
    """DOC-02 for a cancellation: the reason code and the issuing party's country."""
    findings = []
    for node in root.xpath("epx:ReasonCode", namespaces=PREFIXES):
        reason = (node.text or "").strip()
        if reason not in CANCELLATION_REASONS:
            findings.append(Finding(
                CODE, REQUIREMENT,
                f"Cancellation reason {reason!r} is not one of {', '.join(CANCELLATION_REASONS)}",
                location=xpath_of(node),
            ))
    parties = _values_at(root, {"epx:IssuingPartyID": "country of the issuing party"}, "countries", party=True)
    return findings + check_values(parties, codelists)
