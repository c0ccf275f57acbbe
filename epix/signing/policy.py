"""The algorithm policy of the profile (SIG-02): which signature, digest and
canonicalisation algorithms and which keys a signature may use.

RSA with SHA-256 or stronger and keys of at least 2048 bits, ECDSA with SHA-256 or
stronger on P-256 or larger; digests SHA-256 or stronger. SHA-1 anywhere (the
signature method, a reference digest, a certificate's own signature) is forbidden.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256

#: The names :func:`epix.signing.sign` accepts, and the XML-DSig algorithm each stands for.
SIGNING_ALGORITHMS: dict[str, SignatureMethod] = {
    "rsa-sha256": SignatureMethod.RSA_SHA256,
    "rsa-sha384": SignatureMethod.RSA_SHA384,
    "rsa-sha512": SignatureMethod.RSA_SHA512,
    "ecdsa-sha256": SignatureMethod.ECDSA_SHA256,
    "ecdsa-sha384": SignatureMethod.ECDSA_SHA384,
    "ecdsa-sha512": SignatureMethod.ECDSA_SHA512,
}

ALLOWED_SIGNATURE_METHODS: frozenset[SignatureMethod] = frozenset({
    *SIGNING_ALGORITHMS.values(),
    SignatureMethod.SHA256_RSA_MGF1, SignatureMethod.SHA384_RSA_MGF1, SignatureMethod.SHA512_RSA_MGF1,
    SignatureMethod.SHA3_256_RSA_MGF1, SignatureMethod.SHA3_384_RSA_MGF1, SignatureMethod.SHA3_512_RSA_MGF1,
    SignatureMethod.ECDSA_SHA3_256, SignatureMethod.ECDSA_SHA3_384, SignatureMethod.ECDSA_SHA3_512,
})
ALLOWED_DIGESTS: frozenset[DigestAlgorithm] = frozenset({
    DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512,
    DigestAlgorithm.SHA3_256, DigestAlgorithm.SHA3_384, DigestAlgorithm.SHA3_512,
})
ALLOWED_CANONICALISATIONS: frozenset[str] = frozenset(method.value for method in CanonicalizationMethod)

_SIGNATURE_URIS = {method.value: method for method in ALLOWED_SIGNATURE_METHODS}
_DIGEST_URIS = {digest.value: digest for digest in ALLOWED_DIGESTS}
_WEAK_HASHES = {"sha1", "md5", "sha224"}


class AlgorithmRefused(Exception):
    """An algorithm or key that SIG-02 forbids; the message names it and what is allowed."""


def signature_method(uri: str | None) -> SignatureMethod:
    """The allowed signature method for ``uri``, or :class:`AlgorithmRefused`."""
    method = _SIGNATURE_URIS.get(uri or "")
    if method is None:
        raise AlgorithmRefused(f"the signature method {_describe(uri)} is not allowed: use RSA-SHA256 or "
                               "ECDSA-SHA256 or stronger")
    return method


def digest_method(uri: str | None) -> DigestAlgorithm:
    """The allowed digest for ``uri``, or :class:`AlgorithmRefused`."""
    digest = _DIGEST_URIS.get(uri or "")
    if digest is None:
        raise AlgorithmRefused(f"the digest method {_describe(uri)} is not allowed: use SHA-256 or stronger")
    return digest


def check_canonicalisation(uri: str | None) -> None:
    if uri not in ALLOWED_CANONICALISATIONS:
        raise AlgorithmRefused(f"the canonicalisation method {_describe(uri)} is not a W3C canonicalisation; "
                               "use exclusive canonicalisation (http://www.w3.org/2001/10/xml-exc-c14n#)")


def check_key(certificate: x509.Certificate, label: str) -> None:
    """RSA of at least 2048 bits or EC of at least 256 bits, else :class:`AlgorithmRefused`."""
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise AlgorithmRefused(f"{label} has an RSA key of {key.key_size} bits; "
                                   f"at least {MIN_RSA_BITS} are required")
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.key_size < MIN_EC_BITS:
            raise AlgorithmRefused(f"{label} has an EC key on {key.curve.name} ({key.curve.key_size} bits); "
                                   f"P-256 or larger is required")
    else:
        raise AlgorithmRefused(f"{label} has a {type(key).__name__} key; only RSA and ECDSA keys are allowed")


def check_certificate_signature(certificate: x509.Certificate, label: str) -> None:
    """A certificate signed with SHA-1 (or MD5, SHA-224) is refused."""
    try:
        algorithm = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm:
        raise AlgorithmRefused(f"{label} is signed with an algorithm this harness does not know "
                               f"({certificate.signature_algorithm_oid.dotted_string})") from None
    if algorithm is not None and algorithm.name in _WEAK_HASHES:
        raise AlgorithmRefused(f"{label} is itself signed with {algorithm.name.upper()}; "
                               "its CA must sign it with SHA-256 or stronger")


def signing_method(name: str) -> SignatureMethod:
    """The signature method for a name of :data:`SIGNING_ALGORITHMS`; a ``ValueError`` naming them otherwise."""
    try:
        return SIGNING_ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"signing algorithm {name!r} is not allowed by SIG-02; "
                         f"use one of {', '.join(SIGNING_ALGORITHMS)}") from None


def _describe(uri: str | None) -> str:
    if not uri:
        return "(none given)"
    if "sha1" in uri.lower():
        return f"{uri} (SHA-1)"
    return uri
