"""Binding A: the EPIX adapter operations over SOAP 1.1 (profile section 3.1, PULL-01 … PULL-12).

Requests come in the form the deployed hub sent (any prefixes, unqualified children, the
SOAPAction in quotes: PULL-11, :meth:`Puller.parse`). Checks follow section 9 steps 2, 4
and 10: the body must be well-formed (EPX-100), the caller one this adapter serves
(EPX-105, :meth:`Puller.check_served`), the issuing country its own (PULL-12, EPX-104,
:meth:`Puller.check_country`, before any other parameter), the request complete and
well-formed (PULL-04, EPX-101, :meth:`Puller.bad_request`), then the operation against
the document state (EPX-304, 309, 310, 303 … 307):

- ``ServiceState`` (PULL-01): :meth:`Puller.service_state`
- the operations on one certificate, within the adapter timeout (PULL-01, PULL-02):
  :meth:`Puller.certificate_operation`; the permit asked for, by number, country and
  token (PULL-03, :meth:`Puller.check_token`); ``GetNonFinalCitesCertificate`` and
  ``GetFinalCitesCertificate`` answer it signed (PULL-02, PULL-07, PULL-10:
  :meth:`Puller.permit`, :meth:`Puller.final_versions`); ``ConfirmQuantities`` sets the
  inspected quantities (PULL-08, :meth:`epix.partner.lifecycle.Lifecycle.confirm`); one
  without quantities, as the deployed hub forwarded it, changes nothing
  (:meth:`Puller.without_quantities`)

The adapter describes itself at ``<adapter URL>?wsdl`` (:meth:`Puller.description`).
Answers are in the pilot's v2 response form (:func:`epix.messages.soap.build_response`).
Faults are SOAP 1.1 faults with HTTP 500 whose detail carries the ``epx:Error``
(PULL-09, :meth:`Puller.fault_answer`).
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from epix import clock, safexml
from epix.messages import soap
from epix.messages.adapter_wsdl import NoSuchSchema, adapter_schema, adapter_wsdl
from epix.messages.errors import MessageError
from epix.model import AckError
from epix.partner.answers import Answer, Rejection
from epix.partner.config import PartnerConfig
from epix.partner.identity import Identity
from epix.partner.issuing import Issuer
from epix.partner.lifecycle import Lifecycle
from epix.partner.store import DocumentRecord, Session, Store, VersionRecord

#: What the adapter says when ServiceState is asked.
SERVICE_STATE = "available"
CONFIRMED = "Quantities confirmed"
NOTHING_CONFIRMED = "No quantities were given: nothing was changed"


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
        self.settings = config.soap
        self.store = store
        self.issuer = issuer
        self.lifecycle = lifecycle

    def handle(self, body: bytes, soap_action: str | None, identity: Identity) -> Answer:
        try:
            request = self._request(body, soap_action, identity)
            if request.op == "ServiceState":
                return self.service_state(request)
            return self.certificate_operation(request)
        except Fault as fault:
            return self.fault_answer(fault)

    # ----- checks -----

    def _request(self, body: bytes, soap_action: str | None, identity: Identity) -> soap.SoapRequest:
        try:
            safexml.parse(body, source="SOAP request")
        except safexml.XmlRefused as refused:
            raise Fault.client(Rejection("EPX-100", "PULL-04", f"The request is refused: {refused.reason}")) from None
        self._check_caller(identity)
        self.check_country(body)
        request = self.parse(body)
        named = self.settings.operation_for_action(soap_action)
        if soap_action and soap_action.strip().strip('"') and named != request.op:
            raise Fault.client(Rejection("EPX-101", "PULL-04", f"The SOAPAction {soap_action!r} does not name the "
                                                               f"operation of the body ({request.op})"))
        return request

    def parse(self, body: bytes) -> soap.SoapRequest:
        """PULL-11: the request as the deployed hub sends it, whatever its prefixes, its
        children unqualified; what cannot be read is a client fault (:meth:`bad_request`)."""
        try:
            return soap.parse_request(body, self.settings)
        except MessageError as error:
            raise self.bad_request(error) from None

    def check_country(self, body: bytes) -> None:
        """PULL-12: a request naming another issuing country than this adapter's own is a
        client fault EPX-104, before any other check of its parameters. A code that is not
        ISO 3166-1 alpha-2 at all is left to those checks (PULL-04, EPX-101)."""
        country = soap.request_country(body, self.settings)
        if country is not None and country != self.issuer.country:
            raise Fault.client(Rejection("EPX-104", "PULL-12", f"IsoCountryCode is {country}; this adapter serves "
                                                               f"the permits of {self.issuer.country}"))

    def bad_request(self, error: MessageError) -> Fault:
        """PULL-04: a request that is not complete and well-formed is a client fault EPX-101."""
        return Fault.client(Rejection("EPX-101", "PULL-04", error.text, error.location))

    def _check_caller(self, identity: Identity) -> None:
        if not identity.known:
            raise Fault.client(Rejection("EPX-105", "PULL-05", f"The caller is not authenticated: {identity.problem}"),
                               "CertificateMissing")
        self.check_served(identity)

    def check_served(self, identity: Identity) -> None:
        """PULL-05: the caller is a party this adapter serves."""
        if identity.party not in (self.config.peers or ()):
            raise Fault.client(Rejection("EPX-105", "PULL-05", f"{identity.party} is not a caller this adapter of "
                                                               f"{self.config.party} serves"), "CallerNotFound")

    # ----- operations -----

    def service_state(self, request: soap.SoapRequest) -> Answer:
        """PULL-01: the adapter is available."""
        return self._response(request.op, text=SERVICE_STATE)

    def certificate_operation(self, request: soap.SoapRequest) -> Answer:
        """The operations on one certificate, answered within the adapter timeout (PULL-02)."""
        if request.op == "ConfirmQuantities":
            return self._confirm(request)
        with self.store.read() as session:
            document = self._document(session, request)
            permit = self.permit(session, document, final=request.op == "GetFinalCitesCertificate")
        return self._response(request.op, permit=permit)

    def _document(self, session: Session, request: soap.SoapRequest) -> DocumentRecord:
        number = request.number or ""
        document = session.document(self.config.party, number)
        if document is None:
            raise Fault.client(Rejection("EPX-304", "PULL-03", f"No permit numbered {number!r} was issued here"))
        self.check_token(request, document)
        return document

    def check_token(self, request: soap.SoapRequest, document: DocumentRecord) -> None:
        """PULL-03: the TokenId is the permit's security token."""
        if request.token != document.token:
            raise Fault.client(Rejection("EPX-309", "PULL-03", "The TokenId does not match the permit"))

    def permit(self, session: Session, document: DocumentRecord, *, final: bool) -> etree._Element:
        """The permit asked for, signed as it was issued (PULL-10): its final version
        (PULL-07), or the version as issued (PULL-02)."""
        versions = session.versions(document.issuer, document.number)
        if final:
            versions = self.final_versions(document, versions)
        else:
            versions = [v for v in versions if not v.final]
        return safexml.parse(versions[-1].xml, source="stored permit")

    def final_versions(self, document: DocumentRecord, versions: list[VersionRecord]) -> list[VersionRecord]:
        """PULL-07: the final versions of ``document``, made by confirmations; none yet is EPX-310."""
        finals = [v for v in versions if v.final]
        if not finals:
            raise Fault.client(Rejection("EPX-310", "PULL-07", f"No quantities were confirmed for "
                                                               f"{document.number!r}: there is no final version yet"))
        return finals

    def _confirm(self, request: soap.SoapRequest) -> Answer:
        try:
            with self.store.write() as session:
                document = self._document(session, request)
                if not request.positions:
                    return self._response(request.op, text=self.without_quantities(document))
                self.lifecycle.confirm(session, document, request.positions, clock.now().date())
        except Rejection as rejection:
            raise Fault.client(rejection) from None
        return self._response(request.op, text=CONFIRMED)

    def without_quantities(self, document: DocumentRecord) -> str:
        """PULL-08: a confirmation that names no quantity (the deployed hub forwarded none)
        is a success that changes nothing; the ``Result`` says so."""
        return NOTHING_CONFIRMED

    # ----- its description -----

    def description(self, query: Mapping[str, str], url: str) -> Answer:
        """``GET <url>?wsdl``: the adapter's WSDL; ``?xsd=<path>``: a schema it refers to."""
        if "wsdl" in query:
            return Answer(200, adapter_wsdl(self.settings, url), {"Content-Type": soap.CONTENT_TYPE}, summary="wsdl")
        try:
            return Answer(200, adapter_schema(query.get("xsd", ""), self.settings, url),
                          {"Content-Type": soap.CONTENT_TYPE}, summary="xsd")
        except NoSuchSchema as missing:
            return Answer(404, f"{missing}; the adapter's description is at {url}?wsdl".encode(),
                          {"Content-Type": "text/plain; charset=utf-8"}, summary="no such description")

    # ----- answers -----

    def _response(self, op: str, **content) -> Answer:
        body = soap.build_response(op, self.settings, **content)
        return Answer(200, body, {"Content-Type": soap.CONTENT_TYPE}, summary=f"{op} ok")

    def fault_answer(self, fault: Fault) -> Answer:
        """PULL-09: a SOAP 1.1 fault with HTTP 500, the ``epx:Error`` in its detail."""
        body = soap.build_fault(fault.faultcode, fault.faultstring, self.fault_error(fault))
        return Answer(500, body, {"Content-Type": soap.CONTENT_TYPE},
                      summary=f"fault {fault.faultcode} {fault.rejection.code}")

    def fault_error(self, fault: Fault) -> AckError | None:
        """Section 3.4 (RECOMMENDED): the ``epx:Error`` of the fault's detail, naming its EPX code."""
        rejection = fault.rejection
        return AckError(rejection.code, rejection.text, location=rejection.location)
