"""httpcore's asynchronous network on the running event loop's own streams and TLS.

httpcore's own asynchronous network is anyio's, whose TLS is Python code over
``ssl.MemoryBIO``: on loopback it costs more than the exchange itself. This backend
opens its connections with :func:`asyncio.open_connection` and upgrades them with
``StreamWriter.start_tls``, so the loop's own TLS does the work (uvloop's where it runs).
Each operation keeps to the timeout httpcore gives it and fails with the error httpcore
knows (``ConnectError``, ``ReadTimeout`` …), its cause kept for the sentences of
:mod:`epix.transport.errors`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import typing
from collections.abc import Iterator

import httpcore


@contextlib.contextmanager
def _mapped(timeout: type[Exception], failure: type[Exception]) -> Iterator[None]:
    try:
        yield
    except TimeoutError as error:
        raise timeout(str(error) or "timed out") from error
    except (OSError, EOFError) as error:  # ssl.SSLError is an OSError
        raise failure(str(error) or type(error).__name__) from error


def _within(timeout: float | None) -> contextlib.AbstractAsyncContextManager:
    """``timeout`` seconds, or no bound of its own for ``None`` (a caller's deadline bounds it)."""
    return contextlib.nullcontext() if timeout is None else asyncio.timeout(timeout)


class _Stream(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _mapped(httpcore.ReadTimeout, httpcore.ReadError):
            async with _within(timeout):
                return await self._reader.read(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        with _mapped(httpcore.WriteTimeout, httpcore.WriteError):
            async with _within(timeout):
                self._writer.write(buffer)
                await self._writer.drain()

    async def aclose(self) -> None:
        self._writer.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        try:
            with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
                async with _within(timeout):
                    await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except BaseException:
            self._writer.transport.abort()
            raise
        return self

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":  # an idle kept-alive connection the peer has closed
            return self._reader.at_eof() or self._writer.is_closing()
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        return self._writer.get_extra_info("ssl_object" if info == "ssl_object" else info)


class LoopBackend(httpcore.AsyncNetworkBackend):
    """Connections on the running loop's streams (TCP only)."""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.AsyncNetworkStream:
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            async with _within(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=(local_address, 0) if local_address else None)
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return _Stream(reader, writer)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[typing.Any] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the hub's clients connect over TCP only")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
