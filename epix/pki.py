"""A test PKI for the pilot: per party a CA, signing and TLS certificates, a CRL, and
the negative-test certificates that each break one rule of section 7 of the profile.

Layout of a PKI directory (``epix pki init --parties CH,FR,DE --out DIR``)::

    DIR/<PARTY>/ca.pem ca.key                 the party's CA (its registered trust anchor)
               signing.pem signing.key        RSA 2048 document-signing certificate
               signing-ec.pem signing-ec.key  ECDSA P-256 document-signing certificate
               tls-server.pem tls-server.key  TLS server (localhost, 127.0.0.1, ::1)
               tls-client.pem tls-client.key  TLS client, subject C=<country> (OU=<authority>)
               crl.pem                        the CA's CRL, listing bad/revoked.pem
               bad/<name>.pem bad/<name>.key  see NEGATIVE_CERTIFICATES
               bad/foreign-root-ca.pem        the unregistered CA that issued bad/foreign-ca.pem

A party ID (profile section 1) is written into every subject as ``C=<country>`` and, for
parties such as ``US-FWS``, ``OU=<authority code>``; :func:`epix.party.party_of` reads it
back.
Private keys are written with mode 0600 and no file is ever overwritten.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from ipaddress import ip_address
from pathlib import Path
from typing import TYPE_CHECKING, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import epix.party
from epix import clock
from epix.party import check_party_id, is_party_id

if TYPE_CHECKING:
    from epix.signing import SigningKey, TrustStore

PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]

#: The negative-test certificates under ``<PARTY>/bad/`` and the rule each one breaks.
NEGATIVE_CERTIFICATES: dict[str, str] = {
    "expired": "validity ended 30 days before the PKI was made (EPX-203)",
    "not-yet-valid": "validity starts 30 days after the PKI was made (EPX-203)",
    "revoked": "listed in the party's CRL (EPX-204)",
    "rsa1024": "RSA key of 1024 bits (EPX-205)",
    "sha1": "certificate signed with SHA-1, meant for rsa-sha1 signatures (EPX-205)",
    "foreign-ca": "issued by a CA that is not registered with the pilot (EPX-202)",
    "foreign-tls-client": "TLS client certificate issued by the unregistered CA (PULL-05)",
}

_PARTY_FILES = (
    "ca.pem", "ca.key", "signing.pem", "signing.key", "signing-ec.pem", "signing-ec.key",
    "tls-server.pem", "tls-server.key", "tls-client.pem", "tls-client.key", "crl.pem",
    "bad/foreign-root-ca.pem",
    *(f"bad/{name}.{ext}" for name in NEGATIVE_CERTIFICATES for ext in ("pem", "key")),
)
#: The simulated EPIX hub's own identity in a test PKI: ``C=XX`` (a user-assigned ISO 3166
#: code, no country's), ``OU=HUB``. Its TLS client certificate is what the hub presents to
#: the adapters it calls (profile section 3.1), its server certificate what callers see.
HUB_PARTY = "XX-HUB"
_CA_YEARS_BACK = 3
_CA_YEARS_AHEAD = 20
_LEAF_YEARS_BACK = 2
_LEAF_YEARS_AHEAD = 5
_YEAR = timedelta(days=365)
_MONTH = timedelta(days=30)


class PkiError(Exception):
    """The PKI directory cannot be made or read as asked; the message says what to do."""


class InvalidPartyId(epix.party.InvalidPartyId, PkiError):
    """A party ID that does not follow section 1 of the profile (:mod:`epix.party`), given for a PKI."""


@dataclass(frozen=True)
class PartyFiles:
    """The paths of one party's PKI material."""

    party: str
    directory: Path

    def path(self, name: str) -> Path:
        return self.directory / name

    @property
    def ca(self) -> Path:
        return self.path("ca.pem")

    @property
    def ca_key(self) -> Path:
        return self.path("ca.key")

    @property
    def signing(self) -> Path:
        return self.path("signing.pem")

    @property
    def signing_key(self) -> Path:
        return self.path("signing.key")

    @property
    def signing_ec(self) -> Path:
        return self.path("signing-ec.pem")

    @property
    def signing_ec_key(self) -> Path:
        return self.path("signing-ec.key")

    @property
    def tls_server(self) -> Path:
        return self.path("tls-server.pem")

    @property
    def tls_server_key(self) -> Path:
        return self.path("tls-server.key")

    @property
    def tls_client(self) -> Path:
        return self.path("tls-client.pem")

    @property
    def tls_client_key(self) -> Path:
        return self.path("tls-client.key")

    @property
    def crl(self) -> Path:
        return self.path("crl.pem")

    @property
    def foreign_root_ca(self) -> Path:
        return self.path("bad/foreign-root-ca.pem")

    def bad(self, name: str) -> tuple[Path, Path]:
        """``(certificate, key)`` of a negative-test certificate (see :data:`NEGATIVE_CERTIFICATES`)."""
        if name not in NEGATIVE_CERTIFICATES:
            raise KeyError(f"no negative-test certificate {name!r}; known: {', '.join(NEGATIVE_CERTIFICATES)}")
        return self.path(f"bad/{name}.pem"), self.path(f"bad/{name}.key")

    def missing(self) -> list[str]:
        return [name for name in _PARTY_FILES if not (self.directory / name).is_file()]


