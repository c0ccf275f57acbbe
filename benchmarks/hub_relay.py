"""Benchmark of the simulated hub: a call through the hub to a simulated adapter, beside
the same call made to the adapter directly, measured side by side in one run.

    python benchmarks/hub_relay.py            # print the table and the target
    python benchmarks/hub_relay.py --write    # and replace this script's section of RESULTS.md

One hub (``start_hub``, the PKI's parties' own adapters behind it, in this process) on a
test PKI made in a temporary folder. Each side is one kept-alive ``httpx.Client`` with
mutual TLS as FR and TCP_NODELAY (as the hub's own client): through the hub, the hub interface's call (3.2) to
``/api/v1/soap_api/action``; directly, the adapter interface's request (3.1) to CH's
adapter. Both sides ask for the same thing (``ServiceState``, and
``GetNonFinalCitesCertificate`` of one signed permit of CH) and both answers are checked.
Rounds alternate between the sides so that a busy machine slows both alike; the median
of the rounds' mean latencies is reported.

Target (issue 10): a call through the hub takes at most 2 times the direct call.
Exit status 1 with ``--fail-on-miss`` when it is missed. Only the section between this
script's markers in RESULTS.md is replaced.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from epix.hub.running import HubConfig, start_hub  # noqa: E402
from epix.messages import soap  # noqa: E402
from epix.messages.hub_soap import build_call, call_headers  # noqa: E402
from epix.pki import HUB_PARTY, init_pki  # noqa: E402
from epix.transport import client_context  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN = "<!-- benchmarks/hub_relay.py: begin (generated, do not edit by hand) -->"
END = "<!-- benchmarks/hub_relay.py: end -->"
TARGET_RATIO = 2.0


def mean_latency(call: Callable[[], None], calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) / calls


def side_by_side(through_hub: Callable[[], None], direct: Callable[[], None], *, rounds: int,
                 calls: int) -> tuple[float, float]:
    for warm in (through_hub, direct):
        mean_latency(warm, 5)
    hub_times, direct_times = [], []
    for _ in range(rounds):
        hub_times.append(mean_latency(through_hub, calls))
        direct_times.append(mean_latency(direct, calls))
    return statistics.median(hub_times), statistics.median(direct_times)


def client(ca: Path, certificate: Path, key: Path) -> httpx.Client:
    """A kept-alive client with mutual TLS and TCP_NODELAY (as the hub's own client to its adapters)."""
    context = client_context(ca, certificate, key)
    transport = httpx.HTTPTransport(verify=context, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    return httpx.Client(verify=context, transport=transport, trust_env=False, timeout=10)


def checked(response: httpx.Response, settings: soap.SoapSettings) -> None:
    if response.status_code != 200:
        raise SystemExit(f"the benchmark's call failed: HTTP {response.status_code} {response.text[:300]}")
    soap.parse_response(response.content, settings)


def measure(rounds: int, calls: int) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory(prefix="epix-bench-hub-") as scratch:
        pki = init_pki(["CH", "FR", HUB_PARTY], Path(scratch) / "pki")
        with start_hub(HubConfig(pki_dir=pki.root)) as hub:
            adapter = hub.partners["CH"]
            settings = adapter.config.soap
            document = next(d for d in adapter.documents() if d.state == "issued")
            fr = pki.party("FR")
            to_hub, to_adapter = (client(ca, fr.tls_client, fr.tls_client_key)
                                  for ca in (hub.server_ca, adapter.server_ca))
            results = {}
            with to_hub, to_adapter:
                for op, parameters in (("ServiceState", {}),
                                       ("GetNonFinalCitesCertificate", {"number": document.number,
                                                                        "token": document.token})):
                    hub_body = build_call(op, country="CH", **parameters)
                    direct_body = soap.build_request(op, settings, country="CH", **parameters)

                    def through_hub(body: bytes = hub_body, op: str = op) -> None:
                        checked(to_hub.post(hub.action_url, content=body, headers=call_headers(op)), settings)

                    def direct(body: bytes = direct_body, op: str = op) -> None:
                        checked(to_adapter.post(adapter.soap_url, content=body,
                                                headers=soap.request_headers(op, settings)), settings)

                    results[op] = side_by_side(through_hub, direct, rounds=rounds, calls=calls)
            return results


def render(results: dict[str, tuple[float, float]], rounds: int, calls: int) -> tuple[str, bool]:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        BEGIN,
        "## Simulated hub: a call through the hub beside the direct call (`benchmarks/hub_relay.py`)",
        "",
        f"Run {now} on {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}, httpx {httpx.__version__}. One kept-alive client per side (TCP_NODELAY), mutual TLS as FR; "
        f"median of {rounds} alternating rounds of {calls} calls each.",
        "",
        "| operation | through the hub | direct to the adapter | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    ok = True
    for op, (through, direct) in results.items():
        ratio = through / direct
        ok = ok and ratio <= TARGET_RATIO
        lines.append(f"| {op} | {through * 1000:.2f} ms | {direct * 1000:.2f} ms | {ratio:.2f}x |")
    lines += [
        "",
        f"Target, a call through the hub at most {TARGET_RATIO:g} times the direct call: "
        f"{'met' if ok else 'NOT met'}.",
        "",
        "Through the hub: TLS to the hub, the call read as wash_out read it, the checks of section 3.2, the "
        "adapter interface's request built, the hub's own kept-alive client to the adapter (mutual TLS as "
        "XX-HUB), the answer looked at for a fault and relayed unchanged. That is two HTTPS exchanges where the "
        "direct call is one: for ServiceState, where the adapter does next to nothing, the ratio cannot be far "
        "below 2; for a permit, the adapter's own work (its store, the permit's XML) counts on both sides.",
        END,
    ]
    return "\n".join(lines), ok


def write(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--write", action="store_true", help="replace this benchmark's section of RESULTS.md")
    parser.add_argument("--fail-on-miss", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    section, ok = render(measure(args.rounds, args.calls), args.rounds, args.calls)
    print(section)
    if args.write:
        write(section)
    return 1 if args.fail_on_miss and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
