"""How the partner's answers reach the wire: the HTTP layer around its application, and
each TLS connection the server accepts.

:class:`Serving` is a part of the partner like the others (:mod:`epix.partner.faults`):
its methods are seams. Conformant, it adds no layer and serves every connection with
HTTP with the time of the machine in its ``Date`` header; the hostile modes
(:data:`epix.partner.faults.HOSTILE`) replace them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from starlette.middleware import Middleware

#: Serves HTTP on one accepted connection (hypercorn's connection handler); given a
#: number, it closes the connection after that many requests.
ServeHttp = Callable[..., Awaitable[None]]


class Serving:
    """The layers between the partner's handlers and the network."""

    def middleware(self) -> list[Middleware]:
        """The ASGI layers around the application, outermost first: none (the answers of
        the handlers go out as they are)."""
        return []

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, http: ServeHttp) -> None:
        """One connection, its TLS handshake done: serve HTTP on it."""
        await http()

    def clock(self) -> float:
        """The time the HTTP layer puts into the ``Date`` header of every answer (RFC 9110,
        6.6.1), in seconds since the epoch: the machine's own."""
        return time.time()
