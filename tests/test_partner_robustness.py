"""Bad input never crashes the simulated partner or corrupts its store: malformed XML, huge
and chunked bodies, slow clients, wrong media types, entity bombs, random bytes, 50
concurrent clients, and kill -9 in the middle of a burst."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epix.partner import RunningPartner
from epix.pki import Pki
from epix.transport import PartnerClient, PartnerUnreachable, client_context
from hostile_xml import BILLION_LAUGHS, EXTERNAL_ENTITY
from partner_helpers import Sender, acknowledgement_of, assert_accepted, assert_rejected, start



@pytest.fixture(scope="module")
def shared(pki: Pki) -> Iterator[RunningPartner]:
    """One partner for the whole module (the tests check that it stays well)."""
    with start(pki) as running:
        yield running


@pytest.fixture
def client(shared: RunningPartner) -> Iterator[PartnerClient]:
    with shared.client("CH") as opened:
        yield opened


def _healthy(partner: RunningPartner, pki: Pki) -> None:
    """The partner still accepts a good delivery and its database is intact."""
    sender = Sender(pki)
    with partner.client("CH") as client:
        assert_accepted(client.deliver(sender.envelope(sender.permit())))
    with sqlite3.connect(partner.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("body", [
    b"", b"   ", b"<", b"<a><b></a>", b"\xff\xfe\x00<", b"<?xml version='1.0' encoding='bogus'?><a/>",
    b"<a>&undefined;</a>", "<a>\u00e9</a>".encode("latin-1"), BILLION_LAUGHS, EXTERNAL_ENTITY,
    b"<epx:Envelope xmlns:epx='urn:epix:pilot:envelope:1'/>", b"<a/>" * 3,
])
def test_malformed_bodies_are_refused_not_crashing(shared: RunningPartner, client: PartnerClient, pki: Pki,
                                                   body: bytes) -> None:
    exchange = client.deliver(body)
    ack = acknowledgement_of(exchange)
    assert ack.status == "Rejected" and exchange.status in (400, 422)
    assert ack.errors[0].code in ("EPX-100", "EPX-101")
    assert b"root:" not in exchange.response_body


def test_an_entity_bomb_is_refused_quickly(client: PartnerClient) -> None:
    started = time.perf_counter()
    assert_rejected(client.deliver(BILLION_LAUGHS), "EPX-100", 400)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("content_type", ["text/xml", "application/json", "text/plain", "application/soap+xml",
                                          "application/xml; charset=iso-8859-1", "multipart/form-data", ""])
def test_other_media_types_are_415(client: PartnerClient, content_type: str) -> None:
    assert_rejected(client.deliver(b"<a/>", headers={"Content-Type": content_type}), "EPX-102", 415)


def test_a_chunked_body_beyond_the_limit_is_413(shared: RunningPartner, client: PartnerClient, pki: Pki) -> None:
    chunk = b" " * (1024 * 1024)

    class Chunks:
        def __iter__(self):  # noqa: ANN204
            yield b"<x>"
            for _ in range(shared.config.max_body // len(chunk) + 2):
                yield chunk
            yield b"</x>"

    exchange = client._http.post(client.url("envelopes"), content=Chunks(), headers={"Content-Type": "application/xml"})
    assert exchange.status_code == 413
    _healthy(shared, pki)


def test_ten_mebibytes_are_accepted(shared: RunningPartner, client: PartnerClient, pki: Pki) -> None:
    sender = Sender(pki)
    conditions = ["Conditions of this permit, repeated to make a large document. " * 1000] * 170
    envelope = sender.envelope(sender.permit(special_conditions=conditions))
    assert len(envelope) > 10 * 1024 * 1024
    assert_accepted(client.deliver(envelope, timeout=60))


def test_a_slow_client_does_not_hold_up_the_others(shared: RunningPartner, pki: Pki) -> None:
    context = shared.ssl_context("CH")
    host, port = shared.server.host, shared.server.port
    with socket.create_connection((host, port)) as raw, context.wrap_socket(raw, server_hostname=host) as stalled:
        stalled.sendall(b"POST /epix/v1/envelopes HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
                        b"Content-Length: 100000\r\n\r\n<epx:Envelope")
        started = time.perf_counter()
        _healthy(shared, pki)
        assert time.perf_counter() - started < 5


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2048) | st.text(max_size=512).map(lambda t: f"<epx:Envelope>{t}".encode()))
def test_random_bytes_get_a_rejection(client: PartnerClient, body: bytes) -> None:
    exchange = client.deliver(body)
    assert 400 <= exchange.status < 500
    assert acknowledgement_of(exchange).status == "Rejected"


def test_fifty_concurrent_clients_deliver_and_repeat(pki: Pki) -> None:
    """Each client delivers a permit and a usage report of 1 unit of the same item, then
    repeats both: the item is used exactly as often as reports were accepted, and every
    repeat gets the very same Acknowledgement."""
    sender = Sender(pki)
    with start(pki) as partner:
        document = next(d for d in partner.documents() if d.state == "issued")
        item = max(document.items, key=lambda i: i.quantity)
        envelopes = [(sender.envelope(sender.permit()), sender.envelope(sender.usage(document.number, [(item.id, 1, item.unit)])))
                     for _ in range(50)]
        barrier = threading.Barrier(50)

        def client_run(pair: tuple[bytes, bytes]) -> list[tuple[int, bytes]]:
            with partner.client("CH", timeout=60) as client:
                barrier.wait(timeout=30)
                first = [client.deliver(envelope) for envelope in pair]
                again = [client.deliver(envelope) for envelope in pair]
            assert [(e.status, e.response_body) for e in again] == [(e.status, e.response_body) for e in first]
            return [(e.status, e.response_body) for e in first]

        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(client_run, envelopes))
        permits = [acknowledgement_of_body(r[0][1]).status for r in results]
        usages = [acknowledgement_of_body(r[1][1]) for r in results]
        accepted = sum(1 for ack in usages if ack.status == "Accepted")
        assert permits == ["Accepted"] * 50
        assert accepted == min(50, int(item.quantity))
        assert all(ack.errors[0].code in ("EPX-305", "EPX-308") for ack in usages if ack.status == "Rejected")
        used = next(d for d in partner.documents() if d.number == document.number)
        assert next(i for i in used.items if i.id == item.id).inspected == accepted
        with partner.endpoint.store.read() as session:
            assert session.count_envelopes() == 100  # every delivery kept exactly once
        _healthy(partner, pki)


def acknowledgement_of_body(body: bytes):  # noqa: ANN201
    from epix.messages.acknowledgement import parse_acknowledgement
    from epix.safexml import parse

    return parse_acknowledgement(parse(body))


def _simulate(pki: Pki, database: Path) -> tuple[subprocess.Popen, str]:
    """``epix simulate`` in a process of its own; returns it and its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "epix", "simulate", "--pki", str(pki.root), "--db", str(database), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        found = re.search(r"listening on (https://\S+/epix/v1)", line)
        if found:
            threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
            return process, found.group(1)
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError("epix simulate did not start")


