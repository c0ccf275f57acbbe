"""One simulated partner: its configuration, keys, store and the handlers of both bindings,
put together once and shared by the ASGI app and the background work. The parts behave as
the profile says; the faults switched on in the configuration then replace the seams they
concern (:func:`epix.partner.conduct.conduct`)."""

from __future__ import annotations

import dataclasses
import functools
import logging
from pathlib import Path

from epix import clock
from epix.codelists import default_codelists
from epix.partner.answers import Acknowledger, Errors
from epix.partner.background import Background
from epix.partner.config import PartnerConfig
from epix.partner.conduct import conduct
from epix.partner.identity import Identifier, Identity
from epix.partner.issuing import Issuer, SeededDocument
from epix.partner.lifecycle import Lifecycle
from epix.partner.pull import Puller
from epix.partner.receive import Receiver
from epix.partner.replyto import ReplyPoster
from epix.partner.resources import Resources
from epix.partner.serving import Serving
from epix.partner.store import Store
from epix.pki import Pki
from epix.schemaset import default_schema_set
from epix.validation.document import Checking

log = logging.getLogger("epix.partner")


class PartnerEndpoint:
    """Everything one partner needs; :meth:`start` seeds its documents and resumes unfinished
    work, :meth:`stop` ends the background work and closes the store."""

    def __init__(self, config: PartnerConfig):
        self.pki = _load_pki(config.pki_dir)
        peers = config.peers if config.peers is not None else tuple(p for p in self.pki.parties if p != config.party)
        self.config = dataclasses.replace(config, peers=peers)
        self.key = self.pki.signing_key(config.party)
        self.trust = self.pki.trust_store
        checking = Checking(default_schema_set(), default_codelists(), clock.now())
        self.store = Store(config.db_path)
        self.background = Background()
        self.acknowledger = Acknowledger(config.party, self.key)
        self.identifier = Identifier(config.mtls)
        self.errors = Errors()
        self.issuer = Issuer(config.party, self.key, checking.schema_set)
        self.lifecycle = Lifecycle(config.party, self.issuer, self.errors)
        self.receiver = Receiver(self.config, self.store, self.acknowledger, self.errors, self.lifecycle, checking,
                                 self.trust, self._schedule_final)
        self.receiver.on_final = self._final_committed
        self.resources = Resources(self.config, self.store, self.acknowledger, self.errors, checking, self.trust)
        self.puller = Puller(self.config, self.store, self.issuer, self.lifecycle)
        self.replies = ReplyPoster(self.config, self.store, self.pki, self.background)
        self.serving = Serving()
        conduct(self.config.faults, self.parts)

    @property
    def parts(self) -> tuple[object, ...]:
        """The parts whose methods are the seams a fault may replace (:mod:`epix.partner.faults`)."""
        return (self.identifier, self.errors, self.acknowledger, self.lifecycle, self.receiver, self.resources,
                self.puller, self.serving)

    def identify(self, scope: dict) -> Identity:
        """ENV-02, PULL-05: who is calling, by the client certificate (by the ``EPIX-Party``
        header only on a test set-up without mutual TLS)."""
        return self.identifier.identify(scope)

    def start(self) -> None:
        self.seed()
        self.resume()

    def seed(self) -> None:
        """Issue the partner's own documents, unless the store has them already."""
        with self.store.write() as session:
            self.issuer.seed(session, count=self.config.seed, each=self.config.seed_each_state,
                             peer=(self.config.peers or ("FR",))[0])

    def resume(self) -> None:
        """Take up what a previous run left unfinished: final Acknowledgements and ReplyTo posts."""
        with self.store.read() as session:
            unfinished = session.envelopes(status="Received")
            unposted = session.envelopes(reply_state="pending")
        for record in unfinished:
            self._schedule_final(0, record.sender, record.message_id)
        for record in unposted:
            self.replies.post(record.sender, record.message_id)

    def stop(self) -> None:
        self.background.stop()
        self.store.close()

    def documents(self) -> list[SeededDocument]:
        """The partner's own documents (number, token, state, items), for tests and profiles."""
        with self.store.read() as session:
            return self.issuer.seeded(session)

    def _schedule_final(self, delay: float, sender: str, message_id: str) -> None:
        def finish() -> None:
            record = self.receiver.finish(sender, message_id)
            if record is not None:
                log.info("final Acknowledgement of %s from %s: %s", message_id, sender, record.status)

        self.background.later(delay, finish, f"final Acknowledgement of {message_id}")

    def _final_committed(self, sender: str, message_id: str, reply_to: str | None) -> None:
        if reply_to:
            self.replies.post(sender, message_id)


def _load_pki(directory: Path) -> Pki:
    """The PKI at ``directory``, loaded once per process while the directory is unchanged
    (its signing keys and trust store are parsed on first use and kept)."""
    path = Path(directory).resolve()
    return _cached_pki(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _cached_pki(path: Path, modified: int) -> Pki:
    return Pki.load(path)
