"""`epix run`: exit codes 0/1/2/3, one clear line for a bad profile or an unreachable partner."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from epix.pki import init_pki

ROOT = Path(__file__).resolve().parents[1]
#: `epix` as the console script runs it (python -m epix.cli would load epix.cli twice).
_MAIN = "import sys; from epix.cli import main; sys.exit(main(sys.argv[1:]))"


def _epix(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _MAIN, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def _simulator(folder: Path, *, faults: str = "", capabilities: str | None = None) -> Path:
    path = folder / "sim.toml"
    extra = f"capabilities = [{capabilities}]\n" if capabilities is not None else ""
    path.write_text(f'[us]\nparty = "CH"\nother_party = "DE"\n[simulator]\nparty = "FR"\nfaults = [{faults}]\n{extra}')
    return path


def test_a_claimed_scenario_that_passes_exits_0(tmp_path: Path) -> None:
    done = _epix("run", "--profile", str(_simulator(tmp_path)), "--tags", "@LIF-02", "--report-dir",
                 str(tmp_path / "run"), "--no-html")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[1/1] ok          LIF-02" in done.stdout
    assert "All areas" in done.stdout and (tmp_path / "run" / "junit.xml").exists()


def test_a_partner_defect_exits_1_and_says_how_to_run_it_again(tmp_path: Path) -> None:
    done = _epix("run", "--profile", str(_simulator(tmp_path, faults='"status-incomplete"')), "--tags", "@LIF-02",
                 "--report-dir", str(tmp_path / "run"), "--no-html")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED (partner defect)  LIF-02" in done.stdout
    assert "does not list cancellation" in done.stdout
    assert "re-run: pytest --profile" in done.stdout


def test_a_scenario_that_misses_only_a_recommendation_passes_with_a_warning_and_exits_0(tmp_path: Path) -> None:
    """Against a partner whose binding-A faults name no EPX code (section 3.4: RECOMMENDED)."""
    import json

    from lxml import etree

    done = _epix("run", "--profile", str(_simulator(tmp_path, faults='"no-epx-codes"')), "--tags",
                 "@PULL-03 or @PULL-02", "--report-dir", str(tmp_path / "run"), "--no-html")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning     PULL-03           A request that names the wrong permit" in done.stdout
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("Area"))
    assert header.split()[:3] == ["Area", "Passed", "Warning"]
    assert next(line for line in lines if line.startswith("All areas")).split()[2:5] == ["2", "2", "0"]
    assert ("PASSED WITH A WARNING  PULL-03  A request that names the wrong permit reveals nothing (that permit with "
            "a wrong security token; EPX-309)\n    warning: PULL-03: the fault names no EPX code (RECOMMENDED: EPX-309)"
            in done.stdout)
    assert "FAILED" not in done.stdout
    outcome = json.loads((tmp_path / "run" / "outcome.json").read_text())["results"]
    warned = [entry for entry in outcome if entry["outcome"] == "warning"]
    assert len(warned) == 2 and all(entry["warnings"] for entry in warned)
    assert all(entry["outcome"] == "passed" and not entry["warnings"] for entry in outcome if entry not in warned)
    properties = [(p.get("name"), p.get("value")) for p in etree.parse(str(tmp_path / "run" / "junit.xml")).iter("property")]
    assert sorted(properties) == [("warning", "PULL-03: the fault names no EPX code (RECOMMENDED: EPX-304)"),
                                  ("warning", "PULL-03: the fault names no EPX code (RECOMMENDED: EPX-309)")]


def test_scenarios_of_an_unclaimed_capability_are_skipped_as_not_claimed(tmp_path: Path) -> None:
    profile = _simulator(tmp_path, capabilities='"receive", "pull"')
    done = _epix("run", "--profile", str(profile), "--tags", "@LIF-01", "--report-dir", str(tmp_path / "run"),
                 "--no-html")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not claimed" in done.stdout and " ok " not in done.stdout
    total = next(line for line in done.stdout.splitlines() if line.startswith("All areas")).split()
    passed, warning, failed, waived, broken, not_claimed = total[2:8]
    assert (passed, warning, failed, waived, broken) == ("0", "0", "0", "0", "0") and int(not_claimed) > 0


@pytest.mark.parametrize(("content", "sentence"), [
    ('[us]\nparty = "CH"\n[simulator]\nparty = "FR"\nfault = []\n',
     "simulator.fault is not a field of simulator; did you mean simulator.faults?"),
    ('[us]\n[simulator]\n', "us.party is missing: give our test party ID"),
    ('[us]\nparty = "CH"\n[partner]\nparty = "FR"\ncapabilities = ["receive"]\ntrust_anchors = ["none.pem"]\n'
     '[partner.binding_b]\nurl = "https://x.example"\n', "partner.trust_anchors[0]: the file"),
])
def test_a_wrong_profile_exits_2_naming_the_field(tmp_path: Path, content: str, sentence: str) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text(content)
    done = _epix("run", "--profile", str(profile), "--report-dir", str(tmp_path / "run"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert sentence in done.stderr
    assert "Traceback" not in done.stderr and "scenarios to run" not in done.stdout


def test_a_broken_tag_expression_exits_2(tmp_path: Path) -> None:
    done = _epix("run", "--profile", str(_simulator(tmp_path)), "--tags", "@SIG-02 and", "--report-dir",
                 str(tmp_path / "run"))
    assert done.returncode == 2 and "--tags '@SIG-02 and' ends too early" in done.stderr


def test_tags_that_match_nothing_exit_2(tmp_path: Path) -> None:
    done = _epix("run", "--profile", str(_simulator(tmp_path)), "--tags", "@NO-SUCH-TAG", "--report-dir",
                 str(tmp_path / "run"), "--no-html")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no scenario matched --tags" in done.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_partner_exits_3_with_one_clear_message(tmp_path: Path) -> None:
    pki = init_pki(["CH", "FR"], tmp_path / "pki")
    ours, theirs = pki.party("CH"), pki.party("FR")
    profile = tmp_path / "remote.toml"
    profile.write_text(textwrap.dedent(f"""\
        [us]
        party = "CH"
        client_certificate = "{ours.tls_client}"
        client_key = "{ours.tls_client_key}"
        signing_certificate = "{ours.signing}"
        signing_key = "{ours.signing_key}"
        [partner]
        party = "FR"
        capabilities = ["receive", "retrieve"]
        trust_anchors = ["{theirs.ca}"]
        [partner.binding_b]
        url = "https://127.0.0.1:{_free_port()}/epix/v1"
        [timeouts]
        connect = 2
        """))
    run = ("run", "--profile", str(profile), "--tags", "@envelope or @LIF-02", "--report-dir", str(tmp_path / "run"),
           "--no-html")
    stopped = _epix(*run)
    assert stopped.returncode == 3, stopped.stdout + stopped.stderr
    assert "fail  TCP 127.0.0.1:" in stopped.stdout and "connection refused" in stopped.stdout
    assert "no scenario ran" in stopped.stderr and "Traceback" not in stopped.stdout + stopped.stderr
    done = _epix(*run, "--no-preflight")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "BROKEN" in done.stdout
    lines = [line for line in done.stdout.splitlines() if line.startswith("The partner was unreachable")]
    assert len(lines) == 1 and "connection refused" in lines[0], done.stdout
    assert "Traceback" not in done.stdout + done.stderr
