"""What each fault of the switchboard does: one override of one seam of the reference partner.

Every fault of :data:`epix.partner.faults.CATALOGUE` that is not only a list of finding
codes it ignores has exactly one function here, registered with
:func:`~epix.partner.faults.override` for the method of the partner it replaces. The
function is called with the part (the receiver, the acknowledger …), ``base`` (the
method it replaces, conformant, or already replaced by an earlier fault on the same seam)
and the method's arguments. This module, with the catalogue, is the only place of the
partner that knows a fault by name; the conformant modules only have the methods.

The faults that ignore findings (``ignores=``) act at one seam, :data:`IGNORES_SEAM`:
:func:`~epix.partner.conduct.conduct` makes it overlook what the catalogue says.

The lapses (:data:`epix.partner.faults.LAPSES`: a RECOMMENDED missed, no MUST broken)
have their one override each here too, at the end.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable
from datetime import date

from lxml import etree

from epix import safexml
from epix.findings import Finding
from epix.messages import soap
from epix.messages.cancellation import parse_cancellation
from epix.messages.errors import MessageError
from epix.messages.usage import parse_usage_report
from epix.model import AckError, Acknowledgement, AckStatus, EnvelopeHeader, PermitFacts, Position, Status
from epix.namespaces import DS, EPX, SOAP, qname
from epix.partner.answers import Acknowledged, Acknowledger, Answer, Errors, Rejection
from epix.partner.config import MiB
from epix.partner.faults import override
from epix.partner.identity import Identifier, Identity, identify
from epix.partner.lifecycle import Lifecycle
from epix.partner.pull import Fault, Puller
from epix.partner.receive import Receiver
from epix.partner.resources import Resources
from epix.partner.store import DocumentRecord, EnvelopeRecord, ItemRecord, Session, VersionRecord

log = logging.getLogger("epix.partner")

#: Where the faults that ignore finding codes act: whether a finding counts (ERR-01).
IGNORES_SEAM: Callable = Errors.counts

#: The body limit of ``small-body-limit`` (ENV-04 asks for at least 10 MiB).
SMALL_LIMIT = 1 * MiB
#: How long after its deadline ``late-final-ack`` makes the final Acknowledgement available
#: (ACK-05), and ``slow-adapter`` answers (PULL-02): late beyond doubt, yet soon enough not
#: to slow a test run.
LATE_MARGIN = 0.25


# ----- binding B: transport and envelope (section 4, 5) -----

@override("party-header-trusted", Identifier.identify)
def party_header_trusted(identifier: Identifier, base: Callable, scope: dict) -> Identity:
    return identify(scope, mtls=identifier.mtls, header_trusted=True)


@override("any-media-type", Receiver.check_media_type)
def any_media_type(receiver: Receiver, base: Callable, content_type: str | None) -> Rejection | None:
    return None


@override("small-body-limit", Receiver.body_limit)
def small_body_limit(receiver: Receiver, base: Callable) -> int:
    return SMALL_LIMIT


@override("bare-rejections", Acknowledger.answer)
def bare_rejections(acknowledger: Acknowledger, base: Callable, acknowledged: Acknowledged, *,
                    summary: str = "") -> Answer:
    if acknowledged.status != "Rejected":
        return base(acknowledged, summary=summary)
    text = "Rejected: " + _first_error(acknowledged.body)
    return Answer(acknowledged.http_status, text.encode(), {"Content-Type": "text/plain; charset=utf-8"}, summary)


def _first_error(body: bytes) -> str:
    """The first error of an Acknowledgement as a line of text: its code, then its text
    (``bare-rejections`` leaves out the Acknowledgement, not what it says)."""
    root = safexml.parse(body, source="acknowledgement")
    error = root.find(qname(EPX, "Error"))
    if error is None:
        return "the message was refused"
    code, text = error.findtext(qname(EPX, "Code")), error.findtext(qname(EPX, "Text"))
    return " ".join(part for part in (code, text or "the message was refused") if part)


@override("retry-counted-twice", Receiver.keep)
def retry_counted_twice(receiver: Receiver, base: Callable, session: Session, envelope,  # noqa: ANN001 (a delivery)
                        acknowledged: Acknowledged, stored: EnvelopeRecord | None, received: bool) -> EnvelopeRecord:
    """The first attempt is kept, answered 503: its retry is then processed again."""
    if stored is None or stored.http_status != 503:
        acknowledged = dataclasses.replace(acknowledged, http_status=503)
    return base(session, envelope, acknowledged, stored, received)


@override("from-not-checked", Receiver.check_from)
def from_not_checked(receiver: Receiver, base: Callable, header: EnvelopeHeader, identity: Identity) -> None:
    return None


@override("to-not-checked", Receiver.check_to)
def to_not_checked(receiver: Receiver, base: Callable, header: EnvelopeHeader) -> None:
    return None


@override("no-replay-window", Receiver.check_replay)
def no_replay_window(receiver: Receiver, base: Callable, header: EnvelopeHeader) -> None:
    return None


@override("type-status-not-checked", Receiver.check_supported)
def type_status_not_checked(receiver: Receiver, base: Callable, header: EnvelopeHeader) -> None:
    return None


# ----- acknowledgements (section 6) -----

@override("ack-schema-invalid", Acknowledger.element)
def ack_schema_invalid(acknowledger: Acknowledger, base: Callable, ack: Acknowledgement) -> etree._Element:
    root = base(ack)
    note = etree.Element(qname(EPX, "Note"))
    note.text = "This element is not part of the envelope schema."
    root.find(qname(EPX, "CreationDateTime")).addnext(note)
    return root


@override("ack-wrong-reference", Acknowledger.acknowledgement)
def ack_wrong_reference(acknowledger: Acknowledger, base: Callable, ref_to: str, recipient: str, status: AckStatus,
                        errors: list[AckError]) -> Acknowledgement:
    return base(str(uuid.uuid4()), recipient, status, errors)


@override("accepted-with-error", Acknowledger.acknowledgement)
def accepted_with_error(acknowledger: Acknowledger, base: Callable, ref_to: str, recipient: str, status: AckStatus,
                        errors: list[AckError]) -> Acknowledgement:
    if status == "Accepted":
        errors = [*errors, AckError("EPX-303", "The document was accepted, but check its special conditions.")]
    return base(ref_to, recipient, status, errors)


@override("ack-unsigned", Acknowledger.sign)
def ack_unsigned(acknowledger: Acknowledger, base: Callable, root: etree._Element) -> etree._Element:
    return root


@override("late-final-ack", Receiver.final_delay)
def late_final_ack(receiver: Receiver, base: Callable) -> float:
    """Answers 202 Received, in sync mode too, and finishes after the deadline."""
    return receiver.config.ack_deadline + LATE_MARGIN


@override("rejection-with-200", Acknowledger.answer_status)
def rejection_with_200(acknowledger: Acknowledger, base: Callable, status: AckStatus, errors: list[AckError]) -> int:
    return 200 if status == "Rejected" else base(status, errors)


@override("no-repeat-detection", Receiver.repeat_counts)
def no_repeat_detection(receiver: Receiver, base: Callable, stored: EnvelopeRecord) -> bool:
    return False


@override("different-bytes-accepted", Receiver.check_repeat)
def different_bytes_accepted(receiver: Receiver, base: Callable, header: EnvelopeHeader, digest: str,
                             stored: EnvelopeRecord | None) -> EnvelopeRecord | None:
    """Any delivery with a message ID used before is answered as its repeat, whatever its bytes."""
    return stored if stored is not None and receiver.repeat_counts(stored) else None


# ----- signatures (section 7) -----

@override("ack-without-certificate", Acknowledger.sign)
def ack_without_certificate(acknowledger: Acknowledger, base: Callable, root: etree._Element) -> etree._Element:
    signed = base(root)
    for key_info in signed.iter(qname(DS, "KeyInfo")):
        key_info.getparent().remove(key_info)
    return signed


# ----- documents (permit-document.md section 4) -----

@override("expands-entities", Receiver.read_xml)
def expands_entities(receiver: Receiver, base: Callable, body: bytes) -> etree._Element:
    """Internal entities are expanded (never external ones, never the network; libxml2
    still caps entity amplification)."""
    parser = etree.XMLParser(resolve_entities=True, load_dtd=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(body, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise safexml.XmlRefused(f"not well-formed XML: {exc}", source="envelope") from None


# ----- errors (section 6) -----

@override("wrong-code-for-untrusted-certificate", Receiver.rejection_for)
def wrong_code_for_untrusted_certificate(receiver: Receiver, base: Callable, finding: Finding) -> Rejection:
    if finding.code == "EPX-202" and finding.requirement == "SIG-04":
        return Rejection("EPX-201", "SIG-01", finding.text, finding.location)
    return base(finding)


@override("rejected-changes-state", Receiver.change_state)
def rejected_changes_state(receiver: Receiver, base: Callable, session: Session, envelope,  # noqa: ANN001 (a delivery)
                           rejection: Rejection | None) -> Rejection | None:
    """A rejected envelope is applied all the same, as far as it can be: what cannot be
    read or kept of it is left out, never a failure."""
    rejection = base(session, envelope, rejection)
    if rejection is not None:
        try:
            _apply_anyway(receiver, session, envelope)
        except Rejection:
            pass
        except MessageError as error:
            log.info("rejected document not applied either: %s", error.text)
    return rejection


def _apply_anyway(receiver: Receiver, session: Session, envelope) -> None:  # noqa: ANN001 (a delivery)
    header, document = envelope.header, receiver.document_of(envelope)
    lifecycle = receiver.lifecycle
    if header.document_type == "usage-report":
        report = parse_usage_report(document)
        own = lifecycle.own_document(session, report.issuing_party, report.document_id, "LIF-10")
        items = {i.item_id: i for i in session.items(own.issuer, own.number)}
        for position in report.positions:
            if position.id in items:
                items[position.id] = dataclasses.replace(items[position.id],
                                                         inspected=items[position.id].inspected + position.quantity)
        lifecycle.record_use(session, own, list(items.values()), message_id=header.message_id, kind="usage")
    elif header.document_type == "cancellation":
        lifecycle.cancel(session, header.sender, parse_cancellation(document), message_id=header.message_id)
    else:
        facts = envelope.report.facts or PermitFacts()
        if facts.number is not None:
            lifecycle.receive_permit(session, header, facts, safexml.to_bytes(envelope.payload))


@override("errors-without-sentences", Acknowledger.acknowledgement)
def errors_without_sentences(acknowledger: Acknowledger, base: Callable, ref_to: str, recipient: str,
                             status: AckStatus, errors: list[AckError]) -> Acknowledgement:
    ack = base(ref_to, recipient, status, errors)
    return dataclasses.replace(ack, errors=[AckError(e.code, e.code, e.severity, None) for e in ack.errors])


# ----- document state (permit-document.md section 7) -----

@override("stale-permit-version", Resources.permit_answer)
def stale_permit_version(resources: Resources, base: Callable, document: DocumentRecord, latest: DocumentRecord,
                         version: VersionRecord) -> Answer:
    with resources.store.read() as session:
        first = session.versions(document.issuer, document.number)[0]
    answer = base(document, latest, first)
    answer.headers.pop("Link", None)
    return answer


@override("no-document-state-header", Resources.permit_answer)
def no_document_state_header(resources: Resources, base: Callable, document: DocumentRecord,
                             latest: DocumentRecord, version: VersionRecord) -> Answer:
    answer = base(document, latest, version)
    answer.headers.pop("EPIX-Document-State", None)
    return answer


@override("status-incomplete", Resources.own_status)
def status_incomplete(resources: Resources, base: Callable) -> Status:
    status = base()
    return dataclasses.replace(status, document_types=[t for t in status.document_types if t != "cancellation"])


@override("usage-not-recorded", Lifecycle.record_use)
def usage_not_recorded(lifecycle: Lifecycle, base: Callable, session: Session, document: DocumentRecord,
                       items: list[ItemRecord], *, message_id: str | None, kind: str) -> None:
    return None


@override("anyone-may-cancel", Lifecycle.check_canceller)
def anyone_may_cancel(lifecycle: Lifecycle, base: Callable, sender: str, document: DocumentRecord) -> None:
    return None


# ----- binding A (section 3) -----

@override("service-state-fault", Puller.service_state)
def service_state_fault(puller: Puller, base: Callable, request: soap.SoapRequest) -> Answer:
    raise Fault("soap:Server", "AdapterNotAvailable", Rejection("EPX-500", "PULL-01", "The adapter is not available"))


@override("pull-returns-other-permit", Puller.permit)
def pull_returns_other_permit(puller: Puller, base: Callable, session: Session, document: DocumentRecord, *,
                              final: bool) -> etree._Element:
    """GetNonFinalCitesCertificate answers with another of the partner's own permits."""
    if not final:
        others = [d for d in session.own_documents() if d.number != document.number]
        document = others[0] if others else document
    return base(session, document, final=final)


