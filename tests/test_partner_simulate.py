"""``epix simulate``: its options, the start-up listing, and a clean stop."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from epix.cli import main
from epix.partner import CATALOGUE
from epix.pki import Pki
from epix.transport import PartnerClient, client_context
from partner_helpers import Sender, acknowledgement_of, assert_accepted


def test_list_faults_names_each_fault_and_requirement(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list-faults"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CATALOGUE)
    assert any(line.startswith("ack-unsigned") and "ACK-04" in line for line in lines)


@pytest.mark.parametrize("arguments, message", [
    (["--fault", "no-such-fault"], "unknown fault no-such-fault"),
    (["--party", "fr"], "not a party ID"),
    (["--party", "IT"], "no material for IT"),
    (["--document-types", "export-permit,passport"], "unknown document type"),
])
def test_usage_errors_exit_2_with_a_sentence(pki: Pki, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             arguments: list[str], message: str) -> None:
    code = main(["simulate", "--pki", str(pki.root), "--db", str(tmp_path / "x.db"), "--port", "0", *arguments])
    assert code == 2
    assert message in capsys.readouterr().err


def _started(arguments: list[str]) -> tuple[subprocess.Popen, list[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "epix", "simulate", "--port", "0", *arguments],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        lines.append(line)
        if line.startswith("  document") and lines[-1].endswith(")\n") and "used" in line:
            found = re.search(r"listening on (https://\S+/epix/v1)", "".join(lines))
            return process, lines, found.group(1)
    process.kill()
    raise AssertionError("epix simulate did not start:\n" + "".join(lines))


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=20)
    assert process.returncode == 0, rest
    return rest


def test_simulate_serves_logs_each_exchange_and_stops_cleanly(pki: Pki, tmp_path: Path) -> None:
    documents = tmp_path / "documents.json"
    process, lines, base = _started(["--pki", str(pki.root), "--db", str(tmp_path / "fr.db"), "--ack", "async",
                                     "--documents-json", str(documents)])
    try:
        listing = "".join(lines)
        assert "mutual TLS: on" in listing and "acknowledgements: async" in listing
        seeded = json.loads(documents.read_text())
        states = [d["state"] for d in seeded]
        assert states.count("issued") == 3 + 2 and all(d["token"] for d in seeded)  # + the expired, the replacement
        assert {"cancelled", "used", "replaced"} <= set(states)
        assert next(d for d in seeded if d["state"] == "replaced")["replaced_by"]
        context = client_context(pki.party("FR").ca, pki.party("CH").tls_client, pki.party("CH").tls_client_key)
        sender = Sender(pki)
        with PartnerClient(base, ssl_context=context) as client:
            received = client.deliver(sender.envelope(sender.permit()))
            assert received.status == 202
            final = client.wait_for_final_acknowledgement(acknowledgement_of(received).ref_to_message_id, deadline=10)
            assert acknowledgement_of(final).status == "Accepted"
    finally:
        rest = _stop(process)
    assert re.search(r"POST /epix/v1/envelopes from CH -> 202 Received", rest)
    assert re.search(r"GET /epix/v1/envelopes/\S+/acknowledgement from CH -> 200", rest)
    assert "epix simulate: stopped" in rest


def test_without_mutual_tls_the_party_header_names_the_caller(pki: Pki, tmp_path: Path) -> None:
    process, lines, base = _started(["--pki", str(pki.root), "--db", str(tmp_path / "fr.db"), "--no-mtls",
                                     "--fault", "ack-unsigned"])
    try:
        assert "EPIX-Party header" in "".join(lines) and "faults: ack-unsigned" in "".join(lines)
        sender = Sender(pki)
        with PartnerClient(base, ssl_context=client_context(pki.party("FR").ca), party="CH") as client:
            assert_accepted(client.deliver(sender.envelope(sender.permit())))
    finally:
        _stop(process)


@pytest.mark.slow
def test_a_missing_pki_is_made(tmp_path: Path) -> None:
    process, lines, _ = _started(["--pki", str(tmp_path / "pki"), "--db", str(tmp_path / "fr.db"), "--party", "CH",
                                  "--peers", "FR"])
    _stop(process)
    assert "making a test PKI for CH, FR" in "".join(lines)
    assert Pki.load(tmp_path / "pki").parties == ("CH", "FR")
