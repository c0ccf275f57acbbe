"""The self-test: the conformance suite against the simulated partner, conformant and broken.

Conformant, every scenario passes (none is skipped, except for a capability the
simulator does not claim). With each fault of the partner's switchboard, the suite
fails, and every failing scenario is tagged with the requirement the fault breaks: the
suite detects each fault, and blames the right requirement. The detection table is
printed and written to ``reports/selftest.md``.

Every run is a whole pytest session of the suite (``--profile`` with a ``[simulator]``
table naming the fault: its own partner, database and ports). The conformant run has
a process of its own. The runs of the faults share what does not change between them:
the PKI, made once, and two worker processes (``python tests/test_selftest.py
--worker``) that each start Python, pytest and the harness once and then run one
session after another, the faults that make the partner wait first. As each worker's
last run, the conformant partner passes again in full: the sessions before it left
nothing behind that changes an outcome. Run it alone, with the table on the terminal:
``python tests/test_selftest.py [FAULT …]``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from epix.commands.run import UNUSED_PLUGINS  # noqa: E402
from epix.partner.faults import CATALOGUE, Fault  # noqa: E402
from epix.report.labels import may_fail_for  # noqa: E402
from epix.report.outcomes import BROKEN, FAILED, NOT_CLAIMED, PASSED, RunOutcome  # noqa: E402
from epix.validation.schema import SECOND_OPINION_VARIABLE  # noqa: E402

SUITE = ROOT / "steps" / "test_conformance.py"
#: Deadlines of the self-test's profile: short, so that the faults that answer late
#: (slow-adapter, late-final-ack) show within a few seconds instead of a minute.
ANSWER_SECONDS = 1
ACKNOWLEDGEMENT_SECONDS = 1
#: Worker processes, one per core of the machines it runs on.
PARALLEL = 2
RUN_TIMEOUT = 900
_LOG_TAIL = 3000


@dataclass
class Detection:
    fault: Fault
    outcome: RunOutcome
    returncode: int
    log: str = ""
    seconds: float = 0.0
    failing: list = field(default_factory=list)
    unexpected: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.failing = [r for r in self.outcome.results if r.outcome in (FAILED, BROKEN)]
        self.unexpected = [r for r in self.failing if not may_fail_for(self.fault.requirement, r.requirements, r.needs)
                           or r.outcome == BROKEN]

    @property
    def detected(self) -> bool:
        """A scenario that checks the fault's requirement failed (one that only needs it is no detection)."""
        return any(self.fault.requirement in r.requirements for r in self.failing)

    @property
    def exact(self) -> bool:
        return self.detected and not self.unexpected


@dataclass
class Sweep:
    """The runs of the faults, and each worker's last run against the conformant partner."""

    detections: list[Detection]
    afterwards: list[tuple[RunOutcome, int, str]]


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


def _arguments(folder: Path, faults: tuple[str, ...]) -> list[str]:
    """pytest's arguments for one session of the suite, its files in ``folder``."""
    return [str(SUITE), "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
            "--profile", str(_profile(folder, faults)), "--epix-outcome", str(folder / "outcome.json"),
            "-p", "no:cacheprovider", "-q", "--no-header", "-p", "no:randomly", "--tb=line",
            *(option for plugin in UNUSED_PLUGINS for option in ("-p", f"no:{plugin}"))]


def _outcome(folder: Path) -> RunOutcome:
    path = folder / "outcome.json"
    return RunOutcome.load(path) if path.exists() else RunOutcome()


def _environment(pki: Path) -> dict[str, str]:
    """Every run also has xmlschema judge each message lxml judged (a disagreement breaks the scenario)."""
    return {**os.environ, "EPIX_SUITE_PKI": str(pki), SECOND_OPINION_VARIABLE: "1"}