@pytest.mark.slow
def test_kill_9_during_a_burst_loses_no_acknowledged_envelope(pki: Pki, tmp_path: Path) -> None:
    database = tmp_path / "fr.db"
    sender = Sender(pki)
    envelopes = [sender.envelope(sender.permit()) for _ in range(120)]
    context = client_context(pki.party("FR").ca, pki.party("CH").tls_client, pki.party("CH").tls_client_key)
    process, base = _simulate(pki, database)
    acknowledged: dict[bytes, bytes] = {}
    lock = threading.Lock()

    def burst(part: list[bytes]) -> None:
        with PartnerClient(base, ssl_context=context, timeout=10) as client:
            for envelope in part:
                try:
                    exchange = client.deliver(envelope)
                except PartnerUnreachable:
                    return
                if exchange.status == 200:
                    with lock:
                        acknowledged[envelope] = exchange.response_body

    threads = [threading.Thread(target=burst, args=(envelopes[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < 30 and any(t.is_alive() for t in threads):
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    for thread in threads:
        thread.join(timeout=30)
    assert 30 <= len(acknowledged) < len(envelopes)
    process, base = _simulate(pki, database)
    try:
        with PartnerClient(base, ssl_context=context, timeout=10) as client:
            for envelope, body in acknowledged.items():
                again = client.deliver(envelope)
                assert (again.status, again.response_body) == (200, body)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM envelopes").fetchone()[0] >= len(acknowledged)
