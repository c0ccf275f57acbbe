"""`epix run` against a hostile partner: the simulator in each hostile mode
(:data:`epix.partner.faults.HOSTILE`), with short deadlines and a few scenarios that touch
the probe and both bindings. Whatever the partner does, the run ends in time, stays
bounded in memory, writes its results and report, blames the partner (exit 1: failed,
never broken or unreachable) and prints no traceback. The runs skip the preflight (which
would stop them before any scenario: tests/test_preflight.py shows what it says against
each mode), and ``clock-skew``, which only the preflight sees, has no run here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from epix.partner.faults import CATALOGUE, HOSTILE, Faults, listing
from epix.report.outcomes import BROKEN, FAILED, RunOutcome

ROOT = Path(__file__).resolve().parents[1]
_MAIN = "import sys; from epix.cli import main; sys.exit(main(sys.argv[1:]))"

#: The profile's ``[timeouts] answer``; each exchange may take it plus the harness's grace
#: (``steps/world.py``: 5 s).
ANSWER_SECONDS = 1
EXCHANGE_SECONDS = ANSWER_SECONDS + 5
#: The probe (binding B status), binding B (a status, a delivery accepted, one rejected:
#: a Rejected Acknowledgement) and binding A (ServiceState).
TAGS = "@LIF-02 or @ACK-01 or @PULL-01"
SCENARIOS = 4
#: Python, pytest, the PKI, the partner and the HTML report (Node.js), on a slow machine.
START_UP_SECONDS = 120
MEMORY_LIMIT = 500 * 1024 * 1024
HTML_LIMIT = 20 * 1024 * 1024

#: Modes whose behaviour breaks no rule by itself: what they test comes with a fault that
#: fails a scenario on it. A 5 MB error text must not blow up the failure's message.
WITH_FAULT = {"huge-error-text": (("wrong-code-for-untrusted-certificate",), "@SIG-04", 3)}
#: Modes that no scenario sees, only the preflight (tests/test_preflight.py), with the reason.
PREFLIGHT_ONLY = {"clock-skew": "no scenario reads the partner's HTTP Date header"}
#: The most a run may print, and write as junit.xml, whatever the partner sends.
TEXT_LIMIT = 1024 * 1024


def _profile(folder: Path, mode: str) -> Path:
    path = folder / "hostile.toml"
    faults = ", ".join(f'"{name}"' for name in (mode, *WITH_FAULT.get(mode, ((), "", 0))[0]))
    path.write_text(f'[profile]\nname = "hostile: {mode}"\n[us]\nparty = "CH"\nother_party = "DE"\n'
                    f'[simulator]\nparty = "FR"\nfaults = [{faults}]\n'
                    f'[timeouts]\nanswer = {ANSWER_SECONDS}\nacknowledgement = {ANSWER_SECONDS}\n')
    return path


def _run(folder: Path, mode: str, limit: float) -> tuple[int, str, int, float]:
    """`epix run` in a process of its own: exit code, output, peak memory (bytes) of the
    process and its children, seconds. Killed at ``limit`` seconds."""
    out = folder / "output.txt"
    _, extra_tags, _ = WITH_FAULT.get(mode, ((), "", 0))
    tags = f"{TAGS} or {extra_tags}" if extra_tags else TAGS
    command = [sys.executable, "-c", _MAIN, "run", "--profile", str(_profile(folder, mode)), "--tags", tags,
               "--report-dir", str(folder / "run"), "--no-preflight"]
    started = time.monotonic()
    with out.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    timer = threading.Timer(limit, lambda: _kill(process.pid))
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)  # this child's own peak, not the test session's
    finally:
        timer.cancel()
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, out.read_text(errors="replace"), usage.ru_maxrss * 1024, seconds


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow
@pytest.mark.parametrize("mode", [mode.name for mode in HOSTILE if mode.name not in PREFLIGHT_ONLY])
def test_a_hostile_partner_fails_the_run_in_time_and_within_bounds(tmp_path: Path, mode: str) -> None:
    limit = (SCENARIOS + WITH_FAULT.get(mode, ((), "", 0))[2] + 1) * EXCHANGE_SECONDS + START_UP_SECONDS
    code, output, memory, seconds = _run(tmp_path, mode, limit)
    assert len(output) < TEXT_LIMIT, f"the run against {mode} printed {len(output):,} characters"
    assert seconds < limit, f"the run against {mode} took {seconds:.0f} s (killed at {limit} s):\n{output[-3000:]}"
    assert memory < MEMORY_LIMIT, f"the run against {mode} peaked at {memory / 2 ** 20:.0f} MB"
    assert "Traceback" not in output, output[-5000:]
    run = tmp_path / "run"
    assert (run / "junit.xml").is_file() and (run / "outcome.json").is_file(), output[-3000:]
    assert (run / "junit.xml").stat().st_size < TEXT_LIMIT, f"junit.xml of {mode} is too large"
    html = run / "allure-report"
    assert html.is_dir() and any(html.rglob("*.html")), output[-3000:]
    assert _size(html) < HTML_LIMIT, f"the HTML report of {mode} is {_size(html) / 2 ** 20:.1f} MB"
    outcome = RunOutcome.load(run / "outcome.json")
    assert outcome.results, output[-3000:]
    broken = [f"{r.name}: {r.message[:200]}" for r in outcome.results if r.outcome == BROKEN]
    assert not broken, f"the harness, not the partner, was blamed with {mode}:\n" + "\n".join(broken)
    assert any(r.outcome == FAILED for r in outcome.results), output[-3000:]
    assert code == 1, f"exit {code} against {mode}:\n{output[-3000:]}"


def test_the_hostile_modes_are_switched_on_like_faults_and_listed_apart() -> None:
    names = {mode.name for mode in HOSTILE}
    assert len(HOSTILE) == 9 and len(CATALOGUE) == 64
    assert not names & {fault.name for fault in CATALOGUE}
    assert Faults(["trickle", "ack-unsigned"]).hostile == {"trickle"}
    listed = listing()
    faults_part, hostile_part = listed.split("Hostile modes", 1)
    assert all(name not in faults_part.split() for name in names)
    assert all(name in hostile_part for name in names)
