"""``epix simulate --role hub``: serve the simulated EPIX hub (profile section 3.2) over HTTPS.

    epix simulate --role hub --pki pki/ --port 8443                      # the PKI's parties' adapters behind it
    epix simulate --role hub --adapters registry.toml --fault hub-drops-quantities

It logs one line per call and stops cleanly on Ctrl-C (SIGINT) or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from epix.exits import Exit, UsageError
from epix.hub.faults import UnknownHubFault, check_names, listing
from epix.hub.registry import RegistryError, load_registry
from epix.hub.running import HubConfig, RunningHub, start_hub
from epix.partner.app import log_exchanges
from epix.partner.server import ServerError
from epix.pki import HUB_PARTY, Pki, PkiError, init_pki
from epix.transport import TlsSetupError

#: The parties of a test PKI made for the hub when none is given.
DEFAULT_PARTIES = ("CH", "FR", "DE")


def run(args: argparse.Namespace) -> int:
    if args.list_faults:
        print(listing())
        return Exit.OK
    if args.workers != 1:
        raise UsageError("--workers is for the partner: the hub serves from one process")
    try:
        faults = check_names(args.fault)
        if args.adapters is not None:
            load_registry(args.adapters)  # a mistake in it is told before anything starts
    except (UnknownHubFault, RegistryError) as exc:
        raise UsageError(str(exc)) from None
    _pki(args.pki)
    config = HubConfig(pki_dir=args.pki, adapters=args.adapters, faults=faults, host=args.host, port=args.port,
                       mtls=args.mtls)
    log_exchanges(sys.stdout, logger="epix.hub")
    try:
        hub = start_hub(config)
    except (ServerError, TlsSetupError, PkiError, RegistryError) as exc:
        raise UsageError(str(exc)) from None
    with hub:
        _announce(hub, config, args.documents_json)
        _wait_for_signal()
    print("epix simulate: stopped", file=sys.stderr, flush=True)
    return Exit.OK


def _pki(directory: Path) -> Pki:
    """The PKI at ``directory`` with the hub's material; made when the directory is absent or empty."""
    try:
        if directory.is_dir() and any(directory.iterdir()):
            pki = Pki.load(directory)
            return init_pki([*pki.parties, HUB_PARTY], directory) if HUB_PARTY not in pki.parties else pki
        print(f"epix simulate: making a test PKI for {', '.join((*DEFAULT_PARTIES, HUB_PARTY))} in {directory}",
              file=sys.stderr)
        return init_pki([*DEFAULT_PARTIES, HUB_PARTY], directory)
    except PkiError as exc:
        raise UsageError(str(exc)) from None


def _announce(hub: RunningHub, config: HubConfig, documents_json: Path | None) -> None:
    faults = ", ".join(config.faults) or "none (conformant)"
    identity = "client certificate C=" if config.mtls else "X-SSL-CLIENT-S-DN header C="
    print(f"epix simulate: hub listening on {hub.base_url} (WSDL: {hub.wsdl_url}; calls: {hub.action_url})", flush=True)
    print(f"  caller's country: {identity}; callers: {', '.join(hub.hub.registry.callers) or 'none'}; "
          f"faults: {faults}", flush=True)
    print(f"  server CA: {hub.server_ca}", flush=True)
    for country, entry in hub.hub.registry.adapters.items():
        print(f"  adapter {country}: {entry.url} (timeout {entry.timeout:g} s)", flush=True)
    documents = {country: partner.documents() for country, partner in hub.partners.items()}
    if documents_json is not None:
        documents_json.write_text(json.dumps(
            [{"country": country, **d.as_dict()} for country, listed in documents.items() for d in listed], indent=2)
            + "\n")
    for country, listed in documents.items():
        for document in listed:
            print(f"  document {document.number} token {document.token} of {country} {document.document_type} "
                  f"{document.state}", flush=True)


def _wait_for_signal() -> None:
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
