"""Readings of the spec that its text settles, each a table written from its sentence, against
the simulated partner (and, for DOC-09, ``epix validate``, which holds no document).

One partner serves a whole table: every row uses document numbers of its own, so rows do
not see each other's state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from epix.cli import main
from epix.messages.permit import build_permit
from epix.model import ALLOWED_STATUSES, DOCUMENT_TYPES, PERMIT_TYPES
from epix.partner import RunningPartner, running_partner
from epix.partner.issuing import SeededDocument
from epix.pki import Pki
from epix.safexml import parse, to_bytes
from epix.samples import sample_permit
from epix.validation import validate
from partner_helpers import Sender, assert_accepted, assert_rejected, new_number

RAM = "urn:un:unece:uncefact:data:draft:ReusableAggregateBusinessInformationEntity:1"


@pytest.fixture(scope="module")
def fr(pki: Pki) -> Iterator[RunningPartner]:
    """A conformant partner FR (peers CH and DE), shared by the rows of a table."""
    with running_partner("FR", pki_dir=pki.root) as running:
        yield running


@pytest.fixture(scope="module")
def ch(pki: Pki) -> Sender:
    return Sender(pki, "CH")


@pytest.fixture(scope="module")
def de(pki: Pki) -> Sender:
    return Sender(pki, "DE")


def _own(partner: RunningPartner, state: str) -> SeededDocument:
    return next(d for d in partner.documents() if d.state == state)


def _delivered(partner: RunningPartner, sender: Sender, **facts: object) -> str:
    """A permit of ``sender``, delivered and accepted; its number."""
    number = new_number(sender.party)
    with partner.client(sender.party) as client:
        assert_accepted(client.deliver(sender.envelope(sender.permit(number=number, **facts))))
    return number


def _state(partner: RunningPartner, number: str) -> str | None:
    with partner.client("CH") as client:
        return client.permit(number).header("EPIX-Document-State")


# ---------------------------------------------------------------------------
# DOC-09: "A receiver that holds the replaced document checks that its issuer is the
# replacement's issuer (EPX-303 otherwise); a receiver that never received it cannot
# tell, and accepts (document numbers carry no party by convention)."

@pytest.mark.parametrize(("replaced", "refused"), [
    ("one of ours it holds", False),
    ("one of the partner's own", True),
    ("one of another party's that it holds", True),
    ("one of ours it never received", False),
    ("one it never received, numbered as the partner numbers", False),
    ("one it never received, numbered as another party numbers", False),
])
def test_doc_09_the_partner_judges_the_issuer_of_a_replaced_document_it_holds(fr, ch, de, replaced, refused) -> None:
    old = {
        "one of ours it holds": lambda: _delivered(fr, ch),
        "one of the partner's own": lambda: _own(fr, "issued").number,
        "one of another party's that it holds": lambda: _delivered(fr, de),
        "one of ours it never received": lambda: new_number("CH"),
        "one it never received, numbered as the partner numbers": lambda: new_number("FR"),
        "one it never received, numbered as another party numbers": lambda: new_number("DE"),
    }[replaced]()
    before = _state(fr, old)
    replacement = ch.permit(number=new_number("CH"), replaces=old)
    with fr.client("CH") as client:
        exchange = client.deliver(ch.envelope(replacement, status="replaced"))
    if refused:
        ack = assert_rejected(exchange, "EPX-303")
        assert "DOC-09" in ack.errors[0].text or "issued by" in ack.errors[0].text
        assert _state(fr, old) == before, "a refused replacement changes nothing"
    else:
        assert_accepted(exchange)
        if before is not None:
            assert _state(fr, old) == "replaced"


@pytest.mark.parametrize("replaces", ["26FR000001", "26DE000001", "26CH000001", "LOCAL-7"])
def test_doc_09_epix_validate_holds_no_document_and_accepts_a_replacement(capsys, tmp_path, replaces) -> None:
    permit = tmp_path / "replacement.xml"
    permit.write_bytes(to_bytes(build_permit(sample_permit("export-permit", issuer="CH", replaces=replaces))))
    code = main(["validate", str(permit)])
    assert code == 0, capsys.readouterr().out


# ---------------------------------------------------------------------------
# LIF-20: "only the issuer cancels: a cancellation of a number that the receiver holds
# only from another issuer is EPX-105 (one it holds from no issuer is EPX-304, LIF-22)."
# LIF-22: "cancelling an unknown document is EPX-304; a second cancellation of a cancelled
# document is Accepted and changes nothing."

@pytest.mark.parametrize(("number_of", "code", "state_after"), [
    ("ours, issued", None, "cancelled"),
    ("ours, already cancelled", None, "cancelled"),
    ("the partner's own", "EPX-105", "unchanged"),
    ("another party's", "EPX-105", "unchanged"),
    ("nobody's", "EPX-304", None),
    ("nobody's, numbered as the partner numbers", "EPX-304", None),
])
def test_lif_20_22_who_may_cancel_what(fr, ch, de, number_of, code, state_after) -> None:
    number = {
        "ours, issued": lambda: _delivered(fr, ch),
        "ours, already cancelled": lambda: _delivered(fr, ch),
        "the partner's own": lambda: _own(fr, "issued").number,
        "another party's": lambda: _delivered(fr, de),
        "nobody's": lambda: new_number("CH"),
        "nobody's, numbered as the partner numbers": lambda: new_number("FR"),
    }[number_of]()
    before = _state(fr, number)
    with fr.client("CH") as client:
        if number_of == "ours, already cancelled":
            assert_accepted(client.deliver(ch.envelope(ch.cancellation(number))))
            first = client.permit(number)
        exchange = client.deliver(ch.envelope(ch.cancellation(number, "lost")))
        if code is None:
            assert_accepted(exchange)
        else:
            assert_rejected(exchange, code)
        retrieved = client.permit(number)
    assert retrieved.header("EPIX-Document-State") == (before if state_after == "unchanged" else state_after)
    if number_of == "ours, already cancelled":  # changes nothing: the same document, the same state
        assert (retrieved.header("ETag"), retrieved.response_body) == (first.header("ETag"), first.response_body)


# ---------------------------------------------------------------------------
# LIF-01: "the header EPIX-Document-State set to the state of the number asked for ... (so a
# replaced number answers with its latest successor and replaced)".

@pytest.mark.parametrize(("asked", "state", "body_of"), [
    ("issued", "issued", "asked"),
    ("cancelled", "cancelled", "asked"),
    ("used", "used", "asked"),
    ("replaced once", "replaced", "latest"),
    ("replaced twice", "replaced", "latest"),
    ("the middle of a chain", "replaced", "latest"),
    ("the latest of a chain", "issued", "latest"),
])
def test_lif_01_the_state_is_that_of_the_number_asked_for(fr, ch, asked, state, body_of) -> None:
    if asked in ("issued", "cancelled", "used"):
        number = latest = _delivered(fr, ch) if asked == "issued" else _own(fr, asked).number
    else:
        chain = [_delivered(fr, ch)]
        with fr.client("CH") as client:
            for _ in range(1 if asked == "replaced once" else 2):
                successor = new_number("CH")
                assert_accepted(client.deliver(ch.envelope(ch.permit(number=successor, replaces=chain[-1]),
                                                           status="replaced")))
                chain.append(successor)
        number = {"replaced once": chain[0], "replaced twice": chain[0], "the middle of a chain": chain[1],
                  "the latest of a chain": chain[-1]}[asked]
        latest = chain[-1]
    with fr.client("CH") as client:
        exchange = client.permit(number)
    assert exchange.status == 200 and exchange.header("EPIX-Document-State") == state
    assert parse(exchange.response_body).findtext(f".//{{{RAM}}}ID") == (latest if body_of == "latest" else number)
    assert exchange.header("ETag").strip('"') == hashlib.sha256(exchange.response_body).hexdigest()


# ---------------------------------------------------------------------------
# LIF-11: "the inspected quantity of an item never exceeds the permitted quantity in the
# same unit (EPX-305; a quantity in another unit than the permit's is EPX-303)."

@pytest.mark.parametrize(("quantity", "unit", "code"), [
    ("1", "permitted", None),
    ("all", "permitted", None),
    ("1", "KGM", "EPX-303"),
    ("1", "GRM", "EPX-303"),
    ("more", "permitted", "EPX-305"),
    ("more", "KGM", "EPX-303"),
])
def test_lif_11_a_quantity_counts_only_in_the_permits_unit(pki, ch, quantity, unit, code) -> None:
    with running_partner("FR", pki_dir=pki.root) as fr:  # each row uses up a permit of its own
        document = _own(fr, "issued")
        item = document.items[0]
        amount = {"1": 1, "all": item.quantity, "more": item.quantity + 1}[quantity]
        reported_unit = item.unit if unit == "permitted" else unit
        assert reported_unit != item.unit or unit == "permitted"
        with fr.client("CH") as client:
            exchange = client.deliver(ch.envelope(ch.usage(document.number, [(item.id, amount, reported_unit)])))
            if code is None:
                assert_accepted(exchange)
            else:
                assert_rejected(exchange, code)
                assert client.permit(document.number).header("EPIX-Document-State") == "issued"


# ---------------------------------------------------------------------------
# ENV-14: "DocumentType is one of the types below and supported by the receiver, and
# DocumentStatus is one that the type allows; otherwise EPX-108."

_STATUSES = ("issued", "replaced", "used", "cancelled")


@pytest.mark.parametrize("document_type", DOCUMENT_TYPES)
@pytest.mark.parametrize("status", _STATUSES)
def test_env_14_a_status_the_type_does_not_allow_is_epx_108(fr, ch, document_type, status) -> None:
    allowed = status in ALLOWED_STATUSES[document_type]
    if document_type in PERMIT_TYPES.values():
        kind = document_type
        number = new_number("CH")
        replaced = _delivered(fr, ch) if status == "replaced" else None
        document = ch.permit(kind, number=number, replaces=replaced)
    elif document_type == "usage-report":
        own = _own(fr, "issued")
        document = ch.usage(own.number, [(own.items[0].id, 1, own.items[0].unit)])
    else:
        document = ch.cancellation(_delivered(fr, ch))
    envelope = ch.envelope(document, status=status)
    if not allowed:
        assert [f.code for f in validate(envelope).errors][:1] == ["EPX-108"]
    with fr.client("CH") as client:
        exchange = client.deliver(envelope)
    if allowed:
        assert_accepted(exchange)
    else:
        assert_rejected(exchange, "EPX-108")
