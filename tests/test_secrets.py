"""No secret of the profile appears in any output of a run: the console, junit.xml,
outcome.json, the Allure results and the single-file HTML report (decoded)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from epix.partner import running_partner
from epix.pki import init_pki

ROOT = Path(__file__).resolve().parents[1]
_MAIN = "import sys; from epix.cli import main; sys.exit(main(sys.argv[1:]))"
_BASE64 = re.compile(rb"[A-Za-z0-9+/]{40,}={0,2}")


def _remote_profile(folder: Path, pki: Path, partner, secrets: list[str]) -> Path:  # noqa: ANN001
    documents = "".join(f'[[partner.documents]]\nnumber = "{d.number}"\nstate = "{d.state}"\ntoken = "{d.token}"\n'
                        for d in partner.documents() if d.state in ("issued", "cancelled", "used"))
    path = folder / "remote.toml"
    path.write_text(f"""
[profile]
name = "FR, simulated, as a remote partner"
[us]
party = "CH"
client_certificate = "{pki}/CH/tls-client.pem"
client_key = "{pki}/CH/tls-client.key"
signing_certificate = "{pki}/CH/signing.pem"
signing_key = "{pki}/CH/signing.key"
[partner]
party = "FR"
capabilities = ["pull", "final", "confirm-quantities", "retrieve"]
trust_anchors = ["{pki}/FR/ca.pem"]
crls = ["{pki}/FR/crl.pem"]
[partner.binding_a]
url = "{partner.soap_url}"
[partner.binding_b]
url = "{partner.base_url}"
{documents}
[report]
secrets = [{", ".join(f'"{s}"' for s in secrets)}]
""")
    return path


def _everything_written(run: Path, console: str) -> bytes:
    """Every byte the run left for a person to read, with the report's embedded data decoded."""
    parts = [console.encode()]
    for file in sorted(p for p in run.rglob("*") if p.is_file()):
        data = file.read_bytes()
        parts.append(data)
        if file.suffix in (".html", ".js", ".json"):
            for blob in _BASE64.findall(data):
                try:
                    parts.append(base64.b64decode(blob + b"=" * (-len(blob) % 4)))
                except ValueError:
                    continue
    return b"\n".join(parts)


@pytest.mark.slow
def test_no_secret_of_the_profile_appears_in_any_output(tmp_path: Path) -> None:
    pki = init_pki(["FR", "CH", "DE"], tmp_path / "pki").root
    with running_partner("FR", pki_dir=pki, db_path=tmp_path / "fr.db", peers=("CH", "DE")) as partner:
        tokens = [d.token for d in partner.documents() if d.state in ("issued", "cancelled", "used")]
        trader = "Terrariophilie Rhône SARL"  # a value of the partner's permits, marked secret
        profile = _remote_profile(tmp_path, pki, partner, [trader])
        done = subprocess.run([sys.executable, "-c", _MAIN, "run", "--profile", str(profile), "--tags",
                               "@area:pull or @LIF-01", "--report-dir", str(tmp_path / "run")],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
    run = tmp_path / "run"
    assert (run / "allure-report" / "index.html").exists(), done.stdout + done.stderr
    written = _everything_written(run, done.stdout + done.stderr)
    assert b"***" in written, "nothing was masked: the run did not show the secrets it was meant to hide"
    for secret in [*tokens, trader]:
        for form in {secret.encode(), json.dumps(secret).strip('"').encode()}:
            assert form not in written, f"{secret!r} appears in the output of the run"
