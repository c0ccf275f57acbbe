"""Whether a partner has answered a client certificate before: what tells a connection
closed after the TLS handshake apart from a refused client certificate.

Under TLS 1.3 a server refuses a client certificate after the client has finished its
handshake, with an alert (RFC 8446, 4.4.2.4: ``certificate_required``, ``bad_certificate``,
``unknown_ca`` …). A server that only closes the connection, as servers built on Python's
asyncio do, looks to the client exactly like one that accepts the certificate and then
closes or resets the connection without an answer. One fact tells them apart: a partner
that has already answered a connection made with this certificate did not refuse it.
The clients made with one certificate share one :class:`Acquaintance`.
"""

from __future__ import annotations


class Acquaintance:
    """Set once the partner has answered (any HTTP status) a connection with one client certificate."""

    def __init__(self) -> None:
        self.answered = False

    def __repr__(self) -> str:
        return f"Acquaintance(answered={self.answered})"
