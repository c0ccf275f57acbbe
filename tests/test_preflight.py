"""``epix preflight`` against a real simulated partner over HTTPS, with each set-up mistake:
an expired (or soon expiring) server certificate, a wrong trust anchor, our client
certificate refused, a skewed clock (the partner's ``clock-skew`` mode), a stale CRL, an
unreachable CRL distribution point, nothing listening, a host name that does not resolve.
Each is named in its line with the fix, and the exit code is ``epix run``'s for that kind
of problem."""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from epix import clock
from epix.cli import main
from epix.exits import Exit
from epix.partner import RunningPartner
from epix.partner.faults import HOSTILE
from epix.pki import Pki, issue_tls_server
from epix.preflight import FAIL, OK, SKIP, WARN, Binding, Report, Target, preflight
from epix.preflight.services import Asked
from epix.preflight.skew import skew
from epix.transport import Exchange
from epix.profile import load_profile
from partner_helpers import partner, start  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[1]
#: The bound of the issue for a preflight against a reachable partner (and one that finds nothing
#: listening): a bound, not a speed target (benchmarks/preflight.py measures it).
QUICK_SECONDS = 10.0


def profile_for(folder: Path, pki: Pki, *, binding_a: str | None, binding_b: str | None,
                anchors: tuple[Path, ...] | None = None, crls: tuple[Path, ...] | None = None,
                client: tuple[Path, Path] | None = None, connect: float = 2, answer: float = 3,
                mtls: bool = True) -> Path:
    """A profile of a remote partner FR at these URLs, with CH's files of ``pki`` (or those given)."""
    ours, theirs = pki.party("CH"), pki.party("FR")
    certificate, key = client or (ours.tls_client, ours.tls_client_key)
    anchors = anchors if anchors is not None else (theirs.ca,)
    crls = crls if crls is not None else (theirs.crl,)

    def paths(values: tuple[Path, ...]) -> str:
        return ", ".join(f'"{value}"' for value in values)

    claims = [*(['"pull"'] if binding_a else []), *(['"receive"'] if binding_b else [])]
    text = (f'[us]\nparty = "CH"\nclient_certificate = "{certificate}"\nclient_key = "{key}"\n'
            f'signing_certificate = "{ours.signing}"\nsigning_key = "{ours.signing_key}"\n'
            f'[partner]\nparty = "FR"\ncapabilities = [{", ".join(claims)}]\n'
            f'trust_anchors = [{paths(anchors)}]\ncrls = [{paths(crls)}]\nmtls = {str(mtls).lower()}\n'
            + (f'[partner.binding_a]\nurl = "{binding_a}"\n' if binding_a else "")
            + (f'[partner.binding_b]\nurl = "{binding_b}"\n' if binding_b else "")
            + f"[timeouts]\nconnect = {connect}\nanswer = {answer}\n")
    path = folder / "partner.toml"
    path.write_text(text, encoding="utf-8")
    return path


def of_partner(folder: Path, running: RunningPartner, pki: Pki | None = None, **settings: object) -> Path:
    return profile_for(folder, pki or running.pki, binding_a=running.soap_url, binding_b=running.base_url, **settings)


def checked(profile: Path) -> Report:
    return preflight(Target.of(load_profile(profile)))


def line(report: Report, check: str):  # noqa: ANN201 - epix.preflight.Line
    found = [one for one in report.lines if one.check.startswith(check)]
    assert found, f"no line {check!r}:\n{report.text()}"
    return found[0]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_pki(pki: Pki, tmp_path: Path) -> Pki:
    """A copy of the session PKI whose FR server certificate a test may replace."""
    shutil.copytree(pki.root, tmp_path / "pki")
    return Pki.load(tmp_path / "pki")


def reissue_server_certificate(pki: Pki, **options: object) -> None:
    files = pki.party("FR")
    files.tls_server.unlink()
    files.tls_server_key.unlink()
    now = clock.now()
    options.setdefault("not_before", now - timedelta(days=400))
    options.setdefault("not_after", now + timedelta(days=400))
    issue_tls_server(files, files.directory / "tls-server", **options)


# ----- everything ok -----

