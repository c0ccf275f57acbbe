"""Sustained accepted deliveries per second at the simulated partner, beside the rate of
bare sign+verify on the same machine in the same run.

Each delivery: a signed permit of 10 items (signed by CH), posted over HTTPS with mutual
TLS to ``epix simulate`` running in processes of its own (one, then two worker
processes); the partner verifies the signature, validates the document, signs its
Acknowledgement and commits it with the document in SQLite (WAL, synchronous=FULL)
before answering. Envelopes are made before the clock starts; the clients run in this
process, by default as lean as the standard library allows (``--client harness`` sends
with the harness's own ``PartnerClient`` instead). Bare sign+verify is measured just
before and just after each row's deliveries, since the machine's speed drifts.

    .venv/bin/python benchmarks/partner_throughput.py [--seconds 8] [--clients 1,16] [--workers 1,2]

Prints a Markdown section for benchmarks/RESULTS.md. Not a test: it measures.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from epix import clock
from epix.messages.envelope import build_envelope
from epix.messages.permit import build_permit
from epix.model import EnvelopeHeader
from epix.partner import running_partner
from epix.pki import init_pki
from epix.safexml import to_bytes
from epix.samples import sample_permit
from epix.signing import sign, verify
from epix.transport import PartnerClient, client_context

ITEMS = 10


def permit(pki, number: int):  # noqa: ANN001, ANN201
    facts = sample_permit("export-permit", number=f"26CH{number:06d}", issuer="CH", partner="FR", items=ITEMS)
    return facts, build_permit(facts)


def envelopes(pki, count: int, start: int) -> list[bytes]:  # noqa: ANN001
    key = pki.signing_key("CH")
    made = []
    for number in range(start, start + count):
        facts, document = permit(pki, number)
        header = EnvelopeHeader(str(uuid.uuid4()), "CH", "FR", "export-permit", facts.number, "issued", clock.now())
        made.append(to_bytes(build_envelope(header, sign(document, key))))
    return made


def bare_sign_verify(pki, seconds: float) -> float:  # noqa: ANN001
    """Sign+verify pairs per second on one thread (the same 10-item permit, the same key and trust store)."""
    key, trust = pki.signing_key("CH"), pki.trust_store
    _, document = permit(pki, 1)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        assert verify(sign(document, key), trust, sender="CH").passed
        done += 1
    return done / (time.perf_counter() - started)


class Partner:
    """``epix simulate`` in processes of its own, on a free port."""

    def __init__(self, pki, folder: Path, workers: int):  # noqa: ANN001
        command = [sys.executable, "-m", "epix", "simulate", "--pki", str(pki.root), "--db",
                   str(folder / "fr.db"), "--port", "0", "--workers", str(workers)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        seen = []
        for line in self.process.stdout:
            seen.append(line)
            found = re.search(r"listening on (https://\S+/epix/v1)", line)
            if found:
                self.base_url = found.group(1)
                break
        else:
            raise RuntimeError("epix simulate did not start:\n" + "".join(seen))
        threading.Thread(target=lambda: [None for _ in self.process.stdout], daemon=True).start()
        files = pki.party("CH")
        self.context = client_context(pki.party("FR").ca, files.tls_client, files.tls_client_key)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)


class InProcess:
    """The partner started with :func:`epix.partner.running_partner` in this process."""

    def __init__(self, pki):  # noqa: ANN001
        self._running = running_partner("FR", pki_dir=pki.root)
        partner = self._running.__enter__()
        self.base_url, self.context = partner.base_url, partner.ssl_context("CH")

    def stop(self) -> None:
        self._running.__exit__(None, None, None)


class LeanClient:
    """The load generator: one kept-alive HTTPS connection of the standard library (mutual
    TLS as CH), so that the client's own work takes as little as possible of each round trip."""

    label = "http.client, one kept-alive connection each"

    def __init__(self, base_url: str, context) -> None:  # noqa: ANN001
        address = urlsplit(base_url)
        self._path = f"{address.path}/envelopes"
        self._connection = http.client.HTTPSConnection(address.hostname, address.port, context=context, timeout=60)
        self._connection.request("GET", f"{address.path}/status")  # the TLS handshake is not part of the measure
        self._connection.getresponse().read()

    def deliver(self, envelope: bytes) -> tuple[int, float]:
        started = time.perf_counter()
        self._connection.request("POST", self._path, body=envelope, headers={"Content-Type": "application/xml"})
        response = self._connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started

    def close(self) -> None:
        self._connection.close()