class Pki:
    """A PKI directory made by :func:`init_pki`. Loading reads nothing but the file list;
    keys and trust stores are loaded on first use and kept."""

    def __init__(self, root: Path, parties: tuple[str, ...]):
        self.root = root
        self.parties = parties
        self._keys: dict[tuple[str, str], SigningKey] = {}

    def __repr__(self) -> str:
        return f"Pki({str(self.root)!r}, parties={list(self.parties)})"

    @classmethod
    def load(cls, directory: Path | str) -> Pki:
        """Open an existing PKI directory; :class:`PkiError` if it is missing or incomplete."""
        root = Path(directory)
        if not root.is_dir():
            raise PkiError(f"{root} is not a PKI directory; make one with: epix pki init --parties CH,FR --out {root}")
        parties = tuple(sorted(p.name for p in root.iterdir() if is_party_id(p.name) and (p / "ca.pem").exists()))
        if not parties:
            raise PkiError(f"{root} holds no party's PKI (no <PARTY>/ca.pem); make one with: epix pki init")
        for party in parties:
            missing = PartyFiles(party, root / party).missing()
            if missing:
                raise PkiError(f"the PKI of {party} in {root / party} is incomplete (missing {', '.join(missing)}); "
                               "remove that directory and run epix pki init again")
        return cls(root, parties)

    def party(self, party: str) -> PartyFiles:
        if party not in self.parties:
            raise KeyError(f"party {party!r} is not in the PKI at {self.root} (parties: {', '.join(self.parties)})")
        return PartyFiles(party, self.root / party)

    def signing_key(self, party: str, kind: str = "rsa") -> SigningKey:
        """The signing key of ``party``: ``kind`` is ``rsa``, ``ec`` or a negative-test name (``expired`` …)."""
        from epix.signing import SigningKey

        if (party, kind) not in self._keys:
            files = self.party(party)
            if kind == "rsa":
                key, cert = files.signing_key, files.signing
            elif kind == "ec":
                key, cert = files.signing_ec_key, files.signing_ec
            else:
                cert, key = files.bad(kind)
            self._keys[party, kind] = SigningKey.from_files(key, cert)
        return self._keys[party, kind]

    @cached_property
    def trust_store(self) -> TrustStore:
        """Every party's CA as its trust anchor, with its CRL."""
        from epix.signing import TrustStore

        return TrustStore.from_dir(self.root)


def init_pki(parties: list[str], out: Path | str) -> Pki:
    """Make (or reuse) the PKI of each party under ``out`` and return it.

    A party whose directory is complete is reused; an incomplete one is an error, never
    overwritten. Each new party is written to a temporary directory and renamed into place.
    """
    if not parties:
        raise InvalidPartyId("no party given: name at least one party ID, e.g. --parties CH,FR")
    for name in parties:
        try:
            check_party_id(name)
        except epix.party.InvalidPartyId as exc:
            raise InvalidPartyId(str(exc)) from None
    if len(set(parties)) != len(parties):
        raise InvalidPartyId(f"a party is named twice in {', '.join(parties)}")
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise PkiError(f"{root} exists and is not a directory; choose another --out")
    root.mkdir(parents=True, exist_ok=True)
    for party in parties:
        _ensure_party(root, party)
    return Pki.load(root)


def issue_tls_server(files: PartyFiles, out: Path | str, *, not_before: datetime, not_after: datetime,
                     crl_url: str | None = None) -> tuple[Path, Path]:
    """A further TLS server certificate (localhost, 127.0.0.1, ::1) of the party's CA, written to
    ``out``.pem and ``out``.key (new files), valid from ``not_before`` until ``not_after`` (one that
    has expired, or expires soon) and, with ``crl_url``, naming that URL as its CRL distribution point."""
    stem = Path(out)
    ca = _Authority(_read_pem(files.ca, x509.load_pem_x509_certificate),
                    _read_pem(files.ca_key, lambda data: serialization.load_pem_private_key(data, None)))
    _PartyMaker(files.party, stem.parent)._tls_server(ca, stem.name, (not_before, not_after), crl_url)
    return stem.parent / f"{stem.name}.pem", stem.parent / f"{stem.name}.key"


