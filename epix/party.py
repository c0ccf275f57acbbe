"""Who a party is (profile section 1): the form of a party ID, and the party a certificate names.

A party ID is the upper-case ISO 3166-1 alpha-2 code of the MA's country (``CH``),
optionally followed by ``-`` and an authority code of 1 to 10 letters or digits
(``US-FWS``): the pattern ``PartyIDType`` of ``schemas/envelope/envelope.xsd``, so that
every party the harness can name is one an envelope can carry. A certificate names its
party as ``C=<country>`` and, for an authority code, ``OU=<code>``.
"""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.x509.oid import NameOID

PARTY_ID = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,10})?")
#: How a reader says that a value does not have the form above.
NOT_PARTY_ID = "is not a party ID (upper case, e.g. CH or US-FWS)"


class InvalidPartyId(ValueError):
    """A party ID that does not follow section 1 of the profile."""


def is_party_id(value: object) -> bool:
    """``CH``, ``US-FWS``: an upper-case ISO 3166-1 alpha-2 code, optionally ``-`` and an authority code."""
    return isinstance(value, str) and PARTY_ID.fullmatch(value) is not None


def check_party_id(party: object) -> str:
    """Return ``party`` if it is a party ID, else raise :class:`InvalidPartyId` with a sentence."""
    if not is_party_id(party):
        raise InvalidPartyId(
            f"{party!r} is not a party ID: use the upper-case ISO 3166-1 alpha-2 country code, "
            "optionally followed by '-' and an authority code of up to 10 letters or digits (CH, US-FWS)"
        )
    return party  # type: ignore[return-value]


def party_of(name: x509.Name) -> str | None:
    """The party ID a subject names: ``countryName``, plus ``-organizationalUnitName`` if present."""
    countries = name.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    if not countries:
        return None
    units = name.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    party = str(countries[0].value) + (f"-{units[0].value}" if units else "")
    return party if is_party_id(party) else None


def party_of_certificate(certificate: x509.Certificate) -> str | None:
    """The party ID in a certificate's subject (ENV-02), or ``None`` if it names none."""
    return party_of(certificate.subject)
