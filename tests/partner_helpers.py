"""Helpers of the partner's tests: a sending party that makes signed envelopes, and
fixtures that start a partner over real HTTPS with mutual TLS.

Test modules import the fixtures they use (``from partner_helpers import partner, sender``);
the session PKI comes from ``tests/conftest.py`` (``pki``: CH, FR, DE).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from lxml import etree

from epix import clock
from epix.messages.acknowledgement import parse_acknowledgement
from epix.messages.cancellation import build_cancellation
from epix.messages.envelope import build_envelope
from epix.messages.permit import build_permit
from epix.messages.usage import build_usage_report
from epix.model import Acknowledgement, Cancellation, EnvelopeHeader, PermitFacts, Position, UsageReport
from epix.partner import RunningPartner, running_partner
from epix.pki import Pki
from epix.safexml import parse, to_bytes
from epix.samples import sample_permit
from epix.signing import sign, verify
from epix.transport import Exchange

_numbers = itertools.count(1)


def new_number(party: str = "CH") -> str:
    """A document number nobody used yet in this test session."""
    return f"26{party[:2]}{500000 + next(_numbers):06d}"


class Sender:
    """A party that issues, signs and wraps documents for the partner under test."""

    def __init__(self, pki: Pki, party: str = "CH", recipient: str = "FR"):
        self.pki = pki
        self.party = party
        self.recipient = recipient

    def facts(self, kind: str = "export-permit", *, number: str | None = None, items: int = 2,
              **overrides: object) -> PermitFacts:
        return sample_permit(kind, number=number or new_number(self.party), issuer=self.party,
                             partner=self.recipient, items=items, **overrides)

    def signed(self, document: etree._Element, key: str = "rsa") -> etree._Element:
        return sign(document, self.pki.signing_key(self.party, key))

    def permit(self, kind: str = "export-permit", *, mutate: Callable[[etree._Element], etree._Element] | None = None,
               **facts: object) -> etree._Element:
        document = build_permit(self.facts(kind, **facts))
        return self.signed(mutate(document) if mutate else document)

    def unsigned_permit(self, kind: str = "export-permit", **facts: object) -> etree._Element:
        return build_permit(self.facts(kind, **facts))

    def permit_signed_with(self, bad: str, kind: str = "export-permit") -> etree._Element:
        """A permit signed with one of the PKI's negative-test certificates (``expired``, ``revoked`` …)."""
        return self.signed(self.unsigned_permit(kind), bad)

    def usage(self, number: str, positions: list[tuple[str, int | str, str]], *, issuer: str | None = None,
              used_on=None) -> etree._Element:  # noqa: ANN001 (a date)
        report = UsageReport(
            document_id=number, issuing_party=issuer or self.recipient, reporting_party=self.party,
            usage_date=used_on or clock.now().date(),
            positions=[Position(item, Decimal(quantity), unit) for item, quantity, unit in positions],
        )
        return self.signed(build_usage_report(report))

    def cancellation(self, number: str, reason: str = "error", *, issuer: str | None = None) -> etree._Element:
        cancellation = Cancellation(number, issuer or self.party, reason, clock.now())
        return self.signed(build_cancellation(cancellation))

    def envelope(self, document: etree._Element, *, document_type: str | None = None, number: str | None = None,
                 status: str | None = None, message_id: str | None = None, created_at: datetime | None = None,
                 sender: str | None = None, recipient: str | None = None, reply_to: str | None = None) -> bytes:
        kind, own_number, own_status = _describe(document)
        header = EnvelopeHeader(
            message_id=message_id or str(uuid.uuid4()), sender=sender or self.party,
            recipient=recipient or self.recipient, document_type=document_type or kind,
            document_number=number or own_number, document_status=status or own_status,
            created_at=created_at or clock.now(), reply_to=reply_to,
        )
        return to_bytes(build_envelope(header, document))


def _describe(document: etree._Element) -> tuple[str, str, str]:
    local = etree.QName(document).localname
    ns = {"epx": "urn:epix:pilot:envelope:1",
          "rsm": "urn:un:unece:uncefact:data:standard:CITESEPermit:2",
          "ram": "urn:un:unece:uncefact:data:draft:ReusableAggregateBusinessInformationEntity:1"}
    if local == "UsageReport":
        return "usage-report", document.findtext("epx:DocumentID", namespaces=ns), "used"
    if local == "Cancellation":
        return "cancellation", document.findtext("epx:DocumentID", namespaces=ns), "cancelled"
    number = document.findtext("rsm:HeaderExchangedDocument/ram:ID", namespaces=ns)
    type_code = document.findtext("rsm:HeaderExchangedDocument/ram:TypeCode", namespaces=ns)
    kinds = {"E": "export-permit", "R": "re-export-certificate", "I": "import-permit", "O": "other-certificate"}
    return kinds.get(type_code, "export-permit"), number, "issued"


def acknowledgement_of(exchange: Exchange) -> Acknowledgement:
    return parse_acknowledgement(parse(exchange.response_body))


def error_codes(exchange: Exchange) -> list[str]:
    return [e.code for e in acknowledgement_of(exchange).errors]


def assert_accepted(exchange: Exchange) -> Acknowledgement:
    ack = acknowledgement_of(exchange)
    assert (exchange.status, ack.status) == (200, "Accepted"), exchange.as_text()
    return ack


def assert_rejected(exchange: Exchange, code: str, status: int | None = None) -> Acknowledgement:
    """A Rejected Acknowledgement whose first error is ``code``, with the HTTP status of the error table."""
    from epix.codes import http_status

    ack = acknowledgement_of(exchange)
    assert ack.status == "Rejected", exchange.as_text()
    assert ack.errors and ack.errors[0].code == code, exchange.as_text()
    assert exchange.status == (status or http_status(code)), exchange.as_text()
    return ack


def signature_passes(body: bytes, pki: Pki, party: str = "FR") -> bool:
    root = parse(body)
    return verify(root, pki.trust_store, sender=party).passed


@pytest.fixture
def sender(pki: Pki) -> Sender:
    return Sender(pki)


@pytest.fixture
def partner(pki: Pki) -> Iterator[RunningPartner]:
    """A conformant partner FR (peers CH and DE) over HTTPS with mutual TLS, fresh for each test."""
    with running_partner("FR", pki_dir=pki.root) as running:
        yield running


@pytest.fixture
def as_ch(partner: RunningPartner):  # noqa: ANN201
    with partner.client("CH") as client:
        yield client


def start(pki: Pki, **settings: object):  # noqa: ANN201 (a context manager)
    """Another partner FR, e.g. ``with start(pki, faults=["ack-unsigned"]) as partner``."""
    return running_partner("FR", pki_dir=pki.root, **settings)


def days(n: int) -> timedelta:
    return timedelta(days=n)