def _read_pem(path: Path, loader):  # noqa: ANN001, ANN202 - a cryptography loader and what it loads
    try:
        return loader(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise PkiError(f"cannot read {path} ({exc})") from None


def with_hub(pki: Pki) -> Pki:
    """``pki`` with the hub's material (:data:`HUB_PARTY`), added to its directory when missing."""
    if HUB_PARTY in pki.parties:
        return pki
    return init_pki([*pki.parties, HUB_PARTY], pki.root)


def _ensure_party(root: Path, party: str) -> None:
    target = root / party
    if target.exists():
        missing = PartyFiles(party, target).missing()
        if missing:
            raise PkiError(f"{target} exists but is not a complete PKI (missing {', '.join(missing)}); "
                           "remove it or choose another --out")
        return
    staging = Path(tempfile.mkdtemp(prefix=f".{party}-", dir=root))
    try:
        _PartyMaker(party, staging).make()
        staging.chmod(0o755)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _country_and_unit(party: str) -> tuple[str, str | None]:
    country, _, unit = party.partition("-")
    return country, unit or None


def subject_for(party: str, common_name: str) -> x509.Name:
    """``C=<country>, O=<party> Management Authority[, OU=<authority>], CN=<common_name>``."""
    country, unit = _country_and_unit(party)
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{party} Management Authority"),
    ]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


@dataclass
class _Authority:
    certificate: x509.Certificate
    key: PrivateKey


class _PartyMaker:
    """Writes one party's PKI into ``directory`` (which must be new)."""

    def __init__(self, party: str, directory: Path):
        self.party = party
        self.directory = directory
        self.now = clock.now()
        self.good = (self.now - _LEAF_YEARS_BACK * _YEAR, self.now + _LEAF_YEARS_AHEAD * _YEAR)

    def make(self) -> None:
        (self.directory / "bad").mkdir()
        ca = self._ca(f"{self.party} Pilot CA", "ca")
        foreign = self._ca(f"{self.party} Foreign CA (not registered)", None)
        _write_certificate(self.directory / "bad/foreign-root-ca.pem", foreign.certificate)
        self._signing("signing", ca, _rsa(2048), f"{self.party} document signing", *self.good)
        self._signing("signing-ec", ca, ec.generate_private_key(ec.SECP256R1()), f"{self.party} document signing EC",
                      *self.good)
        self._tls_server(ca)
        self._tls_client("tls-client", ca, _rsa(2048), f"{self.party} pilot client")
        revoked = self._negative(ca, foreign)
        self._crl(ca, revoked)

    def _ca(self, common_name: str, filename: str | None) -> _Authority:
        key = _rsa(2048)
        name = subject_for(self.party, common_name)
        certificate = (
            self._builder(name, name, key, self.now - _CA_YEARS_BACK * _YEAR, self.now + _CA_YEARS_AHEAD * _YEAR)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
            .sign(key, hashes.SHA256())
        )
        if filename:
            self._write(filename, certificate, key)
        return _Authority(certificate, key)

    def _negative(self, ca: _Authority, foreign: _Authority) -> x509.Certificate:
        key = _rsa(2048)
        label = f"{self.party} document signing"
        self._signing("bad/expired", ca, key, f"{label} (expired)", self.now - 2 * _YEAR, self.now - _MONTH)
        self._signing("bad/not-yet-valid", ca, key, f"{label} (not yet valid)", self.now + _MONTH, self.now + 2 * _YEAR)
        revoked = self._signing("bad/revoked", ca, key, f"{label} (revoked)", *self.good)
        self._signing("bad/rsa1024", ca, _rsa(1024), f"{label} (RSA 1024)", *self.good)
        self._sha1_signing(ca, key, f"{label} (SHA-1)")
        self._signing("bad/foreign-ca", foreign, key, f"{label} (foreign CA)", *self.good)
        self._tls_client("bad/foreign-tls-client", foreign, key, f"{self.party} pilot client (foreign CA)")
        return revoked

    def _signing(self, filename: str, issuer: _Authority, key: PrivateKey, common_name: str,
                 not_before: datetime, not_after: datetime) -> x509.Certificate:
        certificate = self._signing_builder(issuer, key, common_name, not_before, not_after).sign(
            issuer.key, hashes.SHA256())
        self._write(filename, certificate, key)
        return certificate

    def _signing_builder(self, issuer: _Authority, key: PrivateKey, common_name: str,
                         not_before: datetime, not_after: datetime) -> x509.CertificateBuilder:
        return (
            self._builder(subject_for(self.party, common_name), issuer.certificate.subject, key, not_before, not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
            .add_extension(_authority_key_id(issuer), critical=False)
        )

    def _sha1_signing(self, ca: _Authority, key: PrivateKey, common_name: str) -> None:
        builder = self._signing_builder(ca, key, common_name, *self.good)
        self._write("bad/sha1", _sign_with_sha1(builder, ca.key), key)

    def _tls_server(self, ca: _Authority, stem: str = "tls-server", validity: tuple[datetime, datetime] | None = None,
                    crl_url: str | None = None) -> None:
        key = _rsa(2048)
        names = [x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1")), x509.IPAddress(ip_address("::1"))]
        builder = (
            self._builder(subject_for(self.party, "localhost"), ca.certificate.subject, key, *(validity or self.good))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True, key_encipherment=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(_authority_key_id(ca), critical=False)
        )
        if crl_url is not None:
            point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
            builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
        self._write(stem, builder.sign(ca.key, hashes.SHA256()), key)

    def _tls_client(self, filename: str, issuer: _Authority, key: PrivateKey, common_name: str) -> None:
        certificate = (
            self._builder(subject_for(self.party, common_name), issuer.certificate.subject, key, *self.good)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True, key_encipherment=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(_authority_key_id(issuer), critical=False)
            .sign(issuer.key, hashes.SHA256())
        )
        self._write(filename, certificate, key)

    def _crl(self, ca: _Authority, revoked: x509.Certificate) -> None:
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(revoked.serial_number)
            .revocation_date(self.now - timedelta(days=1))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca.certificate.subject)
            .last_update(self.now - timedelta(days=1))
            .next_update(self.now + _YEAR)
            .add_revoked_certificate(entry)
            .add_extension(x509.CRLNumber(1), critical=False)
            .add_extension(_authority_key_id(ca), critical=False)
            .sign(ca.key, hashes.SHA256())
        )
        _write_new(self.directory / "crl.pem", crl.public_bytes(serialization.Encoding.PEM), 0o644)

    def _builder(self, subject: x509.Name, issuer: x509.Name, key: PrivateKey,
                 not_before: datetime, not_after: datetime) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )

    def _write(self, stem: str, certificate: x509.Certificate, key: PrivateKey) -> None:
        _write_certificate(self.directory / f"{stem}.pem", certificate)
        _write_key(self.directory / f"{stem}.key", key)


