"""Who is calling (ENV-02): the party named by the client certificate, or, on a test
set-up without mutual TLS, by the ``EPIX-Party`` header."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from cryptography import x509

from epix.party import is_party_id, party_of_certificate

PARTY_HEADER = "epix-party"
How = Literal["certificate", "header", "none"]


@dataclass(frozen=True)
class Identity:
    """The authenticated party (``None`` when the caller could not be identified) and
    how it was established; ``problem`` says why there is none."""

    party: str | None
    how: How
    problem: str | None = None

    @property
    def known(self) -> bool:
        return self.party is not None


class Identifier:
    """The partner's part that tells who is calling (ENV-02, PULL-05): by the client
    certificate; by the ``EPIX-Party`` header only on a test set-up without mutual TLS."""

    def __init__(self, mtls: bool):
        self.mtls = mtls

    def identify(self, scope: dict) -> Identity:
        return identify(scope, mtls=self.mtls)


def identify(scope: dict, *, mtls: bool, header_trusted: bool = False) -> Identity:
    """The caller of an ASGI request. With ``mtls`` only the certificate counts: a
    production endpoint must not accept the header (ENV-02); ``header_trusted`` (a fault
    of the switchboard) lets the header override the certificate."""
    if mtls and header_trusted:
        claimed = _from_header(scope)
        if claimed.known:
            return claimed
    if mtls:
        return _from_certificate(scope)
    return _from_header(scope)


def client_certificate(scope: dict) -> x509.Certificate | None:
    """The verified client certificate of the connection, from the ASGI ``tls`` extension."""
    pem = _client_pem(scope)
    return None if pem is None else x509.load_pem_x509_certificate(pem.encode("ascii"))


def _client_pem(scope: dict) -> str | None:
    chain = ((scope.get("extensions") or {}).get("tls") or {}).get("client_cert_chain") or []
    return chain[0] if chain else None


def _from_certificate(scope: dict) -> Identity:
    pem = _client_pem(scope)
    if pem is None:
        return Identity(None, "none", "the request came without a client certificate (mutual TLS is required)")
    return _identity_of(pem)


@lru_cache(maxsize=256)
def _identity_of(pem: str) -> Identity:
    """The identity a client certificate (PEM, verified by the TLS layer) establishes; kept
    per certificate, since a kept-alive client sends the same one with every request."""
    certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    party = party_of_certificate(certificate)
    if party is None:
        return Identity(None, "none", f"the client certificate subject {certificate.subject.rfc4514_string()!r} "
                                      "names no party (countryName, and organizationalUnitName for a multi-MA country)")
    return Identity(party, "certificate")


def _from_header(scope: dict) -> Identity:
    values = [value for name, value in scope.get("headers", []) if name.decode("latin-1").lower() == PARTY_HEADER]
    if not values:
        return Identity(None, "none", "the request names no sender: send the EPIX-Party header (mutual TLS is off)")
    party = values[0].decode("latin-1").strip()
    if len(values) > 1 or not is_party_id(party):
        return Identity(None, "none", f"the EPIX-Party header {party!r} is not one party ID (e.g. CH or US-FWS)")
    return Identity(party, "header")
