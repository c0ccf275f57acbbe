"""The world the scenarios run in: the partner under test, our identity, the clients.

One :class:`World` per run. For a profile with ``[simulator]`` it takes the simulated
partner ``epix run`` started (:class:`epix.partner.suite.StartedSimulator`) or starts it
in process (:func:`epix.partner.suite.simulated_partner`) and learns its address, trust
anchors and test documents from it; for a profile with ``[partner]`` it
takes them from the profile. For a hub under test (capability ``hub``) it also serves the
harness's adapters behind the hub (:mod:`epix.hubtest`), and with ``[simulator] role = "hub"``
it starts the simulated hub in front of them. Every exchange any client makes is attached to the
Allure step that made it.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from epix.messages.soap import SoapSettings
from epix.partner.running import RunningPartner
from epix.partner.suite import (  # noqa: F401 - UNSERVED_PARTY, simulator_capabilities: for tests and conftest
    UNSERVED_PARTY, completed_profile, simulated_partner, simulator_capabilities, state_of,
)
from epix.pki import Pki
from epix.profile import OurParty, Partner, Profile
from epix.signing import SigningKey, TrustStore
from epix.transport import PartnerClient, PartnerUnreachable, SoapClient, client_context
from epix.transport.acquaintance import Acquaintance
from epix.hubtest.adapters import HarnessAdapters
from epix.hubtest.rig import HubRig, adapter_settings, harness_adapters
from epix.hubtest.simulated import SimulatedHub, completed_hub_profile, simulated_hub_of
from epix.transport.hub_client import HubClient
from steps.attach import attach_exchange

#: A client waits this much longer than the profile's deadlines, so that a late answer is
#: seen and reported as late rather than as no answer at all.
_GRACE = 5.0


@dataclass(frozen=True)
class PartnerItem:
    id: str
    quantity: Decimal
    unit: str | None


@dataclass
class PartnerDocument:
    """A test document at the partner, with its items when they are known."""

    number: str
    state: str
    token: str | None
    items: list[PartnerItem] = field(default_factory=list)


@dataclass
class World:
    profile: Profile
    partner: Partner
    us: OurParty
    pki: Pki | None
    documents: list[PartnerDocument]
    unreachable: str | None = None
    #: The hub under test and the harness's adapters behind it (capability ``hub``).
    hub: HubRig | None = None
    _taken: set[str] = field(default_factory=set)
    _shared: dict[str, PartnerDocument] = field(default_factory=dict)
    _clients: list[object] = field(default_factory=list)
    #: Per client certificate (identity), whether the partner has answered it (shared by its clients).
    _acquaintances: dict[str, Acquaintance] = field(default_factory=dict)

    # -- identities and trust ----------------------------------------------------
    @cached_property
    def signing_key(self) -> SigningKey:
        return SigningKey.from_files(self.us.signing_key, self.us.signing_certificate, tuple(self.us.chain))

    @cached_property
    def partner_trust(self) -> TrustStore:
        """The partner's registered anchors and CRLs: for its signed acknowledgements and documents."""
        from cryptography import x509

        anchors = [c for path in self.partner.trust_anchors for c in x509.load_pem_x509_certificates(path.read_bytes())]
        crls = [x509.load_pem_x509_crl(path.read_bytes()) for path in self.partner.crls]
        return TrustStore(anchors={self.partner.party: anchors}, crls={self.partner.party: crls})

    def negative_key(self, kind: str) -> SigningKey:
        """Our negative-test signing certificate ``kind`` (``expired``, ``rsa1024`` …) from the test PKI."""
        if self.pki is None or self.us.party not in self.pki.parties:
            import pytest

            pytest.skip("the profile gives no test PKI with negative-test certificates for our party (us.pki)")
        return self.pki.signing_key(self.us.party, kind)

    # -- clients -------------------------------------------------------------------
    def tls(self, identity: str = "us") -> ssl.SSLContext:
        """A client TLS context: ``us``, ``none`` (no client certificate), ``foreign`` (a
        certificate of a CA that is not registered), or a party ID of the test PKI."""
        anchors = list(self.partner.trust_anchors)
        if identity == "none":
            return client_context(anchors)
        if identity == "us":
            return client_context(anchors, self.us.client_certificate, self.us.client_key)
        if self.pki is None:
            import pytest

            pytest.skip("the profile gives no test PKI with further client certificates (us.pki)")
        if identity == "foreign":
            cert, key = self.pki.party(self.us.party).bad("foreign-tls-client")
            return client_context(anchors, cert, key)
        if identity not in self.pki.parties:
            import pytest

            pytest.skip(f"the test PKI has no party {identity}")
        files = self.pki.party(identity)
        return client_context(anchors, files.tls_client, files.tls_client_key)

    def rest(self, identity: str = "us", *, header_party: str | None = None, attach: bool = True) -> PartnerClient:
        """A binding B client; without mTLS the ``EPIX-Party`` header names ``identity``'s party."""
        self._require_binding("binding_b")
        party = header_party if header_party is not None else (None if self.partner.mtls else self._party_of(identity))
        client = PartnerClient(self.partner.binding_b.url, ssl_context=self.tls(identity), party=party,
                               **self._bounds, on_exchange=attach_exchange if attach else None,
                               acquaintance=self._acquaintance(identity))
        self._clients.append(client)
        return client

    def soap(self, identity: str = "us") -> SoapClient:
        self._require_binding("binding_a")
        binding = self.partner.binding_a
        settings = SoapSettings(namespace=binding.namespace, response_namespace=binding.response_namespace,
                                actions=dict(binding.actions))
        party = None if self.partner.mtls else self._party_of(identity)
        client = SoapClient(binding.url, settings=settings, ssl_context=self.tls(identity), party=party,
                            **self._bounds, on_exchange=attach_exchange, acquaintance=self._acquaintance(identity))
        self._clients.append(client)
        return client

    @property
    def adapter_timeout(self) -> float:
        """Seconds within which the partner's adapter must answer (PULL-01, PULL-02): the
        profile's adapter timeout, or the exchange bound ``[timeouts] answer`` when shorter."""
        self._require_binding("binding_a")
        return min(self.partner.binding_a.timeout, self.profile.timeouts.answer)

    def _acquaintance(self, identity: str) -> Acquaintance:
        return self._acquaintances.setdefault(identity, Acquaintance())

    @property
    def _bounds(self) -> dict[str, float]:
        """Every client's limits, from the profile: one deadline per exchange, the time to
        connect within it, and the most of an answer's body that is read."""
        return {"timeout": self.profile.timeouts.answer + _GRACE, "connect_timeout": self.profile.timeouts.connect,
                "max_body": self.profile.limits.answer_bytes}

    @cached_property
    def our_rest(self) -> PartnerClient:
        return self.rest()

    @cached_property
    def quiet_rest(self) -> PartnerClient:
        """Our binding B client that attaches nothing (for polling)."""
        return self.rest(attach=False)

    @cached_property
    def our_soap(self) -> SoapClient:
        return self.soap()

    @property
    def acknowledgement_wait(self) -> float:
        """How long a delivery polls for its final acknowledgement (ACK-05): twice the
        profile's deadline and more, so that a late one is seen and reported as late."""
        return self.profile.timeouts.acknowledgement * 2 + _GRACE

    # -- a hub under test --------------------------------------------------------------
    def hub_client(self, identity: str = "us") -> HubClient:
        """A client of the hub under test calling as ``identity`` (see :meth:`tls`); it waits
        for an answer past the hub's adapter timeout and its margin, so that a late one is seen."""
        rig = self.hub_rig()
        bounds = dict(self._bounds)
        bounds["timeout"] = max(bounds["timeout"], rig.silence + _GRACE)
        client = HubClient(rig.url, ssl_context=self.tls(identity), **bounds, on_exchange=attach_exchange,
                           acquaintance=self._acquaintance(f"hub:{identity}"))
        self._clients.append(client)
        return client

    def hub_identity(self, kind: str) -> str:
        """The identity (:meth:`tls`) of a caller of the hub: ``us``, ``none``, ``unregistered``
        (a party whose country has no MA at the hub) or ``disallowed`` (a registered caller
        the harness's adapters do not accept); a caller the profile does not name skips the scenario."""
        if kind in ("us", "none"):
            return kind
        rig = self.hub_rig()
        party = {"unregistered": rig.unregistered_caller, "disallowed": rig.disallowed_caller}[kind]
        if party is None:
            import pytest

            pytest.skip(f"the profile names no {kind} caller of the hub (partner.hub.{kind}_caller)")
        return party

    def hub_rig(self) -> HubRig:
        if self.hub is None:
            import pytest

            pytest.skip("the profile describes no hub under test ([partner.hub] and [us.adapters])")
        return self.hub

    @property
    def endpoint_url(self) -> str:
        """The partner's address, for a sentence about it."""
        if self.hub is not None:
            return self.hub.url
        return (self.partner.binding_b or self.partner.binding_a).url

    # -- parties ---------------------------------------------------------------------
    @property
    def partner_country(self) -> str:
        """The partner's country: its party ID up to any ``-`` (binding A's issuing country)."""
        return self.partner.party.split("-", 1)[0]

    @property
    def another_country(self) -> str:
        """A country other than the partner's, to name as the issuing country (PULL-12): ours,
        or another pilot country when we share the partner's."""
        ours = self.us.party.split("-", 1)[0]
        return ours if ours != self.partner_country else next(c for c in ("CH", "FR") if c != self.partner_country)

    def unserved_party(self) -> str:
        """A harness party the partner registers but does not serve (``us.unserved_party``,
        PULL-05); without one, the scenario is skipped: it cannot be shown."""
        if not self.us.unserved_party:
            import pytest

            pytest.skip("the profile names no harness party that the partner registers but does not serve "
                        "(us.unserved_party)")
        return self.us.unserved_party

    def another_party(self) -> str:
        """A registered party other than us and the partner (``us.other_party``); without one
        the scenario is skipped."""
        if not self.us.other_party:
            import pytest

            pytest.skip("the profile names no other registered party (us.other_party)")
        return self.us.other_party

    def _party_of(self, identity: str) -> str | None:
        if identity == "us":
            return self.us.party
        if identity in ("none", "foreign"):
            return None
        return identity

    def _require_binding(self, name: str) -> None:
        if getattr(self.partner, name) is None:
            import pytest

            pytest.skip(f"the profile gives no URL for the partner's {name.replace('_', ' ')}")

    # -- test documents -------------------------------------------------------------
    def take_document(self, state: str, *, fresh: bool) -> PartnerDocument:
        """A test document in ``state``. A ``fresh`` one is handed out once per run (its scenario may
        change it); the others share one document per state that no scenario changes.

        A remote partner may name only one document in a state other than ``issued``: then
        the scenarios share it. The simulated partner issues enough for each to have its own."""
        if not fresh and state in self._shared:
            return self._shared[state]
        for document in self.documents:
            if document.state == state and document.number not in self._taken:
                self._taken.add(document.number)
                if not fresh:
                    self._shared[state] = document
                return document
        if self.profile.is_simulator:
            raise LookupError(f"the simulated partner issued too few test documents in the state '{state}' for "
                              f"the scenarios that change one (epix.partner.suite.SIMULATOR_SEED, SIMULATOR_SEED_EACH_STATE)")
        if state != "issued":
            reused = self._shared.get(state) or next((d for d in self.documents if d.state == state), None)
            if reused is not None:
                return reused
        import pytest

        pytest.skip(f"the profile names no{' further' if fresh else ''} test document of the partner in the "
                    f"state '{state}' (partner.documents)")

    def close(self) -> None:
        for client in self._clients:
            with contextlib.suppress(Exception):
                client.close()


