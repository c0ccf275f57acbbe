"""``epix simulate``: its options, the start-up listing, and a clean stop."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from epix.cli import main
from epix.messages.acknowledgement import parse_acknowledgement
from epix.partner import CATALOGUE
from epix.partner.faults import HOSTILE, LAPSES
from epix.pki import Pki
from epix.safexml import parse
from epix.transport import PartnerClient, client_context
from partner_helpers import Sender, acknowledgement_of, assert_accepted


def test_list_faults_names_each_fault_and_requirement(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    first, second = (index for index, line in enumerate(lines) if line == "")
    faults, hostile, lapses = lines[:first], lines[first + 1:second], lines[second + 1:]
    assert len(faults) == len(CATALOGUE)
    assert any(line.startswith("ack-unsigned") and "ACK-04" in line for line in faults)
    assert hostile[0].startswith("Hostile modes") and len(hostile) == 1 + len(HOSTILE)
    assert lapses[0].startswith("Lapses") and len(lapses) == 1 + len(LAPSES)
    assert lapses[1].startswith("no-epx-codes") and "§ 3.4" in lapses[1]


@pytest.mark.parametrize("arguments, message", [
    (["--fault", "no-such-fault"], "unknown fault no-such-fault"),
    (["--party", "fr"], "not a party ID"),
    (["--party", "IT"], "no material for IT"),
    (["--document-types", "export-permit,passport"], "unknown document type"),
    (["--workers", "0"], "between 1 and 32 worker processes"),
    (["--workers", "500"], "between 1 and 32 worker processes"),
])
def test_usage_errors_exit_2_with_a_sentence(pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             arguments: list[str], message: str) -> None:
    code = main(["simulate", "--pki", str(pki.root), "--db", str(tmp_path / "x.db"), "--port", "0", *arguments])
    assert code == 2
    assert message in capsys.readouterr().err


def _started(arguments: list[str]) -> tuple[subprocess.Popen, list[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "epix", "simulate", "--port", "0", *arguments],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line)
        if line.startswith("  document") and lines[-1].endswith(")\n") and "used" in line:
            found = re.search(r"listening on (https://\S+/epix/v1)", "".join(lines))
            return process, lines, found.group(1)
    process.kill()
    raise AssertionError("epix simulate did not start:\n" + "".join(lines))


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=20)
    assert process.returncode == 0, rest
    return rest


@pytest.mark.parametrize("workers", ["1", pytest.param("2", marks=pytest.mark.slow)])
def test_simulate_serves_logs_each_exchange_and_stops_cleanly(pki: Pki, tmp_path: Path, workers: str) -> None:
    documents = tmp_path / "documents.json"
    process, lines, base = _started(["--pki", str(pki.root), "--db", str(tmp_path / "fr.db"), "--ack", "async",
                                     "--documents-json", str(documents), "--workers", workers])
    try:
        listing = "".join(lines)
        assert "mutual TLS: on" in listing and "acknowledgements: async" in listing
        seeded = json.loads(documents.read_text())
        states = [d["state"] for d in seeded]
        assert states.count("issued") == 3 + 2 and all(d["token"] for d in seeded)  # + the expired, the replacement
        assert {"cancelled", "used", "replaced"} <= set(states)
        assert next(d for d in seeded if d["state"] == "replaced")["replaced_by"]
        context = client_context(pki.party("FR").ca, pki.party("CH").tls_client, pki.party("CH").tls_client_key)
        sender = Sender(pki)
        with PartnerClient(base, ssl_context=context) as client:
            received = client.deliver(sender.envelope(sender.permit()))
            assert received.status == 202
            final = client.wait_for_final_acknowledgement(acknowledgement_of(received).ref_to_message_id, deadline=10)
            assert acknowledgement_of(final).status == "Accepted"
    finally:
        rest = _stop(process)
    assert re.search(r"POST /epix/v1/envelopes from CH -> 202 Received", rest)
    assert re.search(r"GET /epix/v1/envelopes/\S+/acknowledgement from CH -> 200", rest)
    assert "epix simulate: stopped" in rest


def test_without_mutual_tls_the_party_header_names_the_caller(pki: Pki, tmp_path: Path) -> None:
    process, lines, base = _started(["--pki", str(pki.root), "--db", str(tmp_path / "fr.db"), "--no-mtls",
                                     "--fault", "ack-unsigned"])
    try:
        assert "EPIX-Party header" in "".join(lines) and "faults: ack-unsigned" in "".join(lines)
        sender = Sender(pki)
        with PartnerClient(base, ssl_context=client_context(pki.party("FR").ca), party="CH") as client:
            assert_accepted(client.deliver(sender.envelope(sender.permit())))
    finally:
        _stop(process)


@pytest.mark.slow
def test_a_missing_pki_is_made(tmp_path: Path) -> None:
    process, lines, _ = _started(["--pki", str(tmp_path / "pki"), "--db", str(tmp_path / "fr.db"), "--party", "CH",
                                  "--peers", "FR"])
    _stop(process)
    assert "making a test PKI for CH, FR" in "".join(lines)
    assert Pki.load(tmp_path / "pki").parties == ("CH", "FR")


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (read from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _workers(process: subprocess.Popen) -> set[int]:
    """The worker processes of ``epix simulate`` (not multiprocessing's resource tracker)."""
    return {pid for pid in _children(process.pid) if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()}


@pytest.mark.slow
def test_workers_share_the_port_and_the_database(pki: Pki, tmp_path: Path) -> None:
    process, lines, base = _started(["--pki", str(pki.root), "--db", str(tmp_path / "fr.db"), "--workers", "2"])
    sender = Sender(pki)
    context = client_context(pki.party("FR").ca, pki.party("CH").tls_client, pki.party("CH").tls_client_key)
    envelopes = [sender.envelope(sender.permit()) for _ in range(24)]

    def deliver_each_on_a_new_connection(batch: list[bytes]) -> list[tuple[int, bytes]]:
        answers = []
        for envelope in batch:
            with PartnerClient(base, ssl_context=context) as client:
                exchange = client.deliver(envelope)
                answers.append((exchange.status, exchange.response_body))
        return answers

    try:
        assert "2 worker processes share the port and the database" in "".join(lines)
        workers = _workers(process)
        assert len(workers) == 2
        with ThreadPoolExecutor(max_workers=8) as pool:
            first = [a for part in pool.map(deliver_each_on_a_new_connection, [envelopes[i::8] for i in range(8)])
                     for a in part]
            again = [a for part in pool.map(deliver_each_on_a_new_connection, [envelopes[i::8] for i in range(8)])
                     for a in part]
        assert [status for status, _ in first] == [200] * len(envelopes)
        assert again == first  # a repeat gets the same Acknowledgement, whichever worker stored it
    finally:
        rest = _stop(process)
    served = re.findall(r"\[(worker \d)\] POST /epix/v1/envelopes from CH -> 200 (Accepted|repeat: Accepted)", rest)
    assert len(served) == 2 * len(envelopes) and {worker for worker, _ in served} == {"worker 1", "worker 2"}
    assert [answer for _, answer in served].count("repeat: Accepted") == len(envelopes)
    assert not any(_alive(pid) for pid in workers)
    with sqlite3.connect(tmp_path / "fr.db") as db:
        assert db.execute("SELECT count(*) FROM envelopes").fetchone()[0] == len(envelopes)


@pytest.mark.slow
def test_when_a_worker_dies_the_others_are_stopped(pki: Pki, tmp_path: Path) -> None:
    process, _, base = _started(["--pki", str(pki.root), "--db", str(tmp_path / "fr.db"), "--workers", "2"])
    try:
        workers = _workers(process)
        os.kill(min(workers), signal.SIGKILL)
        rest, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 1
    assert re.search(r"epix simulate: worker \d stopped while serving \(exit code -9\)", rest)
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.slow
def test_workers_stop_when_the_parent_is_killed(pki: Pki, tmp_path: Path) -> None:
    process, _, _ = _started(["--pki", str(pki.root), "--db", str(tmp_path / "fr.db"), "--workers", "2"])
    workers = _workers(process)
    process.kill()
    process.communicate(timeout=10)
    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.slow
def test_workers_count_each_use_of_an_item_once(pki: Pki, tmp_path: Path) -> None:
    """Thirty clients, each on connections of its own so both workers serve, report one
    unit of the same item and then repeat the report: exactly as many are accepted as
    the item holds, the store counts each once, and every repeat gets the same answer."""
    documents = tmp_path / "documents.json"
    process, _, base = _started(["--pki", str(pki.root), "--db", str(tmp_path / "fr.db"), "--workers", "2",
                                 "--documents-json", str(documents)])
    document = next(d for d in json.loads(documents.read_text()) if d["state"] == "issued"
                    and d["document_type"] == "export-permit")
    item = max(document["items"], key=lambda i: float(i["quantity"]))
    sender = Sender(pki)
    reports = [sender.envelope(sender.usage(document["number"], [(item["id"], 1, item["unit"])])) for _ in range(30)]
    context = client_context(pki.party("FR").ca, pki.party("CH").tls_client, pki.party("CH").tls_client_key)
    barrier = threading.Barrier(len(reports))

    def report_twice(envelope: bytes) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
        answers = []
        for _ in range(2):
            with PartnerClient(base, ssl_context=context, timeout=60) as client:
                if not answers:
                    barrier.wait(timeout=30)
                exchange = client.deliver(envelope)
                answers.append((exchange.status, exchange.response_body))
        return answers[0], answers[1]

    try:
        with ThreadPoolExecutor(max_workers=len(reports)) as pool:
            results = list(pool.map(report_twice, reports))
    finally:
        rest = _stop(process)
    assert all(first == again for first, again in results)
    accepted = sum(1 for (status, _), _ in results if status == 200)
    assert accepted == min(len(reports), int(float(item["quantity"])))
    refused = [parse_acknowledgement(parse(body)) for (status, body), _ in results if status != 200]
    assert all(ack.status == "Rejected" and ack.errors[0].code in ("EPX-305", "EPX-308") for ack in refused)
    assert {worker for worker in re.findall(r"\[(worker \d)\] POST", rest)} == {"worker 1", "worker 2"}
    with sqlite3.connect(tmp_path / "fr.db") as db:
        inspected = db.execute("SELECT inspected FROM items WHERE number = ? AND item_id = ?",
                               (document["number"], item["id"])).fetchone()[0]
        assert float(inspected) == accepted
        assert db.execute("SELECT count(*) FROM envelopes").fetchone()[0] == len(reports)
