"""Binding A: the EPIX adapter operations over SOAP 1.1 (profile section 3, PULL-01 … PULL-10).

Checks follow section 9 steps 2, 4 and 10: the body must be well-formed (EPX-100), the
caller one this adapter serves (EPX-105), the request complete and well-formed (PULL-04,
EPX-101), then the operation against the document state (EPX-304, 309, 310, 303 … 307).
Faults are SOAP 1.1 faults with HTTP 500 whose detail carries the ``epx:Error``.
"""

from __future__ import annotations

import time

from lxml import etree

from epix import clock, safexml
from epix.messages import soap
from epix.messages.errors import MessageError
from epix.model import AckError
from epix.namespaces import DS, qname
from epix.partner.answers import Answer, Rejection
from epix.partner.config import PartnerConfig
from epix.partner.identity import Identity
from epix.partner.issuing import Issuer
from epix.partner.lifecycle import Lifecycle
from epix.partner.store import DocumentRecord, Session, Store

#: What the adapter says when ServiceState is asked.
SERVICE_STATE = "available"
CONFIRMED = "Quantities confirmed"


class Fault(Exception):
    """A SOAP fault to answer with: ``soap:Client`` or ``soap:Server``, a faultstring and the EPX error."""

    def __init__(self, faultcode: str, faultstring: str, rejection: Rejection):
        super().__init__(faultstring)
        self.faultcode = faultcode
        self.faultstring = faultstring
        self.rejection = rejection

    @classmethod
    def client(cls, rejection: Rejection, faultstring: str | None = None) -> Fault:
        return cls("soap:Client", faultstring or rejection.text, rejection)


class Puller:
    def __init__(self, config: PartnerConfig, store: Store, issuer: Issuer, lifecycle: Lifecycle):
        self.config = config
        self.faults = config.faults
        self.settings = config.soap
        self.store = store
        self.issuer = issuer
        self.lifecycle = lifecycle

    def handle(self, body: bytes, soap_action: str | None, identity: Identity) -> Answer:
        try:
            request = self._request(body, soap_action, identity)
            return self._operation(request)
        except Fault as fault:
            return self._fault_answer(fault)

    # ----- checks -----

    def _request(self, body: bytes, soap_action: str | None, identity: Identity) -> soap.SoapRequest:
        try:
            safexml.parse(body, source="SOAP request")
        except safexml.XmlRefused as refused:
            raise Fault.client(Rejection("EPX-100", "PULL-04", f"The request is refused: {refused.reason}")) from None
        self._check_caller(identity)
        try:
            request = soap.parse_request(body, self.settings)
        except MessageError as error:
            rejection = Rejection("EPX-101", "PULL-04", error.text, error.location)
            if self.faults.on("pull-bad-request-as-server-fault"):
                raise Fault("soap:Server", "internal error", Rejection("EPX-500", "PULL-04", "The request failed")) from None
            raise Fault.client(rejection) from None
        named = self.settings.operation_for_action(soap_action)
        if soap_action and soap_action.strip().strip('"') and named != request.op:
            raise Fault.client(Rejection("EPX-101", "PULL-04", f"The SOAPAction {soap_action!r} does not name the "
                                                               f"operation of the body ({request.op})"))
        return request

    def _check_caller(self, identity: Identity) -> None:
        if not identity.known:
            raise Fault.client(Rejection("EPX-105", "PULL-05", f"The caller is not authenticated: {identity.problem}"),
                               "CertificateMissing")
        if identity.party not in (self.config.peers or ()) and not self.faults.on("pull-serves-anyone"):
            raise Fault.client(Rejection("EPX-105", "PULL-05", f"{identity.party} is not a caller this adapter of "
                                                               f"{self.config.party} serves"), "CallerNotFound")

    # ----- operations -----

    def _operation(self, request: soap.SoapRequest) -> Answer:
        if request.op == "ServiceState":
            if self.faults.on("service-state-fault"):
                raise Fault("soap:Server", "AdapterNotAvailable",
                            Rejection("EPX-500", "PULL-01", "The adapter is not available"))
            return self._response(request.op, text=SERVICE_STATE)
        if self.faults.on("slow-adapter"):
            time.sleep(self.config.pull_deadline * 1.5)
        if request.op == "ConfirmQuantities":
            return self._confirm(request)
        with self.store.read() as session:
            document = self._document(session, request)
            if request.op == "GetNonFinalCitesCertificate" and self.faults.on("pull-returns-other-permit"):
                document = self._other_than(session, document)
            permit = self._permit(session, document, final=request.op == "GetFinalCitesCertificate")
        return self._response(request.op, permit=permit)

    def _document(self, session: Session, request: soap.SoapRequest) -> DocumentRecord:
        number = request.number or ""
        document = session.document(self.config.party, number)
        if document is None or request.country != self.issuer.country:
            where = "" if request.country == self.issuer.country else (
                f" (IsoCountryCode is {request.country}; this adapter serves the permits of {self.issuer.country})")
            raise Fault.client(Rejection("EPX-304", "PULL-03", f"No permit numbered {number!r} was issued here{where}"))
        if request.token != document.token and not self.faults.on("token-not-checked"):
            raise Fault.client(Rejection("EPX-309", "PULL-03", "The TokenId does not match the permit"))
        return document

    @staticmethod
    def _other_than(session: Session, document: DocumentRecord) -> DocumentRecord:
        """The ``pull-returns-other-permit`` fault: another of the partner's own permits."""
        others = [d for d in session.own_documents() if d.number != document.number]
        return others[0] if others else document

    def _permit(self, session: Session, document: DocumentRecord, *, final: bool) -> etree._Element:
        versions = session.versions(document.issuer, document.number)
        if final:
            finals = [v for v in versions if v.final]
            if not finals and not self.faults.on("final-before-confirmation"):
                raise Fault.client(Rejection("EPX-310", "PULL-07", f"No quantities were confirmed for "
                                                                   f"{document.number!r}: there is no final version yet"))
            versions = finals or versions
        else:
            versions = [v for v in versions if not v.final]
        permit = safexml.parse(versions[-1].xml, source="stored permit")
        if self.faults.on("pull-permit-unsigned"):
            for signature in permit.findall(qname(DS, "Signature")):
                permit.remove(signature)
        return permit

    def _confirm(self, request: soap.SoapRequest) -> Answer:
        try:
            with self.store.write() as session:
                document = self._document(session, request)
                self.lifecycle.confirm(session, document, request.positions or [], clock.now().date())
        except Rejection as rejection:
            raise Fault.client(rejection) from None
        return self._response(request.op, text=CONFIRMED)

    # ----- answers -----

    def _response(self, op: str, **content) -> Answer:
        body = soap.build_response(op, self.settings, **content)
        return Answer(200, body, {"Content-Type": soap.CONTENT_TYPE}, summary=f"{op} ok")

    def _fault_answer(self, fault: Fault) -> Answer:
        rejection = fault.rejection
        error = AckError(rejection.code, rejection.text, location=rejection.location)
        body = soap.build_fault(fault.faultcode, fault.faultstring, error)
        status = 200 if self.faults.on("soap-fault-with-http-200") else 500
        return Answer(status, body, {"Content-Type": soap.CONTENT_TYPE},
                      summary=f"fault {fault.faultcode} {rejection.code}")
