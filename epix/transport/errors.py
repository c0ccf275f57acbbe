"""Errors of the transport layer: the partner could not be reached or did not answer."""

from __future__ import annotations

import ssl

import httpx

from epix.transport.exchange import Exchange


class _ExchangeProblem(Exception):
    """What the two problems of an exchange carry: one ``sentence`` saying why, the target
    ``url``, and the ``exchange`` as far as it went. The two are told apart by their class
    (one is never the other), so neither is caught for the other."""

    def __init__(self, sentence: str, *, url: str, exchange: Exchange | None = None):
        self.sentence = sentence
        self.url = url
        self.exchange = exchange
        super().__init__(sentence)


class PartnerUnreachable(_ExchangeProblem):
    """No HTTP response came from the partner; the message says why in one sentence.

    ``exchange`` holds what was sent (with ``status`` ``None``); ``url`` is the target.
    """


class AnswerUnusable(_ExchangeProblem):
    """The partner took the connection but its answer cannot be used: it did not complete
    within the exchange's deadline, broke off, or grew past the size the harness reads.
    This is the partner's behaviour (a failed check), never a refusal and never the
    harness's error. ``exchange`` holds what was sent and what arrived (a body's first bytes).
    """


def problem_of(exchange: Exchange, url: str, limit: float, error: httpx.TransportError, *, acquainted: bool,
               late: bool) -> AnswerUnusable | PartnerUnreachable:
    """What ``error`` in ``exchange`` says of the partner, its sentence put in ``exchange.error``:
    :class:`AnswerUnusable` when the partner took the connection (an answer began, a read or
    write timed out, or a partner that answered this certificate before (``acquainted``)
    closed the connection) or the exchange's deadline has passed (``late``), else
    :class:`PartnerUnreachable`."""
    dropped = exchange.status is None and acquainted and closed_without_alert(error)
    connected = exchange.status is not None or dropped or isinstance(error, (httpx.ReadTimeout, httpx.WriteTimeout))
    if connected or late:
        exchange.error = closed_after_acquaintance(url) if dropped else answer_incomplete(exchange, url, limit, error)
        return AnswerUnusable(exchange.error, url=url, exchange=exchange)
    exchange.error = explain(error, url, limit)
    return PartnerUnreachable(exchange.error, url=url, exchange=exchange)


def answer_incomplete(exchange: Exchange, url: str, limit: float, error: httpx.TransportError) -> str:
    """Why an answer that began (or a connection that was taken) gave no complete response."""
    where = _origin(url)
    if exchange.status is None:
        if isinstance(error, (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ConnectTimeout, httpx.PoolTimeout)):
            return f"{where} took the request but sent no complete answer within {limit:g} s"
        return f"{where} took the request but closed the connection without answering ({type(error).__name__})"
    arrived = f"HTTP {exchange.status}, {exchange.media_type or 'no Content-Type'}"
    if isinstance(error, httpx.TimeoutException):
        return f"{where} began its answer ({arrived}) but did not finish it within {limit:g} s"
    return f"{where} broke off its answer ({arrived}): {error or type(error).__name__}"


def closed_without_alert(error: httpx.TransportError) -> bool:
    """Whether ``error`` is a connection closed or reset before any answer, with no TLS alert:
    after the handshake, what a refused client certificate and a failing server both look like."""
    return isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)) and _tls_alert(error) is None


def closed_after_acquaintance(url: str) -> str:
    """The sentence for a connection closed without an answer by a partner that has answered
    the same client certificate before (so it did not refuse it)."""
    return (f"{_origin(url)} closed the connection after the TLS handshake without answering; it answered "
            f"connections with this client certificate before, so this is no refusal of the certificate")


def answer_too_large(exchange: Exchange, url: str, cap: int) -> str:
    """The sentence for an answer that grew past ``cap`` bytes."""
    first = exchange.response_body[:60].decode("utf-8", errors="replace")
    return (f"{_origin(url)} answered HTTP {exchange.status}, {exchange.media_type or 'no Content-Type'}, "
            f"with a body of more than {cap:,} bytes (the most the harness reads; it stopped after "
            f"{exchange.truncated:,}); it begins {first!r}")


def explain(error: httpx.TransportError, url: str, timeout: float) -> str:
    """One sentence a person can act on, for an httpx transport error."""
    where = _origin(url)
    if isinstance(error, httpx.RemoteProtocolError):
        return (
            f"{where} closed the connection right after the TLS handshake, without an answer and without a "
            f"TLS alert: either it refuses the client certificate without saying so (under TLS 1.3 a refusal "
            f"comes after the handshake, and RFC 8446 asks for an alert), or it fails before answering; check "
            f"the client certificate and key given for mutual TLS, then the partner's logs"
        )
    alert = _tls_alert(error)
    if alert is not None:
        return (f"{where} refused the connection with the TLS alert {alert} right after the handshake; under "
                f"TLS 1.3 this is how a server refuses the client certificate, so check the client certificate "
                f"and key given for mutual TLS")
    if isinstance(error, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return f"no connection to {where} within {timeout:g} s; check the address and any firewall"
    if isinstance(error, httpx.ConnectError):
        return _connect_sentence(error, where)
    return f"the exchange with {where} failed: {error or type(error).__name__}"


def _tls_alert(error: httpx.TransportError) -> str | None:
    """The TLS alert behind a read or write that failed on a connection whose handshake had
    completed (``TLSV13_ALERT_CERTIFICATE_REQUIRED`` …), or ``None``.

    Under TLS 1.3 a server that refuses the client certificate does so after the client
    has finished its handshake. A server that sends the alert (OpenSSL's own) is told apart
    so; one that only closes the connection, as the simulated partner's server does, gives
    ``RemoteProtocolError`` exactly as a server that closes or resets the connection after
    the handshake for any other reason (tests/test_refusals.py shows both)."""
    if not isinstance(error, (httpx.ReadError, httpx.WriteError)):
        return None
    cause = _root_cause(error)
    if isinstance(cause, ssl.SSLError) and "alert" in str(cause).lower():
        return getattr(cause, "reason", None) or str(cause)
    return None


def _connect_sentence(error: httpx.ConnectError, where: str) -> str:
    cause = _root_cause(error)
    text = str(cause or error)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return (
            f"the TLS certificate of {where} was not accepted ({cause.verify_message}); "
            f"check the CA file given for the partner's server certificate"
        )
    if isinstance(cause, ssl.SSLError) and "alert" in text.lower():
        return f"{where} refused the TLS handshake ({getattr(cause, 'reason', None) or text}); check the client certificate for mutual TLS"
    if isinstance(cause, ssl.SSLError):
        return f"the TLS handshake with {where} failed ({getattr(cause, 'reason', None) or text})"
    if isinstance(cause, ConnectionRefusedError) or "refused" in text.lower():
        return f"nothing answers at {where} (connection refused); is the partner running on that port?"
    return f"could not connect to {where}: {text}"


def _root_cause(error: BaseException) -> BaseException | None:
    """The first SSL error behind ``error``, or the first OS error not caused by another (anyio's
    "All connection attempts failed" is caused by the refusal), else the deepest cause (a
    chain may loop)."""
    seen = {id(error)}
    cause = error.__cause__ or error.__context__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        following = cause.__cause__ or cause.__context__
        if isinstance(cause, ssl.SSLError) or (isinstance(cause, OSError) and not isinstance(following, OSError)):
            return cause
        if following is None or id(following) in seen:
            return cause
        cause = following
    return cause


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"the partner at {parsed.scheme}://{parsed.host}{port}"
