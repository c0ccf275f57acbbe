"""X.509 certificates as they appear in a signature's ``KeyInfo``: parsed once, named clearly."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from functools import lru_cache

from cryptography import x509

from epix import clock


class CertificateUnreadable(ValueError):
    """An ``X509Certificate`` element that does not hold a DER certificate in base64."""


@lru_cache(maxsize=1024)
def certificate_from_base64(text: str) -> x509.Certificate:
    """Parse the text of an ``X509Certificate`` element (cached: a partner signs with few certificates)."""
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError) as exc:
        raise CertificateUnreadable(f"the X509Certificate element does not hold a certificate ({exc})") from None


@lru_cache(maxsize=1024)
def name_of(certificate: x509.Certificate) -> str:
    """The subject in RFC 4514 form, e.g. ``CN=CH document signing,O=CH Management Authority,C=CH``."""
    return _rfc4514(certificate.subject)


@lru_cache(maxsize=1024)
def issuer_of(certificate: x509.Certificate) -> str:
    return _rfc4514(certificate.issuer)


@lru_cache(maxsize=1024)
def validity_of(certificate: x509.Certificate) -> str:
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    return f"valid from {clock.isoformat(start)} until {clock.isoformat(end)}"


def is_valid_at(certificate: x509.Certificate, at: datetime) -> bool:
    return certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc


def _rfc4514(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return "<unreadable name>"
