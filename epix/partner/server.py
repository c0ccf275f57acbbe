"""The partner's HTTPS server: hypercorn on a loopback socket, TLS 1.2 or newer, mutual TLS.

hypercorn 0.18 does not hand the client certificate to the application, and the
partner must know it (ENV-02). So this module runs hypercorn's own connection handler
(``TCPServer``) from an asyncio server of its own, and puts the ASGI ``tls`` extension
into the scope of every request: ``scope["extensions"]["tls"]["client_cert_chain"]``
holds the verified client certificate as PEM (empty without mutual TLS).

An application may give the time of its ``Date`` headers, ``app.state.clock()`` (seconds
since the epoch), and say how each connection is served, once its TLS handshake is done:
``app.state.connection(reader, writer, http)``, where ``http()`` serves HTTP on it (``http(n)``:
for ``n`` requests, then closes it) (the
partner's :meth:`epix.partner.serving.Serving.connection`). ``app.state.stopping()``, when
set, is awaited on the server's loop once it has stopped serving (the hub closes its clients).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar
from wsgiref.handlers import format_date_time

from cryptography import x509
from hypercorn.app_wrappers import ASGIWrapper
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config

try:
    import uvloop
except ImportError:  # not on Windows: asyncio's own loop
    uvloop = None

log = logging.getLogger("epix.partner.server")
T = TypeVar("T")

LOOPBACK = "127.0.0.1"
#: How long a connection may send nothing while a request is open, and how long an idle
#: keep-alive connection stays; a slow client never holds the server beyond these.
READ_TIMEOUT = 15
KEEP_ALIVE_TIMEOUT = 5
HANDSHAKE_TIMEOUT = 10.0
GRACEFUL_TIMEOUT = 5.0
_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


class ServerError(RuntimeError):
    """The server could not start (port taken, TLS material unusable …)."""


def tls_extension(writer: asyncio.StreamWriter) -> dict[str, Any] | None:
    """The ASGI ``tls`` extension for one connection, or ``None`` for plain HTTP."""
    ssl_object = writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    chain, name = [], None
    if der:
        chain = [ssl.DER_cert_to_PEM_cert(der)]
        name = x509.load_der_x509_certificate(der).subject.rfc4514_string()
    return {
        "server_cert": None,
        "client_cert_chain": chain,
        "client_cert_name": name,
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(ssl_object.version() or ""),
        "cipher_suite": None,
    }


class _ConnectionApp:
    """hypercorn's application wrapper for one connection, adding the ``tls`` extension."""

    def __init__(self, app: ASGIWrapper, tls: dict[str, Any] | None):
        self._app = app
        self._tls = tls

    async def __call__(self, scope, receive, send, sync_spawn, call_soon) -> None:
        if self._tls is not None and scope.get("type") == "http":
            scope.setdefault("extensions", {})["tls"] = dict(self._tls)
        await self._app(scope, receive, send, sync_spawn, call_soon)


class _Config(Config):
    """hypercorn's configuration, its ``Date`` header taken from ``clock`` (the application's)."""

    clock: Callable[[], float] = staticmethod(time.time)

    def response_headers(self, protocol: str) -> list[tuple[bytes, bytes]]:
        return [(name, format_date_time(self.clock()).encode("ascii")) if name == b"date" else (name, value)
                for name, value in super().response_headers(protocol)]


def _config(clock: Callable[[], float] | None = None) -> Config:
    config = _Config()
    if clock is not None:
        config.clock = clock
    config.read_timeout = READ_TIMEOUT
    config.keep_alive_timeout = KEEP_ALIVE_TIMEOUT
    config.graceful_timeout = GRACEFUL_TIMEOUT
    config.errorlog = log
    config.accesslog = None
    return config


def _at_most(config: Config, requests: int) -> Config:
    """``config`` for a connection closed after ``requests`` requests."""
    limited = copy.copy(config)
    limited.keep_alive_max_requests = requests
    return limited


