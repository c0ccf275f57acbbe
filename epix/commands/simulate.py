"""``epix simulate``: run the simulated partner (both bindings) on loopback over HTTPS.

    epix simulate --party FR --port 8443 --pki pki/ --db fr.db --ack async --fault ack-unsigned

With ``--role hub`` it serves the simulated EPIX hub instead (:mod:`epix.commands.simulate_hub`).

It logs one line per exchange and stops cleanly on Ctrl-C (SIGINT) or SIGTERM; the
database keeps every acknowledged envelope for the next start. ``--workers N`` serves
from N processes that share the port and the database (:mod:`epix.partner.workers`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from epix import clock
from epix.commands import simulate_hub
from epix.exits import Exit, UsageError
from epix.model import DOCUMENT_TYPES
from epix.partner.app import create_app, log_exchanges
from epix.partner.config import BASE_PATH, SOAP_PATH, PartnerConfig
from epix.partner.endpoint import PartnerEndpoint
from epix.partner.faults import Faults, UnknownFault, listing
from epix.partner.running import partner_ssl_context
from epix.partner.server import LOOPBACK, ServerError, bind, run_loop, serve_until_signalled
from epix.partner.store import StoreError
from epix.partner.workers import WorkerFailed, run_workers
from epix.party import is_party_id
from epix.pki import Pki, PkiError, init_pki
from epix.transport import TlsSetupError

#: More worker processes than this is a typing mistake rather than a plan.
MAX_WORKERS = 32


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate", help="run the simulated partner (a reference MA endpoint with fault modes)",
        description="Serve one party's endpoints of both bindings over HTTPS on loopback: binding A (SOAP, "
                    f"at {BASE_PATH}{SOAP_PATH}) and binding B (push delivery, under {BASE_PATH}); with --role hub, "
                    "the EPIX hub interface at /api/v1/soap_api.",
    )
    parser.add_argument("--role", choices=("partner", "hub"), default="partner",
                        help="partner: an MA's endpoints (default); hub: the EPIX hub interface (binding A, section "
                             "3.2) relaying to adapters")
    parser.add_argument("--adapters", type=Path, default=None, metavar="FILE",
                        help="with --role hub: the adapter registry (TOML); default: the PKI's parties' own "
                             "simulated adapters in the same process")
    parser.add_argument("--party", default="FR", help="the party the partner plays (default FR)")
    parser.add_argument("--peers", default=None,
                        help="comma-separated parties it serves (default: every other party of the PKI)")
    parser.add_argument("--host", default=LOOPBACK, help=f"address to listen on (default {LOOPBACK})")
    parser.add_argument("--port", type=int, default=8443, help="port to listen on; 0 picks a free one (default 8443)")
    parser.add_argument("--pki", type=Path, default=Path("pki"),
                        help="the test PKI directory; made with `epix pki init` when absent (default ./pki)")
    parser.add_argument("--mtls", action=argparse.BooleanOptionalAction, default=True,
                        help="require a client certificate (default); with --no-mtls the EPIX-Party header "
                             "names the caller (test set-ups only)")
    parser.add_argument("--db", type=Path, default=None, help="the SQLite database (default ./epix-partner-<PARTY>.db)")
    parser.add_argument("--ack", choices=("sync", "async"), default="sync",
                        help="sync: the final Acknowledgement in the response; async: 202 Received first")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="break one requirement (repeatable); see --list-faults")
    parser.add_argument("--list-faults", action="store_true", help="list the faults and the requirement each breaks")
    parser.add_argument("--seed", type=int, default=3,
                        help="own permits to issue at the first start, plus one cancelled, one used in full, one "
                             "expired, and one replaced with the permit that replaces it (default 3)")
    parser.add_argument("--document-types", default=None,
                        help=f"comma-separated document types it accepts (default all: {', '.join(DOCUMENT_TYPES)})")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes serving the partner, sharing its port and database (default 1; more "
                             "use more cores under load)")
    parser.add_argument("--documents-json", type=Path, default=None,
                        help="write the partner's own documents (number, token, state, items) to this file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.role == "hub":
        return simulate_hub.run(args)
    if args.adapters is not None:
        raise UsageError("--adapters is for --role hub: a partner has no adapters behind it")
    if args.list_faults:
        print(listing())
        return Exit.OK
    if not 1 <= args.workers <= MAX_WORKERS:
        raise UsageError(f"--workers {args.workers}: give between 1 and {MAX_WORKERS} worker processes "
                         f"(each holds a whole partner in memory; more than the cores brings nothing)")
    config = _config(args)
    log_exchanges(sys.stdout)
    try:
        endpoint = PartnerEndpoint(config)
    except (PkiError, StoreError, KeyError) as exc:
        raise UsageError(str(exc).strip('"')) from None
    try:
        endpoint.seed()
        sock = bind(args.host, args.port)
        context = partner_ssl_context(endpoint)
    except (ServerError, TlsSetupError) as exc:
        endpoint.stop()
        raise UsageError(str(exc)) from None
    announce = lambda: _announce(endpoint, sock, args.documents_json, args.workers)  # noqa: E731
    code = Exit.OK
    try:
        if args.workers == 1:
            endpoint.resume()
            run_loop(serve_until_signalled(create_app(endpoint), sock, context, on_ready=announce))
        else:
            run_workers(config, sock, args.workers, on_ready=announce)
    except WorkerFailed as exc:
        print(f"epix simulate: {exc}; the other workers were stopped", file=sys.stderr, flush=True)
        code = Exit.FAILED
    finally:
        sock.close()
        endpoint.stop()
    print("epix simulate: stopped", file=sys.stderr, flush=True)
    return code


def _config(args: argparse.Namespace) -> PartnerConfig:
    if not is_party_id(args.party):
        raise UsageError(f"--party {args.party!r} is not a party ID (e.g. FR or US-FWS)")
    peers = tuple(p.strip() for p in args.peers.split(",")) if args.peers else None
    pki = _pki(args.pki, args.party, peers)
    if args.party not in pki.parties:
        raise UsageError(f"the PKI at {args.pki} has no material for {args.party}; run: "
                         f"epix pki init --parties {','.join((*pki.parties, args.party))} --out {args.pki}")
    types = tuple(t.strip() for t in args.document_types.split(",")) if args.document_types else DOCUMENT_TYPES
    try:
        return PartnerConfig(
            party=args.party, pki_dir=args.pki, db_path=args.db or Path(f"epix-partner-{args.party}.db"), peers=peers,
            mtls=args.mtls, ack_mode=args.ack, faults=Faults(args.fault), seed=args.seed, document_types=types,
        )
    except (UnknownFault, ValueError) as exc:
        raise UsageError(str(exc)) from None


def _pki(directory: Path, party: str, peers: tuple[str, ...] | None) -> Pki:
    """The PKI at ``directory``; made for ``party`` and its peers when the directory is absent or empty."""
    try:
        if directory.is_dir() and any(directory.iterdir()):
            return Pki.load(directory)
        parties = [party, *(peers or [p for p in ("CH", "FR", "DE") if p != party])]
        print(f"epix simulate: making a test PKI for {', '.join(parties)} in {directory}", file=sys.stderr)
        return init_pki(parties, directory)
    except PkiError as exc:
        raise UsageError(str(exc)) from None


def _announce(endpoint: PartnerEndpoint, sock, documents_json: Path | None, workers: int) -> None:  # noqa: ANN001
    config = endpoint.config
    host, port = sock.getsockname()[:2]
    base = f"https://{host}:{port}{BASE_PATH}"
    faults = ", ".join(config.faults) or "none (conformant)"
    print(f"epix simulate: {config.party} listening on {base} (binding A: {base}{SOAP_PATH}, "
          f"its WSDL at {base}{SOAP_PATH}?wsdl)", flush=True)
    print(f"  mutual TLS: {'on' if config.mtls else 'off (EPIX-Party header)'}; acknowledgements: {config.ack_mode}; "
          f"serves: {', '.join(config.peers or ()) or 'nobody'}; faults: {faults}", flush=True)
    if workers > 1:
        print(f"  {workers} worker processes share the port and the database", flush=True)
    print(f"  server CA: {endpoint.pki.party(config.party).ca}; database: {config.db_path}", flush=True)
    documents = endpoint.documents()
    if documents_json is not None:
        documents_json.write_text(json.dumps([d.as_dict() for d in documents], indent=2) + "\n")
    now = clock.isoformat(clock.now())
    for document in documents:
        items = ", ".join(f"{i.id}={i.quantity} {i.unit or ''}".strip() for i in document.items)
        state = document.state
        if document.replaced_by:
            state += f" by {document.replaced_by}"
        elif document.valid_until and document.valid_until < now:
            state += f" (expired {document.valid_until[:10]})"
        print(f"  document {document.number} token {document.token} {document.document_type} {state} "
              f"({items})", flush=True)


