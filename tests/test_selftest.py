"""The self-test: the conformance suite against the simulated partner, conformant and broken.

Conformant, every scenario passes (none is skipped, except for a capability the
simulator does not claim). With each fault of the partner's switchboard, the suite
fails, and every failing scenario is tagged with the requirement the fault breaks: the
suite detects each fault, and blames the right requirement. The detection table is
printed and written to ``reports/selftest-<mode>.md``.

Every run is a whole pytest session of the suite (``--profile`` with a ``[simulator]``
table naming the fault: its own partner, database and ports). The conformant run has
a process of its own. The runs of the faults share what does not change between them:
the PKI, made once, and a few worker processes (``python tests/test_selftest.py
--worker``) that each start Python, pytest and the harness once and then run one
session after another, the faults that make the partner wait first. As each worker's
last run, the conformant partner passes again in full: the sessions before it left
nothing behind that changes an outcome.

All of it runs in each of :data:`MODES` of the partner: final Acknowledgements in the
response (sync) or after a 202 (async), the caller named by its client certificate
(mutual TLS) or by the ``EPIX-Party`` header; and in the mode ``hub``, where the
simulator plays the EPIX hub with its own fault catalogue (:mod:`epix.hub.faults`) and
the sessions run only the hub's scenarios (``@capability:hub``, PULL-06). The sessions of
all modes share one queue and :data:`SWEEP_WORKERS` workers. A fault that does not apply in a mode is left out of
that mode's sweep, with the reason (:attr:`Mode.not_applicable`). Run it alone, with the table on the terminal:
``python tests/test_selftest.py [--mode NAME] [FAULT …]``.
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
from epix.hub.faults import CATALOGUE as HUB_CATALOGUE  # noqa: E402
from epix.partner.faults import CATALOGUE, LAPSE_NAMES, LAPSES, Fault  # noqa: E402
from epix.report.labels import may_fail_for  # noqa: E402
from epix.report.outcomes import (  # noqa: E402
    BROKEN, FAILED, NOT_CLAIMED, PASSED, SKIPPED, WARNING, RunOutcome, summary_table, warning_list,
)
from epix.validation.schema import SECOND_OPINION_VARIABLE  # noqa: E402

SUITE = ROOT / "steps" / "test_conformance.py"
#: Deadlines of the self-test's profile: short, so that the faults that answer late
#: (slow-adapter, late-final-ack) show within a few seconds instead of a minute.
ANSWER_SECONDS = 1
ACKNOWLEDGEMENT_SECONDS = 1
#: The acknowledgement deadline of a run whose fault waits past it (late-final-ack makes
#: every final Acknowledgement of the run wait for it): shorter still, so that the run
#: takes half the time. Only there: in the other runs an async final Acknowledgement on a
#: loaded machine must not look late.
WAITED_ACKNOWLEDGEMENT_SECONDS = 0.25
#: The seconds the simulated hub waits for the harness's adapters (PULL-06's timeout): short,
#: so that the timeout scenario and the hub that waits too long cost a few seconds.
HUB_ADAPTER_SECONDS = 1
#: The scenarios a session of the hub mode runs.
HUB_SCENARIOS = "@capability:hub"
#: Worker processes, one per core of the machines it runs on.
PARALLEL = 2
#: Workers of the sweep over every mode: one more than the cores, since a session spends
#: part of its time waiting (for a final Acknowledgement, a late answer of a fault) and
#: leaves a core idle; each worker's last runs are the conformant partner (or hub) in the
#: modes. Each worker peaks at about 0.7 GB.
SWEEP_WORKERS = PARALLEL + 1
RUN_TIMEOUT = 900
_LOG_TAIL = 3000


@dataclass(frozen=True)
class Mode:
    """How the simulated partner acknowledges and tells who is calling, and the faults that
    do not apply in that mode, each with the reason."""

    name: str
    acknowledgements: str
    mtls: bool
    not_applicable: tuple[tuple[str, str], ...] = ()
    #: Scenarios (by name) that do not apply in this mode and are skipped, with the reason.
    skipped: tuple[tuple[str, str], ...] = ()
    #: What the simulator plays: the partner, or the hub (whose sessions run only its scenarios).
    role: str = "partner"

    @property
    def catalogue(self) -> tuple:
        """The faults of what the simulator plays in this mode."""
        return HUB_CATALOGUE if self.role == "hub" else CATALOGUE

    def faults(self, faults: list[Fault]) -> list[Fault]:
        """``faults`` less those that do not apply in this mode, or belong to what it does not play."""
        left_out = dict(self.not_applicable)
        return [fault for fault in faults if fault.name not in left_out and fault in self.catalogue]


#: Binding A's faults in async mode: the acknowledgement mode is binding B's alone.
_BINDING_A_IN_ASYNC = tuple(
    (fault.name, f"{fault.requirement}: binding A answers in its SOAP responses, whatever the acknowledgement mode "
                 f"of binding B; the sync-mtls sweep runs it with the same adapter")
    for fault in CATALOGUE if fault.requirement.startswith("PULL-"))

MODES: tuple[Mode, ...] = (
    Mode("sync-mtls", "sync", True),
    Mode("async-mtls", "async", True, not_applicable=(
        ("retry-counted-twice",
         "ENV-06: the fault processes a delivery and only then answers it 503; in async mode the answer (202) "
         "comes before any processing, and the 503 the fault puts on the final Acknowledgement reaches the sender "
         "only by polling, which is no answer to retry: the fault has no first attempt to count twice"),
        *_BINDING_A_IN_ASYNC,
    )),
    Mode("sync-header", "sync", False, not_applicable=(
        ("party-header-trusted",
         "ENV-02: the fault takes the sender from the EPIX-Party header although mutual TLS is on; without "
         "mutual TLS the header is how every caller is named (test set-ups only), so the fault changes nothing"),
    ), skipped=(
        ("A partner that checks client certificates ignores the test header",
         "it checks a partner with mutual TLS on"),
    )),
    Mode("hub", "sync", True, role="hub"),
)
MODE = {mode.name: mode for mode in MODES}
DEFAULT_MODE = MODES[0]


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


def _profile(folder: Path, faults: tuple[str, ...], mode: Mode) -> Path:
    path = folder / "profile.toml"
    listed = ", ".join(f'"{f}"' for f in faults)
    if mode.role == "hub":
        path.write_text(textwrap.dedent(f"""\
            [profile]
            name = "self-test (hub): {' '.join(faults) or 'conformant'}"
            [us]
            party = "CH"
            [us.adapters]
            country = "FR"
            timeout = {HUB_ADAPTER_SECONDS}
            [simulator]
            role = "hub"
            faults = [{listed}]
            [timeouts]
            answer = {ANSWER_SECONDS}
            """))
        return path
    path.write_text(textwrap.dedent(f"""\
        [profile]
        name = "self-test ({mode.name}): {' '.join(faults) or 'conformant'}"
        [us]
        party = "CH"
        other_party = "DE"
        [simulator]
        party = "FR"
        faults = [{listed}]
        acknowledgements = "{mode.acknowledgements}"
        mtls = {'true' if mode.mtls else 'false'}
        [timeouts]
        answer = {ANSWER_SECONDS}
        acknowledgement = {_acknowledgement_seconds(faults)}
        """))
    return path


def _acknowledgement_seconds(faults: tuple[str, ...]) -> float:
    waited = {fault.name for fault in CATALOGUE if fault.waits and fault.requirement == "ACK-05"}
    return WAITED_ACKNOWLEDGEMENT_SECONDS if waited & set(faults) else ACKNOWLEDGEMENT_SECONDS


def _arguments(folder: Path, faults: tuple[str, ...], mode: Mode, tags: str | None = None) -> list[str]:
    """pytest's arguments for one session of the suite (``tags``: only those scenarios), its files in ``folder``."""
    return [str(SUITE), "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
            "--profile", str(_profile(folder, faults, mode)), "--epix-outcome", str(folder / "outcome.json"),
            "-p", "no:cacheprovider", "-q", "--no-header", "-p", "no:randomly", "--tb=line",
            *(option for plugin in UNUSED_PLUGINS for option in ("-p", f"no:{plugin}")),
            *([f"--tags={tags or HUB_SCENARIOS}"] if tags or mode.role == "hub" else [])]


