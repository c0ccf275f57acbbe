"""Reading permit facts through a field map, and building the v2 message as its inverse."""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from epix.messages import fieldmap as fieldmap_module
from epix.messages.fieldmap import FACTS, FieldMap, FieldMapError, RootMismatch, extract_facts
from epix.messages.permit import build_permit
from epix.model import PERMIT_TYPES, ItemFacts, PermitFacts
from epix.namespaces import PREFIXES
from epix.safexml import parse, to_bytes
from epix.samples import SAMPLE_ISSUED_AT, sample_permit, with_every_optional_part
from epix.schemaset import DEFAULT_SCHEMA_SET

V2_MAP = DEFAULT_SCHEMA_SET.parent / "permit" / "v2.fieldmap.toml"
KINDS = list(PERMIT_TYPES.values())
HEADER = "rsm:HeaderExchangedDocument"
ITEM = "rsm:SpecifiedSupplyChainConsignment/ram:IncludedSupplyChainConsignmentItem"


@pytest.fixture(scope="module")
def v2() -> FieldMap:
    return FieldMap.load(V2_MAP)


def read(facts: PermitFacts, fieldmap: FieldMap) -> PermitFacts:
    """Build, serialise, parse and extract: what a receiver reads of ``facts``."""
    return extract_facts(parse(to_bytes(build_permit(facts))), fieldmap)


def minimal(facts: PermitFacts) -> PermitFacts:
    """``facts`` with every optional part left out."""
    items = [ItemFacts(id=i.id, scientific_name=i.scientific_name, description=i.description, appendix=i.appendix,
                       source=i.source, quantity=i.quantity, unit=i.unit) for i in facts.items]
    return dataclasses.replace(
        facts, copy=None, place_of_issue=None, special_conditions=[], valid_from=None, security_stamp=None,
        replaces=None, transport_document=None, endorsement_date=None, endorsement_location=None, items=items,
    )


def test_the_v2_map_names_every_fact(v2):
    assert set(v2.expressions) == set(FACTS)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", ["sample", "every-optional-part", "no-optional-part"])
@pytest.mark.parametrize("items", [1, 3])
def test_build_then_extract_gives_the_same_facts(v2, kind, shape, items):
    facts = sample_permit(kind, issued_at=SAMPLE_ISSUED_AT, items=items)
    if shape == "every-optional-part":
        facts = with_every_optional_part(facts)
        facts.replaces = "26CH000099"
        facts.copy = True
    elif shape == "no-optional-part":
        facts = minimal(facts)
    assert read(facts, v2) == facts


def test_facts_that_break_the_schema_survive_the_round_trip(v2):
    facts = sample_permit(items=2)
    facts.number = None
    facts.items[0].unit = None
    facts.items[1].quantity = None
    facts.items[1].id = "B 2"
    facts.importer.country = None
    assert read(facts, v2) == facts


def test_values_are_typed(v2):
    facts = read(sample_permit("re-export-certificate", issued_at=SAMPLE_ISSUED_AT), v2)
    assert facts.number == "26CH000124"
    assert facts.type_code == "R"
    assert facts.copy is False
    assert facts.issued_at == SAMPLE_ISSUED_AT and facts.issued_at.tzinfo == timezone.utc
    assert facts.items[0].quantity == Decimal("12") and facts.items[0].unit == "PCS"
    assert facts.items[0].origin_permit_id == "GH-2026-CITES-0456"
    assert facts.items[0].reexport_certificate_id is None
    assert facts.document_type == "re-export-certificate"


def test_paths_are_templates_for_every_fact(v2):
    facts = read(sample_permit(items=2), v2)
    assert facts.paths["number"] == "/rsm:CITESEPermit/rsm:HeaderExchangedDocument/ram:ID"
    assert facts.paths["items.id"] == (
        "/rsm:CITESEPermit/rsm:SpecifiedSupplyChainConsignment/ram:IncludedSupplyChainConsignmentItem[{item}]/ram:ID"
    )
    assert facts.where("items.source", item=1).endswith("IncludedSupplyChainConsignmentItem[2]/ram:IncludedSupplyChainTradeLineItem/ram:TypeExtensionCode")
    assert set(facts.paths) == set(FACTS) | {"items"}


