"""Parts of the simulated partner on their own: caller identity, the store, the
configuration, the ASGI app without a server, and POST /acknowledgements."""

from __future__ import annotations

import asyncio
import fcntl
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from epix import clock
from epix.messages.acknowledgement import build_acknowledgement
from epix.model import Acknowledgement
from epix.partner import PartnerConfig, partner_app
from epix.partner.faults import Faults
from epix.partner.identity import identify
from epix.partner.store import DocumentRecord, ItemRecord, Store
from epix.pki import Pki
from epix.safexml import to_bytes
from epix.signing import sign
from partner_helpers import Sender, acknowledgement_of, assert_accepted, assert_rejected, start


def _scope(pki: Pki | None = None, party: str | None = None, header: str | None = None) -> dict:
    scope: dict = {"type": "http", "headers": [], "extensions": {}}
    if pki is not None and party is not None:
        pem = pki.party(party).tls_client.read_text()
        scope["extensions"]["tls"] = {"client_cert_chain": [pem]}
    if header is not None:
        scope["headers"].append((b"epix-party", header.encode()))
    return scope


def test_identity_comes_from_the_certificate_with_mutual_tls(pki: Pki) -> None:
    assert identify(_scope(pki, "CH"), mtls=True).party == "CH"
    assert identify(_scope(pki, "CH", header="DE"), mtls=True).party == "CH"
    missing = identify(_scope(header="DE"), mtls=True)
    assert missing.party is None and "client certificate" in missing.problem
    assert identify(_scope(pki, "CH", header="DE"), mtls=True, header_trusted=True).party == "DE"


def test_identity_comes_from_the_header_without_mutual_tls() -> None:
    assert identify(_scope(header="US-FWS"), mtls=False).party == "US-FWS"
    assert identify(_scope(header="ch"), mtls=False).party is None
    assert "EPIX-Party" in identify(_scope(), mtls=False).problem


def test_the_store_keeps_documents_items_and_rolls_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    with store.write() as session:
        session.add_document(DocumentRecord("CH", "26CH000001", "export-permit", "issued", "T", None, False, None))
        session.replace_items("CH", "26CH000001", [ItemRecord(0, "A", Decimal("12"), "PCS", Decimal(0))])
        assert session.add_version("CH", "26CH000001", b"<a/>", message_id=None) == 1
    with pytest.raises(RuntimeError), store.write() as session:
        session.set_inspected("CH", "26CH000001", "A", Decimal(5))
        raise RuntimeError("abandon")
    with store.read() as session:
        assert session.items("CH", "26CH000001")[0].inspected == 0
        assert session.document("CH", "26CH000001").state == "issued"
        with pytest.raises(KeyError):
            session.update_document("CH", "26CH000001", own=True)
    store.close()
    reopened = Store(tmp_path / "p.db")
    with reopened.read() as session:
        assert [v.version for v in session.versions("CH", "26CH000001")] == [1]
    reopened.close()


