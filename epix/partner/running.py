"""The partner in process: started on a free loopback port with its own database (and,
unless one is given, its own PKI) in a temporary folder, for tests and for the suite.

    with running_partner("FR", pki_dir=pki.root) as partner:
        with partner.client("CH") as client:            # binding B, mutual TLS as CH
            exchange = client.deliver(envelope_bytes)
        soap = partner.soap_client("CH")                 # binding A
"""

from __future__ import annotations

import contextlib
import ssl
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette

from epix.partner.app import create_app
from epix.partner.config import BASE_PATH, SOAP_PATH, PartnerConfig
from epix.partner.endpoint import PartnerEndpoint
from epix.partner.faults import Faults
from epix.partner.issuing import SeededDocument
from epix.partner.server import LOOPBACK, BackgroundServer
from epix.pki import Pki, init_pki
from epix.signing import TrustStore
from epix.transport import PartnerClient, SoapClient, client_context, server_context


@dataclass
class RunningPartner:
    """A started partner: where it listens and the trust material to talk to it."""

    party: str
    base_url: str
    soap_url: str
    pki: Pki
    db_path: Path
    endpoint: PartnerEndpoint
    server: BackgroundServer | None = None

    @property
    def server_ca(self) -> Path:
        """The CA file that issued the partner's TLS server certificate."""
        return self.pki.party(self.party).ca

    @property
    def trust(self) -> TrustStore:
        """Every party's signing anchor and CRL: what verifies the partner's signatures."""
        return self.pki.trust_store

    @property
    def config(self) -> PartnerConfig:
        return self.endpoint.config

    def ssl_context(self, party: str | None) -> ssl.SSLContext:
        """A client context trusting the partner's server, presenting ``party``'s TLS client
        certificate (none when ``party`` is ``None``)."""
        if party is None:
            return client_context(self.server_ca)
        files = self.pki.party(party)
        return client_context(self.server_ca, files.tls_client, files.tls_client_key)

    def client(self, party: str | None, **options) -> PartnerClient:
        """A binding-B client calling as ``party`` (mutual TLS, or the EPIX-Party header when it is off)."""
        return PartnerClient(self.base_url, **self._options(party, options))

    def soap_client(self, party: str | None, **options) -> SoapClient:
        """A binding-A client calling as ``party``."""
        return SoapClient(self.soap_url, settings=self.config.soap, **self._options(party, options))

    def documents(self) -> list[SeededDocument]:
        """The partner's own documents with their tokens and states, as they stand now."""
        return self.endpoint.documents()

    def _options(self, party: str | None, options: dict) -> dict:
        options.setdefault("ssl_context", self.ssl_context(party if self.config.mtls else None))
        if not self.config.mtls:
            options.setdefault("party", party)
        return options


@contextlib.contextmanager
def running_partner(
    party: str = "FR",
    *,
    pki_dir: Path | str | None = None,
    pki_parties: Sequence[str] = ("CH", "DE"),
    db_path: Path | str | None = None,
    faults: Sequence[str] = (),
    port: int = 0,
    **settings,
) -> Iterator[RunningPartner]:
    """Start the partner ``party`` on ``127.0.0.1`` (a free port unless ``port`` is given),
    yield it, and stop it cleanly. Without ``pki_dir`` a PKI for ``party`` and
    ``pki_parties`` is made in a temporary folder (a few seconds); without ``db_path`` the database is
    made there too. ``settings`` are further :class:`PartnerConfig` fields
    (``mtls=False``, ``ack_mode="async"``, ``seed=5``, ``peers=("CH",)`` …)."""
    with tempfile.TemporaryDirectory(prefix=f"epix-partner-{party}-") as scratch:
        folder = Path(scratch)
        pki = Pki.load(pki_dir) if pki_dir is not None else init_pki([party, *pki_parties], folder / "pki")
        config = PartnerConfig(party=party, pki_dir=pki.root, db_path=Path(db_path or folder / "partner.db"),
                               faults=Faults(faults), **settings)
        endpoint = PartnerEndpoint(config)
        endpoint.start()
        try:
            server = BackgroundServer(create_app(endpoint), ssl_context=partner_ssl_context(endpoint), port=port)
            server.start()
        except BaseException:
            endpoint.stop()
            raise
        try:
            base = f"{server.origin}{BASE_PATH}"
            yield RunningPartner(party, base, f"{base}{SOAP_PATH}", pki, config.db_path, endpoint, server)
        finally:
            server.stop()
            endpoint.stop()


def partner_ssl_context(endpoint: PartnerEndpoint) -> ssl.SSLContext:
    """TLS 1.2+ with the partner's server certificate; with mutual TLS, client certificates
    must be issued by the CA of a party in its PKI (PULL-05)."""
    own = endpoint.pki.party(endpoint.config.party)
    cas = [endpoint.pki.party(p).ca for p in endpoint.pki.parties]
    return server_context(own.tls_server, own.tls_server_key, client_ca_files=cas,
                          require_client_certificate=endpoint.config.mtls)


@contextlib.contextmanager
def partner_app(config: PartnerConfig) -> Iterator[Starlette]:
    """The partner's ASGI app without a server, e.g. for ``httpx.ASGITransport`` (no TLS:
    run it with ``mtls=False`` so that the ``EPIX-Party`` header names the caller)."""
    endpoint = PartnerEndpoint(config)
    endpoint.start()
    try:
        yield create_app(endpoint)
    finally:
        endpoint.stop()


__all__ = ["LOOPBACK", "RunningPartner", "partner_app", "partner_ssl_context", "running_partner"]
