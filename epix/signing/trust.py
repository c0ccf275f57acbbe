"""Whom to trust: the trust anchors each party registered with the pilot, and their CRLs
(SIG-04, SIG-06).

A signing certificate is trusted for a party when it chains, through any CA
certificates the signature carries, to one of that party's anchors. Results are
cached: a partner signs thousands of documents with the same few certificates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from epix import clock
from epix.party import is_party_id
from epix.signing.certificates import issuer_of, name_of

T = TypeVar("T")
_MAX_INTERMEDIATES = 4
_CACHE_LIMIT = 4096


class TrustError(Exception):
    """A trust store that cannot be built as given; the message names the party and file."""


@dataclass(frozen=True)
class Chain:
    """The path from a signing certificate to a trust anchor (anchor last), or why there is none."""

    path: tuple[x509.Certificate, ...]
    party: str | None
    problem: str | None = None

    @property
    def trusted(self) -> bool:
        return bool(self.path)


@dataclass(frozen=True)
class Revocation:
    """What the CRL of a certificate's issuer says about it."""

    state: Literal["good", "revoked", "unknown"]
    detail: str


class TrustStore:
    """Trust anchors and CRLs per party: ``TrustStore(anchors={"CH": [ca]}, crls={"CH": [crl]})``."""

    def __init__(
        self,
        anchors: Mapping[str, Iterable[x509.Certificate]],
        crls: Mapping[str, Iterable[x509.CertificateRevocationList]] | None = None,
    ):
        self._anchors: dict[str, tuple[x509.Certificate, ...]] = {}
        for party, certificates in anchors.items():
            _check_party(party)
            self._anchors[party] = tuple(certificates)
        self._crls: dict[x509.Certificate, list[x509.CertificateRevocationList]] = {}
        for party, lists in (crls or {}).items():
            _check_party(party)
            for crl in lists:
                self._crls.setdefault(self._crl_issuer(party, crl), []).append(crl)
        self._issued: dict[tuple[x509.Certificate, x509.Certificate], bool] = {}
        self._chains: dict[tuple[object, ...], Chain] = {}
        self._revocations: dict[tuple[x509.Certificate, x509.Certificate], tuple[Revocation, datetime | None]] = {}

    @classmethod
    def from_dir(cls, directory: Path | str) -> TrustStore:
        """Read ``<PARTY>/ca.pem`` (one or more anchors) and ``<PARTY>/crl.pem`` (optional) for each party."""
        root = Path(directory)
        if not root.is_dir():
            raise TrustError(f"{root} is not a directory of trust anchors (<PARTY>/ca.pem)")
        anchors: dict[str, list[x509.Certificate]] = {}
        crls: dict[str, list[x509.CertificateRevocationList]] = {}
        for folder in sorted(p for p in root.iterdir() if is_party_id(p.name) and (p / "ca.pem").is_file()):
            anchors[folder.name] = _read(folder / "ca.pem", x509.load_pem_x509_certificates)
            if (folder / "crl.pem").is_file():
                crls[folder.name] = [_read(folder / "crl.pem", x509.load_pem_x509_crl)]
        if not anchors:
            raise TrustError(f"{root} holds no trust anchor: expected <PARTY>/ca.pem, e.g. {root}/CH/ca.pem")
        return cls(anchors, crls)

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(self._anchors)

    def anchors_of(self, party: str) -> tuple[x509.Certificate, ...]:
        return self._anchors.get(party, ())

    def chain(self, leaf: x509.Certificate, intermediates: Iterable[x509.Certificate] = (),
              sender: str | None = None) -> Chain:
        """The path from ``leaf`` to an anchor of ``sender`` (of any party when ``sender`` is None)."""
        extra = tuple(intermediates)
        key = (leaf, extra, sender)
        if key not in self._chains:
            if len(self._chains) > _CACHE_LIMIT:
                self._chains.clear()
            self._chains[key] = self._find_chain(leaf, extra, sender)
        return self._chains[key]

    def revocation(self, certificate: x509.Certificate, issuer: x509.Certificate) -> Revocation:
        """The status of ``certificate`` by the CRL of ``issuer`` now: ``unknown`` when the issuer
        published none, or only CRLs past their ``nextUpdate`` that do not list it (stale)."""
        key = (certificate, issuer)
        now = clock.now()
        cached = self._revocations.get(key)
        if cached is None or (cached[1] is not None and now > cached[1]):
            if len(self._revocations) > _CACHE_LIMIT:
                self._revocations.clear()
            cached = self._revocations[key] = self._look_up(certificate, issuer, now)
        return cached[0]

    def _look_up(self, certificate: x509.Certificate, issuer: x509.Certificate,
                 now: datetime) -> tuple[Revocation, datetime | None]:
        """The status, and until when it holds (a CRL's ``nextUpdate``; ``None``: for ever)."""
        crls = self._crls.get(issuer)
        if not crls:
            return Revocation("unknown", f"no CRL is registered for the CA '{name_of(issuer)}', so the revocation "
                                         f"status of '{name_of(certificate)}' cannot be determined"), None
        for crl in crls:
            entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
            if entry is not None:
                return Revocation("revoked", _revoked_text(certificate, issuer, entry)), None
        fresh = [crl for crl in crls if crl.next_update_utc is None or now <= crl.next_update_utc]
        if not fresh:
            due = max(crl.next_update_utc for crl in crls if crl.next_update_utc is not None)
            return Revocation("unknown", f"the CRL of '{name_of(issuer)}' is stale: it was due to be renewed on "
                                         f"{clock.isoformat(due)} (nextUpdate), so the revocation status of "
                                         f"'{name_of(certificate)}' cannot be determined; the CA should publish a "
                                         "fresh CRL"), None
        until = min((crl.next_update_utc for crl in fresh if crl.next_update_utc is not None), default=None)
        return Revocation("good", f"'{name_of(certificate)}' is not listed in the CRL of '{name_of(issuer)}'"), until

    def _find_chain(self, leaf: x509.Certificate, extra: tuple[x509.Certificate, ...], sender: str | None) -> Chain:
        candidates = self._candidates(sender)
        for party, anchors in candidates.items():
            path = self._path(leaf, extra, anchors, _MAX_INTERMEDIATES)
            if path and _path_lengths_hold(path):
                return Chain(tuple(path), party)
        return Chain((), None, self._why_untrusted(leaf, extra, sender))

    def _candidates(self, sender: str | None) -> dict[str, tuple[x509.Certificate, ...]]:
        if sender is None:
            return self._anchors
        return {sender: self._anchors[sender]} if sender in self._anchors else {}

    def _path(self, certificate: x509.Certificate, extra: tuple[x509.Certificate, ...],
              anchors: tuple[x509.Certificate, ...], depth: int) -> list[x509.Certificate] | None:
        for anchor in anchors:
            if certificate == anchor:
                return [certificate]
            if self._issued_by(certificate, anchor):
                return [certificate, anchor]
        if depth == 0:
            return None
        for ca in extra:
            if ca != certificate and _can_issue(ca) and self._issued_by(certificate, ca):
                rest = self._path(ca, tuple(c for c in extra if c != ca), anchors, depth - 1)
                if rest:
                    return [certificate, *rest]
        return None

    def _issued_by(self, certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
        if certificate.issuer != issuer.subject:
            return False
        key = (certificate, issuer)
        if key not in self._issued:
            if len(self._issued) > _CACHE_LIMIT:
                self._issued.clear()
            try:
                certificate.verify_directly_issued_by(issuer)
                self._issued[key] = True
            except (ValueError, TypeError, InvalidSignature):
                self._issued[key] = False
        return self._issued[key]

    def _why_untrusted(self, leaf: x509.Certificate, extra: tuple[x509.Certificate, ...], sender: str | None) -> str:
        subject = f"the signing certificate '{name_of(leaf)}' was issued by '{issuer_of(leaf)}'"
        named = [a for a in self._candidates(sender).get(sender, ()) if a.subject == leaf.issuer] if sender else []
        if named:
            return (f"the signing certificate '{name_of(leaf)}' names the trust anchor '{issuer_of(leaf)}' of party "
                    f"{sender} as its issuer, but its signature does not verify with that anchor's key (or uses an "
                    "algorithm that cannot be verified); it was not issued by that CA")
        if sender is not None and sender not in self._anchors:
            return (f"{subject}, but no trust anchor is registered for party {sender}; "
                    f"register {sender}'s CA certificate in the trust store")
        if sender is None:
            return f"{subject}, which is not the trust anchor of any registered party"
        others = [party for party in self._anchors if party != sender
                  and self._path(leaf, extra, self._anchors[party], _MAX_INTERMEDIATES)]
        where = f" (it chains to the anchor of party {', '.join(others)})" if others else ""
        return (f"{subject}, which is not a trust anchor registered for party {sender}{where}; "
                f"{sender} must sign with a certificate issued by the CA it registered with the pilot")

    def _crl_issuer(self, party: str, crl: x509.CertificateRevocationList) -> x509.Certificate:
        for anchor in self._anchors.get(party, ()):
            if anchor.subject == crl.issuer and crl.is_signature_valid(anchor.public_key()):
                return anchor
        raise TrustError(f"the CRL of '{_name(crl.issuer)}' given for party {party} is not signed by any trust "
                         f"anchor registered for {party}; give the CRL that {party}'s CA published")


def _check_party(party: str) -> None:
    if not is_party_id(party):
        raise TrustError(f"{party!r} is not a party ID (CH, US-FWS); the trust store is keyed by party ID")


def _path_lengths_hold(path: list[x509.Certificate]) -> bool:
    """Each CA's BasicConstraints pathLenConstraint bounds the CA certificates below it."""
    for index, certificate in enumerate(path[1:], start=1):
        try:
            limit = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length
        except x509.ExtensionNotFound:
            continue
        if limit is not None and index - 1 > limit:
            return False
    return True


def _can_issue(certificate: x509.Certificate) -> bool:
    try:
        if not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        return False
    try:
        return certificate.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    except x509.ExtensionNotFound:
        return True


def _revoked_text(certificate: x509.Certificate, issuer: x509.Certificate, entry: x509.RevokedCertificate) -> str:
    reason = ""
    try:
        reason = f" (reason: {entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.value})"
    except x509.ExtensionNotFound:
        pass
    return (f"'{name_of(certificate)}' (serial {certificate.serial_number:X}) was revoked "
            f"on {clock.isoformat(entry.revocation_date_utc)}{reason} by the CRL of '{name_of(issuer)}'")


def _name(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return "<unreadable name>"


def _read(path: Path, loader: Callable[[bytes], T]) -> T:
    try:
        return loader(path.read_bytes())
    except OSError as exc:
        raise TrustError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise TrustError(f"{path} is not in PEM form ({exc})") from None
