from __future__ import annotations

import copy
import http.server
import threading
import time
import tracemalloc
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from hostile_xml import BILLION_LAUGHS

from epix.messages.acknowledgement import build_acknowledgement
from epix.messages.cancellation import build_cancellation
from epix.messages.envelope import build_envelope
from epix.messages.permit import build_permit
from epix.messages.soap import SoapSettings, build_fault, build_request, build_response
from epix.messages.usage import build_usage_report
from epix.model import (
    AckError, Acknowledgement, Cancellation, EnvelopeHeader, Position, UsageReport,
)
from epix.mutations import MUTATIONS, MutationError, with_origin_country, with_source_code, without_element
from epix.namespaces import EPX, PREFIXES, RAM, qname
from epix.safexml import to_bytes
from epix.samples import sample_permit
from epix.validation import validate

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "documents"
PERMIT_KINDS = ("export-permit", "re-export-certificate", "import-permit", "other-certificate")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)
ISSUED = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)
PAYLOAD = "/epx:Envelope/epx:Payload"


@pytest.fixture(scope="module")
def permits() -> dict[str, etree._Element]:
    return {kind: build_permit(sample_permit(kind, issued_at=ISSUED, items=2)) for kind in PERMIT_KINDS}


def _validate(root: etree._Element, **options):
    return validate(to_bytes(root, pretty=True), now=NOW, **options)


def _header(**changes) -> EnvelopeHeader:
    values = dict(message_id="0192f7a0-5a3e-7c1e-9a51-3b7f2d4c9e10", sender="CH", recipient="FR",
                  document_type="export-permit", document_number="26CH000123", document_status="issued",
                  created_at=NOW)
    values.update(changes)
    return EnvelopeHeader(**values)


def _usage_report(**changes) -> UsageReport:
    values = dict(document_id="26CH000123", issuing_party="CH", reporting_party="FR", usage_date=date(2026, 11, 28),
                  positions=[Position("A", Decimal(12), "PCS")])
    values.update(changes)
    return UsageReport(**values)


def _cancellation(**changes) -> Cancellation:
    values = dict(document_id="26CH000123", issuing_party="CH", reason_code="lost", cancelled_at=NOW)
    values.update(changes)
    return Cancellation(**values)


# ----- valid documents -------------------------------------------------------------


@pytest.mark.parametrize("kind", PERMIT_KINDS)
def test_sample_permits_are_valid(permits, kind):
    report = _validate(permits[kind])
    assert report.kind == "permit"
    assert report.findings == []
    assert report.valid and report.code is None
    assert report.facts.document_type == kind


#: The sample documents meant to be valid; signature-wrapping/ holds an attack sample.
VALID_SAMPLES = sorted(p for p in FIXTURES.rglob("*.xml") if "signature-wrapping" not in p.parts)


