"""One deadline for a whole exchange: connect, TLS handshake, request, headers and body.

httpx's ``timeout`` bounds each network operation, not the exchange: a partner that
sends one byte every few seconds, or a chunked body that never ends, would hold a run
for ever. :class:`DeadlineTransport` gives httpx a network backend whose every
operation waits at most until the deadline of the exchange under way, set with
:func:`within`; past it, the operation raises the timeout httpx knows.
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
import typing
from collections.abc import Iterator

import httpcore
import httpx

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("epix_exchange_deadline", default=None)


@contextlib.contextmanager
def within(seconds: float) -> Iterator[float]:
    """Run one exchange within ``seconds``; yields the deadline (``time.monotonic`` seconds)."""
    deadline = time.monotonic() + seconds
    token = _deadline.set(deadline)
    try:
        yield deadline
    finally:
        _deadline.reset(token)


def passed(deadline: float) -> bool:
    return time.monotonic() >= deadline


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` shortened to what is left of the exchange's deadline (raises ``error`` when none is)."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the exchange's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self._stream.start_tls(ssl_context, server_hostname,
                                              _bounded(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._backend.connect_tcp(host, port, _bounded(timeout, httpcore.ConnectTimeout),
                                                 local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._backend.connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout),
                                                         socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over a network backend that keeps to the deadline of :func:`within`."""

    def __init__(self, *, verify: ssl.SSLContext | bool, trust_env: bool,
                 socket_options: typing.Iterable[typing.Any] | None = None):
        super().__init__(verify=verify, trust_env=trust_env, socket_options=socket_options)
        # httpx has no option for httpcore's network backend: the pool it made (httpx 0.28,
        # httpcore 1.0) gets ours before it opens any connection. The trickle and endless-body
        # tests of tests/test_transport.py fail if an upgrade changes this.
        self._pool._network_backend = _Backend()
