"""The self-test: the conformance suite against the simulated partner, conformant and broken.

Conformant, every scenario passes (none is skipped for want of a test document). With
each fault of the partner's switchboard, the suite fails, and every failing scenario
is tagged with the requirement the fault breaks: the suite detects each fault, and
blames the right requirement. The detection table is printed and written to
``reports/selftest.md``.

Each run is its own pytest process (``--profile`` with a ``[simulator]`` table naming
the fault), two at a time; the PKI is made once and shared. Run it alone, with the
table on the terminal: ``python tests/test_selftest.py [FAULT …]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from epix.partner.faults import CATALOGUE, Fault  # noqa: E402
from epix.report.outcomes import FAILED, BROKEN, PASSED, RunOutcome  # noqa: E402

SUITE = ROOT / "steps" / "test_conformance.py"
#: Deadlines of the self-test's profile: short, so that the faults that answer late
#: (slow-adapter, late-final-ack) show within a few seconds instead of a minute.
ANSWER_SECONDS = 1
ACKNOWLEDGEMENT_SECONDS = 1
PARALLEL = 2
RUN_TIMEOUT = 900


@dataclass
class Detection:
    fault: Fault
    outcome: RunOutcome
    returncode: int
    log: str = ""
    failing: list = field(default_factory=list)
    unexpected: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.failing = [r for r in self.outcome.results if r.outcome in (FAILED, BROKEN)]
        self.unexpected = [r for r in self.failing
                           if self.fault.requirement not in r.requirements or r.outcome == BROKEN]

    @property
    def detected(self) -> bool:
        return bool(self.failing)

    @property
    def exact(self) -> bool:
        return self.detected and not self.unexpected


def _profile(folder: Path, faults: tuple[str, ...]) -> Path:
    path = folder / "profile.toml"
    listed = ", ".join(f'"{f}"' for f in faults)
    path.write_text(textwrap.dedent(f"""\
        [profile]
        name = "self-test: {' '.join(faults) or 'conformant'}"
        [us]
        party = "CH"
        other_party = "DE"
        [simulator]
        party = "FR"
        faults = [{listed}]
        [timeouts]
        answer = {ANSWER_SECONDS}
        acknowledgement = {ACKNOWLEDGEMENT_SECONDS}
        """))
    return path


def run_suite(faults: tuple[str, ...], pki: Path) -> tuple[RunOutcome, int, str]:
    """The suite against the simulated partner with ``faults``: each scenario's outcome."""
    with tempfile.TemporaryDirectory(prefix="epix-selftest-") as scratch:
        folder = Path(scratch)
        outcome_file = folder / "outcome.json"
        command = [sys.executable, "-m", "pytest", str(SUITE), "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
                   "--profile", str(_profile(folder, faults)), "--epix-outcome", str(outcome_file),
                   "-p", "no:cacheprovider", "-q", "--no-header", "-p", "no:randomly", "--tb=line"]
        env = {**os.environ, "EPIX_SUITE_PKI": str(pki)}
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        outcome = RunOutcome.load(outcome_file) if outcome_file.exists() else RunOutcome()
        return outcome, done.returncode, done.stdout[-3000:] + done.stderr[-3000:]


def prepare_pki(pki: Path) -> Path:
    """The simulator's PKI, made once before runs share it (parallel runs must not race to make it)."""
    from epix.pki import init_pki
    from steps.world import UNSERVED_PARTY

    init_pki(["FR", "CH", "DE", UNSERVED_PARTY], pki)
    return pki


def detect(faults: list[Fault], pki: Path) -> list[Detection]:
    prepare_pki(pki)

    def one(fault: Fault) -> Detection:
        outcome, code, log = run_suite((fault.name,), pki)
        return Detection(fault, outcome, code, log)

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(one, faults))


def detection_table(detections: list[Detection]) -> str:
    lines = ["| fault | breaks | failing scenarios | detected | only its requirement |",
             "|---|---|---|---|---|"]
    for d in detections:
        lines.append(f"| {d.fault.name} | {d.fault.requirement} | {len(d.failing)} | "
                     f"{'yes' if d.detected else 'NO'} | "
                     f"{'yes' if not d.unexpected else 'NO: ' + '; '.join(_short(r) for r in d.unexpected[:3])} |")
    detected = sum(d.detected for d in detections)
    exact = sum(d.exact for d in detections)
    lines.append(f"\n{detected} of {len(detections)} faults detected; {exact} blamed on their requirement alone.")
    return "\n".join(lines)


def _short(result) -> str:  # noqa: ANN001
    return f"{'/'.join(result.requirements)} {result.name[:60]} ({result.outcome}: {result.message[:120]})"


def _write_table(table: str) -> Path:
    path = ROOT / "reports" / "selftest.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text("# Self-test: the suite against each fault of the simulated partner\n\n" + table + "\n")
    return path


@pytest.fixture(scope="module")
def shared_pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_pki(tmp_path_factory.mktemp("selftest-pki") / "pki")


@pytest.mark.slow
def test_the_conformant_partner_passes_every_scenario(shared_pki: Path) -> None:
    outcome, code, log = run_suite((), shared_pki)
    assert outcome.results, f"the suite did not run:\n{log}"
    not_passed = [r for r in outcome.results if r.outcome != PASSED]
    assert not not_passed, "\n".join(f"{r.outcome}: {r.nodeid}: {r.message}" for r in not_passed)
    assert code == 0, log


@pytest.mark.slow
def test_every_fault_is_detected_by_the_scenarios_of_its_requirement(shared_pki: Path, capsys) -> None:
    detections = detect(list(CATALOGUE), shared_pki)
    table = detection_table(detections)
    path = _write_table(table)
    with capsys.disabled():
        print(f"\n{table}\n(written to {path})")
    missed = [d.fault.name for d in detections if not d.detected]
    assert not missed, f"faults no scenario detected: {', '.join(missed)}"
    blamed_wrongly = [d.fault.name for d in detections if d.unexpected]
    assert not blamed_wrongly, f"faults that failed scenarios of other requirements: {', '.join(blamed_wrongly)}"


def test_a_detection_is_exact_only_when_every_failure_names_the_broken_requirement() -> None:
    from epix.report.outcomes import ScenarioResult

    fault = Fault("codelists-skipped", "DOC-02", "accepts coded values that are not in their code lists.")
    right = ScenarioResult("a", "A value", "documents", ["DOC-02"], "receive", FAILED, "DOC-02: …")
    wrong = ScenarioResult("b", "An ack", "acknowledgements", ["ACK-06"], "receive", FAILED, "ACK-06: …")
    passed = ScenarioResult("c", "Fine", "documents", ["DOC-03"], "receive", PASSED)
    assert Detection(fault, RunOutcome([right, passed]), 1).exact
    assert not Detection(fault, RunOutcome([right, wrong]), 1).exact
    assert not Detection(fault, RunOutcome([passed]), 0).detected


if __name__ == "__main__":
    names = sys.argv[1:]
    chosen = [f for f in CATALOGUE if not names or f.name in names]
    with tempfile.TemporaryDirectory() as scratch:
        print(detection_table(detect(chosen, Path(scratch) / "pki")))