@pytest.mark.parametrize("path", VALID_SAMPLES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_documents_are_valid(path):
    report = validate(path.read_bytes(), now=NOW)
    assert report.findings == [], [str(f) for f in report.findings]


def test_there_are_fixture_documents_of_each_message_kind():
    kinds = {validate(p.read_bytes(), now=NOW).kind for p in VALID_SAMPLES}
    assert {"envelope", "usage-report", "cancellation", "acknowledgement", "soap-request", "soap-response"} <= kinds


# ----- schema: all errors, with location and line ---------------------------------


def test_every_schema_error_is_reported_not_only_the_first(permits):
    root = copy.deepcopy(permits["export-permit"])
    header = root.find(f"{{*}}HeaderExchangedDocument")
    header.remove(header.find(qname(RAM, "ID")))
    header.find(qname(RAM, "IssueDateTime")).text = "yesterday"
    for quantity in root.iter(qname(RAM, "ItemQuantity")):
        quantity.text = "-1"
    report = _validate(root)
    schema = [f for f in report.findings if f.code == "EPX-300"]
    assert len(schema) == 4, [str(f) for f in report.findings]
    assert {f.requirement for f in schema} == {"DOC-01"}
    assert all(f.location and f.location.startswith("/rsm:CITESEPermit/") for f in schema)
    assert all(f.line for f in schema)
    by_location = {f.location: f for f in schema}
    issue = by_location["/rsm:CITESEPermit/rsm:HeaderExchangedDocument/ram:IssueDateTime"]
    assert issue.text == "The value 'yesterday' of ram:IssueDateTime is not a valid xs:dateTime"
    assert any("ram:ID" in f.text and "expected" in f.text for f in schema)
    assert sum("ram:ItemQuantity" in f.text for f in schema) == 2
    assert report.code == "EPX-300"


def test_schema_errors_come_before_code_list_and_rule_findings(permits):
    broken = without_element("number").apply(with_source_code("K").apply(permits["export-permit"]))
    report = _validate(broken)
    assert [f.code for f in report.findings] == ["EPX-300", "EPX-301"]


def test_code_list_finding_not_repeated_where_the_schema_reported_the_node(permits):
    root = copy.deepcopy(permits["export-permit"])
    root.find(f".//{{{RAM}}}PurposeCode").text = ""
    report = _validate(root)
    assert [f.code for f in report.findings] == ["EPX-300"]


def test_unknown_root_and_not_well_formed():
    unknown = validate(b"<invoice xmlns='urn:example'/>")
    assert unknown.kind == "unknown"
    assert [(f.code, f.requirement) for f in unknown.findings] == [("EPX-300", "DOC-01")]
    assert "invoice" in unknown.findings[0].text
    broken = validate(b"<a><b></a>")
    assert broken.kind == "unreadable"
    assert [(f.code, f.requirement) for f in broken.findings] == [("EPX-100", "DOC-01")]
    assert broken.findings[0].line == 1


# ----- mutations --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_mutation_produces_its_expected_code(permits, name):
    mutation = MUTATIONS[name]
    original = to_bytes(permits[mutation.sample])
    assert _validate(permits[mutation.sample]).valid
    report = _validate(mutation.apply(permits[mutation.sample]))
    assert report.code == mutation.expected_code, [str(f) for f in report.findings]
    assert mutation.requirement in {f.requirement for f in report.errors}
    assert {f.code for f in report.errors} == {mutation.expected_code}, [str(f) for f in report.findings]
    assert all(f.location for f in report.errors)
    assert to_bytes(permits[mutation.sample]) == original, "a mutation changes a copy only"


def test_catalogue_covers_every_rule_and_code_list():
    requirements = {m.requirement for m in MUTATIONS.values()}
    assert {f"DOC-{n:02d}" for n in range(1, 12)} <= requirements
    listed = {m.name.split("(")[0] for m in MUTATIONS.values() if m.requirement == "DOC-02"}
    assert {"with_purpose", "with_source_code", "with_appendix", "with_unit", "with_importer_country"} <= listed
    for name in ('with_source_code("K")', 'with_purpose("X")', 'with_unit("BOX")', "with_validity_months(7)",
                 "with_issue_date_in_future()", 'with_exporter_country("DE")', "without_origin_on_reexport()",
                 "with_appendix_i_wild_commercial()", 'with_item_id("A B")', "with_duplicate_item_id()",
                 "with_replacement_of_itself()", 'with_scientific_name("python regius")',
                 'with_business_process("TRADE")', 'without_element("number")'):
        assert name in MUTATIONS


def test_mutation_creates_a_missing_element_where_the_schema_puts_it(permits):
    export = permits["export-permit"]
    assert not export.xpath("//ram:OriginTradeCountry", namespaces=PREFIXES)
    report = _validate(with_origin_country("QQ").apply(export))
    assert [(f.code, f.requirement) for f in report.findings] == [("EPX-301", "DOC-02")]
    assert report.findings[0].location.endswith("ram:IncludedSupplyChainConsignmentItem[1]/ram:OriginTradeCountry/ram:ID")


def test_mutation_of_an_envelope_changes_its_payload(permits):
    envelope = build_envelope(_header(), permits["export-permit"])
    report = _validate(with_source_code("K").apply(envelope))
    assert report.kind == "envelope"
    [finding] = report.findings
    assert finding.code == "EPX-301"
    assert finding.location.startswith(f"{PAYLOAD}/rsm:CITESEPermit/rsm:SpecifiedSupplyChainConsignment/")


def test_mutation_of_something_else_is_a_clear_error():
    with pytest.raises(MutationError, match="a mutation changes a permit"):
        with_source_code("K").apply(etree.fromstring(b"<a/>"))


# ----- envelopes ----------------------------------------------------------------------


def test_valid_envelope_validates_its_payload(permits):
    report = _validate(build_envelope(_header(), permits["export-permit"]))
    assert report.kind == "envelope"
    assert report.findings == []
    assert report.facts.number == "26CH000123"


def test_envelope_schema_errors_are_epx_101_and_payload_errors_stay_the_documents(permits):
    envelope = build_envelope(_header(), without_element("number").apply(permits["export-permit"]))
    envelope.find(f"{{{EPX}}}Header/{{{EPX}}}MessageID").text = "not-a-uuid"
    report = _validate(envelope)
    codes = [(f.code, f.requirement) for f in report.findings]
    assert codes[0] == ("EPX-101", "ENV-10")
    assert report.findings[0].location == "/epx:Envelope/epx:Header/epx:MessageID"
    assert ("EPX-300", "DOC-01") in codes
    assert all(not (f.code == "EPX-101" and f.location.startswith(PAYLOAD)) for f in report.findings)
    assert report.code == "EPX-101"


@pytest.mark.parametrize(
    ("change", "requirement", "element", "words"),
    [
        ({"document_number": "26CH999999"}, "ENV-15", "DocumentNumber", "not the permit's own number"),
        ({"sender": "FR", "recipient": "CH"}, "ENV-15", "From", "not the party that issued"),
        ({"document_type": "import-permit"}, "ENV-14", "DocumentType", "the payload is an export permit"),
    ],
)
def test_envelope_and_permit_disagree(permits, change, requirement, element, words):
    report = _validate(build_envelope(_header(**change), permits["export-permit"]))
    [finding] = report.findings
    assert (finding.code, finding.requirement) == ("EPX-302", requirement)
    assert finding.location == f"/epx:Envelope/epx:Header/epx:{element}"
    assert words in finding.text


def test_envelope_status_must_fit_the_document_type(permits):
    report = _validate(build_envelope(_header(document_status="used"), permits["export-permit"]))
    [finding] = report.findings
    assert (finding.code, finding.requirement) == ("EPX-108", "ENV-14")
    assert "'issued' or 'replaced'" in finding.text


def test_envelope_payload_that_is_no_document_of_the_profile(permits):
    ack = build_acknowledgement(Acknowledgement("0192f7a0-5a3e-7c1e-9a51-3b7f2d4c9e11", "0192f7a0-5a3e-7c1e-9a51-3b7f2d4c9e10",
                                                "FR", "CH", "Accepted", NOW))
    report = _validate(build_envelope(_header(), ack))
    assert [(f.code, f.requirement) for f in report.findings] == [("EPX-108", "ENV-14")]


def test_delivered_replacement_names_what_it_replaces(permits):
    report = _validate(build_envelope(_header(document_status="replaced"), permits["export-permit"]))
    [finding] = report.findings
    assert (finding.code, finding.requirement) == ("EPX-303", "DOC-09")
    assert finding.location == f"{PAYLOAD}/rsm:CITESEPermit/rsm:HeaderExchangedDocument/ram:ReferenceReferencedDocument/ram:ID"


def test_business_rule_findings_of_a_payload_point_into_the_envelope(permits):
    envelope = build_envelope(_header(), MUTATIONS['with_scientific_name("python regius")'].apply(permits["export-permit"]))
    [finding] = _validate(envelope).findings
    assert finding.requirement == "DOC-10"
    assert finding.location.startswith(f"{PAYLOAD}/rsm:CITESEPermit/")
    assert finding.line is not None


def test_envelope_with_usage_report_and_cancellation(permits):
    usage = build_envelope(_header(document_type="usage-report", document_status="used", sender="FR", recipient="CH"),
                           build_usage_report(_usage_report()))
    assert _validate(usage).findings == []
    cancel = build_envelope(_header(document_type="cancellation", document_status="cancelled"),
                            build_cancellation(_cancellation()))
    assert _validate(cancel).findings == []
    wrong = build_envelope(_header(document_type="cancellation", document_status="cancelled", sender="FR", recipient="CH"),
                           build_cancellation(_cancellation()))
    [finding] = _validate(wrong).findings
    assert (finding.code, finding.requirement) == ("EPX-302", "ENV-15")
    assert "IssuingPartyID 'CH'" in finding.text
    other_number = build_envelope(_header(document_type="usage-report", document_status="used", sender="FR",
                                          recipient="CH", document_number="26CH000999"),
                                  build_usage_report(_usage_report()))
    [finding] = _validate(other_number).findings
    assert (finding.code, finding.requirement, finding.location) == ("EPX-302", "ENV-15", "/epx:Envelope/epx:Header/epx:DocumentNumber")


# ----- usage reports, cancellations, acknowledgements ------------------------------


def test_usage_report_units_are_checked():
    report = _validate(build_usage_report(_usage_report(positions=[Position("A", Decimal(1), "PCS"), Position("B", Decimal(2), "BOX")])))
    [finding] = report.findings
    assert (finding.code, finding.requirement) == ("EPX-301", "DOC-02")
    assert finding.location == "/epx:UsageReport/epx:Position[2]/epx:InspectedUnitQuantity/@unitCode"
    assert "'BOX'" in finding.text


def test_usage_report_schema_errors_are_epx_300():
    root = build_usage_report(_usage_report())
    root.find(f"{{{EPX}}}UsageDate").text = "28.11.2026"
    [finding] = _validate(root).findings
    assert (finding.code, finding.requirement) == ("EPX-300", "DOC-01")
    assert finding.location == "/epx:UsageReport/epx:UsageDate"


def test_usage_report_party_country_is_checked():
    [finding] = _validate(build_usage_report(_usage_report(reporting_party="XX"))).findings
    assert (finding.code, finding.location) == ("EPX-301", "/epx:UsageReport/epx:ReportingPartyID")


def test_cancellation_reason_code():
    assert _validate(build_cancellation(_cancellation())).findings == []
    root = build_cancellation(_cancellation(reason_code="bored"))
    [finding] = _validate(root).findings
    assert finding.code == "EPX-300" and finding.location == "/epx:Cancellation/epx:ReasonCode"


def test_acknowledgement_schema_and_status():
    good = Acknowledgement("0192f7a1-0c55-7d0e-8a3c-77b6c1f0a001", "0192f7a0-5a3e-7c1e-9a51-3b7f2d4c9e10", "FR", "CH",
                           "Rejected", NOW, errors=[AckError("EPX-301", "Source code 'K' is not listed")])
    assert _validate(build_acknowledgement(good)).findings == []
    good.errors = []
    [finding] = _validate(build_acknowledgement(good)).findings
    assert (finding.code, finding.requirement) == ("EPX-101", "ACK-03")
    root = build_acknowledgement(good)
    root.find(f"{{{EPX}}}Status").text = "Maybe"
    report = _validate(root)
    assert report.kind == "acknowledgement"
    assert ("EPX-101", "ACK-01") in [(f.code, f.requirement) for f in report.findings]


# ----- binding A --------------------------------------------------------------------


def test_binding_a_request_country_and_position():
    settings = SoapSettings()
    good = validate(build_request("GetNonFinalCitesCertificate", settings, number="26CH000123", token="t", country="CH"))
    assert good.kind == "soap-request" and good.findings == []
    unknown = validate(build_request("GetNonFinalCitesCertificate", settings, number="26CH000123", token="t", country="XX"))
    [finding] = unknown.findings
    assert (finding.code, finding.requirement) == ("EPX-101", "PULL-04")
    assert "'XX'" in finding.text
    assert finding.location == "/soap:Envelope/soap:Body/cde:GetNonFinalCitesCertificateRequest/IsoCountryCode"
    assert finding.line is not None
    spaced = validate(build_request("ConfirmQuantities", settings, number="26CH000123", token="t", country="CH",
                                    positions=[Position("A B", Decimal(1))]))
    assert spaced.code == "EPX-101"
    assert {f.requirement for f in spaced.findings} == {"PULL-04"}
    missing = validate(build_request("GetNonFinalCitesCertificate", settings, token="t", country="CH"))
    assert missing.code == "EPX-101"


def test_binding_a_response_permit_is_a_document(permits):
    settings = SoapSettings()
    good = validate(build_response("GetNonFinalCitesCertificate", settings, permit=permits["export-permit"]), now=NOW)
    assert good.kind == "soap-response" and good.findings == []
    assert good.facts.number == "26CH000123"
    bad_permit = MUTATIONS['with_source_code("K")'].apply(permits["export-permit"])
    bad = validate(build_response("GetNonFinalCitesCertificate", settings, permit=bad_permit), now=NOW)
    [finding] = bad.findings
    assert (finding.code, finding.requirement) == ("EPX-301", "DOC-02")
    # the unqualified CITESEPermit of the pilot's response (requests and responses share the default namespace)
    assert finding.location.startswith("/soap:Envelope/soap:Body/cde:GetNonFinalCitesCertificateResponse/CITESEPermit/"
                                       "rsm:SpecifiedSupplyChainConsignment/")
    assert finding.line is not None
    no_number = MUTATIONS['without_element("number")'].apply(permits["export-permit"])
    report = validate(build_response("GetNonFinalCitesCertificate", settings, permit=no_number), now=NOW)
    [finding] = report.findings
    assert finding.code == "EPX-300"
    assert finding.location == ("/soap:Envelope/soap:Body/cde:GetNonFinalCitesCertificateResponse/CITESEPermit/"
                                "rsm:HeaderExchangedDocument/ram:TypeCode")


def test_binding_a_namespaces_are_settings(permits):
    settings = SoapSettings(namespace="urn:example:adapter", response_namespace="urn:example:adapter/v2/")
    request = build_request("GetNonFinalCitesCertificate", settings, number="26CH000123", token="t", country="XX")
    [finding] = validate(request, soap_settings=settings).findings
    assert finding.location.endswith("/cde:GetNonFinalCitesCertificateRequest/IsoCountryCode")
    assert validate(request).code == "EPX-101", "under the default namespaces the request is not valid"


def test_binding_a_fault():
    report = validate(build_fault("soap:Client", "ID must be a token", AckError("EPX-101", "ID must be a token")))
    assert report.kind == "soap-fault" and report.findings == []


# ----- hostile XML ------------------------------------------------------------------

#: A long comment pushes the DOCTYPE past what a quick look at the head would see.
_PADDING = b"<!--" + b"p" * 8000 + b"-->\n"


@pytest.mark.parametrize("padding", [b"", _PADDING], ids=["doctype-first", "doctype-after-8kB"])
def test_billion_laughs_is_refused_without_expansion(padding):
    data = BILLION_LAUGHS.replace(b"?>\n", b"?>\n" + padding, 1)
    tracemalloc.start()
    started = time.perf_counter()
    report = validate(data)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.kind == "unreadable"
    assert [f.code for f in report.findings] == ["EPX-100"]
    assert elapsed < 1.0, f"took {elapsed:.2f} s"
    assert peak < 5 * 1024 * 1024, f"peak memory {peak} bytes: the entities were expanded"
    assert "lollol" not in report.findings[0].text


def test_xxe_file_is_refused_without_reading_the_file():
    secret = Path("/etc/passwd").read_text(errors="replace").splitlines()[0]
    for padding in (b"", _PADDING):
        data = b'<?xml version="1.0"?>\n' + padding + (
            b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>')
        report = validate(data)
        assert [f.code for f in report.findings] == ["EPX-100"]
        assert secret not in str(report.as_dict())
        assert "root:" not in str(report.as_dict())


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"fetched-content")

    def log_message(self, *args):  # noqa: ANN002
        pass


@pytest.fixture
def http_server():
    _Recorder.requests = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize("padding", [b"", _PADDING], ids=["doctype-first", "doctype-after-8kB"])
def test_xxe_http_entity_and_external_dtd_are_never_fetched(http_server, padding):
    for declaration in (f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{http_server}/entity">]>',
                        f'<!DOCTYPE r SYSTEM "{http_server}/dtd">'):
        data = b'<?xml version="1.0"?>\n' + padding + declaration.encode() + b"<r>&xxe;</r>"
        report = validate(data)
        assert [f.code for f in report.findings] == ["EPX-100"]
        assert "fetched-content" not in str(report.as_dict())
    time.sleep(0.2)
    assert _Recorder.requests == [], "the validator fetched an external entity"


# --- a second schema engine --------------------------------------------------------------


def test_with_a_second_opinion_both_engines_judge_and_agree(monkeypatch) -> None:
    from epix.validation import schema

    monkeypatch.setenv(schema.SECOND_OPINION_VARIABLE, "1")
    assert not [f for f in _validate(build_permit(sample_permit())).findings if f.code == "EPX-300"]
    broken = build_permit(sample_permit())
    broken.append(etree.Element("{urn:example}Extra"))
    assert [f.code for f in _validate(broken).findings if f.code == "EPX-300"] == ["EPX-300"]
    for sample in sorted(FIXTURES.rglob("*.xml")):
        validate(sample.read_bytes(), now=NOW)  # raises EnginesDisagree on any disagreement


def test_engines_that_disagree_stop_the_check(monkeypatch) -> None:
    """A stand-in for lxml that calls everything valid: xmlschema's errors show the disagreement."""
    from epix.schemaset import default_schema_set
    from epix.validation import schema

    class Lenient:
        error_log: list = []

        def validate(self, root) -> bool:  # noqa: ANN001
            return True

    broken = build_permit(sample_permit())
    broken.append(etree.Element("{urn:example}Extra"))
    detailed = default_schema_set().xmlschema_for(broken.tag)
    assert schema.check_schema(broken, Lenient(), detailed, schema.DOCUMENT) == []
    monkeypatch.setenv(schema.SECOND_OPINION_VARIABLE, "1")
    with pytest.raises(schema.EnginesDisagree, match="lxml finds the document valid, xmlschema finds"):
        schema.check_schema(broken, Lenient(), detailed, schema.DOCUMENT)
