"""The test PKI: what each certificate is for, where it is, and that nothing is overwritten."""

from __future__ import annotations

import stat
from datetime import timedelta
from ipaddress import ip_address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from epix import clock
from epix.cli import main
from epix.party import check_party_id, party_of_certificate
from epix.pki import NEGATIVE_CERTIFICATES, InvalidPartyId, Pki, PkiError, init_pki


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _key_usage(cert: x509.Certificate) -> x509.KeyUsage:
    return cert.extensions.get_extension_for_class(x509.KeyUsage).value


def test_every_party_has_its_files(pki: Pki) -> None:
    assert pki.parties == ("CH", "DE", "FR")
    for party in pki.parties:
        files = pki.party(party)
        for path in (files.ca, files.ca_key, files.signing, files.signing_key, files.signing_ec, files.signing_ec_key,
                     files.tls_server, files.tls_server_key, files.tls_client, files.tls_client_key, files.crl,
                     files.foreign_root_ca, *(p for name in NEGATIVE_CERTIFICATES for p in files.bad(name))):
            assert path.is_file(), path


def test_private_keys_are_readable_by_the_owner_only(pki: Pki) -> None:
    keys = list(pki.root.rglob("*.key"))
    assert len(keys) == 3 * (5 + len(NEGATIVE_CERTIFICATES))
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key