def _outcome(folder: Path) -> RunOutcome:
    path = folder / "outcome.json"
    return RunOutcome.load(path) if path.exists() else RunOutcome()


def _environment(pki: Path) -> dict[str, str]:
    """Every run also has xmlschema judge each message lxml judged (a disagreement breaks the scenario)."""
    return {**os.environ, "EPIX_SUITE_PKI": str(pki), SECOND_OPINION_VARIABLE: "1"}


def run_suite(faults: tuple[str, ...], pki: Path, mode: Mode = DEFAULT_MODE,
              tags: str | None = None) -> tuple[RunOutcome, int, str]:
    """The suite (``tags``: those scenarios) against the simulated partner with ``faults``, in a process of its own."""
    with tempfile.TemporaryDirectory(prefix="epix-selftest-") as scratch:
        folder = Path(scratch)
        command = [sys.executable, "-m", "pytest", *_arguments(folder, faults, mode, tags)]
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

    def run(self, faults: tuple[str, ...], mode: Mode = DEFAULT_MODE) -> tuple[RunOutcome, int, str]:
        folder = Path(tempfile.mkdtemp(prefix="run-", dir=self.scratch))
        if self.process.poll() is not None:
            return RunOutcome(), -1, f"the worker had ended (exit {self.process.returncode}): {self._errors()}"
        self.process.stdin.write(json.dumps({"faults": list(faults), "folder": str(folder), "mode": mode.name}) + "\n")
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
                code = int(pytest.main(_arguments(Path(request["folder"]), tuple(request["faults"]),
                                                  MODE[request["mode"]])))
            except Exception:  # reported as the run's log; the worker takes the next request
                code = -1
                output.write(traceback.format_exc())
        answers.write(json.dumps({"returncode": code, "log": output.getvalue()[-_LOG_TAIL:]}) + "\n")