def test_each_path_points_at_the_node_its_fact_was_read_from(v2):
    facts = with_every_optional_part(sample_permit("re-export-certificate", issued_at=SAMPLE_ISSUED_AT, items=3))
    root = parse(to_bytes(build_permit(facts)))
    read_back = extract_facts(root, v2)
    for name, kind in FACTS.items():
        if not name.startswith("items."):
            owner, _, attr = name.rpartition(".")
            value = getattr(getattr(read_back, owner) if owner else read_back, attr)
            found = root.xpath(read_back.where(name), namespaces=PREFIXES)
            assert bool(found) == (value not in (None, [])), name
            continue
        for index, item in enumerate(read_back.items):
            value = getattr(item, name.removeprefix("items."))
            found = root.xpath(read_back.where(name, item=index), namespaces=PREFIXES)
            assert bool(found) == (value not in (None, [])), (name, index)


def test_the_document_root_must_be_the_maps_root(v2):
    with pytest.raises(RootMismatch, match="CITESEPermit"):
        extract_facts(etree.Element("{urn:epix:pilot:envelope:1}Envelope"), v2)


def test_missing_parts_are_none(v2):
    root = parse(to_bytes(build_permit(sample_permit())))
    header = root.find("rsm:HeaderExchangedDocument", PREFIXES)
    root.remove(header)
    facts = extract_facts(root, v2)
    assert facts.number is None and facts.issued_at is None and facts.issuer.party_id is None
    assert facts.special_conditions == []
    assert facts.items[0].id == "A"


@pytest.mark.parametrize(
    ("path", "text", "fact"),
    [
        (f"{HEADER}/ram:IssueDateTime", "yesterday", "issued_at"),
        (f"{HEADER}/ram:IssueDateTime", "2026-13-02T09:00:00Z", "issued_at"),
        (f"{HEADER}/ram:IssueDateTime", "2026-11-02", "issued_at"),
        (f"{HEADER}/ram:IssueDateTime", "", "issued_at"),
        (f"{HEADER}/ram:CopyIndicator", "no", "copy"),
        (f"{ITEM}/ram:TransportLogisticsPackage/ram:ItemQuantity", "12 PCS", "items.quantity"),
        (f"{ITEM}/ram:TransportLogisticsPackage/ram:ItemQuantity", "1e3", "items.quantity"),
        (f"{ITEM}/ram:TransportLogisticsPackage/ram:ItemQuantity", "NaN", "items.quantity"),
        (f"{ITEM}/ram:TransportLogisticsPackage/ram:ItemQuantity", "12,5", "items.quantity"),
    ],
)
def test_malformed_values_are_none(v2, path, text, fact):
    root = parse(to_bytes(build_permit(sample_permit())))
    root.xpath(path, namespaces=PREFIXES)[0].text = text
    facts = extract_facts(root, v2)
    value = facts.items[0].quantity if fact == "items.quantity" else getattr(facts, fact)
    assert value is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 2026-11-02T10:00:00+01:00 ", datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)),
        ("2026-11-02T09:00:00.250Z", datetime(2026, 11, 2, 9, 0, 0, 250000, tzinfo=timezone.utc)),
        ("2026-11-02T09:00:00", datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)),
    ],
)
def test_date_times_are_read_as_utc(v2, text, expected):
    root = parse(to_bytes(build_permit(sample_permit())))
    root.xpath(f"{HEADER}/ram:IssueDateTime", namespaces=PREFIXES)[0].text = text
    assert extract_facts(root, v2).issued_at == expected


def test_a_text_fact_keeps_its_white_space_for_the_rules(v2):
    facts = sample_permit()
    facts.items[0].id = " A "
    assert read(facts, v2).items[0].id == " A "


def test_extraction_compiles_no_xpath(v2, monkeypatch):
    root = parse(to_bytes(build_permit(sample_permit(items=50))))

    def refuse(*args, **kwargs):
        raise AssertionError("an XPath was compiled during extraction")

    monkeypatch.setattr(fieldmap_module.etree, "XPath", refuse)
    assert len(extract_facts(root, v2).items) == 50


def test_a_thousand_item_permit_is_read_whole(v2):
    facts = sample_permit("re-export-certificate", issued_at=SAMPLE_ISSUED_AT, items=1000)
    read_back = read(facts, v2)
    assert len(read_back.items) == 1000 and read_back.items[-1].id == "ALL"
    assert read_back == facts


# Another schema, another map, no code change: a v3-like WCO form without namespace,
# dates as CCYYMMDD, decimal commas and J/N booleans.
OTHER_MAP = """
[document]
root = "CITESePermit"
item = "GoodsItem"

[namespaces]
x = "urn:unused"

[values]
datetime = ["%Y%m%d", "xs:dateTime"]
naive_datetime = "utc"
decimal_separator = ","
true = ["J"]
false = ["N"]

[facts]
number = "ID"
type_code = "TypeCode"
copy = "Copy"
issued_at = "IssueDateTime"
purpose = "FunctionCode"
special_conditions = "Remark"
valid_until = "ExpirationDateTime"
issuer.party_id = "Issuer/@party"
importer.country = "Importer/Country"

[facts.items]
id = "@sequence"
scientific_name = "Species"
quantity = "Quantity"
unit = "Quantity/@unit"
"""

