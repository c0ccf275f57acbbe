"""A hub described by a profile's [partner] table, as a Task Force tests a real one.

The simulated hub runs on its own here, with a registry that points at the address where
the profile's [us.adapters] listen; ``epix run`` then starts the harness's adapters
there and runs the hub's scenarios against the hub's URL.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from epix.hub.running import HubConfig, start_hub
from epix.hubtest.registry import RegisteredAdapter, write_registry
from epix.pki import HUB_PARTY, init_pki, with_hub
from epix.report.outcomes import PASSED, RunOutcome

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_the_hub_scenarios_run_against_a_hub_the_profile_describes(tmp_path: Path) -> None:
    pki = with_hub(init_pki(["CH", "FR", "DE", "AT"], tmp_path / "pki"))
    hub, adapter, us = pki.party(HUB_PARTY), pki.party("FR"), pki.party("CH")
    port = _free_port()
    registry = write_registry(tmp_path / "registry.toml", client_certificate=hub.tls_client,
                              client_key=hub.tls_client_key, callers=["CH", "DE"],
                              adapters=[RegisteredAdapter("FR", f"https://127.0.0.1:{port}/", adapter.ca, 1.0,
                                                          callers=("CH",))])
    with start_hub(HubConfig(pki_dir=pki.root, adapters=registry)) as running:
        profile = tmp_path / "hub.toml"
        profile.write_text(textwrap.dedent(f"""\
            [us]
            party = "CH"
            client_certificate = "{us.tls_client}"
            client_key = "{us.tls_client_key}"
            signing_certificate = "{us.signing}"
            signing_key = "{us.signing_key}"
            pki = "{pki.root}"
            [us.adapters]
            listen = "127.0.0.1:{port}"
            country = "FR"
            certificate = "{adapter.tls_server}"
            key = "{adapter.tls_server_key}"
            hub_ca = "{hub.ca}"
            timeout = 1
            [partner]
            party = "{HUB_PARTY}"
            capabilities = ["hub"]
            trust_anchors = ["{hub.ca}"]
            [partner.hub]
            url = "{running.base_url}"
            unregistered_caller = "AT"
            disallowed_caller = "DE"
            """))
        reports = tmp_path / "reports"
        done = subprocess.run([sys.executable, "-m", "epix", "run", "--profile", str(profile), "--tags",
                               "@capability:hub", "--report-dir", str(reports), "--no-html"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [outcome] = [RunOutcome.load(path) for path in reports.rglob("outcome.json")]
    assert len(outcome.results) == 8 and {r.outcome for r in outcome.results} == {PASSED}, outcome.results
