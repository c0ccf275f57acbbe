"""Binding B's messages: Envelope, Acknowledgement, UsageReport, Cancellation, Status, Tracking."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from epix.messages.acknowledgement import build_acknowledgement, parse_acknowledgement
from epix.messages.cancellation import build_cancellation, parse_cancellation
from epix.messages.envelope import build_envelope, envelope_outline, parse_envelope
from epix.messages.errors import MessageError
from epix.messages.permit import build_permit
from epix.messages.status import build_status, build_tracking, parse_status, parse_tracking
from epix.messages.usage import build_usage_report, parse_usage_report
from epix.model import (
    DOCUMENT_TYPES, AckError, Acknowledgement, Cancellation, EnvelopeHeader, Position, Status, Tracking,
    UsageReport,
)
from epix.namespaces import DS, EPX
from epix.safexml import parse, to_bytes
from epix.samples import SAMPLE_ISSUED_AT, sample_permit, write_message_samples
from epix.schemaset import default_schema_set

DOCUMENTS = Path(__file__).resolve().parent.parent / "fixtures" / "documents"
AT = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)
ENVELOPE_ID = "0192f7a0-5a3e-7c1e-9a51-3b7f2d4c9e10"
ACK_ID = "0192f7a1-0c55-7d0e-8a3c-77b6c1f0a001"


def header(**changes: object) -> EnvelopeHeader:
    values = dict(
        message_id=ENVELOPE_ID, sender="CH", recipient="FR", document_type="export-permit",
        document_number="26CH000123", document_status="issued", created_at=AT,
        reply_to="https://epix.example.ch/epix/v1",
    )
    values.update(changes)
    return EnvelopeHeader(**values)


def usage_report() -> UsageReport:
    return UsageReport(
        document_id="26CH000123", issuing_party="CH", reporting_party="FR", usage_date=date(2026, 12, 2),
        positions=[Position("A", Decimal("12"), "PCS"), Position("B", Decimal("0.250"), "KGM")],
        customs_office="FR-CDG", transport_document="057-12345675",
    )


def acknowledgement(**changes: object) -> Acknowledgement:
    values = dict(
        message_id=ACK_ID, ref_to_message_id=ENVELOPE_ID, sender="FR", recipient="CH", status="Rejected",
        created_at=AT + timedelta(seconds=1),
        errors=[
            AckError("EPX-301", "Source code 'K' is not in the CITES source code list",
                     location="/epx:Envelope/epx:Payload/rsm:CITESEPermit"),
            AckError("EPX-303", "The permit is valid for more than 6 months", severity="warning"),
        ],
    )
    values.update(changes)
    return Acknowledgement(**values)


def valid(root: etree._Element) -> bool:
    return default_schema_set().schema_for(root.tag).validate(root)


def reparsed(root: etree._Element) -> etree._Element:
    return parse(to_bytes(root))


# ----- round trips -----

def test_envelope_round_trip_returns_header_and_a_standalone_payload() -> None:
    permit = build_permit(sample_permit(issued_at=SAMPLE_ISSUED_AT))
    envelope = build_envelope(header(), permit)
    assert valid(envelope)
    parsed_header, payload = parse_envelope(reparsed(envelope))
    assert parsed_header == header()
    assert payload.getparent() is None
    assert to_bytes(payload) == to_bytes(permit)


def test_envelope_without_reply_to_round_trips() -> None:
    envelope = build_envelope(header(reply_to=None), build_usage_report(usage_report()))
    assert envelope.find(f"{{{EPX}}}Header/{{{EPX}}}ReplyTo") is None
    assert parse_envelope(reparsed(envelope))[0] == header(reply_to=None)


def test_envelope_keeps_the_offset_written_so_a_non_utc_time_can_be_told() -> None:
    envelope = build_envelope(header(), build_usage_report(usage_report()))
    envelope.find(f"{{{EPX}}}Header/{{{EPX}}}CreationDateTime").text = "2026-11-28T10:30:00+01:00"
    created = parse_envelope(envelope)[0].created_at
    assert created == AT and created.utcoffset() == timedelta(hours=1)
    envelope.find(f"{{{EPX}}}Header/{{{EPX}}}CreationDateTime").text = "2026-11-28T09:30:00"
    assert parse_envelope(envelope)[0].created_at.tzinfo is None


@pytest.mark.parametrize("ack", [acknowledgement(), acknowledgement(status="Accepted", errors=[])], ids=["rejected", "accepted"])
def test_acknowledgement_round_trip(ack: Acknowledgement) -> None:
    root = build_acknowledgement(ack)
    assert valid(root)
    assert parse_acknowledgement(reparsed(root)) == ack


def test_usage_report_round_trip() -> None:
    root = build_usage_report(usage_report())
    assert valid(root)
    assert parse_usage_report(reparsed(root)) == usage_report()


def test_usage_report_needs_a_unit_per_position() -> None:
    report = usage_report()
    report.positions[0].unit = None
    with pytest.raises(ValueError, match="position 'A' has no unit"):
        build_usage_report(report)


def test_cancellation_round_trip() -> None:
    cancellation = Cancellation("26CH000123", "CH", "stolen", AT, reason_text="Stolen at the border post")
    root = build_cancellation(cancellation)
    assert valid(root)
    assert parse_cancellation(reparsed(root)) == cancellation


def test_status_round_trip() -> None:
    status = Status("US-FWS", "1", ["export-permit", "usage-report"])
    root = build_status(status)
    assert valid(root)
    assert parse_status(reparsed(root)) == status


@pytest.mark.parametrize("tracking", [
    Tracking(ENVELOPE_ID, "Delivered", acknowledgement=acknowledgement(status="Accepted", errors=[])),
    Tracking(ENVELOPE_ID, "FailedDelivery", error_message="FR did not answer within 24 hours"),
], ids=["delivered", "failed"])
def test_tracking_round_trip(tracking: Tracking) -> None:
    root = build_tracking(tracking)
    assert valid(root)
    assert parse_tracking(reparsed(root)) == tracking


def test_tracking_carries_a_given_acknowledgement_unchanged() -> None:
    received = build_acknowledgement(acknowledgement(status="Accepted", errors=[]))
    received.append(_signature())
    root = build_tracking(Tracking(ENVELOPE_ID, "Delivered"), acknowledgement=received)
    carried = root.find(f"{{{EPX}}}Acknowledgement")
    assert to_bytes(carried) == to_bytes(received)
    assert valid(root)


def test_builders_refuse_a_time_without_zone() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        build_envelope(header(created_at=datetime(2026, 11, 28, 9, 30)), build_usage_report(usage_report()))


# ----- samples -----

SAMPLES = ["envelope.xml", "acknowledgement.xml", "usage-report.xml", "cancellation.xml", "status.xml"]
PARSERS: dict[str, Callable[[etree._Element], object]] = {
    "envelope.xml": parse_envelope, "acknowledgement.xml": parse_acknowledgement,
    "usage-report.xml": parse_usage_report, "cancellation.xml": parse_cancellation, "status.xml": parse_status,
}


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_is_valid_and_parses(name: str) -> None:
    root = parse((DOCUMENTS / name).read_bytes())
    schema = default_schema_set().schema_for(root.tag)
    assert schema.validate(root), schema.error_log
    PARSERS[name](root)


def test_envelope_sample_carries_the_export_permit_sample() -> None:
    _, payload = parse_envelope(parse((DOCUMENTS / "envelope.xml").read_bytes()))
    assert default_schema_set().schema_for(payload.tag).validate(payload)
    assert payload.findtext(".//{*}HeaderExchangedDocument/{*}ID") == "26CH000123"


def test_samples_are_what_the_writer_produces(tmp_path: Path) -> None:
    for path in write_message_samples(tmp_path):
        assert path.read_bytes() == (DOCUMENTS / path.name).read_bytes(), f"regenerate {path.name}"


# ----- the schema refuses each constrained field -----

def _sample(name: str) -> etree._Element:
    return parse((DOCUMENTS / name).read_bytes())


def _set(path: str, value: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        root.find(path, {"epx": EPX}).text = value
    return change


def _attribute(path: str, name: str, value: str | None) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        element = root.find(path, {"epx": EPX})
        if value is None:
            del element.attrib[name]
        else:
            element.set(name, value)
    return change


def _second_payload(root: etree._Element) -> None:
    payload = root.find("epx:Payload", {"epx": EPX})
    payload.append(copy.deepcopy(payload[0]))


def _empty_payload(root: etree._Element) -> None:
    payload = root.find("epx:Payload", {"epx": EPX})
    payload.remove(payload[0])


REFUSED = [
    ("envelope.xml", "bad UUID", _set("epx:Header/epx:MessageID", "0192f7a0-5a3e-7c1e-9a51")),
    ("envelope.xml", "lower-case party", _set("epx:Header/epx:From", "ch")),
    ("envelope.xml", "party with long authority", _set("epx:Header/epx:To", "US-ABCDEFGHIJK")),
    ("envelope.xml", "unknown document type", _set("epx:Header/epx:DocumentType", "phyto-certificate")),
    ("envelope.xml", "lower-case document number", _set("epx:Header/epx:DocumentNumber", "26ch000123")),
    ("envelope.xml", "document number of 36", _set("epx:Header/epx:DocumentNumber", "A" * 36)),
    ("envelope.xml", "unknown document status", _set("epx:Header/epx:DocumentStatus", "partially-used")),
    ("envelope.xml", "creation time not a dateTime", _set("epx:Header/epx:CreationDateTime", "28.11.2026")),
    ("envelope.xml", "two payload elements", _second_payload),
    ("envelope.xml", "empty payload", _empty_payload),
    ("acknowledgement.xml", "unknown status", _set("epx:Status", "Done")),
    ("acknowledgement.xml", "bad RefToMessageID", _set("epx:RefToMessageID", "not-a-uuid")),
    ("usage-report.xml", "negative quantity", _set("epx:Position/epx:InspectedUnitQuantity", "-1")),
    ("usage-report.xml", "position ID with a space", _set("epx:Position/epx:ID", "A B")),
    ("usage-report.xml", "quantity without unit", _attribute("epx:Position/epx:InspectedUnitQuantity", "unitCode", None)),
    ("usage-report.xml", "lower-case unit", _attribute("epx:Position/epx:InspectedUnitQuantity", "unitCode", "pcs")),
    ("usage-report.xml", "usage date with time", _set("epx:UsageDate", "2026-12-02T10:00:00Z")),
    ("cancellation.xml", "unknown reason", _set("epx:ReasonCode", "changed-mind")),
    ("status.xml", "unknown supported type", _set("epx:SupportedDocumentType", "phyto-certificate")),
]


@pytest.mark.parametrize(("name", "change"), [(n, c) for n, _, c in REFUSED], ids=[i for _, i, _ in REFUSED])
def test_schema_refuses(name: str, change: Callable[[etree._Element], None]) -> None:
    root = _sample(name)
    assert valid(root)
    change(root)
    assert not valid(root)


def _ack_with_error() -> etree._Element:
    return build_acknowledgement(acknowledgement())


def _signature() -> etree._Element:
    """A ds:Signature that is valid against the XML-DSig schema (its values are not checked here)."""
    signature = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS})
    info = etree.SubElement(signature, f"{{{DS}}}SignedInfo")
    etree.SubElement(info, f"{{{DS}}}CanonicalizationMethod", Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    etree.SubElement(info, f"{{{DS}}}SignatureMethod", Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    reference = etree.SubElement(info, f"{{{DS}}}Reference", URI="")
    etree.SubElement(reference, f"{{{DS}}}DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    etree.SubElement(reference, f"{{{DS}}}DigestValue").text = "AAAA"
    etree.SubElement(signature, f"{{{DS}}}SignatureValue").text = "AAAA"
    return signature


def test_acknowledgement_signature_must_be_last() -> None:
    last = _ack_with_error()
    last.append(_signature())
    assert valid(last)
    first_error = last.find(f"{{{EPX}}}Error")
    not_last = _ack_with_error()
    not_last.find(f"{{{EPX}}}Error").addprevious(_signature())
    assert first_error is not None and not valid(not_last)


@pytest.mark.parametrize("build", [
    lambda: build_usage_report(usage_report()),
    lambda: build_cancellation(Cancellation("26CH000123", "CH", "lost", AT)),
], ids=["usage-report", "cancellation"])
def test_signature_may_end_a_document_but_not_precede_it(build: Callable[[], etree._Element]) -> None:
    signed = build()
    signed.append(_signature())
    assert valid(signed)
    early = build()
    early[0].addprevious(_signature())
    assert not valid(early)


@pytest.mark.parametrize(("code", "severity", "ok"), [
    ("EPX-301", "warning", True), ("EPX-31", "error", False), ("epx-301", "error", False), ("EPX-301", "fatal", False),
])
def test_error_entry_code_and_severity(code: str, severity: str, ok: bool) -> None:
    root = build_acknowledgement(acknowledgement(errors=[AckError(code, "text", severity=severity)]))
    assert valid(root) is ok


def test_envelope_outline_judges_the_envelope_without_its_document() -> None:
    envelope = build_envelope(header(document_type="usage-report", document_status="used"),
                              build_usage_report(usage_report()))
    envelope.find(f".//{{{EPX}}}UsageReport/{{{EPX}}}DocumentID").text = "lower-case"
    assert not valid(envelope)
    assert valid(envelope_outline(envelope))
    _second_payload(envelope)
    assert not valid(envelope_outline(envelope))


# ----- parser errors name the field and where it is -----

PARSE_ERRORS = [
    (parse_envelope, "envelope.xml", _set("epx:Header/epx:From", "ch"),
     "From 'ch' is not a party ID", "/epx:Envelope/epx:Header/epx:From"),
    (parse_envelope, "envelope.xml", _set("epx:Header/epx:MessageID", "123"),
     "MessageID '123' is not a UUID", "/epx:Envelope/epx:Header/epx:MessageID"),
    (parse_envelope, "envelope.xml", _set("epx:Header/epx:DocumentType", "phyto"),
     "DocumentType 'phyto' is not one of", "/epx:Envelope/epx:Header/epx:DocumentType"),
    (parse_envelope, "envelope.xml", _set("epx:Header/epx:CreationDateTime", "yesterday"),
     "CreationDateTime 'yesterday' is not an xs:dateTime", "/epx:Envelope/epx:Header/epx:CreationDateTime"),
    (parse_envelope, "envelope.xml", _second_payload,
     "Payload holds 2 elements", "/epx:Envelope/epx:Payload"),
    (parse_acknowledgement, "acknowledgement.xml", _set("epx:Status", "OK"),
     "Status 'OK' is not one of Received, Accepted, Rejected", "/epx:Acknowledgement/epx:Status"),
    (parse_usage_report, "usage-report.xml", _set("epx:Position/epx:InspectedUnitQuantity", "-1"),
     "InspectedUnitQuantity '-1' is negative", "/epx:UsageReport/epx:Position/epx:InspectedUnitQuantity"),
    (parse_usage_report, "usage-report.xml", _set("epx:Position/epx:ID", "A B"),
     "ID 'A B' contains white space", "/epx:UsageReport/epx:Position/epx:ID"),
    (parse_usage_report, "usage-report.xml", _attribute("epx:Position/epx:InspectedUnitQuantity", "unitCode", None),
     "InspectedUnitQuantity has no unitCode", "/epx:UsageReport/epx:Position/epx:InspectedUnitQuantity"),
    (parse_cancellation, "cancellation.xml", _set("epx:ReasonCode", "bored"),
     "ReasonCode 'bored' is not one of", "/epx:Cancellation/epx:ReasonCode"),
]


@pytest.mark.parametrize(("parser", "name", "change", "text", "location"), PARSE_ERRORS,
                         ids=[e[3].split(" is")[0] for e in PARSE_ERRORS])
def test_parser_error_names_the_field(
    parser: Callable[[etree._Element], object], name: str, change: Callable[[etree._Element], None],
    text: str, location: str,
) -> None:
    root = _sample(name)
    parser(root)
    change(root)
    with pytest.raises(MessageError) as caught:
        parser(root)
    assert text in caught.value.text
    assert caught.value.location == location


@pytest.mark.parametrize(("name", "parser", "element", "parent"), [
    ("envelope.xml", parse_envelope, "epx:Header/epx:DocumentNumber", "/epx:Envelope/epx:Header"),
    ("envelope.xml", parse_envelope, "epx:Payload", "/epx:Envelope"),
    ("acknowledgement.xml", parse_acknowledgement, "epx:RefToMessageID", "/epx:Acknowledgement"),
    ("usage-report.xml", parse_usage_report, "epx:UsageDate", "/epx:UsageReport"),
    ("cancellation.xml", parse_cancellation, "epx:CancellationDateTime", "/epx:Cancellation"),
    ("status.xml", parse_status, "epx:PartyID", "/epx:Status"),
])
def test_parser_names_a_missing_element_and_its_parent(
    name: str, parser: Callable[[etree._Element], object], element: str, parent: str,
) -> None:
    root = _sample(name)
    missing = root.find(element, {"epx": EPX})
    missing.getparent().remove(missing)
    with pytest.raises(MessageError) as caught:
        parser(root)
    assert caught.value.text == f"{element.rsplit(':', 1)[1]} missing"
    assert caught.value.location == parent


def test_parser_refuses_another_root() -> None:
    with pytest.raises(MessageError, match=r"expected epx:Acknowledgement .* found Envelope"):
        parse_acknowledgement(_sample("envelope.xml"))


def test_parser_says_when_an_element_is_in_another_namespace() -> None:
    root = _sample("status.xml")
    root.find(f"{{{EPX}}}PartyID").tag = "PartyID"
    with pytest.raises(MessageError, match="PartyID is in namespace \\(none\\), expected urn:epix:pilot:envelope:1"):
        parse_status(root)


def test_message_error_becomes_an_acknowledgement_error() -> None:
    error = MessageError("From missing", "/epx:Envelope/epx:Header").as_ack_error()
    assert error == AckError("EPX-101", "From missing", location="/epx:Envelope/epx:Header")


def test_status_lists_every_document_type_of_the_profile() -> None:
    assert parse_status(_sample("status.xml")).document_types == list(DOCUMENT_TYPES)


@pytest.mark.parametrize(("name", "kind"), [
    ("envelope.xml", "envelope"), ("acknowledgement.xml", "acknowledgement"), ("usage-report.xml", "usage-report"),
    ("cancellation.xml", "cancellation"), ("status.xml", "status"),
])
def test_schema_set_names_the_kind_of_each_message(name: str, kind: str) -> None:
    assert default_schema_set().kind_of(_sample(name).tag) == kind


def test_schema_set_knows_tracking() -> None:
    root = build_tracking(Tracking(ENVELOPE_ID, "EnvelopeNotExists"))
    assert default_schema_set().kind_of(root.tag) == "tracking"
    assert valid(root)
    root.find(f"{{{EPX}}}Status").text = "Lost"
    assert not valid(root)
