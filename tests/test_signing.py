"""Signatures (profile section 7): each check passes on a good signature and fails on the
input that breaks it, with the code of the error table and a sentence to act on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from epix import clock
from epix.messages.permit import build_permit
from epix.namespaces import DS, qname
from epix.pki import Pki, PrivateKey, subject_for
from epix.safexml import parse
from epix.samples import SAMPLE_ISSUED_AT, sample_permit
from epix.signing import (
    CHECK_NAMES, KeyLoadError, SigningError, SigningKey, TrustError, TrustStore, faults, policy, sign, verify,
)

SIGNATURE = qname(DS, "Signature")
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"


@pytest.fixture(scope="module")
def permit() -> etree._Element:
    return build_permit(sample_permit(issuer="CH", partner="FR"))


@pytest.fixture(scope="module")
def signed(pki: Pki, permit: etree._Element) -> etree._Element:
    return sign(permit, pki.signing_key("CH"))


def _canonical(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


def _texts(element: etree._Element | None) -> str:
    return "" if element is None else etree.tostring(element, encoding="unicode")


# --- signing ---------------------------------------------------------------------------


def test_sign_makes_the_profiles_enveloped_signature(signed: etree._Element, permit: etree._Element) -> None:
    assert signed[-1].tag == SIGNATURE
    assert len(list(signed.iter(SIGNATURE))) == 1
    signature = signed[-1]
    references = signature.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    assert len(references) == 1 and references[0].get("URI") == ""
    transforms = [t.get("Algorithm") for t in references[0].iter(f"{{{DS}}}Transform")]
    assert transforms == [ENVELOPED, EXC_C14N]
    assert signature.find(f"{{{DS}}}SignedInfo/{{{DS}}}CanonicalizationMethod").get("Algorithm") == EXC_C14N
    assert signature.find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod").get("Algorithm").endswith("#rsa-sha256")
    assert signature.find(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate") is not None
    assert permit.find(SIGNATURE) is None, "sign() must leave its input unsigned"


def test_a_good_signature_passes_every_check(pki: Pki, signed: etree._Element, permit: etree._Element) -> None:
    result = verify(signed, pki.trust_store, sender="CH")
    assert result.outcome == "passed", result.table()
    assert result.finding is None
    assert [c.name for c in result.checks] == list(CHECK_NAMES)
    assert all(c.outcome == "passed" for c in result.checks)
    assert result.party == "CH"
    assert result.signer == pki.signing_key("CH").certificate
    assert _canonical(result.signed) == _canonical(permit)


def test_the_signed_element_is_a_copy_made_from_what_was_signed(pki: Pki, signed: etree._Element) -> None:
    received = etree.fromstring(etree.tostring(signed))
    result = verify(received, pki.trust_store, sender="CH")
    assert result.signed is not received and result.signed.find(SIGNATURE) is None
    received[0].text = "changed after verification"
    assert "changed after verification" not in _texts(result.signed)


def test_a_signed_document_inside_another_tree_verifies(pki: Pki, signed: etree._Element) -> None:
    payload = etree.Element("Payload")
    payload.append(etree.fromstring(etree.tostring(signed)))
    assert verify(payload[0], pki.trust_store, sender="CH").passed


def test_ecdsa_sign_and_verify(pki: Pki, permit: etree._Element) -> None:
    signed = sign(permit, pki.signing_key("FR", "ec"))
    method = signed[-1].find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod").get("Algorithm")
    assert method.endswith("#ecdsa-sha256")
    result = verify(signed, pki.trust_store, sender="FR")
    assert result.passed, result.table()
    assert "EC secp256r1" in result.check("key policy").detail


@pytest.mark.parametrize("algorithm", ["rsa-sha384", "rsa-sha512"])
def test_stronger_rsa_algorithms_sign_and_verify(pki: Pki, permit: etree._Element, algorithm: str) -> None:
    assert verify(sign(permit, pki.signing_key("DE"), algorithm=algorithm), pki.trust_store, sender="DE").passed


@pytest.mark.parametrize("algorithm, kind, message", [
    ("rsa-sha1", "rsa", "not allowed by SIG-02"),
    ("ecdsa-sha256", "rsa", "not an EC key"),
    ("rsa-sha256", "ec", "not an RSA key"),
    ("rsa-sha256", "rsa1024", "1024 bits"),
])
def test_sign_refuses_what_the_profile_forbids(pki: Pki, permit: etree._Element, algorithm: str, kind: str,
                                               message: str) -> None:
    with pytest.raises(SigningError, match=message):
        sign(permit, pki.signing_key("CH", kind), algorithm=algorithm)


def test_sign_refuses_a_signed_document(pki: Pki, signed: etree._Element) -> None:
    with pytest.raises(SigningError, match="already signed"):
        sign(signed, pki.signing_key("CH"))


def test_signing_key_from_files(pki: Pki, tmp_path: Path) -> None:
    files = pki.party("CH")
    key = SigningKey.from_files(files.signing_key, files.signing, chain=[files.ca])
    assert key.party == "CH" and len(key.key_info_certificates) == 2
    with pytest.raises(KeyLoadError, match="does not belong"):
        SigningKey.from_files(files.tls_client_key, files.signing)
    with pytest.raises(KeyLoadError, match="cannot read"):
        SigningKey.from_files(tmp_path / "missing.key", files.signing)
    (tmp_path / "junk.key").write_text("junk")
    with pytest.raises(KeyLoadError, match="not an unencrypted PEM private key"):
        SigningKey.from_files(tmp_path / "junk.key", files.signing)


# --- each failure code -----------------------------------------------------------------

Make = Callable[[Pki, etree._Element, etree._Element], etree._Element]


def _signed_by(kind: str, party: str = "CH") -> Make:
    return lambda pki, permit, signed: sign(permit, pki.signing_key(party, kind))


def _unchecked(kind: str, method: SignatureMethod, digest: DigestAlgorithm,
               c14n: CanonicalizationMethod = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0) -> Make:
    return lambda pki, permit, signed: faults.sign_unchecked(permit, pki.signing_key("CH", kind),
                                                             signature_method=method, digest=digest, c14n=c14n)


CASES: dict[str, tuple[Make, str, str, str, str]] = {
    # name: (make the bad document, code, requirement, failing check, words of the finding)
    "missing signature": (lambda p, d, s: faults.without_signature(s), "EPX-200", "SIG-01", "signature present",
                          "carries no ds:Signature"),
    "tampered digest": (lambda p, d, s: faults.with_tampered_content(s), "EPX-201", "SIG-01", "digest",
                        "changed after it was signed"),
    "tampered value": (lambda p, d, s: faults.with_tampered_signature_value(s), "EPX-201", "SIG-01",
                       "signature value", "does not verify"),
    "foreign ca": (_signed_by("foreign-ca"), "EPX-202", "SIG-04", "chain to trust anchor",
                   "not a trust anchor registered for party CH"),
    "another party's ca": (_signed_by("rsa", "DE"), "EPX-202", "SIG-04", "chain to trust anchor",
                           "chains to the anchor of party DE"),
    "expired": (_signed_by("expired"), "EPX-203", "SIG-04", "validity at signing time", "had expired"),
    "not yet valid": (_signed_by("not-yet-valid"), "EPX-203", "SIG-04", "validity at signing time",
                      "was not yet valid"),
    "revoked": (_signed_by("revoked"), "EPX-204", "SIG-06", "revocation", "was revoked"),
    "rsa1024": (_unchecked("rsa1024", SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256), "EPX-205", "SIG-02",
                "key policy", "1024 bits"),
    "sha1 signature": (lambda p, d, s: faults.sign_with_sha1(d, p.signing_key("CH", "sha1")), "EPX-205", "SIG-02",
                       "algorithm policy", "rsa-sha1 (SHA-1)"),
    "sha1 digest": (_unchecked("rsa", SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA1), "EPX-205", "SIG-02",
                    "algorithm policy", "digest method http://www.w3.org/2000/09/xmldsig#sha1 (SHA-1)"),
    "sha1 certificate": (_signed_by("sha1"), "EPX-205", "SIG-02", "key policy", "signed with SHA1"),
    "reference #x": (lambda p, d, s: faults.sign_by_id(d, p.signing_key("CH")), "EPX-206", "SIG-01",
                     "single reference", "URI='#x'"),
    "two references": (lambda p, d, s: faults.with_second_reference(s), "EPX-206", "SIG-01", "single reference",
                       "2 ds:Reference"),
    "inclusive c14n": (_unchecked("rsa", SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256,
                                  CanonicalizationMethod.CANONICAL_XML_1_1), "EPX-206", "SIG-01", "transforms",
                       "exclusive canonicalisation"),
    "wrapped element": (lambda p, d, s: faults.wrapped(s), "EPX-206", "SIG-05", "signature placement",
                        "signature wrapping"),
    "wrapped in ds:Object": (lambda p, d, s: faults.wrapped_in_object(s), "EPX-206", "SIG-05",
                             "signature placement", "ds:Object"),
    "signature not last": (lambda p, d, s: faults.with_signature_first(s), "EPX-206", "SIG-05",
                           "signature placement", "not the last child"),
    "two signatures": (lambda p, d, s: _with_extra_signature(s), "EPX-206", "SIG-01", "signature placement",
                       "2 ds:Signature"),
}


def test_of_several_failures_the_one_section_9_names_first_is_the_error(pki: Pki, permit: etree._Element) -> None:
    """Step 7 of section 9: structure, algorithms, digest and value, chain, validity, revocation.
    A SHA-1 signature without its certificate is refused for the algorithm (EPX-205), though
    the missing certificate (EPX-202) is found as well."""
    document = faults.sign_with_sha1(permit, pki.signing_key("CH", "sha1"))
    for data in document.iter(qname(DS, "X509Data")):
        data.getparent().remove(data)
    result = verify(document, pki.trust_store, sender="CH")
    assert {c.name for c in result.checks if c.outcome == "failed"} >= {"algorithm policy", "signing certificate"}
    assert (result.finding.code, result.finding.requirement) == ("EPX-205", "SIG-02")


def _with_extra_signature(signed: etree._Element) -> etree._Element:
    document = etree.fromstring(etree.tostring(signed))
    document[0].append(etree.fromstring(etree.tostring(document[-1])))
    return document


@pytest.mark.parametrize("case", list(CASES))
def test_each_broken_signature_gets_its_code(pki: Pki, permit: etree._Element, signed: etree._Element,
                                             case: str) -> None:
    make, code, requirement, check, words = CASES[case]
    assert verify(signed, pki.trust_store, sender="CH").passed
    result = verify(make(pki, permit, signed), pki.trust_store, sender="CH")
    assert result.outcome == "failed", result.table()
    assert (result.finding.code, result.finding.requirement) == (code, requirement), result.finding
    assert result.finding.severity == "error"
    assert words in result.finding.text
    assert result.finding.location and result.finding.location.startswith("/")
    failed = [c for c in result.checks if c.outcome == "failed"]
    assert failed[0].name == check and failed[0].code == code
    assert result.signed is None, "nothing may be handed on from a failed verification"


def test_sha1_is_refused_before_signxml_is_asked(pki: Pki, permit: etree._Element) -> None:
    result = verify(faults.sign_with_sha1(permit, pki.signing_key("CH", "sha1")), pki.trust_store, sender="CH")
    assert result.check("signature value").outcome == "indeterminate"
    assert result.check("algorithm policy").outcome == "failed"


def test_the_finding_names_the_certificate_and_the_anchor(pki: Pki, permit: etree._Element) -> None:
    result = verify(sign(permit, pki.signing_key("DE")), pki.trust_store, sender="CH")
    assert result.finding.text.startswith(
        "the signing certificate 'CN=DE document signing,O=DE Management Authority,C=DE' was issued by "
        "'CN=DE Pilot CA,O=DE Management Authority,C=DE', which is not a trust anchor registered for party CH")
    assert verify(sign(permit, pki.signing_key("DE")), pki.trust_store, sender="DE").passed


# --- signature wrapping: the forged content is never handed on --------------------------


@pytest.mark.parametrize("wrap", [faults.wrapped, faults.wrapped_in_object])
def test_a_wrapped_document_is_caught_and_the_forgery_never_returned(pki: Pki, signed: etree._Element,
                                                                     wrap: Callable) -> None:
    forged = wrap(signed)
    assert faults.FORGED_MARK in _texts(forged)
    assert faults.FORGED_MARK not in _texts(signed)
    result = verify(forged, pki.trust_store, sender="CH")
    assert result.outcome == "failed" and result.finding.code == "EPX-206"
    assert result.signed is None
    assert all(faults.FORGED_MARK not in c.detail for c in result.checks)


def test_content_added_before_the_signature_breaks_the_digest(pki: Pki, signed: etree._Element) -> None:
    forged = etree.fromstring(etree.tostring(signed))
    extra = etree.Element(qname(faults.WRAPPER_NS, "Extra"))
    extra.text = faults.FORGED_MARK
    forged[-1].addprevious(extra)
    result = verify(forged, pki.trust_store, sender="CH")
    assert result.finding.code == "EPX-201" and result.signed is None


# --- trust: anchors, CRLs, signing time ------------------------------------------------


def test_without_a_crl_the_revocation_status_is_indeterminate(pki: Pki, signed: etree._Element) -> None:
    ca = x509.load_pem_x509_certificate(pki.party("CH").ca.read_bytes())
    result = verify(signed, TrustStore(anchors={"CH": [ca]}), sender="CH")
    assert result.outcome == "indeterminate"
    assert result.check("revocation").outcome == "indeterminate"
    assert result.finding.severity == "warning" and result.finding.code == "EPX-204"
    assert result.signed is not None


def test_a_crl_past_its_next_update_makes_the_revocation_status_indeterminate(pki: Pki, signed: etree._Element) -> None:
    """SIG-06: a stale CRL says nothing about a certificate it does not list (one store,
    asked before and after the CRL's nextUpdate, so no earlier answer is kept too long)."""
    trust = TrustStore.from_dir(pki.root)
    due = x509.load_pem_x509_crl(pki.party("CH").crl.read_bytes()).next_update_utc
    with clock.frozen(due - timedelta(days=1)):
        assert verify(signed, trust, sender="CH").passed
    with clock.frozen(due + timedelta(days=1)):
        result = verify(signed, trust, sender="CH")
    assert result.outcome == "indeterminate" and result.check("revocation").outcome == "indeterminate"
    assert result.finding.severity == "warning" and result.finding.code == "EPX-204"
    assert "stale" in result.finding.text and clock.isoformat(due) in result.finding.text


def test_a_stale_crl_still_revokes_what_it_lists(pki: Pki) -> None:
    revoked = sign(build_permit(sample_permit(issuer="CH", partner="FR")), pki.signing_key("CH", "revoked"))
    due = x509.load_pem_x509_crl(pki.party("CH").crl.read_bytes()).next_update_utc
    with clock.frozen(due + timedelta(days=1)):
        result = verify(revoked, TrustStore.from_dir(pki.root), sender="CH")
    assert result.outcome == "failed" and result.finding.code == "EPX-204"


def test_any_registered_party_when_no_sender_is_named(pki: Pki, signed: etree._Element) -> None:
    result = verify(signed, pki.trust_store, sender=None)
    assert result.passed and result.party == "CH"


def test_an_unregistered_sender_has_no_anchor(pki: Pki, signed: etree._Element) -> None:
    result = verify(signed, pki.trust_store, sender="IT")
    assert result.finding.code == "EPX-202"
    assert "no trust anchor is registered for party IT" in result.finding.text


def test_validity_is_checked_at_the_given_signing_time(pki: Pki, signed: etree._Element) -> None:
    certificate = pki.signing_key("CH").certificate
    inside = certificate.not_valid_before_utc + timedelta(days=1)
    after = certificate.not_valid_after_utc + timedelta(days=1)
    assert verify(signed, pki.trust_store, sender="CH", at=inside).passed
    result = verify(signed, pki.trust_store, sender="CH", at=after)
    assert result.finding.code == "EPX-203" and "had expired" in result.finding.text
    with pytest.raises(ValueError, match="timezone-aware"):
        verify(signed, pki.trust_store, sender="CH", at=after.replace(tzinfo=None))


def test_trust_store_from_dir(pki: Pki) -> None:
    trust = TrustStore.from_dir(pki.root)
    assert set(trust.parties) == {"CH", "FR", "DE"}
    assert len(trust.anchors_of("FR")) == 1 and trust.anchors_of("IT") == ()


def test_a_crl_not_signed_by_the_partys_anchor_is_refused(pki: Pki) -> None:
    ca = x509.load_pem_x509_certificate(pki.party("CH").ca.read_bytes())
    other_crl = x509.load_pem_x509_crl(pki.party("FR").crl.read_bytes())
    with pytest.raises(TrustError, match="not signed by any trust anchor registered for CH"):
        TrustStore(anchors={"CH": [ca]}, crls={"CH": [other_crl]})
    with pytest.raises(TrustError, match="not a party ID"):
        TrustStore(anchors={"ch": [ca]})


# --- certificates made for one test: key usage, chains through an intermediate CA ------


@dataclass
class _Issuer:
    certificate: x509.Certificate | None
    key: PrivateKey


def _issue(issuer: _Issuer | None, name: str, *, ca: bool = False, path_length: int | None = None,
           usage: dict[str, bool] | None = None) -> _Issuer:
    """A certificate for ``name``, issued by ``issuer`` (self-signed when ``None``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = subject_for("CH", name)
    issuer = issuer or _Issuer(None, key)
    now = clock.now()
    flags = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                           "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
    flags.update(usage or ({"key_cert_sign": True, "crl_sign": True} if ca else {"digital_signature": True}))
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer.certificate.subject if issuer.certificate else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
               .add_extension(x509.KeyUsage(**flags), critical=True))
    return _Issuer(builder.sign(issuer.key, hashes.SHA256()), key)


def _pki_ca(pki: Pki, party: str) -> _Issuer:
    files = pki.party(party)
    return _Issuer(x509.load_pem_x509_certificate(files.ca.read_bytes()),
                   serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None))


def test_a_certificate_that_may_not_sign_fails_key_usage(pki: Pki, permit: etree._Element) -> None:
    leaf = _issue(_pki_ca(pki, "CH"), "CH key agreement only", usage={"key_agreement": True})
    result = verify(sign(permit, SigningKey(leaf.key, leaf.certificate)), pki.trust_store, sender="CH")
    assert result.finding.code == "EPX-202" and result.check("key usage").outcome == "failed"
    assert "digitalSignature or nonRepudiation" in result.finding.text
    assert result.check("chain to trust anchor").outcome == "passed"


def test_a_chain_through_an_intermediate_ca_in_keyinfo(permit: etree._Element) -> None:
    root = _issue(None, "CH Root", ca=True)
    intermediate = _issue(root, "CH Issuing CA", ca=True, path_length=0)
    leaf = _issue(intermediate, "CH signer")
    trust = TrustStore(anchors={"CH": [root.certificate]})
    with_chain = sign(permit, SigningKey(leaf.key, leaf.certificate, (intermediate.certificate,)))
    result = verify(with_chain, trust, sender="CH")
    assert result.outcome == "indeterminate", result.table()  # no CRL registered: everything else passed
    assert [c.name for c in result.checks if c.outcome != "passed"] == ["revocation"]
    without_chain = sign(permit, SigningKey(leaf.key, leaf.certificate))
    assert verify(without_chain, trust, sender="CH").finding.code == "EPX-202"


def test_a_ca_limited_to_no_intermediates_is_respected(pki: Pki, permit: etree._Element) -> None:
    intermediate = _issue(_pki_ca(pki, "CH"), "CH sub CA", ca=True)
    leaf = _issue(intermediate, "CH signer under sub CA")
    signed = sign(permit, SigningKey(leaf.key, leaf.certificate, (intermediate.certificate,)))
    assert verify(signed, pki.trust_store, sender="CH").finding.code == "EPX-202"


def test_ec_keys_under_256_bits_are_refused() -> None:
    key = ec.generate_private_key(ec.SECP224R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "small")])
    now = clock.now()
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    with pytest.raises(policy.AlgorithmRefused, match="P-256 or larger"):
        policy.check_key(certificate, "the signing certificate")


# --- the shipped signature-wrapping sample ---------------------------------------------

WRAPPING = Path(__file__).resolve().parents[1] / "fixtures" / "documents" / "signature-wrapping"


def _sample(name: str) -> etree._Element:
    return parse((WRAPPING / name).read_bytes(), source=name)


def test_the_shipped_wrapping_sample_is_caught_while_its_original_verifies() -> None:
    trust = TrustStore.from_dir(WRAPPING / "trust")
    original = verify(_sample("signed-permit.xml"), trust, sender="CH", at=SAMPLE_ISSUED_AT)
    assert original.passed, original.table()
    assert "<ram:ItemQuantity unitCode=\"PCS\">12<" in _texts(original.signed)
    wrapped = verify(_sample("wrapped-permit.xml"), trust, sender="CH", at=SAMPLE_ISSUED_AT)
    assert wrapped.finding.code == "EPX-206" and wrapped.finding.requirement == "SIG-05"
    assert wrapped.signed is None
    assert ">1200<" in (WRAPPING / "wrapped-permit.xml").read_text()


def test_the_shipped_sample_holds_no_private_key() -> None:
    for path in WRAPPING.rglob("*"):
        if path.is_file():
            assert path.suffix != ".key" and b"PRIVATE KEY" not in path.read_bytes(), path