# ---------------------------------------------------------------------------
# Making the world.

@contextlib.contextmanager
def open_world(profile: Profile, running: RunningPartner | SimulatedHub | None = None) -> Iterator[World]:
    """The world for ``profile``: the simulated partner (``running``, started already, or
    started now), or the profile's remote one."""
    if profile.simulator is not None:
        with _simulated(profile, running) as world:
            yield world
        return
    pki = _our_pki(profile)
    documents = [PartnerDocument(d.number, d.state, d.token) for d in profile.partner.documents]
    world = World(profile, profile.partner, profile.us, pki, documents)
    with contextlib.ExitStack() as stack:
        if profile.partner.hub is not None and profile.us.adapters is not None:
            adapters = stack.enter_context(harness_adapters(profile.us.adapters))
            world.hub = _hub_rig(profile.partner, profile.us, adapters)
        try:
            _probe(world)
            yield world
        finally:
            world.close()


def _our_pki(profile: Profile) -> Pki | None:
    return Pki.load(profile.us.pki) if profile.us.pki else None


@contextlib.contextmanager
def _simulated(profile: Profile, running: RunningPartner | SimulatedHub | None) -> Iterator[World]:
    if profile.simulator.role == "hub":
        with _simulated_hub(profile, running) as world:
            yield world
        return
    with contextlib.ExitStack() as stack:
        if running is None:
            running = stack.enter_context(simulated_partner(profile))
        world = _world_of_simulator(profile, running)
        try:
            _probe(world)
            yield world
        finally:
            world.close()


