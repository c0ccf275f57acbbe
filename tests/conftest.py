"""Shared fixtures of the unit tests.

``pki``: a test PKI (epix.pki) for the parties CH, FR and DE, built once per test
session in a temporary directory (about a second). Use it for signing keys
(``pki.signing_key("CH")``, ``pki.signing_key("CH", "expired")``), the trust store
of all three parties (``pki.trust_store``) and file paths
(``pki.party("FR").tls_client``, ``pki.party("CH").bad("revoked")``).
Never modify its files; copy them if a test needs to.
"""

from __future__ import annotations

import os

import pytest

from epix.pki import Pki, init_pki

PKI_PARTIES = ["CH", "FR", "DE"]

#: The harness speaks the locale's language (epix.i18n.default_language); the tests read its
#: console and files in English unless they ask for another language with --lang.
os.environ["LC_ALL"] = "C.UTF-8"


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return init_pki(PKI_PARTIES, tmp_path_factory.mktemp("pki"))
