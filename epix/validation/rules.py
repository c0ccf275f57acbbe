"""The CITES business rules DOC-03 … DOC-11 over :class:`~epix.model.PermitFacts`.

Each rule is a named function ``doc_NN_<what>(facts, ctx) -> list[Finding]`` with one
job; :data:`RULES` lists them in order. A rule says nothing about a fact that is absent
(``None``): the schema check reports missing elements. Every finding is EPX-303 with
the rule's requirement ID and the XPath of the offending fact.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from epix.clock import isoformat
from epix.codelists import CodeLists
from epix.findings import Finding
from epix.model import ItemFacts, PermitFacts

CODE = "EPX-303"
#: Clock skew allowed when comparing the issue date with "now" (DOC-04).
ISSUE_SKEW = timedelta(minutes=5)
#: Longest validity in calendar months, by ``H/TypeCode`` (DOC-03).
MAX_VALIDITY_MONTHS: dict[str, int] = {"E": 6, "R": 6, "I": 12, "O": 6}
#: Other certificates valid up to three years: travelling exhibition and ownership.
LONG_CERTIFICATE_MONTHS = 36
#: Purposes that make an "other certificate" (type O) a three-year certificate:
#: Q travelling exhibition (Res. Conf. 12.3 and 8.16); P personal, i.e. a certificate of
#: ownership (Res. Conf. 10.20, personally owned live animals; Res. Conf. 16.8, musical
#: instruments).
LONG_CERTIFICATE_PURPOSES: dict[str, str] = {"Q": "travelling exhibition certificate", "P": "certificate of ownership"}
BUSINESS_PROCESS = "CITES PERMITTING"
_EPITHET = r"(?!spp?(?: |$))[a-z]+(?:-[a-z]+)*"
_SPECIES_NAME = re.compile(rf"^[A-Z][a-z]+(?: {_EPITHET}){{1,2}}$")
_GENUS_SPP = re.compile(r"^[A-Z][a-z]+ spp\.$")
#: Any character for which str.isspace() is true (the same set for str patterns).
_WHITE_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class RuleContext:
    """What the rules need besides the document.

    ``now`` is the clock (DOC-04); ``replacement`` says that the document was delivered
    as a replacement (envelope ``DocumentStatus`` ``replaced``); ``known_issuers`` maps
    document numbers the caller holds to their issuing party (DOC-09: only a receiver that
    holds the replaced document can tell who issued it).
    """

    now: datetime
    codelists: CodeLists | None = None
    replacement: bool = False
    known_issuers: Mapping[str, str] = field(default_factory=dict)


Rule = Callable[[PermitFacts, RuleContext], list[Finding]]


def _finding(requirement: str, text: str, location: str | None) -> Finding:
    return Finding(CODE, requirement, text, location=location)


def _item_label(item: ItemFacts, index: int) -> str:
    return f"item {item.id!r}" if item.id else f"item {index + 1}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _item_location(facts: PermitFacts, fact: str, index: int) -> str | None:
    """The XPath of an item fact; of the item element itself when the fact has no path."""
    found = facts.where(fact, index)
    if found is not None:
        return found
    items = facts.paths.get("items")
    if items is None:
        return None
    return items.replace("{item}", str(index + 1)) if "{item}" in items else f"{items}[{index + 1}]"


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months; the day is clamped to the month's end
    (31 August + 6 months = 28 or 29 February)."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def validity_limit(facts: PermitFacts) -> tuple[int, str] | None:
    """The longest validity in months for this document and the kind it was judged as."""
    months = MAX_VALIDITY_MONTHS.get(facts.type_code or "")
    if months is None:
        return None
    if facts.type_code == "O" and facts.purpose in LONG_CERTIFICATE_PURPOSES:
        return LONG_CERTIFICATE_MONTHS, LONG_CERTIFICATE_PURPOSES[facts.purpose]
    return months, facts.document_type or "permit"


def doc_03_validity_period(facts: PermitFacts, ctx: RuleContext) -> list[Finding]:
    """Validity at most 6 months (export, re-export, other), 12 (import), 36 (travelling
    exhibition and ownership certificates) from the issue date, in calendar months."""
    limit = validity_limit(facts)
    if limit is None or facts.issued_at is None or facts.valid_until is None:
        return []
    months, kind = limit
    issued, until = facts.issued_at.date(), facts.valid_until.date()
    latest = add_months(issued, months)
    if until <= latest:
        return []
    return [_finding(
        "DOC-03",
        f"The validity ends on {until.isoformat()}, more than {months} months after the issue date "
        f"{issued.isoformat()}: {_a(kind)} is valid until {latest.isoformat()} at the latest",
        facts.where("valid_until"),
    )]


def doc_04_dates_in_order(facts: PermitFacts, ctx: RuleContext) -> list[Finding]:
    """Valid-from (or the issue date) not after valid-until; issue date not in the future."""
    findings = []
    start_fact = "valid_from" if facts.valid_from is not None else "issued_at"
    start = facts.valid_from or facts.issued_at
    if start is not None and facts.valid_until is not None and start > facts.valid_until:
        name = "valid-from date" if start_fact == "valid_from" else "issue date"
        findings.append(_finding(
            "DOC-04",
            f"The {name} {_moment(start)} is after the end of validity {_moment(facts.valid_until)}",
            facts.where(start_fact),
        ))
    if facts.issued_at is not None and facts.issued_at > ctx.now + ISSUE_SKEW:
        findings.append(_finding(
            "DOC-04",
            f"The issue date {_moment(facts.issued_at)} is in the future (now is {_moment(ctx.now)}; "
            f"{int(ISSUE_SKEW.total_seconds() // 60)} minutes of clock skew are allowed)",
            facts.where("issued_at"),
        ))
    return findings


def issuer_country(facts: PermitFacts) -> str | None:
    """The issuing party's country: its address country, else the party ID's country part."""
    if facts.issuer.country:
        return facts.issuer.country
    if facts.issuer.party_id:
        return facts.issuer.party_id.split("-", 1)[0]
    return None


def doc_05_party_country(facts: PermitFacts, ctx: RuleContext) -> list[Finding]:
    """Export permit: the exporter is in the issuing country; import permit: the importer is."""
    roles = {"E": ("exporter", facts.exporter), "I": ("importer", facts.importer)}
    if facts.type_code not in roles:
        return []
    role, party = roles[facts.type_code]
    issuer = issuer_country(facts)
    if issuer is None or party.country is None or party.country == issuer:
        return []
    return [_finding(
        "DOC-05",
        f"The {role}'s country {party.country!r} is not the issuing party's country {issuer!r}: "
        f"{_a(facts.document_type or 'permit')} names {_a(role)} in the country that issues it",
        facts.where(f"{role}.country"),
    )]


def doc_06_reexport_origin(facts: PermitFacts, ctx: RuleContext) -> list[Finding]:
    """A re-export certificate names the country of origin and the origin permit on every item."""
    if facts.type_code != "R":
        return []
    findings = []
    for index, item in enumerate(facts.items):
        missing = [
            (fact, what)
            for fact, what, value in (
                ("items.origin_country", "the country of origin", item.origin_country),
                ("items.origin_permit_id", "the origin permit", item.origin_permit_id),
            )
            if not value
        ]
        for fact, what in missing:
            findings.append(_finding(
                "DOC-06",
                f"The re-export certificate does not name {what} of {_item_label(item, index)} (box 12)",
                _item_location(facts, fact, index),
            ))
    return findings


def doc_07_appendix_i_wild_not_commercial(facts: PermitFacts, ctx: RuleContext) -> list[Finding]:
    """An Appendix-I item of wild source cannot have the commercial purpose T."""
    if facts.purpose != "T":
        return []
    return [
        _finding(
            "DOC-07",
            f"{_capitalised(_item_label(item, index))} ({item.scientific_name or 'no name'}) is an Appendix-I "
            f"specimen taken from the wild (source W) and cannot be traded for commercial purposes (purpose T)",
            _item_location(facts, "items.source", index),
        )
        for index, item in enumerate(facts.items)
        if item.appendix == "I" and item.source == "W"
    ]


def doc_08_item_ids(facts: PermitFacts, ctx: RuleContext) -> list[Finding]:
    """Item IDs are tokens without white space, unique within the permit."""
    findings = []
    seen: dict[str, int] = {}
    for index, item in enumerate(facts.items):
        if item.id is None:
            continue
        if not item.id or _WHITE_SPACE.search(item.id):
            findings.append(_finding(
                "DOC-08", f"The ID {item.id!r} of item {index + 1} is not a token: it must not be empty or contain white space",
                _item_location(facts, "items.id", index),
            ))
        elif item.id in seen:
            findings.append(_finding(
                "DOC-08", f"The ID {item.id!r} of item {index + 1} is already used by item {seen[item.id] + 1}: item IDs must be unique",
                _item_location(facts, "items.id", index),
            ))
        else:
            seen[item.id] = index
    return findings


def replaced_issuer(number: str, ctx: RuleContext) -> str | None:
    """Who issued the document ``number``, where the caller holds it; otherwise nobody can
    tell: document numbers carry no party by convention (DOC-09), so a number that looks
    like ``26FR000123`` says nothing of its issuer."""
    return ctx.known_issuers.get(number)


def doc_09_replacement(facts: PermitFacts, ctx: RuleContext) -> list[Finding]:
    """A replacement names the document it replaces, issued by the same party: checked where
    the replaced document is held (``ctx.known_issuers``); one never received is accepted."""
    where = facts.where("replaces")
    if not facts.replaces:
        if ctx.replacement:
            return [_finding("DOC-09", "The document is delivered as a replacement but does not name the document it replaces (ReferenceReferencedDocument)", where)]
        return []
    if facts.replaces == facts.number:
        return [_finding("DOC-09", f"The document {facts.number!r} names itself as the document it replaces", where)]
    previous = replaced_issuer(facts.replaces, ctx)
    issuer = facts.issuer.party_id or issuer_country(facts)
    if previous is None or issuer is None or _same_party(previous, issuer):
        return []
    return [_finding(
        "DOC-09",
        f"The replaced document {facts.replaces!r} was issued by {previous!r}, not by the issuing party {issuer!r}: "
        f"a party can only replace its own documents",
        where,
    )]


def _same_party(previous: str, issuer: str) -> bool:
    if "-" in previous and "-" in issuer:
        return previous == issuer
    return previous.split("-", 1)[0] == issuer.split("-", 1)[0]


def is_scientific_name(name: str) -> bool:
    """A binomial or trinomial (capitalised genus, lower-case epithets) or ``Genus spp.``."""
    return bool(_SPECIES_NAME.match(name) or _GENUS_SPP.match(name))


def doc_10_scientific_name(facts: PermitFacts, ctx: RuleContext) -> list[Finding]:
    """The scientific name of every item is a binomial, trinomial or ``Genus spp.``."""
    return [
        _finding(
            "DOC-10",
            f"The scientific name {item.scientific_name!r} of {_item_label(item, index)} is not a binomial or "
            f"trinomial (capitalised genus, lower-case epithets, e.g. 'Python regius') nor a genus followed by 'spp.'",
            _item_location(facts, "items.scientific_name", index),
        )
        for index, item in enumerate(facts.items)
        if item.scientific_name is not None and not is_scientific_name(item.scientific_name)
    ]


def doc_11_business_process(facts: PermitFacts, ctx: RuleContext) -> list[Finding]:
    """The business process context is ``CITES PERMITTING`` (compared case-insensitively)."""
    value = facts.business_process
    if value is None or value.strip().casefold() == BUSINESS_PROCESS.casefold():
        return []
    return [_finding(
        "DOC-11",
        f"The business process is {value!r}; a CITES permit names the business process {BUSINESS_PROCESS!r}",
        facts.where("business_process"),
    )]


def _moment(value: datetime) -> str:
    return isoformat(value) if value.tzinfo else value.isoformat(timespec="seconds")


def _a(kind: str) -> str:
    """``an export permit``, ``a re-export certificate``."""
    words = kind.replace("-permit", " permit").replace("-certificate", " certificate")
    return f"an {words}" if words[:1] in "aeiou" else f"a {words}"


RULES: tuple[Rule, ...] = (
    doc_03_validity_period,
    doc_04_dates_in_order,
    doc_05_party_country,
    doc_06_reexport_origin,
    doc_07_appendix_i_wild_not_commercial,
    doc_08_item_ids,
    doc_09_replacement,
    doc_10_scientific_name,
    doc_11_business_process,
)


def check_rules(facts: PermitFacts, ctx: RuleContext) -> list[Finding]:
    """All findings of :data:`RULES`, in rule order."""
    return [finding for rule in RULES for finding in rule(facts, ctx)]
