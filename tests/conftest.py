"""Shared fixtures of the unit tests.

``pki``: a test PKI (epix.pki) for the parties CH, FR and DE, built once per test
session in a temporary directory (about a second). Use it for signing keys
(``pki.signing_key("CH")``, ``pki.signing_key("CH", "expired")``), the trust store
of all three parties (``pki.trust_store``) and file paths
(``pki.party("FR").tls_client``, ``pki.party("CH").bad("revoked")``).
Never modify its files; copy them if a test needs to.
"""

from __future__ import annotations

import pytest

from epix.pki import Pki, init_pki

PKI_PARTIES = ["CH", "FR", "DE"]


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return init_pki(PKI_PARTIES, tmp_path_factory.mktemp("pki"))