@override("token-not-checked", Puller.check_token)
def token_not_checked(puller: Puller, base: Callable, request: soap.SoapRequest, document: DocumentRecord) -> None:
    return None


@override("pull-bad-request-as-server-fault", Puller.bad_request)
def pull_bad_request_as_server_fault(puller: Puller, base: Callable, error: MessageError) -> Fault:
    return Fault("soap:Server", "internal error", Rejection("EPX-500", "PULL-04", "The request failed"))


@override("pull-serves-anyone", Puller.check_served)
def pull_serves_anyone(puller: Puller, base: Callable, identity: Identity) -> None:
    return None


@override("slow-adapter", Puller.certificate_operation)
def slow_adapter(puller: Puller, base: Callable, request: soap.SoapRequest) -> Answer:
    time.sleep(puller.config.pull_deadline + LATE_MARGIN)
    return base(request)


@override("final-before-confirmation", Puller.final_versions)
def final_before_confirmation(puller: Puller, base: Callable, document: DocumentRecord,
                              versions: list[VersionRecord]) -> list[VersionRecord]:
    return [v for v in versions if v.final] or versions


@override("confirmation-adds", Lifecycle.confirm)
def confirmation_adds(lifecycle: Lifecycle, base: Callable, session: Session, document: DocumentRecord,
                      positions: list[Position], on: date) -> None:
    """ConfirmQuantities adds to the inspected quantities, as a usage report does."""
    items = lifecycle.check_use(session, document, positions, on, adding=True)
    lifecycle.record_use(session, document, items, message_id=None, kind="confirmation")