def test_the_ca_is_a_ca(pki: Pki) -> None:
    ca = _cert(pki.party("CH").ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = _key_usage(ca)
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert ca.subject == ca.issuer


def test_the_signing_certificate_names_its_party_and_may_sign(pki: Pki) -> None:
    files = pki.party("FR")
    signing, ca = _cert(files.signing), _cert(files.ca)
    signing.verify_directly_issued_by(ca)
    usage = _key_usage(signing)
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert signing.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "FR"
    assert signing.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "FR Management Authority"
    assert party_of_certificate(signing) == "FR"
    assert isinstance(signing.public_key(), rsa.RSAPublicKey) and signing.public_key().key_size == 2048


def test_the_ecdsa_signing_certificate_uses_p256(pki: Pki) -> None:
    cert = _cert(pki.party("CH").signing_ec)
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"
    cert.verify_directly_issued_by(_cert(pki.party("CH").ca))


def test_the_tls_server_certificate_serves_loopback(pki: Pki) -> None:
    cert = _cert(pki.party("CH").tls_server)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(names.get_values_for_type(x509.IPAddress)) == {ip_address("127.0.0.1"), ip_address("::1")}
    assert ExtendedKeyUsageOID.SERVER_AUTH in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value


def test_the_tls_client_certificate_identifies_the_party(pki: Pki) -> None:
    cert = _cert(pki.party("DE").tls_client)
    assert party_of_certificate(cert) == "DE"
    assert not cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    assert ExtendedKeyUsageOID.CLIENT_AUTH in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    cert.verify_directly_issued_by(_cert(pki.party("DE").ca))


def test_a_multi_authority_party_is_named_by_country_and_unit(tmp_path: Path) -> None:
    made = init_pki(["US-FWS"], tmp_path)
    for path in (made.party("US-FWS").tls_client, made.party("US-FWS").signing):
        cert = _cert(path)
        assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "US"
        assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "FWS"
        assert party_of_certificate(cert) == "US-FWS"


def test_the_crl_lists_the_revoked_certificate_only(pki: Pki) -> None:
    files = pki.party("CH")
    crl = x509.load_pem_x509_crl(files.crl.read_bytes())
    assert crl.is_signature_valid(_cert(files.ca).public_key())
    assert crl.get_revoked_certificate_by_serial_number(_cert(files.bad("revoked")[0]).serial_number) is not None
    for good in (files.signing, files.signing_ec, files.tls_client, files.tls_server):
        assert crl.get_revoked_certificate_by_serial_number(_cert(good).serial_number) is None


def test_negative_certificates_each_break_one_rule(pki: Pki) -> None:
    files = pki.party("CH")
    now, ca = clock.now(), _cert(files.ca)
    bad = {name: _cert(files.bad(name)[0]) for name in NEGATIVE_CERTIFICATES}
    assert bad["expired"].not_valid_after_utc < now
    assert bad["not-yet-valid"].not_valid_before_utc > now
    assert bad["rsa1024"].public_key().key_size == 1024
    assert bad["sha1"].signature_hash_algorithm.name == "sha1"
    assert bad["foreign-ca"].issuer != ca.subject
    bad["foreign-ca"].verify_directly_issued_by(_cert(files.foreign_root_ca))
    for name in ("expired", "not-yet-valid", "revoked", "rsa1024"):
        bad[name].verify_directly_issued_by(ca)
        assert party_of_certificate(bad[name]) == "CH"
    for name in ("revoked", "rsa1024", "sha1", "foreign-ca"):
        assert bad[name].not_valid_before_utc < now < bad[name].not_valid_after_utc
    assert not (files.directory / "bad" / "foreign-root-ca.key").exists()


def test_loading_and_initialising_again_reuse_the_files(pki: Pki) -> None:
    before = {p: p.read_bytes() for p in pki.root.rglob("*") if p.is_file()}
    assert Pki.load(pki.root).parties == pki.parties
    again = init_pki(["CH", "FR"], pki.root)
    assert again.parties == pki.parties
    assert {p: p.read_bytes() for p in pki.root.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("party", ["ch", "C1", "", "CHE", "US-fws", "US-", "-FWS", "C H"])
def test_invalid_party_ids_are_refused(party: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidPartyId, match="not a party ID"):
        init_pki([party], tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("party", ["CH", "US-FWS", "DE"])
def test_valid_party_ids_pass(party: str) -> None:
    assert check_party_id(party) == party


def test_an_existing_incomplete_party_directory_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "CH").mkdir()
    (tmp_path / "CH" / "ca.pem").write_text("mine")
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(PkiError, match="not a complete PKI"):
        init_pki(["CH"], tmp_path)
    assert (tmp_path / "CH" / "ca.pem").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CH", "notes.txt"]


def test_other_files_in_the_directory_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "README.txt").write_text("keep me")
    init_pki(["FR"], tmp_path)
    assert (tmp_path / "README.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FR", "README.txt"]


def test_loading_a_missing_or_empty_directory_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(PkiError, match="epix pki init"):
        Pki.load(tmp_path / "nowhere")
    with pytest.raises(PkiError, match="epix pki init"):
        Pki.load(tmp_path)


def test_signing_keys_are_loaded_once(pki: Pki) -> None:
    assert pki.signing_key("CH") is pki.signing_key("CH")
    assert pki.signing_key("CH", "ec").default_algorithm == "ecdsa-sha256"
    assert pki.signing_key("DE", "expired").party == "DE"


def test_cli_init_makes_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pki"
    assert main(["pki", "init", "--parties", "CH", "--out", str(out)]) == 0
    assert (out / "CH" / "signing.pem").is_file() and (out / "CH" / "bad" / "revoked.pem").is_file()
    assert "CH: created" in capsys.readouterr().out
    assert main(["pki", "init", "--parties", "CH", "--out", str(out)]) == 0
    assert "CH: reused" in capsys.readouterr().out


@pytest.mark.parametrize("parties", ["ch", "CH,C1", "CH,,FR"])
def test_cli_refuses_a_bad_party_with_one_line(parties: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pki", "init", "--parties", parties, "--out", str(tmp_path / "pki")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("epix pki: ") and "not a party ID" in error
    assert not (tmp_path / "pki").exists()


def test_cli_refuses_an_output_path_that_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "pki"
    target.write_text("not a directory")
    assert main(["pki", "init", "--parties", "CH", "--out", str(target)]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert target.read_text() == "not a directory"


def test_certificates_stay_valid_long_enough_for_fixed_sample_dates(pki: Pki) -> None:
    signing = _cert(pki.party("CH").signing)
    assert signing.not_valid_before_utc < clock.now() - timedelta(days=365)
