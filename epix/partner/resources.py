"""The reading resources of binding B and ``POST /acknowledgements``.

``GET /envelopes/{id}/acknowledgement`` (ACK-05), ``GET /permits/{number}`` (LIF-01),
``GET /status`` (LIF-02), and the Acknowledgements peers post where the partner's
envelope asked with ``ReplyTo`` (OUT-03).
"""

from __future__ import annotations

from epix import PROFILE_VERSION, clock
from epix.messages.acknowledgement import parse_acknowledgement
from epix.messages.errors import MessageError
from epix.messages.identifiers import is_message_id
from epix.messages.status import build_status
from epix.model import Status
from epix.partner.answers import XML, Acknowledger, Answer, Errors, Rejection
from epix.partner.config import PartnerConfig
from epix.partner.identity import Identity
from epix.partner.store import DocumentRecord, Store, VersionRecord
from epix.safexml import to_bytes
from epix.validation import validate_root
from epix.validation.document import Checking


class Resources:
    def __init__(self, config: PartnerConfig, store: Store, acknowledger: Acknowledger, errors: Errors,
                 checking: Checking, trust):  # noqa: ANN001
        self.config = config
        self.store = store
        self.acknowledger = acknowledger
        self.errors = errors
        self.checking = checking
        self.trust = trust

    def acknowledgement(self, identity: Identity, message_id: str) -> Answer:
        """The latest Acknowledgement of an envelope the caller delivered, or 404 EPX-110."""
        refusal = self._unauthenticated(identity)
        if refusal:
            return refusal
        with self.store.read() as session:
            record = session.envelope(identity.party, message_id)
        if record is None:
            rejection = Rejection("EPX-110", "ACK-05", f"{identity.party} delivered no envelope with the message ID "
                                                       f"{message_id!r} here")
            return self.acknowledger.rejection_answer(rejection, ref_to=message_id if is_message_id(message_id)
                                                      else None, recipient=identity.party)
        return Answer(200, record.acknowledgement, {"Content-Type": XML}, summary=record.status)

    def permit(self, identity: Identity, number: str, issuer: str | None = None) -> Answer:
        """LIF-01: the latest version of the document, following replacements, with ``ETag``
        (its digest) and ``EPIX-Document-State`` (the state of the number asked for: a
        replaced document answers ``replaced`` with the body of its latest successor, named
        in ``Link``)."""
        refusal = self._unauthenticated(identity)
        if refusal:
            return refusal
        with self.store.read() as session:
            document = self._document(session.documents_numbered(number), issuer)
            latest = self._latest(session, document) if document else None
            versions = session.versions(latest.issuer, latest.number) if latest else []
        if document is None or not versions:
            rejection = Rejection("EPX-304", "LIF-01", f"No document numbered {number!r} is known here")
            return self.acknowledger.rejection_answer(rejection, recipient=identity.party)
        return self.permit_answer(document, latest, versions[-1])

    def permit_answer(self, document: DocumentRecord, latest: DocumentRecord, version: VersionRecord) -> Answer:
        """LIF-01: ``version``, the latest of ``latest`` (``document`` or the end of its chain of
        replacements), with its digest as ``ETag``, the state of ``document`` as
        ``EPIX-Document-State``, and the successor in ``Link`` when ``document`` was replaced."""
        headers = {"Content-Type": XML, "ETag": f'"{version.digest}"', "EPIX-Document-State": document.state}
        if latest is not document:
            headers["Link"] = f'<{latest.number}>; rel="latest-version"'
        return Answer(200, version.xml, headers, summary=f"{document.number} {document.state} "
                                                         f"({latest.number} v{version.version})")

    @staticmethod
    def _latest(session, document: DocumentRecord) -> DocumentRecord:  # noqa: ANN001 (Session)
        """The end of the chain of replacements that starts at ``document``."""
        seen = {document.number}
        while document.replaced_by and document.replaced_by not in seen:
            successor = session.document(document.issuer, document.replaced_by)
            if successor is None:
                break
            seen.add(successor.number)
            document = successor
        return document

    def status(self) -> Answer:
        """LIF-02."""
        body = to_bytes(build_status(self.own_status()))
        return Answer(200, body, {"Content-Type": XML}, summary="status")

    def own_status(self) -> Status:
        """LIF-02: the party, the profile version and every document type this partner accepts."""
        return Status(self.config.party, PROFILE_VERSION, list(self.config.document_types))

    def posted_acknowledgement(self, identity: Identity, root) -> Answer:  # noqa: ANN001 (lxml element)
        """``POST /acknowledgements``: a peer's final Acknowledgement of an envelope this partner sent."""
        refusal = self._unauthenticated(identity)
        if refusal:
            return refusal
        report = validate_root(root, Checking(self.checking.schema_set, self.checking.codelists, clock.now()),
                               trust=self.trust)
        try:
            ack = parse_acknowledgement(root)
        except MessageError as error:
            return self.acknowledger.rejection_answer(Rejection("EPX-101", "ACK-01", error.text, error.location),
                                                      recipient=identity.party)
        if ack.sender != identity.party:
            first = Rejection("EPX-105", "ENV-11", f"From is {ack.sender!r} but the authenticated sender is "
                                                   f"{identity.party!r}")
        elif ack.recipient != self.config.party:
            first = Rejection("EPX-104", "ENV-12", f"To is {ack.recipient!r}, but this endpoint is "
                                                   f"{self.config.party!r}")
        else:
            finding = self.errors.first(report.errors)
            first = Rejection.of(finding) if finding is not None else None
        if first is not None:
            return self.acknowledger.rejection_answer(first, ref_to=ack.message_id, recipient=identity.party)
        with self.store.write() as session:
            session.add_posted_acknowledgement(identity.party, ack.message_id, ack.ref_to_message_id, ack.status,
                                               to_bytes(root))
        return Answer(200, b"", {}, summary=f"acknowledgement {ack.status} of {ack.ref_to_message_id}")

    def _unauthenticated(self, identity: Identity) -> Answer | None:
        if identity.known and identity.party in (self.config.peers or ()):
            return None
        problem = identity.problem or f"{identity.party} is not a party that {self.config.party} exchanges with"
        rejection = Rejection("EPX-105", "ENV-02", f"The caller is not authenticated or not served: {problem}")
        return self.acknowledger.rejection_answer(rejection, recipient=identity.party)

    @staticmethod
    def _document(documents: list[DocumentRecord], issuer: str | None) -> DocumentRecord | None:
        if issuer:
            documents = [d for d in documents if d.issuer == issuer]
        return documents[0] if documents else None
