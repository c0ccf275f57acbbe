"""The state of documents at the partner (permit-document.md section 7, LIF-01 … LIF-22).

Each change is checked and applied inside the caller's write transaction, so that the
check and the change see the same state. A failed check raises
:class:`~epix.partner.answers.Rejection`, of the first finding that counts
(:class:`~epix.partner.answers.Errors`).

- usage (binding B) and confirmations (binding A, PULL-08): :meth:`Lifecycle.check_use`
  (LIF-10 … LIF-12, LIF-21), then :meth:`Lifecycle.record_use` (LIF-13)
- cancellation: :meth:`Lifecycle.cancel` (LIF-20 … LIF-22)
- a peer's permit, a new version or a replacement: :meth:`Lifecycle.receive_permit` (LIF-01)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from epix.clock import isoformat
from epix.findings import Finding
from epix.model import Cancellation, EnvelopeHeader, PermitFacts, Position, UsageReport
from epix.partner.answers import Errors, Rejection
from epix.partner.issuing import Issuer
from epix.partner.store import DocumentRecord, ItemRecord, Session, digest_of


class Lifecycle:
    def __init__(self, party: str, issuer: Issuer, errors: Errors):
        self.party = party
        self.issuer = issuer
        self.errors = errors

    # ----- checks -----

    def _first(self, findings: Iterable[Finding]) -> None:
        """Raise the first finding that counts (ERR-01)."""
        finding = self.errors.first(findings)
        if finding is not None:
            raise Rejection.of(finding)

    def own_document(self, session: Session, issuing_party: str, number: str, requirement: str) -> DocumentRecord:
        """The partner's own document ``number``, or EPX-304."""
        document = session.document(issuing_party, number) if issuing_party == self.party else None
        if document is None:
            whose = "" if issuing_party == self.party else (
                f" (the report names {issuing_party} as its issuer; usage is reported to the issuing party, {self.party})")
            raise Rejection("EPX-304", requirement, f"{self.party} never issued a document numbered {number!r}{whose}")
        return document

    def check_use(self, session: Session, document: DocumentRecord, positions: list[Position], used_on: date,
                  *, adding: bool) -> list[ItemRecord]:
        """LIF-10 … LIF-12 for a use on ``used_on``; the items with the new inspected quantities."""
        number = document.number
        self._first([Finding("EPX-307", "LIF-21", f"The document {number!r} is cancelled and cannot be used")]
                    if document.state == "cancelled" else [])
        self._first(_expired(document, used_on))
        items = {item.item_id: item for item in session.items(document.issuer, number)}
        unknown = [p.id for p in positions if p.id not in items]
        if unknown:
            known = ", ".join(items)
            raise Rejection("EPX-303", "LIF-10", f"The document {number!r} has no item {', '.join(map(repr, unknown))} "
                                                 f"(its items are {known})")
        if adding and all(item.used_in_full for item in items.values()):
            self._first([Finding("EPX-308", "LIF-12", f"The document {number!r} was already used in full")])
        return self._new_quantities(items, positions, adding=adding)

    def _new_quantities(self, items: dict[str, ItemRecord], positions: list[Position], *, adding: bool) -> list[ItemRecord]:
        updated = dict(items)
        for position in positions:
            item = updated[position.id]
            if position.unit is not None and item.unit is not None and position.unit != item.unit:
                raise Rejection("EPX-303", "LIF-11", f"Item {item.item_id!r} is permitted in {item.unit}; the quantity "
                                                     f"is reported in {position.unit}")
            total = item.inspected + position.quantity if adding else position.quantity
            if total > item.quantity:
                already = f" ({item.inspected} already used)" if adding and item.inspected else ""
                self._first([Finding("EPX-305", "LIF-11",
                                     f"Item {item.item_id!r}: {position.quantity} {item.unit or ''} would bring the "
                                     f"inspected quantity to {total}, above the permitted {item.quantity}{already}")])
            updated[position.id] = replace(item, inspected=total)
        return sorted(updated.values(), key=lambda i: i.position)

    # ----- changes -----

    def record_use(self, session: Session, document: DocumentRecord, items: list[ItemRecord], *,
                   message_id: str | None, kind: str) -> None:
        """Write the inspected quantities, the state (LIF-13) and a new final rendition."""
        for item in items:
            session.set_inspected(document.issuer, document.number, item.item_id, item.inspected)
        session.update_document(document.issuer, document.number, state=_state_after_use(items))
        session.record_event(document.issuer, document.number, kind, message_id=message_id)
        self.issuer.record_final(session, document.number, items)

    def use(self, session: Session, report: UsageReport, *, message_id: str) -> None:
        """A usage report of binding B: adds the quantities (LIF-11)."""
        document = self.own_document(session, report.issuing_party, report.document_id, "LIF-10")
        items = self.check_use(session, document, report.positions, report.usage_date, adding=True)
        self.record_use(session, document, items, message_id=message_id, kind="usage")

    def cancel(self, session: Session, sender: str, cancellation: Cancellation, *, message_id: str) -> None:
        """LIF-20 … LIF-22."""
        number = cancellation.document_id
        document = session.document(sender, number)
        if document is None:
            document = self._foreign_document(session, sender, number)
        if document is None or document.state == "cancelled":
            return
        session.update_document(document.issuer, number, state="cancelled")
        session.record_event(document.issuer, number, "cancelled", message_id=message_id, detail=cancellation.reason_code)

    def _foreign_document(self, session: Session, sender: str, number: str) -> DocumentRecord | None:
        others = session.documents_numbered(number)
        if others:
            self.check_canceller(sender, others[0])
            return others[0]
        self._first([Finding("EPX-304", "LIF-22", f"No document numbered {number!r} issued by {sender} is known here")])
        return None

    def check_canceller(self, sender: str, document: DocumentRecord) -> None:
        """LIF-20: only the issuer of a document cancels it."""
        if sender != document.issuer:
            raise Rejection("EPX-105", "LIF-20", f"The document {document.number!r} was issued by {document.issuer}; "
                                                 f"only its issuer can cancel it, not {sender}")

    def receive_permit(self, session: Session, header: EnvelopeHeader, facts: PermitFacts, xml: bytes) -> None:
        """Keep a peer's permit (a new one, a new version, or a replacement of another number)."""
        sender, number = header.sender, facts.number or header.document_number
        existing = session.document(sender, number)
        if header.document_status == "replaced" and facts.replaces:
            self._replace(session, sender, facts, xml, header, existing)
            return
        if existing is not None:
            if session.versions(sender, number)[-1].digest != digest_of(xml):
                raise Rejection("EPX-303", "LIF-01", f"{sender} already issued a different document numbered {number!r}; "
                                                     f"deliver a changed document as a replacement (DocumentStatus "
                                                     f"'replaced', naming {number!r} in ReferenceReferencedDocument)")
            return
        self._add_peer_document(session, sender, number, facts, xml, header.message_id)

    def _replace(self, session: Session, sender: str, facts: PermitFacts, xml: bytes, header: EnvelopeHeader,
                 existing: DocumentRecord | None) -> None:
        number, replaced = facts.number or header.document_number, facts.replaces
        previous = session.document(sender, replaced)
        if previous is not None and previous.state == "cancelled":
            self._first([Finding("EPX-307", "LIF-21", f"The document {replaced!r} is cancelled and cannot be replaced")])
        if replaced == number and existing is not None:
            if session.versions(sender, number)[-1].digest != digest_of(xml):
                session.add_version(sender, number, xml, message_id=header.message_id)
                session.replace_items(sender, number, _items_of(facts))
                session.update_document(sender, number, state="issued", valid_until=_iso(facts.valid_until))
                session.record_event(sender, number, "replaced", message_id=header.message_id)
            return
        if previous is not None:
            session.update_document(sender, replaced, state="replaced", replaced_by=number)
            session.record_event(sender, replaced, "replaced", message_id=header.message_id, detail=number)
        if existing is None:
            self._add_peer_document(session, sender, number, facts, xml, header.message_id)

    def _add_peer_document(self, session: Session, sender: str, number: str, facts: PermitFacts, xml: bytes,
                           message_id: str) -> None:
        session.add_document(DocumentRecord(sender, number, facts.document_type or "other-certificate", "issued",
                                            facts.security_stamp, _iso(facts.valid_until), False, None))
        session.add_version(sender, number, xml, message_id=message_id)
        session.replace_items(sender, number, _items_of(facts))
        session.record_event(sender, number, "received", message_id=message_id)

    # ----- binding A -----

    def confirm(self, session: Session, document: DocumentRecord, positions: list[Position], on: date) -> None:
        """ConfirmQuantities (PULL-08): sets the inspected quantity of each item named."""
        items = self.check_use(session, document, positions, on, adding=False)
        self.record_use(session, document, items, message_id=None, kind="confirmation")


def _expired(document: DocumentRecord, used_on: date) -> list[Finding]:
    if document.valid_until is None:
        return []
    until = datetime.fromisoformat(document.valid_until.replace("Z", "+00:00")).date()
    if used_on <= until:
        return []
    return [Finding("EPX-306", "LIF-10", f"The document {document.number!r} was valid until {until.isoformat()}; "
                                         f"it was used on {used_on.isoformat()}")]


def _state_after_use(items: list[ItemRecord]) -> str:
    if all(item.used_in_full for item in items):
        return "used"
    return "partially-used" if any(item.inspected > 0 for item in items) else "issued"


def _items_of(facts: PermitFacts) -> list[ItemRecord]:
    """The items of a permit to keep, one per item ID. IDs are unique in a valid permit
    (DOC-08); a permit kept in spite of that (a fault overlooking DOC-08 or ERR-02) keeps
    the first item of each ID rather than failing on the store's key."""
    items: dict[str, ItemRecord] = {}
    for position, item in enumerate(facts.items):
        item_id = item.id or str(position + 1)
        if item_id not in items:
            items[item_id] = ItemRecord(position, item_id, item.quantity or Decimal(0), item.unit, Decimal(0))
    return list(items.values())


def _iso(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment is not None else None
