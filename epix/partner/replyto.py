"""Posting the final Acknowledgement to the sender's ``ReplyTo`` (ACK-05), with retries.

The partner posts to ``<ReplyTo>/acknowledgements`` with its TLS client certificate,
trusting every party's CA of its PKI. A 2xx answer ends it (``delivered``); a 4xx
answer too (``refused``: retrying the same bytes cannot help); 5xx or no answer is
tried again with exponential backoff until the attempts are used up (``failed``).
"""

from __future__ import annotations

import logging

from epix.partner.background import Background
from epix.partner.config import PartnerConfig
from epix.partner.store import Store
from epix.pki import Pki
from epix.transport import PartnerClient, PartnerUnreachable, client_context

log = logging.getLogger("epix.partner")


class ReplyPoster:
    def __init__(self, config: PartnerConfig, store: Store, pki: Pki, background: Background):
        self.config = config
        self.store = store
        self.background = background
        own = pki.party(config.party)
        self._context = client_context([pki.party(p).ca for p in pki.parties], own.tls_client, own.tls_client_key)

    def post(self, sender: str, message_id: str) -> None:
        """Post the stored final Acknowledgement of ``(sender, message_id)`` in the background."""
        self.background.later(0, lambda: self._deliver(sender, message_id), f"ReplyTo for {message_id}")

    def _deliver(self, sender: str, message_id: str) -> None:
        with self.store.read() as session:
            record = session.envelope(sender, message_id)
        if record is None or not record.reply_to or record.reply_state != "pending":
            return
        outcome = self._attempts(record.reply_to, record.acknowledgement)
        with self.store.write() as session:
            session.set_reply_state(sender, message_id, outcome)
        log.info("ReplyTo %s for %s from %s: %s", record.reply_to, message_id, sender, outcome)

    def _attempts(self, reply_to: str, acknowledgement: bytes) -> str:
        delay = self.config.reply_backoff
        with PartnerClient(reply_to, ssl_context=self._context, party=self.config.party, timeout=10.0) as client:
            for attempt in range(self.config.reply_attempts):
                if attempt and not self.background.sleep(delay * 2 ** (attempt - 1)):
                    return "pending"
                try:
                    exchange = client.post_acknowledgement(acknowledgement)
                except PartnerUnreachable as unreachable:
                    log.info("ReplyTo %s attempt %d: %s", reply_to, attempt + 1, unreachable.sentence)
                    continue
                if exchange.ok:
                    return "delivered"
                if exchange.status is not None and 400 <= exchange.status < 500:
                    return "refused"
        return "failed"