def test_a_conformant_partner_passes_every_check_quickly(partner: RunningPartner, tmp_path: Path) -> None:
    started = time.perf_counter()
    report = checked(of_partner(tmp_path, partner))
    seconds = time.perf_counter() - started
    assert [one.verdict for one in report.lines] == [OK] * len(report.lines), report.text()
    checks = [one.check.split(" ")[0] for one in report.lines]
    assert checks == ["DNS", "TCP", "TLS", "server", "client", "client", "binding", "binding", "clock", "CRL"]
    assert "TLSv1.3" in line(report, "TLS").finding
    assert "party FR" in line(report, "binding B").finding
    assert "agrees with ours" in line(report, "clock").finding
    assert "names no CRL distribution point; read the profile's file" in line(report, "CRL").finding
    assert report.exit_code() == Exit.OK
    assert seconds < QUICK_SECONDS


def test_the_command_prints_one_line_per_check_and_exits_0(partner: RunningPartner, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["preflight", "--profile", str(of_partner(tmp_path, partner))])
    out = capsys.readouterr().out
    assert code == Exit.OK, out
    assert out.splitlines()[-1] == "preflight: 10 ok"


def test_the_command_masks_the_profiles_secrets(partner: RunningPartner, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    profile = of_partner(tmp_path, partner)
    with profile.open("a", encoding="utf-8") as extra:
        extra.write('[report]\nsecrets = ["available"]\n')  # what ServiceState answers
    assert main(["preflight", "--profile", str(profile)]) == Exit.OK
    out = capsys.readouterr().out
    assert "ServiceState answered '***'" in out and "available" not in out, out


# ----- the partner's server certificate -----

def test_an_expired_server_certificate_is_named(own_pki: Pki, tmp_path: Path) -> None:
    now = clock.now()
    reissue_server_certificate(own_pki, not_before=now - timedelta(days=400), not_after=now - timedelta(days=3))
    with start(own_pki) as running:
        report = checked(of_partner(tmp_path, running))
    found = line(report, "server certificate")
    assert found.verdict == FAIL, report.text()
    assert "expired on" in found.finding and "3 days ago" in found.finding
    assert "renew its TLS server certificate" in found.fix
    assert line(report, "binding B").verdict == SKIP
    assert report.exit_code() == Exit.USAGE


def test_a_server_certificate_that_expires_within_30_days_is_a_warning(own_pki: Pki, tmp_path: Path) -> None:
    reissue_server_certificate(own_pki, not_after=clock.now() + timedelta(days=12, hours=1))
    with start(own_pki) as running:
        report = checked(of_partner(tmp_path, running))
    found = line(report, "server certificate")
    assert found.verdict == WARN, report.text()
    assert "expires in 12 days" in found.finding and "renew" in found.fix
    assert report.exit_code() == Exit.OK


def test_a_wrong_trust_anchor_is_named(partner: RunningPartner, pki: Pki, tmp_path: Path) -> None:
    report = checked(of_partner(tmp_path, partner, anchors=(pki.party("DE").ca,)))
    found = line(report, "server certificate")
    assert found.verdict == FAIL, report.text()
    assert "issued by 'CN=FR Pilot CA" in found.finding
    assert "does not chain to the profile's trust anchors" in found.finding and "CN=DE Pilot CA" in found.finding
    assert "partner.trust_anchors" in found.fix
    assert report.exit_code() == Exit.USAGE


# ----- our client certificate -----

def test_our_client_certificate_refused_is_named(partner: RunningPartner, pki: Pki, tmp_path: Path) -> None:
    foreign = pki.party("CH").bad("foreign-tls-client")
    report = checked(of_partner(tmp_path, partner, client=foreign))
    refused = [one for one in report.lines if one.check == "client certificate" and one.verdict == FAIL]
    assert refused, report.text()
    assert "did not answer a request made with our client certificate" in refused[0].finding
    assert "Foreign CA" in refused[0].finding
    assert "register our CA" in refused[0].fix
    assert line(report, "server certificate").verdict == OK
    assert report.exit_code() == Exit.USAGE


def test_without_mutual_tls_no_client_certificate_is_checked(pki: Pki, tmp_path: Path) -> None:
    with start(pki, mtls=False) as running:
        report = checked(of_partner(tmp_path, running, mtls=False))
    assert report.exit_code() == Exit.OK and not report.warnings, report.text()
    assert "client certificate" not in [one.check for one in report.lines]
    assert "party FR" in line(report, "binding B").finding


# ----- the clock -----

def test_a_partner_clock_six_minutes_off_fails(pki: Pki, tmp_path: Path) -> None:
    with start(pki, faults=["clock-skew"]) as running:
        report = checked(of_partner(tmp_path, running))
    found = line(report, "clock")
    assert found.verdict == FAIL, report.text()
    assert "6 min" in found.finding and "ahead of ours" in found.finding and "NTP" in found.fix
    assert [one.check for one in report.failed] == ["clock"]
    assert report.exit_code() == Exit.USAGE


@pytest.mark.parametrize(("seconds", "verdict"), [(0, OK), (-90, OK), (121, WARN), (-299, WARN), (301, FAIL),
                                                  (-3600, FAIL)])
def test_the_clock_is_ok_within_2_minutes_a_warning_up_to_5_and_a_failure_beyond(seconds: int, verdict: str) -> None:
    ours = clock.now()
    date = format_datetime(ours + timedelta(seconds=seconds), usegmt=True)
    answer = Exchange("GET", "https://partner.example/epix/v1/status", {}, b"", status=200,
                      response_headers={"Date": date})
    found = skew([Asked(Binding("B", "https://partner.example/epix/v1"), answer, None, ours)])
    assert found.verdict == verdict, found
    if verdict != OK:
        assert ("ahead of" if seconds > 0 else "behind") in found.finding and "NTP" in found.fix


# ----- the CRL -----

def stale_crl(pki: Pki, folder: Path) -> Path:
    files = pki.party("FR")
    ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    key = serialization.load_pem_private_key(files.ca_key.read_bytes(), None)
    now = clock.now()
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
           .last_update(now - timedelta(days=60)).next_update(now - timedelta(days=30)).sign(key, hashes.SHA256()))
    path = folder / "stale-crl.pem"
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return path