class HarnessClient:
    """The harness's own :class:`PartnerClient` (httpx), as the conformance suite sends."""

    label = "the harness's PartnerClient (httpx)"

    def __init__(self, base_url: str, context) -> None:  # noqa: ANN001
        self._client = PartnerClient(base_url, ssl_context=context, timeout=60)
        self._client.status()

    def deliver(self, envelope: bytes) -> tuple[int, float]:
        exchange = self._client.deliver(envelope)
        self._client.exchanges.clear()
        return exchange.status, exchange.elapsed

    def close(self) -> None:
        self._client.close()


CLIENTS = {"lean": LeanClient, "harness": HarnessClient}


def deliveries(partner, batch: list[bytes], clients: int, kind: type) -> tuple[float, list[float], int]:  # noqa: ANN001
    """Deliver ``batch`` with ``clients`` concurrent clients; rate of accepted ones, latencies, rejections."""
    latencies: list[float] = []
    rejected = 0
    lock = threading.Lock()
    parts = [batch[i::clients] for i in range(clients)]

    def run(part: list[bytes]) -> None:
        nonlocal rejected
        client = kind(partner.base_url, partner.context)
        try:
            for envelope in part:
                status, elapsed = client.deliver(envelope)
                with lock:
                    latencies.append(elapsed)
                    rejected += status != 200
        finally:
            client.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(run, parts))
    elapsed = time.perf_counter() - started
    return (len(batch) - rejected) / elapsed, latencies, rejected


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(partner, pki, clients: int, kind: type, seconds: float, first_number: int,  # noqa: ANN001
            expected: float) -> dict:
    """One row: deliveries by ``clients`` clients, with bare sign+verify measured just before
    and just after them (the machine's speed drifts; the mean of both is the row's bare rate)."""
    count = max(clients * 4, int(expected * seconds))
    batch = envelopes(pki, count, first_number)
    before = bare_sign_verify(pki, seconds / 2)
    rate, latencies, rejected = deliveries(partner, batch, clients, kind)
    after = bare_sign_verify(pki, seconds / 2)
    return {"clients": clients, "count": count, "rate": rate, "bare": (before + after) / 2,
            "p50": statistics.median(latencies), "p95": percentile(latencies, 0.95), "rejected": rejected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="rough length of each measure")
    parser.add_argument("--clients", default="1,16", help="comma-separated numbers of concurrent clients")
    parser.add_argument("--workers", default="1,2",
                        help="comma-separated numbers of worker processes of `epix simulate` (default 1,2)")
    parser.add_argument("--client", choices=sorted(CLIENTS), default="lean",
                        help="lean: http.client connections (default); harness: the harness's PartnerClient (httpx)")
    parser.add_argument("--in-process", action="store_true",
                        help="run the partner in this process (clients and server then share one interpreter)")
    args = parser.parse_args()
    clients, kind = [int(c) for c in args.clients.split(",")], CLIENTS[args.client]
    setups = ["in process"] if args.in_process else [int(w) for w in args.workers.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        pki = init_pki(["CH", "FR", "DE"], Path(scratch) / "pki")
        expected = bare_sign_verify(pki, 2.0) / 2  # only sizes the batches
        next_number = 1
        for setup in setups:
            folder = Path(scratch) / f"partner-{setup}".replace(" ", "-")
            folder.mkdir()
            partner = InProcess(pki) if setup == "in process" else Partner(pki, folder, setup)
            try:
                deliveries(partner, envelopes(pki, 20, next_number), 1, kind)  # warm-up
                next_number += 20
                for count in clients:
                    row = measure(partner, pki, count, kind, args.seconds, next_number, expected)
                    next_number += row["count"]
                    rows.append({"setup": setup, **row})
            finally:
                partner.stop()
    print(f"### Simulated partner throughput ({time.strftime('%Y-%m-%d')}, {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cores; clients: {kind.label})\n")
    print("| partner | clients | deliveries | accepted /s | bare sign+verify /s | share of bare | p50 latency "
          "| p95 latency | rejected |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {_setup(row['setup'])} | {row['clients']} | {row['count']} | {row['rate']:.1f} | {row['bare']:.0f} "
              f"| {row['rate'] / row['bare']:.0%} | {row['p50'] * 1000:.0f} ms | {row['p95'] * 1000:.0f} ms "
              f"| {row['rejected']} |")
    below = [row for row in rows if row["rate"] < row["bare"] / 3]
    print("\nTarget, accepted deliveries at least a third of bare sign+verify: "
          + ("met in every row." if not below else
             "not met with " + "; ".join(f"{r['clients']} client(s), {_setup(r['setup'])}" for r in below) + "."))


def _setup(setup: int | str) -> str:
    if setup == 1:
        return "1 process"
    return setup if isinstance(setup, str) else f"{setup} worker processes"

if __name__ == "__main__":
    main()