def _rsa(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _key_usage(**usages: bool) -> x509.KeyUsage:
    flags = dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
         "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
    flags.update(usages)
    return x509.KeyUsage(**flags)


def _authority_key_id(issuer: _Authority) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key())


# cryptography refuses to sign certificates with SHA-1, so the negative-test certificate
# is assembled from a SHA-256 one: the signature algorithm in its TBS part is swapped for
# sha1WithRSAEncryption (an OID of the same length) and the TBS part is signed again.
_SHA256_WITH_RSA = bytes.fromhex("2a864886f70d01010b")
_SHA1_WITH_RSA = bytes.fromhex("2a864886f70d010105")


def _sign_with_sha1(builder: x509.CertificateBuilder, issuer_key: PrivateKey) -> x509.Certificate:
    if not isinstance(issuer_key, rsa.RSAPrivateKey):
        raise PkiError("the SHA-1 negative-test certificate needs an RSA issuer key")
    tbs = builder.sign(issuer_key, hashes.SHA256()).tbs_certificate_bytes
    if tbs.count(_SHA256_WITH_RSA) != 1:
        raise PkiError("cannot rewrite the signature algorithm of the SHA-1 negative-test certificate")
    tbs = tbs.replace(_SHA256_WITH_RSA, _SHA1_WITH_RSA)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    algorithm = _der(0x30, _der(0x06, _SHA1_WITH_RSA) + b"\x05\x00")
    return x509.load_der_x509_certificate(_der(0x30, tbs + algorithm + _der(0x03, b"\x00" + signature)))


def _der(tag: int, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        length = bytes([size])
    else:
        digits = size.to_bytes((size.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(digits)]) + digits
    return bytes([tag]) + length + value


def _write_certificate(path: Path, certificate: x509.Certificate) -> None:
    _write_new(path, certificate.public_bytes(serialization.Encoding.PEM), 0o644)


def _write_key(path: Path, key: PrivateKey) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    _write_new(path, data, 0o600)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write a file that must not exist yet, created with ``mode`` (never widened by a umask race)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)
