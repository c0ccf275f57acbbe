"""The partner's own documents: the sample permits it issues at start, and the "final"
rendition of a permit that carries the inspected quantities (box 14, LIF-13, PULL-07).

Facts are read and written only through the schema set's field map and
:func:`epix.messages.permit.build_permit`; every document leaves here signed.
"""

from __future__ import annotations

import itertools
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from epix import clock
from epix.messages.permit import build_permit
from epix.model import PERMIT_TYPES, PermitFacts
from epix.partner.store import DocumentRecord, ItemRecord, Session
from epix.safexml import parse, to_bytes
from epix.samples import sample_permit
from epix.schemaset import SchemaSet
from epix.signing import SigningKey, sign

_KINDS = tuple(PERMIT_TYPES.values())
_TOKEN_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class SeededItem:
    id: str
    quantity: Decimal
    unit: str | None
    inspected: Decimal


@dataclass(frozen=True)
class SeededDocument:
    """A document the partner issued, as a test needs it: number, security token, state, items."""

    number: str
    token: str
    document_type: str
    state: str
    valid_until: str | None
    items: tuple[SeededItem, ...]
    replaced_by: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "number": self.number, "token": self.token, "document_type": self.document_type, "state": self.state,
            "valid_until": self.valid_until, "replaced_by": self.replaced_by,
            "items": [{"id": i.id, "quantity": str(i.quantity), "unit": i.unit, "inspected": str(i.inspected)}
                      for i in self.items],
        }


def new_token() -> str:
    """A security token in the form of the samples: ``K7Q2-9XWD-4M3P``."""
    return "-".join("".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(4)) for _ in range(3))


class Issuer:
    """Issues and renders the partner's own documents."""

    def __init__(self, party: str, key: SigningKey, schema_set: SchemaSet):
        self.party = party
        self.country = party.split("-", 1)[0]
        self.key = key
        self.schema_set = schema_set

    def seed(self, session: Session, *, count: int, peer: str, each: int = 1) -> None:
        """Issue the partner's test documents (profile section 12), unless already done:
        ``count`` unused permits (the four types in turn) and, when ``count`` > 0, ``each``
        cancelled, ``each`` used in full and ``each`` expired permits (valid until a month
        ago), and one permit that was later replaced, with the permit that replaces it
        (LIF-01: the old number is ``replaced`` and answers with its successor)."""
        if session.own_documents() or count <= 0:
            return
        issued_at = clock.now() - timedelta(days=1)
        numbers = (f"{issued_at:%y}{self.country}{index:06d}" for index in itertools.count(1))
        for index in range(count):
            self._issue(session, self._facts(_KINDS[index % len(_KINDS)], next(numbers), peer, issued_at), "issued")
        for state in ("cancelled", "used"):
            for index in range(each):
                self._issue(session, self._facts(_KINDS[index % len(_KINDS)], next(numbers), peer, issued_at), state)
        ended = issued_at - timedelta(days=30)
        for _ in range(each):
            self._issue(session, self._facts("export-permit", next(numbers), peer, ended - timedelta(days=90),
                                             valid_until=ended), "issued")
        old, new = next(numbers), next(numbers)
        self._issue(session, self._facts("export-permit", old, peer, issued_at - timedelta(days=1)), "issued")
        self._issue(session, self._facts("export-permit", new, peer, issued_at, replaces=old), "issued")
        session.update_document(self.party, old, state="replaced", replaced_by=new)
        session.record_event(self.party, old, "replaced", detail=new)

    def _facts(self, kind: str, number: str, peer: str, issued_at: datetime, **overrides: object) -> PermitFacts:
        return sample_permit(kind, number=number, issuer=self.party, partner=peer, issued_at=issued_at, items=2,
                             security_stamp=new_token(), **overrides)

    def _issue(self, session: Session, facts: PermitFacts, state: str) -> None:
        xml = self.sign(build_permit(facts))
        session.add_document(DocumentRecord(
            issuer=self.party, number=facts.number, document_type=facts.document_type, state=state,
            token=facts.security_stamp, valid_until=clock.isoformat(facts.valid_until), own=True, replaced_by=None,
        ))
        session.add_version(self.party, facts.number, xml, message_id=None)
        items = [ItemRecord(position, item.id, item.quantity, item.unit,
                            item.quantity if state == "used" else Decimal(0))
                 for position, item in enumerate(facts.items)]
        session.replace_items(self.party, facts.number, items)
        session.record_event(self.party, facts.number, "issued")
        if state == "used":
            self.record_final(session, facts.number, items)
        if state == "cancelled":
            session.record_event(self.party, facts.number, "cancelled", detail="not-used")

    def sign(self, root) -> bytes:  # noqa: ANN001 (an lxml element)
        return to_bytes(sign(root, self.key))

    def final_rendition(self, issued_xml: bytes, items: list[ItemRecord]) -> bytes:
        """The permit as issued, with ``ExaminationTransportEvent/UnitQuantity`` on every
        item that has an inspected quantity, signed again."""
        facts = self.schema_set.fieldmap.extract(parse(issued_xml, source="stored permit"))
        inspected = {item.item_id: item for item in items}
        for item in facts.items:
            record = inspected.get(item.id or "")
            if record is not None and record.inspected > 0:
                item.inspected_quantity, item.inspected_unit = record.inspected, record.unit
            else:
                item.inspected_quantity = item.inspected_unit = None
        return self.sign(build_permit(facts))

    def record_final(self, session: Session, number: str, items: list[ItemRecord]) -> None:
        """Store a new final rendition of the partner's document ``number``."""
        issued = [v for v in session.versions(self.party, number) if not v.final]
        xml = self.final_rendition(issued[-1].xml, items)
        session.add_version(self.party, number, xml, message_id=None, final=True)

    def seeded(self, session: Session) -> list[SeededDocument]:
        """The partner's own documents as they stand now."""
        documents = []
        for record in session.own_documents():
            items = tuple(SeededItem(i.item_id, i.quantity, i.unit, i.inspected)
                          for i in session.items(record.issuer, record.number))
            documents.append(SeededDocument(record.number, record.token or "", record.document_type, record.state,
                                            record.valid_until, items, record.replaced_by))
        return documents
