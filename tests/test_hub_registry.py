"""The hub's adapter registry file, and ``epix simulate --role hub`` from the command line:
a bad registry is one sentence naming the file and the entry (exit 2), never a traceback."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hub_helpers import hub_pki  # noqa: F401 - fixture

from epix.cli import main
from epix.hub.registry import DEFAULT_TIMEOUT, RegistryError, load_registry
from epix.messages.hub_soap import build_call, call_headers, read_answer
from epix.namespaces import CITES_EXCHANGE_V2
from epix.pki import HUB_PARTY, Pki
from epix.transport import client_context

GOOD = """
[hub]
client_certificate = "{pki}/XX-HUB/tls-client.pem"
client_key = "{pki}/XX-HUB/tls-client.key"
callers = ["CH", "FR", "DE"]

[[adapter]]
country = "CH"
url = "https://127.0.0.1:9444/"
ca = "{pki}/CH/ca.pem"
timeout = 2.5
callers = ["FR"]

[[adapter]]
country = "FR"
url = "https://127.0.0.1:9445/"
"""


def registry_file(tmp_path: Path, pki: Pki, text: str) -> Path:
    path = tmp_path / "registry.toml"
    path.write_text(text.format(pki=pki.root))
    return path


def test_a_registry_reads_with_its_defaults(tmp_path: Path, hub_pki: Pki) -> None:
    registry = load_registry(registry_file(tmp_path, hub_pki, GOOD))
    assert registry.callers == ("CH", "FR", "DE")
    ch, fr = registry.adapters["CH"], registry.adapters["FR"]
    assert (ch.timeout, ch.callers, ch.ca) == (2.5, ("FR",), hub_pki.root / "CH/ca.pem")
    assert (fr.timeout, fr.callers, fr.namespace, fr.response_namespace) == (
        DEFAULT_TIMEOUT, None, CITES_EXCHANGE_V2, CITES_EXCHANGE_V2)
    assert registry.may_use("DE", fr) and not registry.may_use("DE", ch)


def test_relative_paths_resolve_against_the_files_folder(tmp_path: Path, hub_pki: Pki) -> None:
    (tmp_path / "anchors").mkdir()
    (tmp_path / "anchors/ch.pem").write_bytes((hub_pki.root / "CH/ca.pem").read_bytes())
    path = registry_file(tmp_path, hub_pki, '[[adapter]]\ncountry = "CH"\nurl = "https://a/"\nca = "anchors/ch.pem"\n')
    assert load_registry(path).adapters["CH"].ca == tmp_path / "anchors/ch.pem"


@pytest.mark.parametrize("text, message", [
    ('[hub]\ncallers = ["CH"]\nport = 1\n', r"\[hub\]: unknown key 'port'"),
    ('[[adapter]]\ncountry = "CH"\nurl = "https://a/"\nadress = "x"\n', r"\[\[adapter\]\] 1: unknown key 'adress'"),
    ('[[adapter]]\ncountry = "CH"\n', r"\[\[adapter\]\] 1 \(CH\): url missing"),
    ('[[adapter]]\ncountry = "CH"\nurl = "ftp://a/"\n', r"url 'ftp://a/' is not an http\(s\) URL"),
    ('[[adapter]]\ncountry = "ch"\nurl = "https://a/"\n', r"country: 'ch' is not an ISO 3166-1 alpha-2"),
    ('[[adapter]]\ncountry = "CHE"\nurl = "https://a/"\n', r"'CHE' is not an ISO 3166-1 alpha-2"),
    ('[[adapter]]\nurl = "https://a/"\n', r"country missing"),
    ('[[adapter]]\ncountry = "CH"\nurl = "https://a/"\nca = "nowhere.pem"\n', r"ca nowhere.pem: cannot read it"),
    ('[[adapter]]\ncountry = "CH"\nurl = "https://a/"\nca = "{pki}/CH/ca.key"\n', r"not a PEM certificate"),
    ('[[adapter]]\ncountry = "CH"\nurl = "https://a/"\ntimeout = 0\n', r"timeout 0 must be a number of seconds"),
    ('[[adapter]]\ncountry = "CH"\nurl = "https://a/"\ncallers = "FR"\n', r"callers: must be a list"),
    ('[[adapter]]\ncountry = "CH"\nurl = "https://a/"\n[[adapter]]\ncountry = "CH"\nurl = "https://b/"\n',
     r"\[\[adapter\]\] 2: a second adapter for CH"),
    ('[hub]\nclient_certificate = "{pki}/XX-HUB/tls-client.pem"\n', r"client_certificate and client_key go together"),
    ('[adapters]\n', r"adapters: unknown table or key"),
    ('[hub\n', r"not valid TOML"),
])
def test_a_bad_registry_is_one_sentence_naming_file_and_entry(tmp_path: Path, hub_pki: Pki, text: str,
                                                               message: str) -> None:
    with pytest.raises(RegistryError, match=message) as raised:
        load_registry(registry_file(tmp_path, hub_pki, text))
    assert "registry.toml: " in str(raised.value)
    assert "\n" not in str(raised.value)


def test_an_unreadable_registry_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="cannot read the adapter registry"):
        load_registry(tmp_path / "missing.toml")


@pytest.mark.parametrize("arguments, message", [
    (["--adapters", "{tmp}/missing.toml"], "cannot read the adapter registry"),
    (["--adapters", "{tmp}/bad.toml"], "url missing"),
    (["--fault", "ack-unsigned"], "unknown hub fault ack-unsigned"),
    (["--workers", "2"], "--workers is for the partner"),
])
def test_the_command_says_what_is_wrong_and_exits_2(tmp_path: Path, hub_pki: Pki, capsys: pytest.CaptureFixture[str],
                                                     arguments: list[str], message: str) -> None:
    (tmp_path / "bad.toml").write_text('[[adapter]]\ncountry = "CH"\n')
    arguments = [a.format(tmp=tmp_path) for a in arguments]
    code = main(["simulate", "--role", "hub", "--pki", str(hub_pki.root), "--port", "0", *arguments])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_adapters_without_the_hub_role_is_a_usage_error(tmp_path: Path, hub_pki: Pki,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "--pki", str(hub_pki.root), "--adapters", str(tmp_path / "r.toml"), "--port", "0"])
    assert code == 2 and "--adapters is for --role hub" in capsys.readouterr().err


def test_the_command_lists_the_hub_faults(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--role", "hub", "--list-faults"]) == 0
    assert "hub-waits-for-adapter" in capsys.readouterr().out


def test_the_hub_serves_logs_each_call_and_stops_cleanly(tmp_path: Path, hub_pki: Pki) -> None:
    documents = tmp_path / "documents.json"
    process = subprocess.Popen([sys.executable, "-m", "epix", "simulate", "--role", "hub", "--pki", str(hub_pki.root),
                                "--port", "0", "--documents-json", str(documents)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(line.startswith("  document") for line in lines):
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
        found = re.search(r"calls: (https://\S+)\)", "".join(lines))
        assert found, "".join(lines)
        files = hub_pki.party("FR")
        context = client_context(hub_pki.party(HUB_PARTY).ca, files.tls_client, files.tls_client_key)
        response = httpx.post(found.group(1), content=build_call("ServiceState", country="CH"),
                              headers=call_headers("ServiceState"), verify=context, trust_env=False)
        assert response.status_code == 200 and read_answer(response.content).text == "available"
        listed = json.loads(documents.read_text())
        assert {"CH", "FR", "DE"} <= {d["country"] for d in listed} and all(d["token"] for d in listed)
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert re.search(r"POST /api/v1/soap_api/action ServiceState from FR for CH -> 200 relayed", rest), rest
    assert "epix simulate: stopped" in rest


def test_the_example_registry_reads(tmp_path: Path, hub_pki: Pki) -> None:
    example = Path(__file__).resolve().parents[1] / "fixtures/hub/adapters.example.toml"
    (tmp_path / "adapters.toml").write_text(example.read_text())
    (tmp_path / "pki").symlink_to(hub_pki.root)
    registry = load_registry(tmp_path / "adapters.toml")
    assert registry.client_certificate == tmp_path / "pki/XX-HUB/tls-client.pem"
    assert registry.adapters["CH"].callers == ("FR",) and registry.adapters["FR"].timeout == DEFAULT_TIMEOUT
