"""The bundled v2 permit schema (with XML-DSig): what it accepts and what it rejects."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner, methods

from epix.messages.permit import build_permit
from epix.model import PERMIT_TYPES
from epix.namespaces import DS, PREFIXES, RAM, RSM
from epix.safexml import parse, to_bytes
from epix.samples import SAMPLE_ISSUED_AT, sample_permit, with_every_optional_part
from epix.schemaset import default_schema_set

ROOT = f"{{{RSM}}}CITESEPermit"
KINDS = list(PERMIT_TYPES.values())
HEADER = "rsm:HeaderExchangedDocument"
ITEM = "rsm:SpecifiedSupplyChainConsignment/ram:IncludedSupplyChainConsignmentItem"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return default_schema_set().schema_for(ROOT)


def document(kind: str = "export-permit", **kwargs: object) -> etree._Element:
    """A sample permit as a partner would send it: serialised and parsed again."""
    facts = sample_permit(kind, issued_at=SAMPLE_ISSUED_AT, **kwargs)
    return parse(to_bytes(build_permit(facts)))


def node(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=PREFIXES)
    assert found, path
    return found[0]


def assert_invalid(schema: etree.XMLSchema, root: etree._Element, expected: str) -> None:
    assert not schema.validate(root)
    assert expected in str(schema.error_log), str(schema.error_log)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("items", [1, 3])
def test_every_sample_is_valid(schema, kind, items):
    root = document(kind, items=items)
    assert schema.validate(root), schema.error_log


@pytest.mark.parametrize("kind", KINDS)
def test_a_permit_with_every_optional_part_is_valid(schema, kind):
    facts = with_every_optional_part(sample_permit(kind, issued_at=SAMPLE_ISSUED_AT, items=2))
    facts.replaces = "26CH000099"
    assert schema.validate(build_permit(facts)), schema.error_log


def test_a_missing_document_number_is_rejected(schema):
    root = document()
    number = node(root, f"{HEADER}/ram:ID")
    number.getparent().remove(number)
    assert_invalid(schema, root, "TypeCode")


@pytest.mark.parametrize("text", ["2026-13-02T09:00:00Z", "2026-11-02", "2026-11-02T09:00:00", "02.11.2026 09:00", ""])
def test_a_bad_issue_date_is_rejected(schema, text):
    root = document()
    node(root, f"{HEADER}/ram:IssueDateTime").text = text
    assert_invalid(schema, root, "IssueDateTime")


def test_a_date_with_an_offset_is_accepted(schema):
    root = document()
    node(root, f"{HEADER}/ram:IssueDateTime").text = "2026-11-02T10:00:00+01:00"
    assert schema.validate(root), schema.error_log


def test_a_quantity_without_unit_code_is_rejected(schema):
    root = document()
    quantity = node(root, f"{ITEM}/ram:TransportLogisticsPackage/ram:ItemQuantity")
    del quantity.attrib["unitCode"]
    assert_invalid(schema, root, "unitCode")


@pytest.mark.parametrize("text", ["-1", "twelve", "12 PCS", ""])
def test_a_quantity_that_is_not_a_non_negative_decimal_is_rejected(schema, text):
    root = document()
    node(root, f"{ITEM}/ram:TransportLogisticsPackage/ram:ItemQuantity").text = text
    assert_invalid(schema, root, "ItemQuantity")


def test_a_copy_indicator_that_is_not_boolean_is_rejected(schema):
    root = document()
    node(root, f"{HEADER}/ram:CopyIndicator").text = "no"
    assert_invalid(schema, root, "CopyIndicator")


@pytest.mark.parametrize("number", ["26ch000123", "26 CH 000123", "X" * 36])
def test_a_document_number_outside_the_profile_pattern_is_rejected(schema, number):
    root = document()
    node(root, f"{HEADER}/ram:ID").text = number
    assert_invalid(schema, root, "ID")


def test_an_extra_element_is_rejected(schema):
    root = document()
    header = node(root, HEADER)
    etree.SubElement(header, f"{{{RAM}}}Colour").text = "green"
    assert_invalid(schema, root, "Colour")


def test_an_extra_root_child_is_rejected(schema):
    root = document()
    etree.SubElement(root, f"{{{RSM}}}Remarks").text = "none"
    assert_invalid(schema, root, "Remarks")


def test_a_permit_without_items_is_rejected(schema):
    root = document()
    for item in root.xpath(ITEM, namespaces=PREFIXES):
        item.getparent().remove(item)
    assert_invalid(schema, root, "SpecifiedSupplyChainConsignment")


def test_two_origin_permits_on_one_item_are_rejected(schema):
    root = document("re-export-certificate")
    origin = node(root, f"{ITEM}/ram:AssociatedReferencedDocument")
    origin.addnext(copy.deepcopy(origin))
    assert_invalid(schema, root, "OneAssociatedDocumentPerTypeCode")


def test_origin_permit_and_last_re_export_certificate_together_are_accepted(schema):
    root = build_permit(with_every_optional_part(sample_permit("re-export-certificate", issued_at=SAMPLE_ISSUED_AT)))
    assert len(root.xpath(f"{ITEM}[1]/ram:AssociatedReferencedDocument", namespaces=PREFIXES)) == 2
    assert schema.validate(root), schema.error_log


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (f"{HEADER}/ram:PurposeCode", "K"),
        (f"{HEADER}/ram:TypeCode", "Q"),
        (f"{ITEM}/ram:IncludedSupplyChainTradeLineItem/ram:TypeExtensionCode", "K"),
        (f"{ITEM}/ram:IncludedSupplyChainTradeLineItem/ram:TypeCode", "IV"),
        ("rsm:SpecifiedSupplyChainConsignment/ram:ConsigneeTradeParty/ram:PostalTradeAddress/ram:CountryID", "ZZ"),
        (f"{ITEM}/ram:ID", "A 1"),
        ("rsm:SpecifiedExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:Value",
         "CITES TRADING"),
        (f"{ITEM}/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedTradeProduct/ram:ScientificName", "python"),
    ],
)
def test_code_values_and_rule_checked_facts_are_left_to_the_rules(schema, path, value):
    root = document()
    node(root, path).text = value
    assert schema.validate(root), schema.error_log


def test_an_unknown_unit_code_is_left_to_the_code_lists(schema):
    root = document()
    node(root, f"{ITEM}/ram:TransportLogisticsPackage/ram:ItemQuantity").set("unitCode", "XYZ")
    assert schema.validate(root), schema.error_log


def _certificate(key) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CH"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "CH signing")])
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))


@pytest.fixture(scope="module", params=["rsa-sha256", "ecdsa-sha256"])
def signed(request) -> etree._Element:
    if request.param == "rsa-sha256":
        key, method = rsa.generate_private_key(public_exponent=65537, key_size=2048), SignatureMethod.RSA_SHA256
    else:
        key, method = ec.generate_private_key(ec.SECP256R1()), SignatureMethod.ECDSA_SHA256
    signer = XMLSigner(method=methods.enveloped, signature_algorithm=method, digest_algorithm=DigestAlgorithm.SHA256,
                       c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    root = signer.sign(document(), key=key, cert=[_certificate(key)])
    return parse(to_bytes(root))


def test_a_signed_permit_is_valid(schema, signed):
    assert signed[-1].tag == f"{{{DS}}}Signature"
    assert signed.xpath("ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=PREFIXES)
    assert schema.validate(signed), schema.error_log


def test_a_signature_that_is_not_the_last_child_is_rejected(schema, signed):
    root = copy.deepcopy(signed)
    signature = root[-1]
    root.insert(1, signature)
    assert_invalid(schema, root, "Signature")


def test_two_signatures_are_rejected(schema, signed):
    root = copy.deepcopy(signed)
    root.append(copy.deepcopy(root[-1]))
    assert_invalid(schema, root, "Signature")


def test_a_signature_without_signature_value_is_rejected(schema, signed):
    root = copy.deepcopy(signed)
    value = node(root, "ds:Signature/ds:SignatureValue")
    value.getparent().remove(value)
    assert_invalid(schema, root, "SignatureValue")


def test_xmlschema_gives_the_same_verdict_with_every_error(signed):
    schema = default_schema_set().xmlschema_for(ROOT)
    assert schema.is_valid(signed)
    root = document()
    node(root, f"{HEADER}/ram:IssueDateTime").text = "yesterday"
    del node(root, f"{ITEM}/ram:TransportLogisticsPackage/ram:ItemQuantity").attrib["unitCode"]
    errors = list(schema.iter_errors(root))
    assert {error.path.rsplit("/", 1)[-1] for error in errors} == {"ram:IssueDateTime", "ram:ItemQuantity"}
    assert all(error.sourceline for error in errors)
