"""One partner in several processes: ``epix simulate --workers N``.

An interpreter checks one delivery at a time (the checks are Python), so one process
uses about one core. With N workers the partner runs in N processes that accept
connections on one listening socket and share the SQLite database. Each worker is a
whole partner (its own :class:`PartnerEndpoint` over the same file, with the same PKI,
faults and settings); writers queue on the store's :class:`WriterLock`, so a delivery's
Acknowledgement and its state change are still committed together, and a repeat finds
what another worker stored.

The caller issues the seeded documents before the workers start, and only the first
worker takes up what a previous run left unfinished (final Acknowledgements, ReplyTo
posts), so nothing is done twice. SIGINT and SIGTERM reach the parent, which stops the
workers with SIGTERM and waits for them; when a worker dies, the others are stopped.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable

from epix.partner.app import create_app, log_exchanges
from epix.partner.config import PartnerConfig
from epix.partner.endpoint import PartnerEndpoint
from epix.partner.running import partner_ssl_context
from epix.partner.server import GRACEFUL_TIMEOUT, run_loop, serve_until_signalled

log = logging.getLogger("epix.partner")
_SPAWN = multiprocessing.get_context("spawn")
#: How long a worker may take to load its material and listen.
START_TIMEOUT = 60.0
#: How long a worker may take to finish its open exchanges once told to stop.
STOP_TIMEOUT = GRACEFUL_TIMEOUT + 5.0
_POLL = 0.2


class WorkerFailed(RuntimeError):
    """A worker did not start, or stopped while the others served."""


def run_workers(config: PartnerConfig, sock: socket.socket, count: int, *,
                on_ready: Callable[[], None] = lambda: None) -> None:
    """Serve with ``count`` worker processes until SIGINT or SIGTERM; ``on_ready`` runs
    once every worker listens. Raises :class:`WorkerFailed` when a worker fails."""
    stopping = threading.Event()
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda *_: stopping.set()) for number in handled}
    ready = [_SPAWN.Event() for _ in range(count)]
    workers = [
        _SPAWN.Process(target=_work, args=(config, sock, index, ready[index]), name=f"worker {index + 1}")
        for index in range(count)
    ]
    try:
        for worker in workers:
            worker.start()
        _wait_until_ready(workers, ready, stopping)
        if not stopping.is_set():
            on_ready()
            _wait_until_stopped(workers, stopping)
    finally:
        _stop(workers)
        for number, handler in previous.items():
            signal.signal(number, handler)


def _wait_until_ready(workers: list, ready: list, stopping: threading.Event) -> None:  # noqa: ANN001 (Process, Event)
    give_up = time.monotonic() + START_TIMEOUT
    while not stopping.is_set() and not all(event.is_set() for event in ready):
        _check_alive(workers, stopping, "before it listened")
        if time.monotonic() > give_up:
            late = [w.name for w, event in zip(workers, ready) if not event.is_set()]
            raise WorkerFailed(f"{', '.join(late)} did not start listening within {START_TIMEOUT:g} s")
        multiprocessing.connection.wait([w.sentinel for w in workers], timeout=_POLL)


def _wait_until_stopped(workers: list, stopping: threading.Event) -> None:  # noqa: ANN001 (Process)
    while not stopping.is_set():
        _check_alive(workers, stopping, "while serving")
        multiprocessing.connection.wait([w.sentinel for w in workers], timeout=_POLL)


def _check_alive(workers: list, stopping: threading.Event, when: str) -> None:  # noqa: ANN001 (Process)
    for worker in workers:
        if worker.exitcode is not None and not stopping.is_set():
            raise WorkerFailed(f"{worker.name} stopped {when} (exit code {worker.exitcode})")


def _stop(workers: list) -> None:  # noqa: ANN001 (Process)
    for worker in workers:
        if worker.is_alive():
            worker.terminate()  # SIGTERM: the worker finishes its open exchanges and closes its store
    give_up = time.monotonic() + STOP_TIMEOUT
    for worker in workers:
        if worker.pid is None:
            continue
        worker.join(max(0.0, give_up - time.monotonic()))
        if worker.is_alive():
            log.warning("%s did not stop within %g s; killed", worker.name, STOP_TIMEOUT)
            worker.kill()
            worker.join()


def _work(config: PartnerConfig, sock: socket.socket, index: int, ready) -> None:  # noqa: ANN001 (Event)
    """One worker process: the parent stops it with SIGTERM (Ctrl-C is the parent's); it
    stops by itself when the parent is gone (killed, say), rather than serve on alone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_stop_with_parent, name="epix-partner-parent-watch", daemon=True).start()
    log_exchanges(sys.stdout, tag=f"worker {index + 1}")
    endpoint = PartnerEndpoint(config)
    try:
        if index == 0:
            endpoint.resume()
        app = create_app(endpoint)
        run_loop(serve_until_signalled(app, sock, partner_ssl_context(endpoint), signals=("SIGTERM",),
                                       on_ready=ready.set))
    finally:
        endpoint.stop()
        sock.close()


def _stop_with_parent() -> None:
    multiprocessing.connection.wait([multiprocessing.parent_process().sentinel])
    os.kill(os.getpid(), signal.SIGTERM)