@contextlib.contextmanager
def _simulated_hub(profile: Profile, running: SimulatedHub | None) -> Iterator[World]:
    """The simulated hub (started already, or now), with the harness's adapters behind it,
    and the world that calls it."""
    with contextlib.ExitStack() as stack:
        if running is None:
            running = stack.enter_context(simulated_hub_of(profile))
        completed = completed_hub_profile(profile, running)
        world = World(completed, completed.partner, completed.us, running.pki, [])
        world.hub = _hub_rig(completed.partner, completed.us, running.adapters)
        try:
            _probe(world)
            yield world
        finally:
            world.close()


def _hub_rig(partner: Partner, us: OurParty, adapters: HarnessAdapters) -> HubRig:
    settings = us.adapters
    return HubRig(url=partner.hub.url, adapters=adapters, country=settings.country, adapter_timeout=settings.timeout,
                  settings=adapter_settings(settings), unregistered_caller=partner.hub.unregistered_caller,
                  disallowed_caller=partner.hub.disallowed_caller, unknown_country=partner.hub.unknown_country)


def _world_of_simulator(profile: Profile, running: RunningPartner) -> World:
    seeded = running.documents()
    completed = completed_profile(profile, running, seeded)
    documents = [PartnerDocument(d.number, state_of(d), d.token,
                                 [PartnerItem(i.id, i.quantity, i.unit) for i in d.items])
                 for d in seeded]
    return World(completed, completed.partner, completed.us, running.pki, documents)


def _probe(world: World) -> None:
    """One cheap call before any scenario: an unreachable partner is found once, not per scenario."""
    try:
        if world.hub is not None:
            world.hub_client().wsdl()
        elif world.partner.binding_b is not None:
            world.our_rest.status()
        elif world.partner.binding_a is not None:
            world.our_soap.service_state()
    except PartnerUnreachable as unreachable:
        world.unreachable = unreachable.sentence
