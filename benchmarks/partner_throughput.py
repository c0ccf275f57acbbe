"""Sustained accepted deliveries per second at the simulated partner, beside the rate of
bare sign+verify on the same machine in the same run.

Each delivery: a signed permit of 10 items (signed by CH), posted over HTTPS with mutual
TLS to ``epix simulate`` running in a process of its own; the partner verifies the
signature, validates the document, signs its Acknowledgement and commits it with the
document in SQLite (WAL, synchronous=FULL) before answering. Envelopes are made before
the clock starts; the clients run in this process.

    .venv/bin/python benchmarks/partner_throughput.py [--seconds 10] [--clients 1,16]

Prints a Markdown section for benchmarks/RESULTS.md. Not a test: it measures.
"""

from __future__ import annotations

import argparse
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
    """``epix simulate`` in its own process, on a free port."""

    def __init__(self, pki, folder: Path):  # noqa: ANN001
        self.pki = pki
        command = [sys.executable, "-m", "epix", "simulate", "--pki", str(pki.root), "--db",
                   str(folder / "fr.db"), "--port", "0"]
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

    def client(self, party: str, timeout: float) -> PartnerClient:
        return PartnerClient(self.base_url, ssl_context=self.context, timeout=timeout)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)


class InProcess:
    """The partner started with :func:`epix.partner.running_partner` in this process."""

    def __init__(self, pki):  # noqa: ANN001
        self._running = running_partner("FR", pki_dir=pki.root)
        self._partner = self._running.__enter__()

    def client(self, party: str, timeout: float) -> PartnerClient:
        return self._partner.client(party, timeout=timeout)

    def stop(self) -> None:
        self._running.__exit__(None, None, None)


def deliveries(partner, batch: list[bytes], clients: int) -> tuple[float, list[float], int]:  # noqa: ANN001
    """Deliver ``batch`` with ``clients`` concurrent clients; rate of accepted ones, latencies, rejections."""
    latencies: list[float] = []
    rejected = 0
    lock = threading.Lock()
    parts = [batch[i::clients] for i in range(clients)]

    def run(part: list[bytes]) -> None:
        nonlocal rejected
        with partner.client("CH", timeout=60) as client:
            client.status()  # the TLS handshake is not part of the measure
            for envelope in part:
                exchange = client.deliver(envelope)
                with lock:
                    latencies.append(exchange.elapsed)
                    rejected += exchange.status != 200
            client.exchanges.clear()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(run, parts))
    elapsed = time.perf_counter() - started
    return (len(batch) - rejected) / elapsed, latencies, rejected


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="rough length of each measure")
    parser.add_argument("--clients", default="1,16", help="comma-separated numbers of concurrent clients")
    parser.add_argument("--in-process", action="store_true",
                        help="run the partner in this process (clients and server then share one interpreter)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        pki = init_pki(["CH", "FR", "DE"], Path(scratch) / "pki")
        bare = bare_sign_verify(pki, args.seconds)
        rows = []
        partner = InProcess(pki) if args.in_process else Partner(pki, Path(scratch))
        try:
            warmup = envelopes(pki, 20, 1)
            deliveries(partner, warmup, 1)
            next_number = 100
            for clients in (int(c) for c in args.clients.split(",")):
                count = max(clients * 4, int(bare / 2 * args.seconds))
                batch = envelopes(pki, count, next_number)
                next_number += count
                rate, latencies, rejected = deliveries(partner, batch, clients)
                rows.append((clients, count, rate, statistics.median(latencies), percentile(latencies, 0.95), rejected))
        finally:
            partner.stop()
    where = "in the benchmark's process" if args.in_process else "`epix simulate` in its own process"
    print(f"### Simulated partner throughput ({time.strftime('%Y-%m-%d')}, {platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cores; partner: {where})\n")
    print(f"Bare sign+verify of a {ITEMS}-item permit (RSA-2048, one thread): **{bare:.0f} /s**; "
          f"target for accepted deliveries: a third of it, {bare / 3:.0f} /s.\n")
    print("| clients | deliveries | accepted /s | share of bare sign+verify | p50 latency | p95 latency | rejected |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for clients, count, rate, p50, p95, rejected in rows:
        print(f"| {clients} | {count} | {rate:.1f} | {rate / bare:.0%} | {p50 * 1000:.0f} ms | {p95 * 1000:.0f} ms "
              f"| {rejected} |")


if __name__ == "__main__":
    main()
