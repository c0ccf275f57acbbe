"""The simulated partner of a run: started as a profile's ``[simulator]`` table says, and the
profile completed with what the partner is (its address, trust anchors and test documents,
and our credentials from its test PKI).

``epix run`` starts it before the suite, so that the preflight checks the very partner the
scenarios then run against, and hands it over with :class:`StartedSimulator` (a pytest
plugin); a plain ``pytest --profile`` run starts it in the suite's world.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from epix import clock
from epix.messages.soap import ADAPTER_TIMEOUT
from epix.partner.issuing import SeededDocument
from epix.partner.running import RunningPartner, running_partner
from epix.pki import init_pki
from epix.profile import (
    BINDING_A_CAPABILITIES, BindingA, BindingB, OurParty, Partner, Profile, SimulatorSettings, TestDocument,
)

#: What the simulated partner claims unless the profile's [simulator] says otherwise.
SIMULATOR_CAPABILITIES = frozenset({
    "pull", "final", "confirm-quantities", "receive", "retrieve", "usage-report", "cancel", "signed-documents",
})
#: Parties of the simulator's PKI: us, the partner, a third registered party it serves,
#: and a registered party it does not serve (PULL-05).
UNSERVED_PARTY = "AT"
#: Unused permits the simulated partner issues at start: enough for every scenario that uses one up.
SIMULATOR_SEED = 24
#: Cancelled, used-in-full and expired permits it issues (each): one for every scenario that
#: changes such a document, and one shared by those that only look at it.
SIMULATOR_SEED_EACH_STATE = 4
#: Where a run may keep the simulator's test PKI between runs (the self-test sets it).
PKI_CACHE_VARIABLE = "EPIX_SUITE_PKI"


class StartedSimulator:
    """A pytest plugin that hands the suite the simulator ``epix run`` started: a
    :class:`RunningPartner`, or the simulated hub (:class:`epix.hubtest.simulated.SimulatedHub`)."""

    def __init__(self, running: object):
        self.running = running


def simulator_capabilities(settings: SimulatorSettings | None) -> frozenset[str]:
    if settings is not None and settings.capabilities is not None:
        return settings.capabilities
    if settings is not None and settings.role == "hub":
        return frozenset({"hub"})
    extra = {"async-ack"} if settings is not None and settings.acknowledgements == "async" else set()
    return SIMULATOR_CAPABILITIES | extra


@contextlib.contextmanager
def simulated_partner(profile: Profile) -> Iterator[RunningPartner]:
    """The simulated partner ``profile.simulator`` describes, started with its own PKI (or the
    one :data:`PKI_CACHE_VARIABLE` names) and database in a temporary folder, and stopped at the end."""
    settings = profile.simulator
    us = profile.us.party
    peers = [us, *[p for p in (profile.us.other_party,) if p and p not in (us, settings.party)]]
    with tempfile.TemporaryDirectory(prefix="epix-suite-") as folder:
        pki_dir = Path(os.environ.get(PKI_CACHE_VARIABLE) or Path(folder) / "pki")
        pki = init_pki([settings.party, *peers, UNSERVED_PARTY], pki_dir)
        with running_partner(
            settings.party, pki_dir=pki.root, peers=tuple(peers), db_path=Path(folder) / "partner.db",
            faults=settings.faults, mtls=settings.mtls, ack_mode=settings.acknowledgements, seed=SIMULATOR_SEED,
            seed_each_state=SIMULATOR_SEED_EACH_STATE,
            ack_deadline=profile.timeouts.acknowledgement, pull_deadline=simulated_adapter_timeout(profile),
        ) as running:
            yield running


def completed_profile(profile: Profile, running: RunningPartner,
                      seeded: Sequence[SeededDocument] | None = None) -> Profile:
    """``profile`` with the simulated partner ``running`` as its partner, and our credentials
    from its PKI; ``seeded`` are its documents (read from it when not given)."""
    pki = running.pki
    settings = profile.simulator
    ours = pki.party(profile.us.party)
    us = OurParty(party=profile.us.party, client_certificate=ours.tls_client, client_key=ours.tls_client_key,
                  signing_certificate=ours.signing, signing_key=ours.signing_key,
                  other_party=profile.us.other_party, unserved_party=UNSERVED_PARTY)
    theirs = pki.party(settings.party)
    claims = simulator_capabilities(settings)
    seeded = running.documents() if seeded is None else seeded
    partner = Partner(
        party=settings.party, capabilities=claims, trust_anchors=(theirs.ca,), crls=(theirs.crl,),
        binding_a=(BindingA(url=running.soap_url, timeout=simulated_adapter_timeout(profile))
                   if claims & set(BINDING_A_CAPABILITIES) else None),
        binding_b=BindingB(url=running.base_url), mtls=settings.mtls, acknowledgements=settings.acknowledgements,
        size_limit_bytes=running.config.max_body,
        documents=tuple(TestDocument(d.number, state_of(d), d.token) for d in seeded),
    )
    return profile.with_partner(partner, us)


def state_of(document: SeededDocument) -> str:
    """Its state, with an issued document whose validity has ended called ``expired``."""
    if document.state == "issued" and document.valid_until:
        until = datetime.fromisoformat(document.valid_until.replace("Z", "+00:00"))
        if until < clock.now():
            return "expired"
    return document.state


def simulated_adapter_timeout(profile: Profile) -> float:
    """The simulated adapter's timeout: the spec's default, or the profile's exchange bound
    when that is shorter (the self-test's quick runs)."""
    return min(ADAPTER_TIMEOUT, profile.timeouts.answer)
