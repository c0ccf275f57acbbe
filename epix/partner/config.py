"""How one simulated partner is set up: who it is, its material, its modes and faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from epix.messages.soap import ADAPTER_TIMEOUT, SoapSettings
from epix.model import DOCUMENT_TYPES
from epix.partner.faults import Faults

MiB = 1024 * 1024
#: The base path under which the partner serves binding B, and binding A's endpoint below it.
BASE_PATH = "/epix/v1"
SOAP_PATH = "/soap"

AckMode = Literal["sync", "async"]


@dataclass(frozen=True)
class PartnerConfig:
    """Settings of one partner.

    ``peers`` are the parties it serves (by default every other party of the PKI);
    ``mtls`` off means the ``EPIX-Party`` header names the caller (ENV-02, test only);
    ``ack_mode`` ``async`` answers 202 ``Received`` and makes the final Acknowledgement
    available later (ACK-05), ``async_delay`` seconds after the 202 (soon: a client that
    polls for it, as the harness does (at once, then after 0.02 s, 0.04 s …), waits no longer than it must); the
    deadlines are the profile's (binding A's adapter timeout: 5 s, final Acknowledgement: 60 s) and only change in the harness's own tests. At its first start
    it issues ``seed`` unused permits and ``seed_each_state`` permits in each of the
    states cancelled, used in full and expired, and one replaced permit with its
    replacement (:meth:`epix.partner.issuing.Issuer.seed`).
    """

    party: str
    pki_dir: Path
    db_path: Path
    peers: tuple[str, ...] | None = None
    mtls: bool = True
    ack_mode: AckMode = "sync"
    faults: Faults = field(default_factory=Faults)
    seed: int = 3
    seed_each_state: int = 1
    document_types: tuple[str, ...] = DOCUMENT_TYPES
    max_body: int = 16 * MiB
    replay_window_hours: float = 24.0
    clock_skew_minutes: float = 5.0
    async_delay: float = 0.01
    ack_deadline: float = 60.0
    pull_deadline: float = ADAPTER_TIMEOUT
    reply_attempts: int = 5
    reply_backoff: float = 0.5
    soap: SoapSettings = field(default_factory=SoapSettings)

    def __post_init__(self) -> None:
        if self.ack_mode not in ("sync", "async"):
            raise ValueError(f"ack mode {self.ack_mode!r}: use sync or async")
        unknown = [t for t in self.document_types if t not in DOCUMENT_TYPES]
        if unknown:
            raise ValueError(f"unknown document type(s) {', '.join(unknown)}; known: {', '.join(DOCUMENT_TYPES)}")
        if self.max_body < 10 * MiB:
            raise ValueError(f"the body limit must be at least 10 MiB (ENV-04), not {self.max_body} bytes")
