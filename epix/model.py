"""The facts the harness works on, independent of any XML schema.

Rules and state never read raw XML: a permit is read into :class:`PermitFacts`
through a field map (:mod:`epix.messages.fieldmap`), and every message is built from
these values. All datetimes are timezone-aware UTC; quantities are ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

#: ``H/TypeCode`` of the v2 message and the envelope's ``DocumentType`` for it.
PERMIT_TYPES: dict[str, str] = {
    "E": "export-permit",
    "R": "re-export-certificate",
    "I": "import-permit",
    "O": "other-certificate",
}
DOCUMENT_TYPES: tuple[str, ...] = (*PERMIT_TYPES.values(), "usage-report", "cancellation")
#: Which ``DocumentStatus`` values each document type may carry (profile section 5).
ALLOWED_STATUSES: dict[str, tuple[str, ...]] = {
    **{t: ("issued", "replaced") for t in PERMIT_TYPES.values()},
    "usage-report": ("used",),
    "cancellation": ("cancelled",),
}
DOCUMENT_STATES: tuple[str, ...] = ("issued", "partially-used", "used", "cancelled", "replaced")
CANCELLATION_REASONS: tuple[str, ...] = (
    "error", "lost", "stolen", "destroyed", "not-used", "replaced", "fraud-suspected",
)
AckStatus = Literal["Received", "Accepted", "Rejected"]


@dataclass
class TradeParty:
    """Importer (box 3) or exporter / re-exporter (box 4)."""

    name: str | None = None
    country: str | None = None
    address: str | None = None


@dataclass
class IssuingAuthority:
    """The issuing Management Authority (box 6)."""

    party_id: str | None = None
    name: str | None = None
    country: str | None = None


@dataclass
class ItemFacts:
    """One consignment item (boxes 7 to 12b, and 14 on the final permit)."""

    id: str | None = None
    scientific_name: str | None = None
    common_name: str | None = None
    description: str | None = None
    term_code: str | None = None
    marks: list[str] = field(default_factory=list)
    appendix: str | None = None
    source: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    annual_quota: Decimal | None = None
    used_quota: Decimal | None = None
    origin_country: str | None = None
    origin_permit_id: str | None = None
    origin_permit_date: datetime | None = None
    reexport_country: str | None = None
    reexport_certificate_id: str | None = None
    inspected_quantity: Decimal | None = None
    inspected_unit: str | None = None


@dataclass
class PermitFacts:
    """The facts of one CITES permit or certificate, whatever schema carried them.

    ``paths`` maps a fact name (as in the field map: ``number``, ``items.source``)
    to the XPath template it was read from; :meth:`where` turns it into the location
    of a finding. A value that was absent in the document is ``None``.
    """

    business_process: str | None = None
    number: str | None = None
    type_code: str | None = None
    copy: bool | None = None
    issued_at: datetime | None = None
    place_of_issue: str | None = None
    purpose: str | None = None
    special_conditions: list[str] = field(default_factory=list)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    security_stamp: str | None = None
    issuer: IssuingAuthority = field(default_factory=IssuingAuthority)
    replaces: str | None = None
    importer: TradeParty = field(default_factory=TradeParty)
    exporter: TradeParty = field(default_factory=TradeParty)
    transport_document: str | None = None
    endorsement_date: datetime | None = None
    endorsement_location: str | None = None
    items: list[ItemFacts] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def document_type(self) -> str | None:
        """The envelope ``DocumentType`` that fits ``type_code`` (``export-permit`` …)."""
        return PERMIT_TYPES.get(self.type_code or "")

    def where(self, fact: str, item: int | None = None) -> str | None:
        """The XPath of ``fact``; for item facts, of the ``item``-th item (0-based)."""
        path = self.paths.get(fact)
        if path is None:
            return None
        if item is not None:
            path = path.replace("{item}", str(item + 1))
        return path


@dataclass
class Position:
    """A quantity actually traded for one item (usage report, ConfirmQuantities)."""

    id: str
    quantity: Decimal
    unit: str | None = None


@dataclass
class UsageReport:
    document_id: str
    issuing_party: str
    reporting_party: str
    usage_date: date
    positions: list[Position]
    customs_office: str | None = None
    transport_document: str | None = None


@dataclass
class Cancellation:
    document_id: str
    issuing_party: str
    reason_code: str
    cancelled_at: datetime
    reason_text: str | None = None


@dataclass
class EnvelopeHeader:
    """The ``epx:Header`` of binding B's Envelope."""

    message_id: str
    sender: str
    recipient: str
    document_type: str
    document_number: str
    document_status: str
    created_at: datetime
    reply_to: str | None = None


@dataclass
class AckError:
    code: str
    text: str
    severity: Literal["error", "warning"] = "error"
    location: str | None = None


@dataclass
class Acknowledgement:
    message_id: str
    ref_to_message_id: str
    sender: str
    recipient: str
    status: AckStatus
    created_at: datetime
    errors: list[AckError] = field(default_factory=list)


@dataclass
class Status:
    """``GET /status`` (LIF-02)."""

    party_id: str
    profile_version: str
    document_types: list[str]


@dataclass
class Tracking:
    """A hub's ``GET /envelopes/{id}/tracking`` (section 8)."""

    message_id: str
    status: str
    error_message: str | None = None
    acknowledgement: Acknowledgement | None = None