@override("soap-fault-with-http-200", Puller.fault_answer)
def soap_fault_with_http_200(puller: Puller, base: Callable, fault: Fault) -> Answer:
    answer = base(fault)
    answer.status = 200
    return answer


@override("confirmation-without-quantities-fails", Puller.without_quantities)
def confirmation_without_quantities_fails(puller: Puller, base: Callable, document: DocumentRecord) -> str:
    raise Fault("soap:Server", "internal error", Rejection("EPX-500", "PULL-08", "ConfirmedQuantities missing"))


@override("adapter-fixed-prefixes", Puller.parse)
def adapter_fixed_prefixes(puller: Puller, base: Callable, body: bytes) -> soap.SoapRequest:
    """Looks for ``soapenv:Body/v1:<Op>Request`` by its prefixes, as a parser written
    against the hub's messages alone might."""
    root = safexml.parse(body, source="SOAP request")
    envelope_body = root.find(qname(SOAP, "Body"))
    request = next((child for child in envelope_body if isinstance(child.tag, str)), None) if (
        envelope_body is not None) else None
    if root.prefix != "soapenv" or request is None or request.prefix != "v1":
        raise puller.bad_request(MessageError("no soapenv:Body/v1: request element", "/"))
    return base(body)


@override("country-not-checked", Puller.check_country)
def country_not_checked(puller: Puller, base: Callable, body: bytes) -> None:
    return None


@override("pull-permit-unsigned", Puller.permit)
def pull_permit_unsigned(puller: Puller, base: Callable, session: Session, document: DocumentRecord, *,
                         final: bool) -> etree._Element:
    permit = base(session, document, final=final)
    for signature in permit.findall(qname(DS, "Signature")):
        permit.remove(signature)
    return permit


# ----- lapses: a RECOMMENDED missed, no MUST broken -----

@override("no-epx-codes", Puller.fault_error)
def no_epx_codes(puller: Puller, base: Callable, fault: Fault) -> AckError | None:
    return None


@override("no-service-state", Puller.service_state)
def no_service_state(puller: Puller, base: Callable, request: soap.SoapRequest) -> Answer:
    body = soap.build_response(request.op, puller.settings, text=None)
    return Answer(200, body, {"Content-Type": soap.CONTENT_TYPE}, summary="ServiceState without State")
