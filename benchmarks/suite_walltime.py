"""Wall time of the whole conformance suite against the simulated partner, beside the time
of the same HTTP exchanges made by a bare httpx loop, in the same run.

    python benchmarks/suite_walltime.py

1. Runs the suite (``pytest --profile fixtures/profiles/simulator.toml``, in process, with
   the Allure and junit output and the plugins `epix run` uses) and records every request
   it makes.
2. Starts a fresh simulated partner on the same PKI and replays those requests, byte for
   byte, with one plain ``httpx.Client`` (mutual TLS as CH), timing only the loop.

Targets (issue 4): the suite in under 30 s on the 2-core machine, and the suite's time
under 5 times the bare exchanges' (the harness's overhead per scenario: building,
signing, checking, reporting).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import pytest  # noqa: E402

from epix.commands.run import UNUSED_PLUGINS  # noqa: E402
from epix.transport import client as transport_client  # noqa: E402

TARGET_SECONDS = 30.0
TARGET_RATIO = 5.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Capture:
    """Records every request the transport clients send while the suite runs."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._original = transport_client._HttpEndpoint._record

    def __enter__(self) -> _Capture:
        capture = self

        def record(endpoint, exchange) -> None:  # noqa: ANN001
            parts = urlsplit(exchange.url)
            capture.requests.append(Request(exchange.method, parts.path + (f"?{parts.query}" if parts.query else ""),
                                            dict(exchange.request_headers), exchange.request_body))
            capture._original(endpoint, exchange)

        transport_client._HttpEndpoint._record = record
        return self

    def __exit__(self, *exc: object) -> None:
        transport_client._HttpEndpoint._record = self._original


def run_suite(folder: Path) -> tuple[float, int, list[Request]]:
    outcome = folder / "outcome.json"
    arguments = [str(ROOT / "steps" / "test_conformance.py"), "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
                 "--profile", str(ROOT / "fixtures" / "profiles" / "simulator.toml"),
                 "--alluredir", str(folder / "allure-results"), "--junitxml", str(folder / "junit.xml"),
                 "--epix-outcome", str(outcome), "-p", "no:terminal", "-p", "no:cacheprovider",
                 *(option for plugin in UNUSED_PLUGINS for option in ("-p", f"no:{plugin}"))]
    with _Capture() as capture:
        started = time.perf_counter()
        pytest.main(arguments)
        wall = time.perf_counter() - started
    from epix.report.outcomes import RunOutcome

    return wall, len(RunOutcome.load(outcome).results), capture.requests


def replay(requests: list[Request], pki_dir: Path) -> float:
    from epix.partner import running_partner
    from epix.transport import client_context

    with running_partner("FR", pki_dir=pki_dir, peers=("CH", "DE"), seed=24) as partner:
        files = partner.pki.party("CH")
        context = client_context(partner.server_ca, files.tls_client, files.tls_client_key)
        origin = partner.base_url.split("/epix/", 1)[0]
        with httpx.Client(verify=context, timeout=30, trust_env=False) as bare:
            started = time.perf_counter()
            for request in requests:
                headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
                bare.request(request.method, origin + request.path, content=request.body or None, headers=headers)
            return time.perf_counter() - started


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="epix-walltime-") as scratch:
        folder = Path(scratch)
        os.environ["EPIX_SUITE_PKI"] = str(folder / "pki")
        from epix.pki import init_pki
        from steps.world import UNSERVED_PARTY

        init_pki(["FR", "CH", "DE", UNSERVED_PARTY], folder / "pki")
        wall, scenarios, requests = run_suite(folder)
        bare = replay(requests, folder / "pki")
    ratio = wall / bare if bare else float("inf")
    print(f"suite: {scenarios} scenarios, {len(requests)} exchanges, wall time {wall:.1f} s "
          f"(target < {TARGET_SECONDS:.0f} s: {'met' if wall < TARGET_SECONDS else 'NOT met'})")
    print(f"bare httpx loop, same {len(requests)} exchanges: {bare:.1f} s")
    print(f"per scenario: suite {wall / scenarios * 1000:.0f} ms, bare exchanges {bare / scenarios * 1000:.0f} ms, "
          f"harness overhead {(wall - bare) / scenarios * 1000:.0f} ms; suite/bare = {ratio:.2f} "
          f"(target < {TARGET_RATIO:.0f}: {'met' if ratio < TARGET_RATIO else 'NOT met'})")
    return 0 if wall < TARGET_SECONDS and ratio < TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