def run_suite(faults: tuple[str, ...], pki: Path) -> tuple[RunOutcome, int, str]:
    """The suite against the simulated partner with ``faults``, in a process of its own."""
    with tempfile.TemporaryDirectory(prefix="epix-selftest-") as scratch:
        folder = Path(scratch)
        command = [sys.executable, "-m", "pytest", *_arguments(folder, faults)]
        done = subprocess.run(command, cwd=ROOT, env=_environment(pki), capture_output=True, text=True,
                              timeout=RUN_TIMEOUT)
        return _outcome(folder), done.returncode, done.stdout[-_LOG_TAIL:] + done.stderr[-_LOG_TAIL:]


class SuiteWorker:
    """A process that runs session after session of the suite, one per request (a JSON line
    on its standard input naming the faults and a folder; the answer is a JSON line)."""

    def __init__(self, pki: Path, scratch: Path):
        self.scratch = scratch
        self.errors = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log", dir=scratch, delete=False)
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker"], cwd=ROOT,
                                        env=_environment(pki), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.errors, text=True, bufsize=1)

    def run(self, faults: tuple[str, ...]) -> tuple[RunOutcome, int, str]:
        folder = Path(tempfile.mkdtemp(prefix="run-", dir=self.scratch))
        if self.process.poll() is not None:
            return RunOutcome(), -1, f"the worker had ended (exit {self.process.returncode}): {self._errors()}"
        self.process.stdin.write(json.dumps({"faults": list(faults), "folder": str(folder)}) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], RUN_TIMEOUT)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.process.kill()
            why = f"no answer within {RUN_TIMEOUT} s" if not ready else "the worker ended"
            return _outcome(folder), -1, f"{why}: {self._errors()}"
        answer = json.loads(line)
        return _outcome(folder), answer["returncode"], answer["log"]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.errors.close()

    def _errors(self) -> str:
        self.errors.flush()
        return Path(self.errors.name).read_text(errors="replace")[-_LOG_TAIL:]


def _serve_runs() -> None:
    """The worker's side (``--worker``): run the suite in this process for each request."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)  # nothing but the answers goes to the parent on standard output
    for line in sys.stdin:
        request = json.loads(line)
        output = io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            try:
                code = int(pytest.main(_arguments(Path(request["folder"]), tuple(request["faults"]))))
            except Exception:  # reported as the run's log; the worker takes the next request
                code = -1
                output.write(traceback.format_exc())
        answers.write(json.dumps({"returncode": code, "log": output.getvalue()[-_LOG_TAIL:]}) + "\n")


def prepare_pki(pki: Path) -> Path:
    """The simulator's PKI, made once before runs share it (parallel runs must not race to make it)."""
    from epix.pki import init_pki
    from steps.world import UNSERVED_PARTY

    init_pki(["FR", "CH", "DE", UNSERVED_PARTY], pki)
    return pki


