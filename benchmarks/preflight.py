"""Benchmark of ``epix preflight`` against the simulated partner (issue 11).

    python benchmarks/preflight.py [--rounds 20]

Starts the simulated partner as ``epix run`` does for ``fixtures/profiles/simulator.toml``
(its PKI made once, before the clock starts), then runs every check of the preflight
``--rounds`` times against it (DNS, TCP, two TLS handshakes, the status of both bindings
over mutual TLS, the clock, the CRL) and prints the median and the slowest round.
Target: well under a second against the local simulator (and under 10 s against any
reachable partner).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from epix.partner.suite import completed_profile, simulated_partner  # noqa: E402
from epix.preflight import Target, preflight  # noqa: E402
from epix.profile import load_profile  # noqa: E402

TARGET_SECONDS = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    profile = load_profile(ROOT / "fixtures" / "profiles" / "simulator.toml")
    with simulated_partner(profile) as running:
        target = Target.of(completed_profile(profile, running))
        seconds = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            report = preflight(target)
            seconds.append(time.perf_counter() - started)
            if report.failed or report.warnings:
                print(report.text(), file=sys.stderr)
                return 1
    median, slowest = statistics.median(seconds), max(seconds)
    print(f"| {args.rounds} | {len(report.lines)} | {median * 1000:.0f} ms | {slowest * 1000:.0f} ms |")
    print(f"target, the preflight well under {TARGET_SECONDS:g} s: {'met' if slowest < TARGET_SECONDS else 'missed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
