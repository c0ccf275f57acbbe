"""What the preflight checks: the partner's bindings and trust material from a profile, and
our own client identity and deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from epix.messages.soap import SoapSettings
from epix.profile import Profile


@dataclass(frozen=True)
class Binding:
    """One binding of the partner: ``A`` (SOAP, ServiceState) or ``B`` (REST, ``GET /status``)."""

    name: str
    url: str

    @property
    def origin(self) -> Origin:
        parts = urlsplit(self.url)
        return Origin(parts.scheme, parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))

    @property
    def label(self) -> str:
        """The name of its line: ``binding B https://…/epix/v1``."""
        return f"binding {self.name} {self.url}"

    @property
    def field(self) -> str:
        """The profile's field that gives its URL."""
        return f"partner.binding_{self.name.lower()}.url"


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Target:
    party: str
    bindings: tuple[Binding, ...]
    trust_anchors: tuple[Path, ...]
    crls: tuple[Path, ...]
    mtls: bool
    our_party: str
    client_certificate: Path | None
    client_key: Path | None
    soap: SoapSettings
    connect_timeout: float
    answer_timeout: float

    @classmethod
    def of(cls, profile: Profile) -> Target:
        """The partner of ``profile`` (a ``[partner]`` profile, or one completed with the
        simulated partner: :func:`epix.partner.suite.completed_profile`)."""
        partner, us = profile.partner, profile.us
        bindings = []
        if partner.binding_b is not None:
            bindings.append(Binding("B", partner.binding_b.url))
        if partner.binding_a is not None:
            bindings.append(Binding("A", partner.binding_a.url))
        soap = SoapSettings()
        if partner.binding_a is not None:
            soap = SoapSettings(namespace=partner.binding_a.namespace,
                                response_namespace=partner.binding_a.response_namespace,
                                actions=dict(partner.binding_a.actions))
        return cls(
            party=partner.party, bindings=tuple(bindings), trust_anchors=tuple(partner.trust_anchors),
            crls=tuple(partner.crls), mtls=partner.mtls, our_party=us.party,
            client_certificate=us.client_certificate, client_key=us.client_key, soap=soap,
            connect_timeout=profile.timeouts.connect, answer_timeout=profile.timeouts.answer,
        )

    @property
    def origins(self) -> list[Origin]:
        """Where the bindings are served, each once, in the order of the bindings."""
        return list(dict.fromkeys(binding.origin for binding in self.bindings))

    def anchor_certificates(self) -> list[x509.Certificate]:
        """The certificates in the partner's trust anchor files (the profile checked they hold some)."""
        found = []
        for path in self.trust_anchors:
            try:
                found += x509.load_pem_x509_certificates(path.read_bytes())
            except (OSError, ValueError):
                continue
        return found