def detect(faults: list[Fault], pki: Path) -> Sweep:
    """One session per fault, on :data:`PARALLEL` workers, the faults that make the partner
    wait first; the detections in the order of ``faults``."""
    prepare_pki(pki)
    waiting = deque(sorted(faults, key=lambda fault: not fault.waits))
    taking = threading.Lock()
    detections: dict[str, Detection] = {}
    afterwards: list[tuple[RunOutcome, int, str]] = []

    def work(scratch: Path) -> None:
        worker = SuiteWorker(pki, scratch)
        try:
            while True:
                with taking:
                    if not waiting:
                        break
                    fault = waiting.popleft()
                started = time.perf_counter()
                outcome, code, log = worker.run((fault.name,))
                detections[fault.name] = Detection(fault, outcome, code, log, seconds=time.perf_counter() - started)
            afterwards.append(worker.run(()))
        finally:
            worker.close()

    with tempfile.TemporaryDirectory(prefix="epix-selftest-") as scratch:
        threads = [threading.Thread(target=work, args=(Path(scratch),)) for _ in range(min(PARALLEL, len(faults)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return Sweep([detections[fault.name] for fault in faults], afterwards)


def not_passed(outcome: RunOutcome) -> list:
    """The scenarios of a run that did not pass (a capability not claimed is no failure)."""
    return [r for r in outcome.results if r.outcome not in (PASSED, NOT_CLAIMED)]


def detection_table(sweep: Sweep) -> str:
    detections = sweep.detections
    lines = ["| fault | breaks | failing scenarios | detected | only its requirement | seconds |",
             "|---|---|---|---|---|---|"]
    for d in detections:
        lines.append(f"| {d.fault.name} | {d.fault.requirement} | {len(d.failing)} | "
                     f"{'yes' if d.detected else 'NO'} | "
                     f"{'yes' if not d.unexpected else 'NO: ' + '; '.join(_short(r) for r in d.unexpected[:3])} | "
                     f"{d.seconds:.0f} |")
    detected = sum(d.detected for d in detections)
    exact = sum(d.exact for d in detections)
    lines.append(f"\n{detected} of {len(detections)} faults detected; {exact} blamed on their requirement alone.")
    for outcome, _, log in sweep.afterwards:
        problems = not_passed(outcome)
        lines.append(f"Conformant again after a worker's runs: {len(outcome.results) - len(problems)} of "
                     f"{len(outcome.results)} scenarios passed"
                     + ("." if outcome.results and not problems else
                        ": " + ("; ".join(_short(r) for r in problems[:3]) if problems else log[-500:])))
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
    problems = not_passed(outcome)
    assert not problems, "\n".join(f"{r.outcome}: {r.nodeid}: {r.message}" for r in problems)
    assert code == 0, log


@pytest.mark.slow
def test_every_fault_is_detected_by_the_scenarios_of_its_requirement(shared_pki: Path, capsys) -> None:
    sweep = detect(list(CATALOGUE), shared_pki)
    table = detection_table(sweep)
    path = _write_table(table)
    with capsys.disabled():
        print(f"\n{table}\n(written to {path})")
    missed = [d.fault.name for d in sweep.detections if not d.detected]
    assert not missed, f"faults no scenario detected: {', '.join(missed)}"
    blamed_wrongly = [d.fault.name for d in sweep.detections if d.unexpected]
    assert not blamed_wrongly, f"faults that failed scenarios of other requirements: {', '.join(blamed_wrongly)}"
    assert len(sweep.afterwards) == PARALLEL
    for outcome, code, log in sweep.afterwards:
        assert outcome.results and not not_passed(outcome) and code == 0, (
            f"after a worker's runs, the conformant partner no longer passed in full:\n{log}")


def test_a_detection_is_exact_only_when_every_failure_names_the_broken_requirement() -> None:
    from epix.report.outcomes import ScenarioResult

    fault = Fault("codelists-skipped", "DOC-02", "accepts coded values that are not in their code lists.")
    right = ScenarioResult("a", "A value", "documents", ["DOC-02"], "receive", FAILED, "DOC-02: …")
    wrong = ScenarioResult("b", "An ack", "acknowledgements", ["ACK-06"], "receive", FAILED, "ACK-06: …")
    needing = ScenarioResult("d", "An ack's status", "acknowledgements", ["ACK-06"], "receive", FAILED, "ACK-06: …",
                             needs=["DOC-02"])
    passed = ScenarioResult("c", "Fine", "documents", ["DOC-03"], "receive", PASSED)
    assert Detection(fault, RunOutcome([right, passed]), 1).exact
    assert not Detection(fault, RunOutcome([right, wrong]), 1).exact
    assert not Detection(fault, RunOutcome([passed]), 0).detected
    assert Detection(fault, RunOutcome([right, needing]), 1).exact
    assert not Detection(fault, RunOutcome([needing]), 1).detected


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        _serve_runs()
        sys.exit(0)
    names = sys.argv[1:]
    chosen = [f for f in CATALOGUE if not names or f.name in names]
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        print(detection_table(detect(chosen, Path(scratch) / "pki")))
        print(f"({len(chosen)} faults in {time.perf_counter() - started:.0f} s)")
