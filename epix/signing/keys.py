"""A signing key: the private key, its certificate and chain, loaded from files once."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Union

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from epix.party import party_of_certificate

PrivateKey = Union[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]


class KeyLoadError(Exception):
    """A key or certificate file cannot be used for signing; the message names the file."""


@dataclass(frozen=True)
class SigningKey:
    """A private key with its certificate (and optional chain), ready to sign many documents.

    Build it once (:meth:`from_files`) and reuse it: parsing a PEM key costs tens of
    milliseconds, signing with a loaded key well under one.
    """

    private_key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    #: The base64 DER of the certificate and chain, as written into ``X509Certificate``.
    key_info_certificates: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.private_key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise KeyLoadError(f"only RSA and EC private keys can sign, not {type(self.private_key).__name__}")
        if self.private_key.public_key().public_numbers() != self.certificate.public_key().public_numbers():
            raise KeyLoadError(f"the private key does not belong to the certificate "
                               f"'{self.certificate.subject.rfc4514_string()}'")
        encoded = tuple(base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")
                        for cert in (self.certificate, *self.chain))
        object.__setattr__(self, "key_info_certificates", encoded)

    @classmethod
    def from_files(cls, key: Path | str, cert: Path | str, chain: tuple[Path | str, ...] | list[Path | str] = ()
                   ) -> SigningKey:
        """Load an unencrypted PEM private key, its PEM certificate, and chain certificates."""
        private_key = _load_key(Path(key))
        certificate = _load_certificates(Path(cert))[0]
        extra = tuple(c for path in chain for c in _load_certificates(Path(path)))
        return cls(private_key, certificate, extra)

    @property
    def default_algorithm(self) -> str:
        """``rsa-sha256`` for an RSA key, ``ecdsa-sha256`` for an EC key."""
        return "rsa-sha256" if isinstance(self.private_key, rsa.RSAPrivateKey) else "ecdsa-sha256"

    @property
    def party(self) -> str | None:
        """The party ID in the certificate's subject."""
        return party_of_certificate(self.certificate)

    @cached_property
    def subject(self) -> str:
        """The certificate's subject as an RFC 4514 string (made once: every signature names it)."""
        return self.certificate.subject.rfc4514_string()


def _load_key(path: Path) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise KeyLoadError(f"cannot read the private key {path}: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise KeyLoadError(f"{path} is not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise KeyLoadError(f"{path} holds a {type(key).__name__}; only RSA and EC keys can sign")
    return key


def _load_certificates(path: Path) -> list[x509.Certificate]:
    try:
        certificates = x509.load_pem_x509_certificates(path.read_bytes())
    except OSError as exc:
        raise KeyLoadError(f"cannot read the certificate {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise KeyLoadError(f"{path} is not a PEM certificate ({exc})") from None
    return certificates
