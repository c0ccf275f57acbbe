"""The simulated hub started in process, on a real HTTPS server (loopback, a free port by default).

    with start_hub(HubConfig(pki_dir=pki.root)) as hub:        # the PKI's parties' adapters behind it
        answer = httpx.post(hub.action_url, content=build_call(...), headers=call_headers(op), verify=context)

Without ``adapters`` every country party of the test PKI has an adapter behind the hub:
a simulated partner of its own (:func:`epix.partner.running.running_partner`) in the same
process, which serves the hub. With ``adapters`` (a registry file,
:mod:`epix.hub.registry`) the hub relays to the adapters it names. The hub's server and
client certificates are the PKI's :data:`~epix.pki.HUB_PARTY` material (added to the PKI
when missing); the registry's ``[hub] client_certificate`` replaces the client one.
"""

from __future__ import annotations

import contextlib
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from epix.hub.app import ACTION_PATH, WSDL_PATH, create_app
from epix.hub.registry import AdapterEntry, Registry, load_registry
from epix.hub.service import Hub, HubExchange
from epix.partner.running import RunningPartner, running_partner
from epix.partner.server import LOOPBACK, BackgroundServer
from epix.pki import HUB_PARTY, Pki, with_hub
from epix.transport import client_context, server_context


@dataclass(frozen=True)
class HubConfig:
    """How one simulated hub is set up: its PKI, its registry (``None``: the PKI's parties'
    own adapters in process), its faults, where it listens, and whether the caller's
    country comes from its client certificate (``mtls``) or from the ``X-SSL-CLIENT-S-DN``
    header a TLS proxy passes on."""

    pki_dir: Path
    adapters: Path | None = None
    faults: tuple[str, ...] = ()
    host: str = LOOPBACK
    port: int = 0
    mtls: bool = True


@dataclass
class RunningHub:
    """A started hub: where it listens, its trust material, and the adapters it runs itself."""

    base_url: str
    pki: Pki
    hub: Hub
    server: BackgroundServer
    #: The simulated adapters behind the hub, by country (none with a registry file).
    partners: dict[str, RunningPartner] = field(default_factory=dict)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack, repr=False)

    @property
    def wsdl_url(self) -> str:
        return f"{self.base_url}{WSDL_PATH}"

    @property
    def action_url(self) -> str:
        return f"{self.base_url}{ACTION_PATH}"

    @property
    def server_ca(self) -> Path:
        """The CA file that issued the hub's TLS server certificate."""
        return self.pki.party(HUB_PARTY).ca

    @property
    def exchanges(self) -> list[HubExchange]:
        """The calls it answered, oldest first, each with its exchange with the adapter."""
        return list(self.hub.exchanges)

    def ssl_context(self, party: str | None) -> ssl.SSLContext:
        """A client context trusting the hub, presenting ``party``'s TLS client certificate (none for ``None``)."""
        if party is None:
            return client_context(self.server_ca)
        files = self.pki.party(party)
        return client_context(self.server_ca, files.tls_client, files.tls_client_key)

    def stop(self) -> None:
        self._stack.close()

    def __enter__(self) -> RunningHub:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_hub(config: HubConfig) -> RunningHub:
    """Start the hub of ``config`` (and, without a registry, its adapters); stop it with
    :meth:`RunningHub.stop` or by leaving its ``with`` block."""
    pki = with_hub(Pki.load(config.pki_dir))
    stack = contextlib.ExitStack()
    try:
        partners: dict[str, RunningPartner] = {}
        if config.adapters is not None:
            registry = _with_client_certificate(load_registry(config.adapters), pki)
        else:
            partners = _own_adapters(pki, stack)
            registry = _registry_of(partners, pki)
        hub = Hub(registry, mtls=config.mtls, faults=config.faults)
        server = BackgroundServer(create_app(hub), ssl_context=hub_ssl_context(pki, mtls=config.mtls),
                                  host=config.host, port=config.port)
        server.start()
        stack.callback(server.stop)
    except BaseException:
        stack.close()
        raise
    return RunningHub(server.origin, pki, hub, server, partners, stack)


def hub_ssl_context(pki: Pki, *, mtls: bool) -> ssl.SSLContext:
    """TLS 1.2+ with the hub's server certificate. With ``mtls`` a client certificate of a
    PKI party is asked for but not required: a caller without one gets ``CertificateMissing``."""
    own = pki.party(HUB_PARTY)
    context = server_context(own.tls_server, own.tls_server_key, client_ca_files=[pki.party(p).ca for p in pki.parties],
                             require_client_certificate=mtls)
    if mtls:
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def callers_of(pki: Pki) -> tuple[str, ...]:
    """The country parties of ``pki`` (not the hub, not authorities such as ``US-FWS``)."""
    return tuple(p for p in pki.parties if len(p) == 2)


def _own_adapters(pki: Pki, stack: contextlib.ExitStack) -> dict[str, RunningPartner]:
    countries = callers_of(pki)
    return {
        country: stack.enter_context(running_partner(
            country, pki_dir=pki.root, peers=(*(c for c in countries if c != country), HUB_PARTY)))
        for country in countries
    }


def _registry_of(partners: dict[str, RunningPartner], pki: Pki) -> Registry:
    hub = pki.party(HUB_PARTY)
    adapters = {
        country: AdapterEntry(country, partner.soap_url, partner.server_ca, partner.config.soap.namespace,
                              partner.config.soap.response_namespace)
        for country, partner in partners.items()
    }
    return Registry(tuple(partners), adapters, hub.tls_client, hub.tls_client_key)


def _with_client_certificate(registry: Registry, pki: Pki) -> Registry:
    if registry.client_certificate is not None:
        return registry
    hub = pki.party(HUB_PARTY)
    return Registry(registry.callers, registry.adapters, hub.tls_client, hub.tls_client_key)