def prepare_pki(pki: Path) -> Path:
    """The simulator's PKI, made once before runs share it (parallel runs must not race to make it)."""
    from epix.pki import init_pki, with_hub
    from steps.world import UNSERVED_PARTY

    with_hub(init_pki(["FR", "CH", "DE", UNSERVED_PARTY], pki))
    return pki


def detect(faults: list[Fault], pki: Path, mode: Mode = DEFAULT_MODE) -> Sweep:
    """One session per fault that applies in ``mode``, on :data:`PARALLEL` workers, the
    faults that make the partner wait first; the detections in the order of ``faults``."""
    return detect_in_modes(faults, pki, (mode,), PARALLEL)[mode.name]


def detect_in_modes(faults: list[Fault], pki: Path, modes: tuple[Mode, ...] = MODES,
                    workers: int = SWEEP_WORKERS) -> dict[str, Sweep]:
    """The sweep of each of ``modes``, as one queue of sessions on ``workers`` workers: the
    faults that make the partner wait first, then the modes' sessions taken in turn, so
    that the async sessions (which mostly wait for final Acknowledgements) run beside the
    others (which mostly compute). Each worker's last run is the conformant partner in one
    of the modes, in turn (a worker takes several when there are more modes than workers)."""
    prepare_pki(pki)
    jobs = [(mode, fault) for mode in modes for fault in mode.faults(faults)]
    place = {fault.name: index for index, fault in enumerate(faults)}
    waiting = deque(sorted(jobs, key=lambda job: (not _waits(job[1]), place[job[1].name], modes.index(job[0]))))
    taking = threading.Lock()
    detections: dict[tuple[str, str], Detection] = {}
    afterwards: dict[str, list[tuple[RunOutcome, int, str]]] = {mode.name: [] for mode in modes}

    def work(scratch: Path, index: int) -> None:
        worker = SuiteWorker(pki, scratch)
        try:
            while True:
                with taking:
                    if not waiting:
                        break
                    mode, fault = waiting.popleft()
                started = time.perf_counter()
                outcome, code, log = worker.run((fault.name,), mode)
                detections[mode.name, fault.name] = Detection(fault, outcome, code, log,
                                                              seconds=time.perf_counter() - started)
            for last in modes[index::count]:
                afterwards[last.name].append(worker.run((), last))
        finally:
            worker.close()

    with tempfile.TemporaryDirectory(prefix="epix-selftest-") as scratch:
        count = max(1, min(workers, len(jobs)))
        threads = [threading.Thread(target=work, args=(Path(scratch), index)) for index in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return {mode.name: Sweep([detections[mode.name, fault.name] for fault in mode.faults(faults)],
                             afterwards[mode.name])
            for mode in modes}


def _waits(fault: Fault) -> bool:
    """Whether the simulator waits past a deadline with ``fault`` (its sessions take longer);
    the hub's faults do not say."""
    return getattr(fault, "waits", False)


def not_passed(outcome: RunOutcome, mode: Mode = DEFAULT_MODE) -> list:
    """The scenarios of a run that did not pass (a capability not claimed is no failure, nor
    the skip of a scenario that does not apply in ``mode``)."""
    skipped = {name for name, _ in mode.skipped}
    return [r for r in outcome.results if r.outcome not in (PASSED, NOT_CLAIMED)
            and not (r.outcome == SKIPPED and any(r.name.startswith(name) for name in skipped))]


def detection_table(sweep: Sweep, mode: Mode = DEFAULT_MODE) -> str:
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
        problems = not_passed(outcome, mode)
        lines.append(f"Conformant again after a worker's runs: {len(outcome.results) - len(problems)} of "
                     f"{len(outcome.results)} scenarios passed"
                     + ("." if outcome.results and not problems else
                        ": " + ("; ".join(_short(r) for r in problems[:3]) if problems else log[-500:])))
    return "\n".join(lines)


def _short(result) -> str:  # noqa: ANN001
    return f"{'/'.join(result.requirements)} {result.name[:60]} ({result.outcome}: {result.message[:120]})"


def _write_table(table: str, mode: Mode) -> Path:
    path = ROOT / "reports" / f"selftest-{mode.name}.md"
    path.parent.mkdir(exist_ok=True)
    left_out = "".join(f"\n- not applicable: {name}: {why}" for name, why in mode.not_applicable)
    how = ("the hub's scenarios" if mode.role == "hub" else
           f"{mode.acknowledgements} acknowledgements, {'mutual TLS' if mode.mtls else 'header identity'}")
    path.write_text(f"# Self-test: the suite against each fault of the simulated {mode.role} ({mode.name}: {how})\n"
                    f"{left_out}\n\n{table}\n")
    return path


@pytest.fixture(scope="module")
def shared_pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_pki(tmp_path_factory.mktemp("selftest-pki") / "pki")


_MODES = [pytest.param(mode, id=mode.name) for mode in MODES]


@pytest.mark.slow
@pytest.mark.parametrize("mode", _MODES)
def test_the_conformant_partner_passes_every_scenario(shared_pki: Path, mode: Mode) -> None:
    outcome, code, log = run_suite((), shared_pki, mode)
    assert outcome.results, f"the suite did not run:\n{log}"
    problems = not_passed(outcome, mode)
    assert not problems, "\n".join(f"{r.outcome}: {r.nodeid}: {r.message}" for r in problems)
    assert code == 0, log


@pytest.fixture(scope="module")
def sweeps(shared_pki: Path) -> dict[str, Sweep]:
    """The sweeps of every mode, run once as one queue (:func:`detect_in_modes`)."""
    started = time.perf_counter()
    swept = detect_in_modes([*CATALOGUE, *HUB_CATALOGUE], shared_pki)
    elapsed = time.perf_counter() - started
    for mode in MODES:
        table = detection_table(swept[mode.name], mode)
        path = _write_table(table, mode)
        busy = sum(d.seconds for d in swept[mode.name].detections)
        print(f"\n{mode.name}:\n{table}\n({len(swept[mode.name].detections)} faults, {busy:.0f} s of sessions; "
              f"written to {path})", file=sys.__stdout__)
    print(f"(the sweep of {len(MODES)} modes took {elapsed:.0f} s on {SWEEP_WORKERS} workers)", file=sys.__stdout__)
    return swept


@pytest.mark.slow
@pytest.mark.parametrize("mode", _MODES)
def test_every_fault_is_detected_by_the_scenarios_of_its_requirement(sweeps: dict[str, Sweep], mode: Mode) -> None:
    sweep = sweeps[mode.name]
    assert len(sweep.detections) == len(mode.catalogue) - len(mode.not_applicable)
    missed = [d.fault.name for d in sweep.detections if not d.detected]
    assert not missed, f"faults no scenario detected: {', '.join(missed)}"
    blamed_wrongly = [d.fault.name for d in sweep.detections if d.unexpected]
    assert not blamed_wrongly, f"faults that failed scenarios of other requirements: {', '.join(blamed_wrongly)}"
    assert sweep.afterwards, "no worker ran the conformant partner again after its runs"
    for outcome, code, log in sweep.afterwards:
        assert outcome.results and not not_passed(outcome, mode) and code == 0, (
            f"after a worker's runs, the conformant partner no longer passed in full:\n{log}")


#: What each lapse (:data:`epix.partner.faults.LAPSES`) is tried on: the scenarios that may
#: meet what it misses, and the beginnings of the steps whose check of it must warn.
LAPSE_SCENARIOS = {
    "no-epx-codes": ("@area:pull", ("Then the partner refuses the request", "And the partner still has no final version")),
    "no-service-state": ("@area:pull", ("Then the partner answers with its state",)),
}
PULL_FEATURE = ROOT / "features" / "pull.feature"


def scenarios_with(step: str | tuple[str, ...], feature: Path = PULL_FEATURE) -> set[str]:
    """The titles of the scenarios of ``feature`` that have a step beginning with ``step`` (or one of them)."""
    titles, title = set(), None
    for line in feature.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if text.startswith(("Scenario:", "Scenario Outline:")):
            title = text.partition(":")[2].strip()
        elif title and text.startswith(step):
            titles.add(title)
    return titles


def lapse_verdict(outcome: RunOutcome, warned: set[str], mode: Mode = DEFAULT_MODE) -> list[str]:
    """What is wrong with a run against a lapse (empty: nothing): a scenario that failed or
    broke, a scenario of ``warned`` (titles) that passed without a warning, or another that warned."""
    wrong = []
    for result in not_passed(outcome, mode):
        if result.outcome != WARNING:
            wrong.append(f"{result.outcome}: {result.name}: {result.message}")
    for result in outcome.results:
        title = result.name.split(" (", 1)[0]
        if result.outcome in (PASSED, WARNING) and (result.outcome == WARNING) != (title in warned):
            wrong.append(f"{result.outcome} {'without' if title in warned else 'with'} a warning: {result.name}")
    return wrong


@pytest.mark.slow
@pytest.mark.parametrize("lapse", [lapse.name for lapse in LAPSES])
@pytest.mark.parametrize("mode", [MODE["sync-mtls"], MODE["sync-header"]], ids=lambda mode: mode.name)
def test_a_lapse_fails_nothing_and_warns_where_its_recommendation_is_checked(shared_pki: Path, lapse: str,
                                                                             mode: Mode) -> None:
    tags, step = LAPSE_SCENARIOS[lapse]
    warned = scenarios_with(step)
    assert warned, f"no scenario of {PULL_FEATURE.name} has a step beginning {step!r}"
    outcome, code, log = run_suite((lapse,), shared_pki, mode, tags)
    assert outcome.results, f"the suite did not run:\n{log}"
    assert not lapse_verdict(outcome, warned, mode), "\n".join(lapse_verdict(outcome, warned, mode))
    assert all(r.warnings for r in outcome.results if r.outcome == WARNING)
    assert code == 0, log


def test_a_lapse_s_verdict_names_a_failure_a_missing_warning_and_a_stray_one() -> None:
    from epix.report.outcomes import ScenarioResult

    def result(name: str, outcome: str) -> ScenarioResult:
        return ScenarioResult(name, name, "pull", ["PULL-03"], "pull", outcome, "PULL-03: …",
                              warnings=["PULL-03: …"] if outcome == WARNING else [])

    warned = {"Refused"}
    assert lapse_verdict(RunOutcome([result("Refused (EPX-304)", WARNING), result("Served", PASSED)]), warned) == []
    assert lapse_verdict(RunOutcome([result("Refused (EPX-304)", PASSED)]), warned) == [
        "passed without a warning: Refused (EPX-304)"]
    assert lapse_verdict(RunOutcome([result("Served", WARNING)]), warned) == ["warning with a warning: Served"]
    assert lapse_verdict(RunOutcome([result("Refused", FAILED)]), warned) == ["failed: Refused: PULL-03: …"]


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
    chosen_mode = DEFAULT_MODE
    if names[:1] == ["--mode"]:
        chosen_mode, names = MODE[names[1]], names[2:]
    elif names and all(name in {f.name for f in HUB_CATALOGUE} for name in names):
        chosen_mode = MODE["hub"]
    chosen = [f for f in chosen_mode.catalogue if not names or f.name in names]
    for name in (n for n in names if n in LAPSE_NAMES):  # a lapse: nothing may fail, its checks warn
        with tempfile.TemporaryDirectory() as scratch:
            lapse_tags, lapse_step = LAPSE_SCENARIOS[name]
            ran, _, _ = run_suite((name,), prepare_pki(Path(scratch) / "pki"), chosen_mode, lapse_tags)
        wrong = lapse_verdict(ran, scenarios_with(lapse_step), chosen_mode)
        print(f"{name} ({lapse_tags}):\n{summary_table(ran)}\n\n{warning_list(ran)}\n\n"
              + ("as expected: nothing failed, each check of the recommendation warned" if ran.results and not wrong
                 else "NOT AS EXPECTED:\n" + "\n".join(wrong or ["no scenario ran"])))
    if names and not chosen:
        sys.exit(0)
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        print(detection_table(detect(chosen, Path(scratch) / "pki", chosen_mode), chosen_mode))
        print(f"({len(chosen)} faults in {time.perf_counter() - started:.0f} s)")
