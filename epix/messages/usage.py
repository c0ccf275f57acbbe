"""The UsageReport of binding B (permit-document.md section 5): a permit used at the border."""

from __future__ import annotations

from lxml import etree

from epix.messages import _fields as f
from epix.messages.errors import MessageError
from epix.messages.identifiers import DOCUMENT_NUMBER, ITEM_ID, NOT_DOCUMENT_NUMBER, NOT_ITEM_ID
from epix.model import Position, UsageReport
from epix.namespaces import EPX
from epix.party import NOT_PARTY_ID, PARTY_ID
from epix.safexml import xpath_of


def build_usage_report(report: UsageReport) -> etree._Element:
    """An unsigned ``epx:UsageReport``; every position needs its unit."""
    root = etree.Element(f"{{{EPX}}}UsageReport", nsmap={"epx": EPX})
    f.add(root, EPX, "DocumentID", report.document_id)
    f.add(root, EPX, "IssuingPartyID", report.issuing_party)
    f.add(root, EPX, "ReportingPartyID", report.reporting_party)
    f.add(root, EPX, "UsageDate", report.usage_date.isoformat())
    f.add_optional(root, EPX, "CustomsOffice", report.customs_office)
    f.add_optional(root, EPX, "TransportDocumentID", report.transport_document)
    for position in report.positions:
        _write_position(f.add(root, EPX, "Position"), position)
    return root


def _write_position(element: etree._Element, position: Position) -> None:
    if position.unit is None:
        raise ValueError(f"position {position.id!r} has no unit: a usage report states the unit of each quantity")
    f.add(element, EPX, "ID", position.id)
    quantity = f.add(element, EPX, "InspectedUnitQuantity", f.format_quantity(position.quantity))
    quantity.set("unitCode", position.unit)


def parse_usage_report(root: etree._Element) -> UsageReport:
    """The facts of an ``epx:UsageReport``; its signature, if any, is not looked at here."""
    f.expect_root(root, EPX, "UsageReport")
    positions = f.children(root, EPX, "Position")
    if not positions:
        raise MessageError("Position missing: a usage report names at least one item", xpath_of(root))
    return UsageReport(
        document_id=f.matching_text(root, EPX, "DocumentID", DOCUMENT_NUMBER, NOT_DOCUMENT_NUMBER),
        issuing_party=f.matching_text(root, EPX, "IssuingPartyID", PARTY_ID, NOT_PARTY_ID),
        reporting_party=f.matching_text(root, EPX, "ReportingPartyID", PARTY_ID, NOT_PARTY_ID),
        usage_date=f.read_date(root, EPX, "UsageDate"),
        customs_office=f.optional_text(root, EPX, "CustomsOffice"),
        transport_document=f.optional_text(root, EPX, "TransportDocumentID"),
        positions=[_read_position(p) for p in positions],
    )


def _read_position(element: etree._Element) -> Position:
    item_id = f.matching_text(element, EPX, "ID", ITEM_ID, NOT_ITEM_ID)
    quantity_element = f.require(element, EPX, "InspectedUnitQuantity")
    quantity = f.read_decimal(quantity_element, "InspectedUnitQuantity")
    if quantity < 0:
        raise MessageError(f"InspectedUnitQuantity '{quantity}' is negative", xpath_of(quantity_element))
    unit = (quantity_element.get("unitCode") or "").strip()
    if not unit:
        raise MessageError("InspectedUnitQuantity has no unitCode", xpath_of(quantity_element))
    return Position(id=item_id, quantity=quantity, unit=unit)
