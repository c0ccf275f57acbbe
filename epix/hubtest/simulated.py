"""The simulated hub with the harness's adapters behind it (a profile's ``[simulator] role = "hub"``).

The harness's adapters start first, on a free port; the hub's registry is written to
point at them: our party and :data:`DISALLOWED_CALLER` are registered callers, only our
party may use the adapters, and :data:`UNREGISTERED_CALLER`'s country has no MA. The hub
presents its own TLS client certificate (:data:`epix.pki.HUB_PARTY`) to the adapters,
which require it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from epix.hub.running import HubConfig, RunningHub, start_hub
from epix.hubtest.adapters import HarnessAdapters
from epix.hubtest.registry import RegisteredAdapter, write_registry
from epix.partner.suite import PKI_CACHE_VARIABLE, simulator_capabilities
from epix.pki import HUB_PARTY, Pki, init_pki, with_hub
from epix.profile import HubUnderTest, OurAdapters, OurParty, Partner, Profile

#: A party registered at the simulated hub that may not use the harness's adapters.
DISALLOWED_CALLER = "DE"
#: A party of the test PKI whose country has no MA at the simulated hub.
UNREGISTERED_CALLER = "AT"


@dataclass
class SimulatedHub:
    """The started hub, the adapters behind it, the PKI, and the CA of the hub's server certificate."""

    running: RunningHub
    adapters: HarnessAdapters
    pki: Pki
    hub_ca: Path


@contextlib.contextmanager
def simulated_hub(pki: Pki, folder: Path, *, caller: str, country: str, timeout: float,
                  faults: Sequence[str] = ()) -> Iterator[SimulatedHub]:
    """Start the harness's adapters for ``country`` and the simulated hub in front of them,
    with ``faults``; ``caller`` is the registered caller the adapters serve."""
    pki = with_hub(pki)
    hub, adapter = pki.party(HUB_PARTY), pki.party(country)
    with HarnessAdapters(adapter.tls_server, adapter.tls_server_key, client_cas=(hub.ca,)) as adapters:
        registry = write_registry(
            folder / "registry.toml", client_certificate=hub.tls_client, client_key=hub.tls_client_key,
            callers=[caller, DISALLOWED_CALLER],
            adapters=[RegisteredAdapter(country, adapters.url, adapter.ca, timeout, callers=(caller,))])
        with start_hub(HubConfig(pki_dir=pki.root, adapters=registry, faults=tuple(faults))) as running:
            yield SimulatedHub(running, adapters, pki, hub.ca)


@contextlib.contextmanager
def simulated_hub_of(profile: Profile) -> Iterator[SimulatedHub]:
    """The simulated hub a profile's ``[simulator] role = "hub"`` describes, with the
    harness's adapters of ``[us.adapters]`` behind it; its PKI (or the one
    :data:`~epix.partner.suite.PKI_CACHE_VARIABLE` names) in a temporary folder."""
    us = profile.us.party
    adapters = profile.us.adapters or OurAdapters()
    with tempfile.TemporaryDirectory(prefix="epix-suite-hub-") as folder:
        pki_dir = Path(os.environ.get(PKI_CACHE_VARIABLE) or Path(folder) / "pki")
        pki = init_pki([adapters.country, us, DISALLOWED_CALLER, UNREGISTERED_CALLER], pki_dir)
        with simulated_hub(pki, Path(folder), caller=us, country=adapters.country, timeout=adapters.timeout,
                           faults=profile.simulator.faults) as simulated:
            yield simulated


def completed_hub_profile(profile: Profile, simulated: SimulatedHub) -> Profile:
    """``profile`` with the simulated hub as its partner (capability ``hub``), and our
    credentials and adapters' settings from its PKI."""
    us = profile.us.party
    ours = simulated.pki.party(us)
    our_party = OurParty(party=us, client_certificate=ours.tls_client, client_key=ours.tls_client_key,
                         signing_certificate=ours.signing, signing_key=ours.signing_key,
                         adapters=profile.us.adapters or OurAdapters())
    hub = HubUnderTest(url=simulated.running.base_url, unregistered_caller=UNREGISTERED_CALLER,
                       disallowed_caller=DISALLOWED_CALLER)
    partner = Partner(party=HUB_PARTY, capabilities=simulator_capabilities(profile.simulator),
                      trust_anchors=(simulated.hub_ca,), hub=hub)
    return profile.with_partner(partner, our_party)
