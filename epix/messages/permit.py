"""Build the CITES ePermit v2 message (``rsm:CITESEPermit``) from :class:`PermitFacts`.

The exact inverse of reading it through ``schemas/permit/v2.fieldmap.toml``: building
and extracting gives back the same facts (date-times to the second). A fact that is
``None`` leaves its element out, so facts that break a rule build a document that
breaks it the same way. The document is unsigned; sign it with :mod:`epix.signing`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from lxml import etree

from epix.clock import isoformat
from epix.model import ItemFacts, PermitFacts, TradeParty
from epix.namespaces import RAM, RSM

ORIGIN_PERMIT_TYPE = "861"
REEXPORT_CERTIFICATE_TYPE = "811"

_NSMAP = {"rsm": RSM, "ram": RAM}
_Value = str | datetime | Decimal | bool | None


def build_permit(facts: PermitFacts) -> etree._Element:
    """The unsigned ``rsm:CITESEPermit`` element carrying ``facts``."""
    root = etree.Element(f"{{{RSM}}}CITESEPermit", nsmap=_NSMAP)
    context = etree.SubElement(root, f"{{{RSM}}}SpecifiedExchangedDocumentContext")
    parameter = _group(context, "BusinessProcessSpecifiedDocumentContextParameter", facts.business_process)
    _leaf(parameter, "Value", facts.business_process)
    _header(etree.SubElement(root, f"{{{RSM}}}HeaderExchangedDocument"), facts)
    _consignment(etree.SubElement(root, f"{{{RSM}}}SpecifiedSupplyChainConsignment"), facts)
    return root


def _header(header: etree._Element, facts: PermitFacts) -> None:
    _leaf(header, "ID", facts.number)
    _leaf(header, "TypeCode", facts.type_code)
    _leaf(header, "CopyIndicator", facts.copy)
    _leaf(header, "IssueDateTime", facts.issued_at)
    _leaf(_group(header, "IssueLogisticsLocation", facts.place_of_issue), "Name", facts.place_of_issue)
    _leaf(header, "PurposeCode", facts.purpose)
    for condition in facts.special_conditions:
        _leaf(header, "Information", condition)
    period = _group(header, "EffectiveSpecifiedPeriod", facts.valid_from, facts.valid_until)
    _leaf(period, "StartDateTime", facts.valid_from)
    _leaf(period, "EndDateTime", facts.valid_until)
    issuer = facts.issuer
    authentication = _group(header, "FirstSignatoryDocumentAuthentication",
                            facts.security_stamp, issuer.party_id, issuer.name, issuer.country)
    _leaf(authentication, "ID", facts.security_stamp)
    provider = _group(authentication, "ProviderTradeParty", issuer.party_id, issuer.name, issuer.country)
    _leaf(provider, "ID", issuer.party_id)
    _leaf(provider, "Name", issuer.name)
    _leaf(_group(provider, "PostalTradeAddress", issuer.country), "CountryID", issuer.country)
    _leaf(_group(header, "ReferenceReferencedDocument", facts.replaces), "ID", facts.replaces)


def _consignment(consignment: etree._Element, facts: PermitFacts) -> None:
    _party(consignment, "ConsigneeTradeParty", facts.importer)
    _party(consignment, "ConsignorTradeParty", facts.exporter)
    _leaf(_group(consignment, "TransportContractReferencedDocument", facts.transport_document),
          "ID", facts.transport_document)
    event = _group(consignment, "ExaminationTransportEvent", facts.endorsement_date, facts.endorsement_location)
    _leaf(event, "ActualOccurrenceDateTime", facts.endorsement_date)
    _leaf(_group(event, "OccurrenceLogisticsLocation", facts.endorsement_location), "ID", facts.endorsement_location)
    for item in facts.items:
        _item(etree.SubElement(consignment, f"{{{RAM}}}IncludedSupplyChainConsignmentItem"), item)


def _party(parent: etree._Element, name: str, party: TradeParty) -> None:
    element = _group(parent, name, party.name, party.address, party.country)
    _leaf(element, "Name", party.name)
    address = _group(element, "PostalTradeAddress", party.address, party.country)
    _leaf(address, "LineOne", party.address)
    _leaf(address, "CountryID", party.country)


def _item(element: etree._Element, item: ItemFacts) -> None:
    _leaf(element, "ID", item.id)
    line = _group(element, "IncludedSupplyChainTradeLineItem", item.scientific_name, item.common_name,
                  item.description, item.term_code, item.appendix, item.source)
    product = _group(line, "SpecifiedTradeProduct", item.scientific_name, item.common_name,
                     item.description, item.term_code)
    _leaf(product, "ScientificName", item.scientific_name)
    _leaf(product, "CommonName", item.common_name)
    _leaf(product, "Description", item.description)
    _leaf(product, "TypeCode", item.term_code)
    _leaf(line, "TypeCode", item.appendix)
    _leaf(line, "TypeExtensionCode", item.source)
    marks = _group(element, "PhysicalLogisticsShippingMarks", *item.marks)
    for mark in item.marks:
        _leaf(marks, "Marking", mark)
    package = _group(element, "TransportLogisticsPackage", item.quantity, item.unit)
    _quantity(package, "ItemQuantity", item.quantity, item.unit)
    quota = _group(element, "ApplicableCrossBorderRegulatoryProcedure", item.annual_quota, item.used_quota)
    _quantity(quota, "AnnualQuotaQuantity", item.annual_quota, item.unit, optional=True)
    _quantity(quota, "UsedToDateQuotaQuantity", item.used_quota, item.unit, optional=True)
    _leaf(_group(element, "OriginTradeCountry", item.origin_country), "ID", item.origin_country)
    _leaf(_group(element, "ExportTradeCountry", item.reexport_country), "ID", item.reexport_country)
    _document(element, ORIGIN_PERMIT_TYPE, item.origin_permit_id, item.origin_permit_date)
    _document(element, REEXPORT_CERTIFICATE_TYPE, item.reexport_certificate_id, None)
    inspection = _group(element, "ExaminationTransportEvent", item.inspected_quantity, item.inspected_unit)
    _quantity(inspection, "UnitQuantity", item.inspected_quantity, item.inspected_unit)


def _document(item: etree._Element, type_code: str, number: str | None, issued_at: datetime | None) -> None:
    document = _group(item, "AssociatedReferencedDocument", number, issued_at)
    _leaf(document, "ID", number)
    _leaf(document, "IssueDateTime", issued_at)
    if document is not None:
        _leaf(document, "TypeCode", type_code)


def _quantity(parent: etree._Element | None, name: str, amount: Decimal | None, unit: str | None,
              *, optional: bool = False) -> None:
    """``<ram:name unitCode="unit">amount</ram:name>``; with ``optional``, only for an amount."""
    if parent is None or (amount is None and (optional or unit is None)):
        return
    element = _leaf(parent, name, amount)
    if element is None:
        element = etree.SubElement(parent, f"{{{RAM}}}{name}")
    if unit is not None:
        element.set("unitCode", unit)


def _group(parent: etree._Element | None, name: str, *values: object) -> etree._Element | None:
    """A ``ram:name`` child of ``parent`` when any of ``values`` is present, else None."""
    if parent is None or all(v is None for v in values):
        return None
    return etree.SubElement(parent, f"{{{RAM}}}{name}")


def _leaf(parent: etree._Element | None, name: str, value: _Value) -> etree._Element | None:
    """A ``ram:name`` child holding ``value`` as text, unless the value (or the parent) is missing."""
    if parent is None or value is None:
        return None
    element = etree.SubElement(parent, f"{{{RAM}}}{name}")
    element.text = _text(value)
    return element


def _text(value: str | datetime | Decimal | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return value
