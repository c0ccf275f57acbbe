"""``epix pki init --parties CH,FR,DE --out DIR``: make a test PKI for the pilot."""

from __future__ import annotations

import argparse
from pathlib import Path

from epix.exits import Exit, UsageError
from epix.pki import NEGATIVE_CERTIFICATES, PkiError, init_pki


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("pki", help="make a test PKI (CAs, signing and TLS certificates, CRLs)")
    actions = parser.add_subparsers(dest="pki_command", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        help="make the PKI of each party, reusing parties that already have one",
        description="Per party: a CA, RSA and ECDSA signing certificates, TLS server and client "
        "certificates, a CRL, and negative-test certificates under <PARTY>/bad/ "
        f"({', '.join(NEGATIVE_CERTIFICATES)}).",
    )
    init.add_argument("--parties", required=True, help="comma-separated party IDs, e.g. CH,FR,DE or US-FWS")
    init.add_argument("--out", required=True, type=Path, help="the PKI directory (created if missing)")
    init.set_defaults(func=run_init)


def run_init(args: argparse.Namespace) -> int:
    parties = [party.strip() for party in args.parties.split(",")]
    existing = {party for party in parties if (args.out / party / "ca.pem").exists()}
    try:
        pki = init_pki(parties, args.out)
    except PkiError as exc:
        raise UsageError(str(exc)) from None
    for party in parties:
        state = "reused" if party in existing else "created"
        print(f"{party}: {state} {pki.party(party).directory}")
    return Exit.OK
