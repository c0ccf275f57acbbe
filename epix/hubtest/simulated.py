"""The simulated hub with the harness's adapters behind it (a profile's ``[simulator] role = "hub"``).

The harness's adapters start first, on a free port; the hub's registry is written to
point at them: our party and :data:`DISALLOWED_CALLER` are registered callers, only our
party may use the adapters, and :data:`UNREGISTERED_CALLER`'s country has no MA. The hub
presents its own TLS client certificate (:data:`epix.pki.HUB_PARTY`) to the adapters,
which require it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from epix.hub.running import HubConfig, RunningHub, start_hub
from epix.hubtest.adapters import HarnessAdapters
from epix.hubtest.registry import RegisteredAdapter, write_registry
from epix.pki import HUB_PARTY, Pki, with_hub

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
