"""Posting the final Acknowledgement to the sender's ``ReplyTo`` (ACK-05), with retries.

The partner posts to ``<ReplyTo>/acknowledgements`` with its TLS client certificate,
trusting every party's CA of its PKI. A 2xx answer ends it (``delivered``); a 4xx
answer too (``refused``: retrying the same bytes cannot help); 5xx or no answer is
tried again with exponential backoff until the attempts are used up (``failed``).
"""

from __future__ import annotations

import logging

from tenacity import (RetryCallState, Retrying, retry_if_exception_type, retry_if_result, stop_after_attempt,
                      wait_exponential)

from epix.partner.background import Background
from epix.partner.config import PartnerConfig
from epix.partner.store import Store
from epix.pki import Pki
from epix.transport import PartnerClient, PartnerUnreachable, client_context

log = logging.getLogger("epix.partner")


class _Stopping(Exception):
    """The partner stops while waiting for the next attempt."""


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
        """``delivered``, ``refused`` or ``failed`` after at most ``reply_attempts`` attempts,
        ``reply_backoff`` seconds before the second and twice as long before each further
        one; ``pending`` when the partner stops meanwhile."""
        if self.config.reply_attempts < 1:
            return "failed"

        def unreachable(state: RetryCallState) -> None:
            if state.outcome is not None and state.outcome.failed:
                failure = state.outcome.exception()
                log.info("ReplyTo %s attempt %d: %s", reply_to, state.attempt_number, failure.sentence)

        retrying = Retrying(
            stop=stop_after_attempt(self.config.reply_attempts),
            wait=wait_exponential(multiplier=self.config.reply_backoff),
            retry=retry_if_exception_type(PartnerUnreachable) | retry_if_result(lambda outcome: outcome is None),
            after=unreachable,
            sleep=self._pause,
            retry_error_callback=lambda state: "failed",
        )
        with PartnerClient(reply_to, ssl_context=self._context, party=self.config.party, timeout=10.0) as client:
            try:
                return retrying(self._post, client, acknowledgement)
            except _Stopping:
                return "pending"

    @staticmethod
    def _post(client: PartnerClient, acknowledgement: bytes) -> str | None:
        """One attempt: ``delivered`` (2xx), ``refused`` (4xx: the same bytes cannot help), or
        ``None``, to try again (5xx, or no answer: :class:`PartnerUnreachable`)."""
        exchange = client.post_acknowledgement(acknowledgement)
        if exchange.ok:
            return "delivered"
        if exchange.status is not None and 400 <= exchange.status < 500:
            return "refused"
        return None

    def _pause(self, seconds: float) -> None:
        if not self.background.sleep(seconds):
            raise _Stopping