def bind(host: str = LOOPBACK, port: int = 0) -> socket.socket:
    """A listening socket (``port`` 0: a free one chosen by the system)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServerError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from None
    sock.listen(512)
    sock.setblocking(False)
    return sock


async def serve(
    app: Callable,
    sock: socket.socket,
    ssl_context: ssl.SSLContext | None,
    shutdown: asyncio.Event,
    *,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve ``app`` on ``sock`` until ``shutdown`` is set, then close gracefully."""
    loop = asyncio.get_running_loop()
    state = getattr(app, "state", None)
    config, context, wrapped = _config(getattr(state, "clock", None)), WorkerContext(None), ASGIWrapper(app)
    connections: set[asyncio.Task] = set()
    handle = getattr(state, "connection", None) or _serve_http

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        connections.add(task)
        task.add_done_callback(connections.discard)

        async def http(requests: int | None = None) -> None:
            served = config if requests is None else _at_most(config, requests)
            await TCPServer(_ConnectionApp(wrapped, tls_extension(writer)), loop, served, context, {}, reader, writer)

        try:
            await handle(reader, writer, http)
        except asyncio.CancelledError:
            # The server is stopping and cancels its connections: the connection ends here,
            # quietly (asyncio's stream server of Python 3.11 logs a cancelled connection as an error).
            writer.transport.abort()

    server = await asyncio.start_server(
        on_connection, sock=sock, ssl=ssl_context,
        ssl_handshake_timeout=HANDSHAKE_TIMEOUT if ssl_context else None,
    )
    if on_ready:
        on_ready()
    try:
        await shutdown.wait()
    finally:
        await context.terminated.set()
        server.close()
        await _drain(connections)
        stopping = getattr(state, "stopping", None)
        if stopping is not None:
            await stopping()


async def _serve_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                      http: Callable[[], Coroutine[Any, Any, None]]) -> None:
    await http()


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on a new event loop: uvloop's where it is installed (its TLS and
    socket handling take about a millisecond less per exchange than asyncio's), else asyncio's."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop if uvloop else None) as runner:
        return runner.run(main)


async def serve_until_signalled(app: Callable, sock: socket.socket, ssl_context: ssl.SSLContext | None, *,
                                signals: tuple[str, ...] = ("SIGINT", "SIGTERM"),
                                on_ready: Callable[[], None] | None = None) -> None:
    """:func:`serve` until one of ``signals`` arrives; ``on_ready`` runs once the server
    listens and the signals are handled."""
    shutdown = asyncio.Event()
    loop = asyncio.get_running_loop()
    for name in signals:
        with contextlib.suppress(NotImplementedError, AttributeError):
            loop.add_signal_handler(getattr(signal, name), shutdown.set)
    await serve(app, sock, ssl_context, shutdown, on_ready=on_ready)


async def _drain(connections: set[asyncio.Task]) -> None:
    if connections:
        _, pending = await asyncio.wait(set(connections), timeout=GRACEFUL_TIMEOUT)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


class BackgroundServer:
    """:func:`serve` in a thread of its own, for tests and for the in-process partner."""

    def __init__(self, app: Callable, *, ssl_context: ssl.SSLContext | None, host: str = LOOPBACK, port: int = 0):
        self._app = app
        self._ssl_context = ssl_context
        self._sock = bind(host, port)
        self.host, self.port = self._sock.getsockname()[:2]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shutdown: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"epix-partner-{self.port}", daemon=True)

    @property
    def scheme(self) -> str:
        return "https" if self._ssl_context else "http"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise ServerError(f"the partner did not start within {timeout:g} s")
        if self._error is not None:
            raise ServerError(f"the partner failed to start: {self._error}") from self._error

    def stop(self, timeout: float = GRACEFUL_TIMEOUT + 5) -> None:
        if self._loop is not None and self._shutdown is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._shutdown.set)
        self._thread.join(timeout)
        self._sock.close()

    def _run(self) -> None:
        try:
            run_loop(self._main())
        except BaseException as exc:  # reported to start(); the thread must not die silently
            self._error = exc
            log.exception("the partner server stopped with an error")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._shutdown = asyncio.Event()
        await serve(self._app, self._sock, self._ssl_context, self._shutdown, on_ready=self._ready.set)
