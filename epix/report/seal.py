"""The signature of a run folder: ``manifest.json`` signed into ``manifest.sig``, and its check.

``manifest.sig`` is a JSON Web Signature (RFC 7515) in compact form with a detached payload
(Appendix F): ``<header>..<signature>``, the payload being the bytes of ``manifest.json``.
The header names the algorithm (``RS256`` for an RSA key, ``ES256``/``ES384``/``ES512`` for
an EC key) and carries the signing certificate and its chain in ``x5c``; any JOSE library
checks it with the manifest as the detached payload. The signing key is a key of the
harness's PKI: our party's signing key by default, a certifier's in real use (the profile's
``[report] statement_key`` and ``statement_certificate``).

:func:`verify_run` checks the signature, that the manifest names the certificate that signed
it, and every file's digest; with trust anchors, that the certificate chains to one of them
and was valid when the manifest says it was signed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from epix import __version__, clock
from epix.report.manifest import MANIFEST, SIGNATURE, Differences, Manifest, ManifestError, compare, file_digests
from epix.signing.certificates import name_of
from epix.signing.keys import KeyLoadError, SigningKey

if TYPE_CHECKING:
    from epix.profile import Profile

_EC_ALGORITHMS = {"secp256r1": ("ES256", hashes.SHA256()), "secp384r1": ("ES384", hashes.SHA384()),
                  "secp521r1": ("ES512", hashes.SHA512())}
_HASHES = {"RS256": hashes.SHA256(), **{alg: hash_ for alg, hash_ in _EC_ALGORITHMS.values()}}
#: How many CA certificates may stand between the signing certificate and an anchor.
_MAX_CHAIN = 5


class SealError(Exception):
    """A run folder whose signature cannot be read (unsigned, or its files damaged); the message says why."""


def fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def statement_key(profile: Profile) -> SigningKey:
    """The key that signs a run of ``profile`` (completed with our credentials): ``[report]
    statement_key`` and ``statement_certificate`` if given, else ``us.signing_key`` and
    ``us.signing_certificate``; :class:`SealError` when there is none or it cannot be read."""
    report, us = profile.report, profile.us
    if report.statement_key is not None and report.statement_certificate is not None:
        files = (report.statement_key, report.statement_certificate, ())
    elif us.signing_key is not None and us.signing_certificate is not None:
        files = (us.signing_key, us.signing_certificate, us.chain)
    else:
        raise SealError(f"{profile.path} names no key to sign the run with: give [report] statement_key and "
                        "statement_certificate, or us.signing_key and us.signing_certificate")
    try:
        key = SigningKey.from_files(*files)
    except KeyLoadError as error:
        raise SealError(f"the run cannot be signed: {error}") from None
    _algorithm(key)
    return key


def sign_run(run_dir: Path, key: SigningKey) -> Path:
    """Write ``manifest.json`` (every file's SHA-256, the time, the signer) and ``manifest.sig`` into
    ``run_dir``, replacing those of an earlier signing; returns the signature's path."""
    manifest = Manifest(signed_at=clock.isoformat(clock.now()), signer=key.subject,
                        certificate_sha256=fingerprint(key.certificate), harness_version=__version__,
                        files=file_digests(run_dir))
    data = manifest.to_bytes()
    (run_dir / MANIFEST).write_bytes(data)
    signature = run_dir / SIGNATURE
    signature.write_text(detached_jws(data, key) + "\n", encoding="ascii")
    return signature


def detached_jws(payload: bytes, key: SigningKey) -> str:
    """``<header>..<signature>``: a compact JWS over ``payload`` with the payload left out."""
    algorithm = _algorithm(key)
    header = {"alg": algorithm, "typ": "JOSE", "cty": "application/json", "x5c": list(key.key_info_certificates)}
    encoded = _b64url(json.dumps(header, separators=(",", ":")).encode("utf-8"))
    signed = f"{encoded}.{_b64url(payload)}".encode("ascii")
    if isinstance(key.private_key, rsa.RSAPrivateKey):
        raw = key.private_key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    else:
        der = key.private_key.sign(signed, ec.ECDSA(_HASHES[algorithm]))
        r, s = decode_dss_signature(der)
        size = (key.private_key.curve.key_size + 7) // 8
        raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return f"{encoded}..{_b64url(raw)}"


@dataclass(frozen=True)
class Verification:
    """What :func:`verify_run` found: who signed and when, the files that differ, and whether the
    signing certificate chains to a given anchor (``None``: no anchor was given)."""

    manifest: Manifest
    certificate: x509.Certificate
    differences: Differences
    anchored: str | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def signer(self) -> str:
        return name_of(self.certificate)

    @property
    def ok(self) -> bool:
        return not self.differences and not self.problems

    def lines(self) -> list[str]:
        """What ``epix verify-statement`` prints: signer, time, trust, files, each problem."""
        trust = (self.anchored if self.anchored is not None
                 else "not checked against a trust anchor (give --anchor CA.pem to check it)")
        lines = [f"signed by: {self.signer}", f"signed at: {self.manifest.signed_at} (the time in the signed manifest)",
                 f"trust:     {trust}"]
        files = len(self.manifest.files)
        lines.append(f"files:     {files} listed" + ("" if self.differences else ", every digest matches"))
        lines += [f"  {line}" for line in self.differences.lines()]
        lines += [f"problem:   {problem}" for problem in self.problems]
        return lines


def verify_run(run_dir: Path, anchors: Sequence[x509.Certificate] = ()) -> Verification:
    """Check the signature of ``run_dir`` and every file's digest; :class:`SealError` when the
    folder is not signed or its signature cannot be read or does not hold."""
    payload = _read(run_dir / MANIFEST)
    signature = _read(run_dir / SIGNATURE).decode("ascii", errors="replace").strip()
    header, certificates, raw = _parse(signature)
    signed = f"{signature.split('.', 1)[0]}.{_b64url(payload)}".encode("ascii")
    _check_signature(header["alg"], certificates[0], signed, raw)
    try:
        manifest = Manifest.from_bytes(payload)
    except ManifestError as error:
        raise SealError(str(error)) from None
    problems = []
    if manifest.certificate_sha256 != fingerprint(certificates[0]):
        problems.append(f"{MANIFEST} names another certificate than the one that signed it")
    signed_at = _moment(manifest.signed_at)
    leaf = certificates[0]
    if signed_at is not None and not leaf.not_valid_before_utc <= signed_at <= leaf.not_valid_after_utc:
        problems.append(f"the signing certificate was not valid at {manifest.signed_at}, when the manifest says it "
                        f"was signed (valid from {clock.isoformat(leaf.not_valid_before_utc)} until "
                        f"{clock.isoformat(leaf.not_valid_after_utc)})")
    elif signed_at is None:
        problems.append(f"{MANIFEST}: signed_at {manifest.signed_at!r} is not a time")
    anchored = None
    if anchors:
        anchor = _anchor_of(leaf, certificates[1:], anchors)
        if anchor is None:
            problems.append("the signing certificate does not chain to the trust anchor given with --anchor")
            anchored = "does not chain to the given anchor"
        else:
            anchored = f"chains to the anchor {name_of(anchor)}"
    try:
        differences = compare(manifest.files, file_digests(run_dir))
    except OSError as exc:
        raise SealError(f"cannot read {exc.filename or run_dir} to check its digest: {exc.strerror}") from None
    return Verification(manifest, leaf, differences, anchored, tuple(problems))


def _algorithm(key: SigningKey) -> str:
    if isinstance(key.private_key, rsa.RSAPrivateKey):
        return "RS256"
    curve = key.private_key.curve.name
    if curve not in _EC_ALGORITHMS:
        raise SealError(f"the signing key's curve {curve} has no JWS algorithm; use P-256, P-384 or P-521")
    return _EC_ALGORITHMS[curve][0]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SealError(f"{path.parent} is not signed: {path.name} is missing") from None
    except OSError as exc:
        raise SealError(f"cannot read {path}: {exc.strerror}") from None


def _parse(signature: str) -> tuple[dict, list[x509.Certificate], bytes]:
    parts = signature.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise SealError(f"{SIGNATURE} is not a detached JSON Web Signature (<header>..<signature>)")
    try:
        header = json.loads(_unb64url(parts[0]))
        raw = _unb64url(parts[2])
        certificates = [x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
                        for text in header["x5c"]]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise SealError(f"{SIGNATURE} cannot be read: its header or signature is damaged ({exc})") from None
    if not isinstance(header, dict) or header.get("alg") not in _HASHES or not certificates:
        raise SealError(f"{SIGNATURE} names no signing certificate or an algorithm other than "
                        f"{', '.join(_HASHES)}")
    return header, certificates, raw


def _check_signature(algorithm: str, certificate: x509.Certificate, signed: bytes, raw: bytes) -> None:
    public = certificate.public_key()
    try:
        if algorithm == "RS256" and isinstance(public, rsa.RSAPublicKey):
            public.verify(raw, signed, padding.PKCS1v15(), hashes.SHA256())
        elif algorithm != "RS256" and isinstance(public, ec.EllipticCurvePublicKey) and len(raw) % 2 == 0:
            half = len(raw) // 2
            der = encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))
            public.verify(der, signed, ec.ECDSA(_HASHES[algorithm]))
        else:
            raise InvalidSignature
    except InvalidSignature:
        raise SealError(f"the signature does not hold: {MANIFEST} was changed after signing, or {SIGNATURE} was "
                        f"not made for it by '{name_of(certificate)}'") from None


def _anchor_of(leaf: x509.Certificate, intermediates: Sequence[x509.Certificate],
               anchors: Sequence[x509.Certificate]) -> x509.Certificate | None:
    """The anchor ``leaf`` chains to through ``intermediates``, if any."""
    current = leaf
    for _ in range(_MAX_CHAIN + 1):
        for anchor in anchors:
            if current == anchor or _issued_by(current, anchor):
                return anchor
        issuer = next((c for c in intermediates if c != current and _issued_by(current, c)), None)
        if issuer is None:
            return None
        current = issuer
    return None


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
