"""Shared fixtures of the unit tests.

``pki``: a test PKI (epix.pki) for the parties CH, FR and DE, built once per test
session in a temporary directory (about a second). Use it for signing keys
(``pki.signing_key("CH")``, ``pki.signing_key("CH", "expired")``), the trust store
of all three parties (``pki.trust_store``) and file paths
(``pki.party("FR").tls_client``, ``pki.party("CH").bad("revoked")``).
Never modify its files; copy them if a test needs to.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
from collections.abc import Iterator

import pytest

from epix.pki import Pki, init_pki

PKI_PARTIES = ["CH", "FR", "DE"]

#: The harness speaks the locale's language (epix.i18n.default_language); the tests read its
#: console and files in English unless they ask for another language with --lang.
os.environ["LC_ALL"] = "C.UTF-8"


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return init_pki(PKI_PARTIES, tmp_path_factory.mktemp("pki"))


@pytest.fixture
def endless_headers() -> Iterator[int]:
    """The port of a peer that takes one request and then sends its status line one byte
    every 50 ms, for ever (until the test ends): headers that never end."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65_536)
            for byte in itertools.cycle(b"HTTP/1.1 200 OK\r\nX-Slow: "):
                if stop.wait(0.05):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