def test_a_stale_crl_in_the_profile_is_named(partner: RunningPartner, pki: Pki, tmp_path: Path) -> None:
    report = checked(of_partner(tmp_path, partner, crls=(stale_crl(pki, tmp_path),)))
    found = line(report, "CRL")
    assert found.verdict == FAIL, report.text()
    assert "stale-crl.pem" in found.finding and "stale" in found.finding and "nextUpdate" in found.finding
    assert "fresh one" in found.fix
    assert report.exit_code() == Exit.USAGE


def test_no_crl_at_all_is_a_warning(partner: RunningPartner, tmp_path: Path) -> None:
    report = checked(of_partner(tmp_path, partner, crls=()))
    found = line(report, "CRL")
    assert found.verdict == WARN and "partner.crls" in found.fix, report.text()


def test_an_unreachable_crl_distribution_point_is_named(own_pki: Pki, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/FR.crl"
    reissue_server_certificate(own_pki, crl_url=url)
    with start(own_pki) as running:
        report = checked(of_partner(tmp_path, running))
    found = line(report, "CRL")
    assert found.check == f"CRL {url}" and found.verdict == FAIL, report.text()
    assert "cannot be reached" in found.finding and "publish its CRL" in found.fix
    assert report.exit_code() == Exit.USAGE


@pytest.fixture
def crl_server(own_pki: Pki) -> Iterator[str]:
    """An HTTP server that publishes FR's CRL (DER) at /FR.crl."""
    der = x509.load_pem_x509_crl(own_pki.party("FR").crl.read_bytes()).public_bytes(serialization.Encoding.DER)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            found = self.path == "/FR.crl"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/pkix-crl")
            self.end_headers()
            self.wfile.write(der if found else b"")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_crl_at_the_distribution_point_is_fetched_and_judged(own_pki: Pki, crl_server: str, tmp_path: Path) -> None:
    reissue_server_certificate(own_pki, crl_url=f"{crl_server}/FR.crl")
    with start(own_pki) as running:
        report = checked(of_partner(tmp_path, running, crls=()))
    found = line(report, "CRL")
    assert found.verdict == OK, report.text()
    assert "fetched from the distribution point" in found.finding and "1 revoked" in found.finding


# ----- nothing there -----

def test_nothing_listening_fails_the_tcp_line_quickly_with_exit_3(pki: Pki, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    url = f"https://127.0.0.1:{closed_port()}/epix/v1"
    profile = profile_for(tmp_path, pki, binding_a=f"{url}/soap", binding_b=url)
    started = time.perf_counter()
    code = main(["preflight", "--profile", str(profile)])
    seconds = time.perf_counter() - started
    out = capsys.readouterr().out
    assert code == Exit.UNREACHABLE, out
    assert "fail  TCP 127.0.0.1:" in out and "connection refused" in out and "fix: check the port" in out
    assert out.count("skip  binding") == 2 and "Traceback" not in out
    assert seconds < QUICK_SECONDS


def test_a_host_name_that_does_not_resolve_fails_the_dns_line(pki: Pki, tmp_path: Path) -> None:
    profile = profile_for(tmp_path, pki, binding_a=None, binding_b="https://epix.partner.invalid/epix/v1", connect=2)
    report = checked(profile)
    found = line(report, "DNS")
    assert found.verdict == FAIL and "epix.partner.invalid" in found.finding, report.text()
    assert "host name" in found.fix
    assert report.exit_code() == Exit.UNREACHABLE


def test_a_wrong_binding_url_is_named(partner: RunningPartner, tmp_path: Path) -> None:
    profile = profile_for(tmp_path, partner.pki, binding_a=None, binding_b=partner.base_url.replace("/epix/v1", "/api"))
    report = checked(profile)
    found = line(report, "binding B")
    assert found.verdict == FAIL and "HTTP 404" in found.finding and "partner.binding_b.url" in found.fix, report.text()


# ----- hostile partners -----

#: What the preflight says against each hostile mode: the exit code and the check that fails.
HOSTILE_EXPECTED = {
    "trickle": (Exit.USAGE, "binding B"),
    "endless-body": (Exit.USAGE, "binding B"),
    "huge-body": (Exit.USAGE, "binding B"),
    "html-200": (Exit.USAGE, "binding B"),
    "empty-200": (Exit.USAGE, "binding B"),
    "reset-after-handshake": (Exit.USAGE, "client certificate"),
    "huge-error-text": (Exit.OK, None),
    "redirect": (Exit.USAGE, "binding B"),
    "clock-skew": (Exit.USAGE, "clock"),
}


def test_every_hostile_mode_has_an_expectation() -> None:
    assert set(HOSTILE_EXPECTED) == {mode.name for mode in HOSTILE}


@pytest.mark.parametrize("mode", sorted(HOSTILE_EXPECTED))
def test_a_hostile_partner_is_named_in_bounded_time(pki: Pki, tmp_path: Path, mode: str) -> None:
    code, failing = HOSTILE_EXPECTED[mode]
    with start(pki, faults=[mode]) as running:
        started = time.perf_counter()
        report = checked(of_partner(tmp_path, running, connect=1, answer=1))
        seconds = time.perf_counter() - started
    assert report.exit_code() == code, report.text()
    assert [one.check.split(" http")[0] for one in report.failed][:1] == ([failing] if failing else []), report.text()
    assert seconds < 2 * QUICK_SECONDS, f"{seconds:.1f} s\n{report.text()}"


# ----- epix run -----

def test_epix_run_stops_before_any_scenario_when_a_check_fails(tmp_path: Path) -> None:
    profile = tmp_path / "skewed.toml"
    profile.write_text('[us]\nparty = "CH"\n[simulator]\nparty = "FR"\nfaults = ["clock-skew"]\n', encoding="utf-8")
    command = [sys.executable, "-m", "epix", "run", "--profile", str(profile), "--tags", "@LIF-02",
               "--report-dir", str(tmp_path / "run"), "--no-html"]
    stopped = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert stopped.returncode == Exit.USAGE, stopped.stdout + stopped.stderr
    assert "fail  clock:" in stopped.stdout and "no scenario ran (--no-preflight skips it)" in stopped.stderr
    assert not (tmp_path / "run" / "outcome.json").exists()
    assert "Traceback" not in stopped.stdout + stopped.stderr
    ran = subprocess.run([*command, "--no-preflight"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert ran.returncode == Exit.OK, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "clock:" not in ran.stdout and (tmp_path / "run" / "outcome.json").exists()
