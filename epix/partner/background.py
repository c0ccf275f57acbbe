"""Work the partner does after it has answered: final Acknowledgements in async mode and
posting them to ``ReplyTo``. Stopping abandons waiting work; what was not finished is
still in the store and is taken up again at the next start."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("epix.partner")


class Background:
    def __init__(self, workers: int = 4):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="epix-partner-bg")
        self._stopping = threading.Event()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``; False when the partner stops meanwhile."""
        return not self._stopping.wait(seconds)

    def later(self, delay: float, work: Callable[[], None], what: str) -> Future | None:
        """Run ``work`` after ``delay`` seconds, unless the partner stops first."""
        if self._stopping.is_set():
            return None

        def run() -> None:
            if not self.sleep(delay):
                return
            try:
                work()
            except Exception:  # logged: background work must never die silently
                log.exception("background work failed: %s", what)

        return self._pool.submit(run)

    def stop(self) -> None:
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
