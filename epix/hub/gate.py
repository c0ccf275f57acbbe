"""The hub's checks before it calls an adapter (profile section 3.2, PULL-06), in the
deployed order: the caller's certificate (``CertificateMissing``), the caller's country
(``CallerNotFound``), the adapter of ``IsoCountryCode`` (``CalleeNotFound``), the adapter's
callers (``AdapterNotAvailable``), then the position IDs (the "ID must be a token"
``Client`` fault). Each check is one method: a seam a fault of :mod:`epix.hub.faults` may
replace. A failed check raises :class:`HubRefusal`.
"""

from __future__ import annotations

import functools
import re

from cryptography import x509
from cryptography.x509.oid import NameOID

from epix.hub.registry import AdapterEntry, Registry
from epix.messages.hub_soap import ID_NOT_TOKEN
from epix.messages.identifiers import ITEM_ID
from epix.messages.soap import SoapRequest

#: The header a TLS-terminating proxy passes the client certificate's subject in (as deployed).
SUBJECT_HEADER = "x-ssl-client-s-dn"
_COUNTRY_IN_DN = re.compile(r"(?:^|[/,])\s*C=([^/,]+)")


class HubRefusal(Exception):
    """A check failed: the hub answers its own fault with ``faultstring``."""

    def __init__(self, faultstring: str):
        super().__init__(faultstring)
        self.faultstring = faultstring


class Gate:
    """The checks of one hub against its registry. With ``mtls`` the caller's country is
    the ``C=`` of its verified client certificate; without, of the subject the TLS proxy
    passes in the ``X-SSL-CLIENT-S-DN`` header."""

    def __init__(self, registry: Registry, *, mtls: bool = True):
        self.registry = registry
        self.mtls = mtls

    def caller_country(self, scope: dict) -> str:
        """``CertificateMissing`` unless the caller's certificate names a country."""
        country = _country_of_certificate(scope) if self.mtls else _country_of_header(scope)
        if not country:
            raise HubRefusal("CertificateMissing")
        return country

    def check_caller(self, country: str) -> None:
        """``CallerNotFound`` unless the caller's country has a registered MA."""
        if country not in self.registry.callers:
            raise HubRefusal("CallerNotFound")

    def adapter_for(self, request: SoapRequest) -> AdapterEntry:
        """``CalleeNotFound`` unless an adapter serves ``IsoCountryCode``."""
        entry = self.registry.adapter(request.country)
        if entry is None:
            raise HubRefusal("CalleeNotFound")
        return entry

    def check_access(self, caller: str, entry: AdapterEntry) -> None:
        """``AdapterNotAvailable`` unless the adapter lets ``caller`` use it."""
        if not self.registry.may_use(caller, entry):
            raise HubRefusal("AdapterNotAvailable")

    def check_positions(self, request: SoapRequest) -> None:
        """The ``Client`` fault ``ID must be a token`` for a position ID with white space."""
        for position in request.positions or ():
            if ITEM_ID.fullmatch(position.id) is None:
                raise HubRefusal(ID_NOT_TOKEN)


def _country_of_certificate(scope: dict) -> str | None:
    chain = ((scope.get("extensions") or {}).get("tls") or {}).get("client_cert_chain") or []
    return _country_of_pem(chain[0]) if chain else None


@functools.lru_cache(maxsize=256)
def _country_of_pem(pem: str) -> str | None:
    """The ``C=`` of a client certificate (verified by the TLS layer); kept per certificate,
    since a kept-alive caller sends the same one with every call."""
    certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    countries = certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    return str(countries[0].value) if countries else None


def _country_of_header(scope: dict) -> str | None:
    for name, value in scope.get("headers", []):
        if name.decode("latin-1").lower() == SUBJECT_HEADER:
            match = _COUNTRY_IN_DN.search(value.decode("latin-1"))
            return match.group(1).strip() if match else None
    return None