def test_concurrent_writers_are_serialised(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    with store.write() as session:
        session.add_document(DocumentRecord("CH", "N", "export-permit", "issued", None, None, False, None))
        session.replace_items("CH", "N", [ItemRecord(0, "A", Decimal(1000), "PCS", Decimal(0))])

    def add_one() -> None:
        for _ in range(20):
            with store.write() as session:
                item = session.items("CH", "N")[0]
                session.set_inspected("CH", "N", "A", item.inspected + 1)

    threads = [threading.Thread(target=add_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.read() as session:
        assert session.items("CH", "N")[0].inspected == 160
    store.close()


def test_a_writer_holds_a_lock_that_other_processes_see(tmp_path: Path) -> None:
    """``epix simulate --workers`` runs several processes on one database: a write
    transaction holds an exclusive ``flock`` on the file beside it, which a writer of
    another process (another open file) waits for."""
    store = Store(tmp_path / "p.db")
    with open(tmp_path / "p.db.writer", "rb") as other:
        with store.write():
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once the transaction ended
        fcntl.flock(other, fcntl.LOCK_UN)
    store.close()


def test_the_configuration_refuses_what_the_profile_forbids(pki: Pki, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 10 MiB"):
        PartnerConfig("FR", pki.root, tmp_path / "x.db", max_body=1024)
    with pytest.raises(ValueError, match="unknown document type"):
        PartnerConfig("FR", pki.root, tmp_path / "x.db", document_types=("passport",))
    with pytest.raises(ValueError, match="ack mode"):
        PartnerConfig("FR", pki.root, tmp_path / "x.db", ack_mode="later")  # type: ignore[arg-type]


def test_the_app_runs_without_a_server(pki: Pki, tmp_path: Path) -> None:
    sender = Sender(pki)
    envelope = sender.envelope(sender.permit())
    config = PartnerConfig("FR", pki.root, tmp_path / "fr.db", mtls=False, faults=Faults())

    async def exchange(app) -> tuple[httpx.Response, httpx.Response]:  # noqa: ANN001
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://partner") as client:
            headers = {"EPIX-Party": "CH", "Content-Type": "application/xml"}
            delivered = await client.post("/epix/v1/envelopes", content=envelope, headers=headers)
            anonymous = await client.get("/epix/v1/permits/26FR000001")
            return delivered, anonymous

    with partner_app(config) as app:
        delivered, anonymous = asyncio.run(exchange(app))
    assert delivered.status_code == 200 and b"<epx:Status>Accepted</epx:Status>" in delivered.content
    assert anonymous.status_code == 403 and b"EPX-105" in anonymous.content


def _posted(pki: Pki, *, sender: str = "CH", recipient: str = "FR", signed: bool = True) -> bytes:
    ack = Acknowledgement(str(uuid.uuid4()), str(uuid.uuid4()), sender, recipient, "Accepted", clock.now())
    root = build_acknowledgement(ack)
    return to_bytes(sign(root, pki.signing_key(sender)) if signed else root)


def test_posted_acknowledgements_are_checked_and_kept(pki: Pki) -> None:
    with start(pki) as partner, partner.client("CH") as client:
        good = _posted(pki)
        assert client.post_acknowledgement(good).status == 200
        assert client.post_acknowledgement(good).status == 200
        assert_rejected(client.post_acknowledgement(_posted(pki, signed=False)), "EPX-200", 422)
        assert_rejected(client.post_acknowledgement(_posted(pki, sender="DE")), "EPX-105", 403)
        assert_rejected(client.post_acknowledgement(_posted(pki, recipient="DE")), "EPX-104", 422)
        assert_rejected(client.post_acknowledgement(b"<a"), "EPX-100", 400)
        assert_rejected(client.post_acknowledgement(good, headers={"Content-Type": "text/plain"}), "EPX-102", 415)
        with partner.endpoint.store.read() as session:
            assert len(session.posted_acknowledgements()) == 1


def test_a_reply_to_that_stays_unreachable_ends_failed(pki: Pki) -> None:
    sender = Sender(pki)
    with start(pki, reply_attempts=2, reply_backoff=0.05) as partner, partner.client("CH") as client:
        envelope = sender.envelope(sender.permit(), reply_to="https://127.0.0.1:9/epix/v1")
        message_id = assert_accepted(client.deliver(envelope)).ref_to_message_id
        for _ in range(200):
            with partner.endpoint.store.read() as session:
                state = session.envelope("CH", message_id).reply_state
            if state != "pending":
                break
            time.sleep(0.05)
        assert state == "failed"


def test_retrieval_needs_an_authenticated_caller(pki: Pki) -> None:
    with start(pki, mtls=False) as partner:
        number = partner.documents()[0].number
        with partner.client(None) as anonymous:
            assert_rejected(anonymous.permit(number), "EPX-105", 403)
            assert_rejected(anonymous.acknowledgement(str(uuid.uuid4())), "EPX-105", 403)
        with partner.client("CH") as client:
            assert client.permit(number).status == 200
            assert acknowledgement_of(client.acknowledgement(str(uuid.uuid4()))).errors[0].code == "EPX-110"


def test_an_unexpected_failure_is_500_epx_500_and_the_partner_goes_on(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    sender = Sender(pki)
    with start(pki) as partner, partner.client("CH") as client:
        def broken(body: bytes, identity) -> None:  # noqa: ANN001
            raise RuntimeError("the disk is on fire")

        monkeypatch.setattr(partner.endpoint.receiver, "deliver", broken)
        failed = client.deliver(sender.envelope(sender.permit()))
        assert_rejected(failed, "EPX-500", 500)
        assert b"disk" not in failed.response_body
        monkeypatch.undo()
        assert_accepted(client.deliver(sender.envelope(sender.permit())))