OTHER_DOCUMENT = b"""<CITESePermit>
  <ID>26CH000123</ID><TypeCode>E</TypeCode><Copy>N</Copy>
  <IssueDateTime>20261102</IssueDateTime><ExpirationDateTime>2027-04-30T23:59:59Z</ExpirationDateTime>
  <FunctionCode>12</FunctionCode><Remark>one</Remark><Remark>two</Remark>
  <Issuer party="CH"/><Importer><Country>FR</Country></Importer>
  <GoodsItem sequence="1"><Species>Python regius</Species><Quantity unit="KGM">2,5</Quantity></GoodsItem>
  <GoodsItem sequence="2"><Species>Testudo graeca</Species><Quantity unit="PCS">4</Quantity></GoodsItem>
</CITESePermit>"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_another_schema_is_read_through_its_own_map(tmp_path):
    fieldmap = FieldMap.load(write(tmp_path, OTHER_MAP))
    facts = extract_facts(parse(OTHER_DOCUMENT), fieldmap)
    assert facts.number == "26CH000123" and facts.copy is False and facts.purpose == "12"
    assert facts.issued_at == datetime(2026, 11, 2, tzinfo=timezone.utc)
    assert facts.valid_until == datetime(2027, 4, 30, 23, 59, 59, tzinfo=timezone.utc)
    assert facts.special_conditions == ["one", "two"]
    assert facts.issuer.party_id == "CH" and facts.importer.country == "FR"
    assert [(i.id, i.scientific_name, i.quantity, i.unit) for i in facts.items] == [
        ("1", "Python regius", Decimal("2.5"), "KGM"), ("2", "Testudo graeca", Decimal("4"), "PCS"),
    ]
    assert facts.business_process is None
    assert facts.where("items.quantity", item=1) == "/CITESePermit/GoodsItem[2]/Quantity"


def test_a_time_without_zone_can_count_as_missing(tmp_path):
    fieldmap = FieldMap.load(write(tmp_path, OTHER_MAP.replace('naive_datetime = "utc"', 'naive_datetime = "missing"')))
    facts = extract_facts(parse(OTHER_DOCUMENT), fieldmap)
    assert facts.issued_at is None
    assert facts.valid_until is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('\nquantity = "Quantity"', '\nqantity = "Quantity"'), "field 'facts.items.qantity' is not a permit fact"),
        (('scientific_name = "Species"', 'scientific_name = "Species["'), "field 'facts.items.scientific_name': XPath"),
        (('number = "ID"', 'number = "y:ID"'), "field 'facts.number': XPath 'y:ID' is not usable"),
        (('number = "ID"', 'number = "/CITESePermit/ID"'), "field 'facts.number' must be relative to the root"),
        (('root = "CITESePermit"', 'root = "y:CITESePermit"'), "field 'document.root': prefix 'y'"),
        (('item = "GoodsItem"', ''), "field 'document.item' must be a non-empty string"),
        (('datetime = ["%Y%m%d", "xs:dateTime"]', 'datetime = ["ISO"]'), "field 'values.datetime'"),
        (('decimal_separator = ","', 'decimal_separator = ";"'), "field 'values.decimal_separator'"),
        (('false = ["N"]', 'false = ["J"]'), "share ['J']"),
        (('true = ["J"]', 'truth = ["J"]'), "field 'values.truth' is not known"),
        (('number = "ID"', 'number = 7'), "field 'facts.number' must be a non-empty string"),
        (("[namespaces]", "[namespaces"), "not valid TOML"),
    ],
)
def test_a_broken_map_is_refused_naming_the_file_and_field(tmp_path, change, message):
    old, new = change
    text = OTHER_MAP.replace(old, new)
    assert text != OTHER_MAP
    path = write(tmp_path, text)
    with pytest.raises(FieldMapError) as caught:
        FieldMap.load(path)
    assert message in str(caught.value)
    assert "map.toml" in str(caught.value)


def test_a_missing_map_file_is_named(tmp_path):
    with pytest.raises(FieldMapError, match="nowhere.toml: cannot read"):
        FieldMap.load(tmp_path / "nowhere.toml")
