"""The signed run folder: ``manifest.json`` and ``manifest.sig``, and ``epix verify-statement``."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cryptography import x509

from epix import clock
from epix.pki import Pki
from epix.report.manifest import MANIFEST, SIGNATURE, Manifest
from epix.report.seal import SealError, sign_run, statement_key, verify_run

ROOT = Path(__file__).resolve().parents[1]
_MAIN = "import sys; from epix.cli import main; sys.exit(main(sys.argv[1:]))"
SIGNED_AT = datetime(2026, 11, 29, 22, 30, tzinfo=timezone.utc)


def _epix(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _MAIN, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    (folder / "allure-results").mkdir(parents=True)
    (folder / "allure-results" / "a-result.json").write_text('{"status": "failed"}')
    (folder / "allure-results" / "b-attachment.txt").write_bytes(b"request: POST /epix/v1/envelopes\n")
    (folder / "outcome.json").write_text('{"results": [], "waivers": []}')
    (folder / "junit.xml").write_text("<testsuites/>")
    return folder


def _anchor(pki: Pki, party: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pki.party(party).ca.read_bytes())


@pytest.fixture
def signed(tmp_path: Path, pki: Pki) -> Path:
    folder = _folder(tmp_path)
    with clock.frozen(SIGNED_AT):
        sign_run(folder, pki.signing_key("CH"))
    return folder


def test_the_manifest_lists_every_file_s_digest_the_time_and_the_signer(signed: Path, pki: Pki) -> None:
    manifest = Manifest.from_bytes((signed / MANIFEST).read_bytes())
    assert sorted(manifest.files) == ["allure-results/a-result.json", "allure-results/b-attachment.txt",
                                      "junit.xml", "outcome.json"]
    assert manifest.files["junit.xml"] == hashlib.sha256(b"<testsuites/>").hexdigest()
    assert manifest.signed_at == "2026-11-29T22:30:00Z"
    assert manifest.signer == pki.signing_key("CH").subject


def test_the_signature_is_a_detached_jws_with_the_signing_certificate(signed: Path, pki: Pki) -> None:
    header, payload, signature = (signed / SIGNATURE).read_text().strip().split(".")
    assert payload == "" and signature
    fields = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    assert fields["alg"] == "RS256"
    assert fields["x5c"] == list(pki.signing_key("CH").key_info_certificates)


def test_an_untouched_folder_verifies(signed: Path, pki: Pki) -> None:
    verification = verify_run(signed)
    assert verification.ok, verification.lines()
    assert verification.signer == pki.signing_key("CH").subject
    assert verification.manifest.signed_at == "2026-11-29T22:30:00Z"
    assert "trust:     not checked against a trust anchor (give --anchor CA.pem to check it)" in verification.lines()


def test_each_changed_added_or_removed_file_is_named(signed: Path) -> None:
    (signed / "allure-results" / "a-result.json").write_text('{"status": "passed"}')
    (signed / "allure-results" / "c-result.json").write_text("{}")
    (signed / "junit.xml").unlink()
    verification = verify_run(signed)
    assert not verification.ok
    assert verification.differences.lines() == ["changed: allure-results/a-result.json",
                                                "added:   allure-results/c-result.json", "removed: junit.xml"]


def test_an_edited_manifest_breaks_the_signature(signed: Path) -> None:
    manifest = json.loads((signed / MANIFEST).read_text())
    manifest["files"]["junit.xml"] = "0" * 64
    (signed / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(SealError, match="the signature does not hold: manifest.json was changed after signing"):
        verify_run(signed)


def test_an_unsigned_or_damaged_folder_is_said_so(signed: Path) -> None:
    (signed / SIGNATURE).write_text("not a signature")
    with pytest.raises(SealError, match="manifest.sig is not a detached JSON Web Signature"):
        verify_run(signed)
    (signed / SIGNATURE).unlink()
    with pytest.raises(SealError, match="is not signed: manifest.sig is missing"):
        verify_run(signed)


def test_the_signing_certificate_chains_to_its_own_ca_and_not_to_another(signed: Path, pki: Pki) -> None:
    assert verify_run(signed, [_anchor(pki, "CH")]).anchored.startswith("chains to the anchor ")
    other = verify_run(signed, [_anchor(pki, "FR")])
    assert not other.ok and "does not chain to the trust anchor given with --anchor" in other.problems[0]


def test_an_ec_key_signs_as_well(tmp_path: Path, pki: Pki) -> None:
    folder = _folder(tmp_path)
    sign_run(folder, pki.signing_key("CH", "ec"))
    assert verify_run(folder).ok
    (folder / "outcome.json").write_text("{}")
    assert verify_run(folder).differences.changed == ("outcome.json",)


def test_a_certifier_s_key_in_the_profile_signs_instead_of_our_party_s(tmp_path: Path, pki: Pki) -> None:
    from epix.profile import load_profile

    fr = pki.party("FR")
    profile = tmp_path / "p.toml"
    profile.write_text(f'[us]\nparty = "CH"\n[simulator]\n[report]\nstatement_key = "{fr.signing_key}"\n'
                       f'statement_certificate = "{fr.signing}"\n')
    assert statement_key(load_profile(profile)).subject == pki.signing_key("FR").subject
    profile.write_text(f'[us]\nparty = "CH"\n[simulator]\n[report]\nstatement_key = "{fr.signing_key}"\n')
    from epix.profile import ProfileError

    with pytest.raises(ProfileError, match="report.statement_key and report.statement_certificate go together"):
        load_profile(profile)


def test_a_run_is_signed_and_an_edited_result_file_makes_verify_statement_fail(tmp_path: Path) -> None:
    profile = tmp_path / "sim.toml"
    profile.write_text('[us]\nparty = "CH"\nother_party = "DE"\n[simulator]\nparty = "FR"\n')
    run = tmp_path / "run"
    done = _epix("run", "--profile", str(profile), "--tags", "@LIF-02", "--report-dir", str(run), "--no-html")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Signed: {run / SIGNATURE} (by CN=" in done.stdout
    checked = _epix("verify-statement", str(run))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "signed by: CN=" in checked.stdout and "C=CH" in checked.stdout
    assert "signed at: 20" in checked.stdout and "VERIFIED" in checked.stdout
    [result] = (run / "allure-results").glob("*-result.json")
    result.write_text(result.read_text().replace('"passed"', '"failed"', 1))
    checked = _epix("verify-statement", str(run))
    assert checked.returncode == 1
    assert f"  changed: allure-results/{result.name}" in checked.stdout
    assert "NOT VERIFIED: 1 file(s) differ from the signed manifest" in checked.stdout


def test_verify_statement_of_what_is_not_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    done = _epix("verify-statement", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "is not a folder" in done.stderr and "Traceback" not in done.stderr
