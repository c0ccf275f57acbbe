"""The partner's store: one SQLite file in WAL mode.

It holds every envelope that passed the sender and repeat checks with its latest
Acknowledgement, the documents the partner knows (its own and its peers'), their
versions, items and state, and the Acknowledgements peers posted to it. A delivery's
Acknowledgement and the state change it causes are written in one transaction
(:meth:`Store.write`), committed before the answer is sent: a crash loses nothing that
was acknowledged, and after a restart a repeat gets the same Acknowledgement.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from epix import clock

try:
    import fcntl
except ImportError:  # not on Windows: writers of other processes then wait in SQLite's busy handler
    fcntl = None

_SCHEMA = """
CREATE TABLE IF NOT EXISTS envelopes (
    sender TEXT NOT NULL,
    message_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    received_at TEXT NOT NULL,
    document_type TEXT NOT NULL,
    document_number TEXT NOT NULL,
    reply_to TEXT,
    body BLOB NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER NOT NULL,
    acknowledgement BLOB NOT NULL,
    reply_state TEXT,
    PRIMARY KEY (sender, message_id)
);
CREATE TABLE IF NOT EXISTS documents (
    issuer TEXT NOT NULL,
    number TEXT NOT NULL,
    document_type TEXT NOT NULL,
    state TEXT NOT NULL,
    token TEXT,
    valid_until TEXT,
    own INTEGER NOT NULL,
    replaced_by TEXT,
    PRIMARY KEY (issuer, number)
);
CREATE TABLE IF NOT EXISTS versions (
    issuer TEXT NOT NULL,
    number TEXT NOT NULL,
    version INTEGER NOT NULL,
    xml BLOB NOT NULL,
    digest TEXT NOT NULL,
    message_id TEXT,
    created_at TEXT NOT NULL,
    final INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (issuer, number, version)
);
CREATE TABLE IF NOT EXISTS items (
    issuer TEXT NOT NULL,
    number TEXT NOT NULL,
    position INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit TEXT,
    inspected TEXT NOT NULL DEFAULT '0',
    PRIMARY KEY (issuer, number, item_id)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    issuer TEXT NOT NULL,
    number TEXT NOT NULL,
    kind TEXT NOT NULL,
    message_id TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS posted_acknowledgements (
    sender TEXT NOT NULL,
    message_id TEXT NOT NULL,
    ref_to_message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    body BLOB NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (sender, message_id)
);
"""
_BUSY_TIMEOUT_MS = 15_000


def digest_of(data: bytes) -> str:
    """The SHA-256 of ``data`` in hex: how envelopes are compared (ACK-07) and the ETag (LIF-01)."""
    return hashlib.sha256(data).hexdigest()


class StoreError(RuntimeError):
    """The store file cannot be opened or written; the message names the file."""


@dataclass(frozen=True)
class EnvelopeRecord:
    sender: str
    message_id: str
    digest: str
    received_at: str
    document_type: str
    document_number: str
    reply_to: str | None
    body: bytes
    status: str
    http_status: int
    acknowledgement: bytes
    reply_state: str | None


@dataclass(frozen=True)
class DocumentRecord:
    issuer: str
    number: str
    document_type: str
    state: str
    token: str | None
    valid_until: str | None
    own: bool
    replaced_by: str | None


@dataclass(frozen=True)
class VersionRecord:
    """One version of a document: as issued (a replacement is a new version), or, for the
    partner's own documents, the "final" rendition carrying the inspected quantities."""

    version: int
    xml: bytes
    digest: str
    message_id: str | None
    created_at: str
    final: bool


@dataclass(frozen=True)
class ItemRecord:
    position: int
    item_id: str
    quantity: Decimal
    unit: str | None
    inspected: Decimal

    @property
    def used_in_full(self) -> bool:
        return self.inspected >= self.quantity


class Session:
    """Queries and changes on one connection; obtained from :meth:`Store.read` or :meth:`Store.write`."""

    def __init__(self, connection: sqlite3.Connection):
        self._db = connection

    # ----- envelopes -----

    def envelope(self, sender: str, message_id: str) -> EnvelopeRecord | None:
        row = self._db.execute(
            "SELECT * FROM envelopes WHERE sender = ? AND message_id = ?", (sender, message_id)).fetchone()
        return EnvelopeRecord(**dict(row)) if row else None

    def envelopes(self, *, status: str | None = None, reply_state: str | None = None) -> list[EnvelopeRecord]:
        query, args = "SELECT * FROM envelopes WHERE 1 = 1", []
        if status is not None:
            query, args = query + " AND status = ?", [*args, status]
        if reply_state is not None:
            query, args = query + " AND reply_state = ?", [*args, reply_state]
        return [EnvelopeRecord(**dict(row)) for row in self._db.execute(query + " ORDER BY rowid", args)]

    def count_envelopes(self) -> int:
        return self._db.execute("SELECT count(*) FROM envelopes").fetchone()[0]

    def add_envelope(self, record: EnvelopeRecord) -> None:
        self._db.execute(
            "INSERT INTO envelopes VALUES (:sender, :message_id, :digest, :received_at, :document_type, "
            ":document_number, :reply_to, :body, :status, :http_status, :acknowledgement, :reply_state)",
            record.__dict__,
        )

    def replace_envelope(self, record: EnvelopeRecord) -> None:
        """Write ``record`` over the stored envelope of the same sender and message ID (the
        retry of a delivery that was kept but answered 503, processed again)."""
        self._db.execute("DELETE FROM envelopes WHERE sender = ? AND message_id = ?", (record.sender, record.message_id))
        self.add_envelope(record)

    def set_acknowledgement(self, sender: str, message_id: str, *, status: str, http_status: int,
                            acknowledgement: bytes) -> None:
        self._db.execute(
            "UPDATE envelopes SET status = ?, http_status = ?, acknowledgement = ? WHERE sender = ? AND message_id = ?",
            (status, http_status, acknowledgement, sender, message_id),
        )

    def set_reply_state(self, sender: str, message_id: str, state: str | None) -> None:
        self._db.execute("UPDATE envelopes SET reply_state = ? WHERE sender = ? AND message_id = ?",
                         (state, sender, message_id))

    # ----- documents -----

    def document(self, issuer: str, number: str) -> DocumentRecord | None:
        row = self._db.execute("SELECT * FROM documents WHERE issuer = ? AND number = ?", (issuer, number)).fetchone()
        return _document(row) if row else None

    def documents_numbered(self, number: str) -> list[DocumentRecord]:
        """Every document with ``number`` (numbers are unique per issuer only), own ones first."""
        rows = self._db.execute("SELECT * FROM documents WHERE number = ? ORDER BY own DESC, rowid DESC", (number,))
        return [_document(row) for row in rows]

    def own_documents(self) -> list[DocumentRecord]:
        return [_document(row) for row in self._db.execute("SELECT * FROM documents WHERE own = 1 ORDER BY rowid")]

    def add_document(self, record: DocumentRecord) -> None:
        self._db.execute(
            "INSERT INTO documents VALUES (:issuer, :number, :document_type, :state, :token, :valid_until, :own, "
            ":replaced_by)",
            {**record.__dict__, "own": int(record.own)},
        )

    def update_document(self, issuer: str, number: str, **changes: object) -> None:
        allowed = {"state", "token", "valid_until", "replaced_by", "document_type"}
        unknown = set(changes) - allowed
        if unknown:
            raise KeyError(f"cannot change {', '.join(sorted(unknown))} of a document")
        assignments = ", ".join(f"{name} = :{name}" for name in changes)
        self._db.execute(f"UPDATE documents SET {assignments} WHERE issuer = :issuer AND number = :number",
                         {**changes, "issuer": issuer, "number": number})

    def versions(self, issuer: str, number: str) -> list[VersionRecord]:
        rows = self._db.execute(
            "SELECT version, xml, digest, message_id, created_at, final FROM versions "
            "WHERE issuer = ? AND number = ? ORDER BY version", (issuer, number))
        return [VersionRecord(**{**dict(row), "final": bool(row["final"])}) for row in rows]

    def add_version(self, issuer: str, number: str, xml: bytes, *, message_id: str | None,
                    final: bool = False) -> int:
        latest = self._db.execute("SELECT max(version) FROM versions WHERE issuer = ? AND number = ?",
                                  (issuer, number)).fetchone()[0]
        version = (latest or 0) + 1
        self._db.execute("INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (issuer, number, version, xml, digest_of(xml), message_id, clock.isoformat(clock.now()),
                          int(final)))
        return version

    # ----- items -----

    def items(self, issuer: str, number: str) -> list[ItemRecord]:
        rows = self._db.execute(
            "SELECT position, item_id, quantity, unit, inspected FROM items WHERE issuer = ? AND number = ? "
            "ORDER BY position", (issuer, number))
        return [ItemRecord(r["position"], r["item_id"], Decimal(r["quantity"]), r["unit"], Decimal(r["inspected"]))
                for r in rows]

    def replace_items(self, issuer: str, number: str, items: list[ItemRecord]) -> None:
        self._db.execute("DELETE FROM items WHERE issuer = ? AND number = ?", (issuer, number))
        self._db.executemany(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(issuer, number, i.position, i.item_id, str(i.quantity), i.unit, str(i.inspected)) for i in items],
        )

    def set_inspected(self, issuer: str, number: str, item_id: str, inspected: Decimal) -> None:
        self._db.execute("UPDATE items SET inspected = ? WHERE issuer = ? AND number = ? AND item_id = ?",
                         (str(inspected), issuer, number, item_id))

    # ----- events and posted acknowledgements -----

    def record_event(self, issuer: str, number: str, kind: str, *, message_id: str | None = None,
                     detail: str | None = None) -> None:
        self._db.execute("INSERT INTO events (at, issuer, number, kind, message_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
                         (clock.isoformat(clock.now()), issuer, number, kind, message_id, detail))

    def events(self, issuer: str, number: str) -> list[tuple[str, str | None, str | None]]:
        rows = self._db.execute("SELECT kind, message_id, detail FROM events WHERE issuer = ? AND number = ? ORDER BY id",
                                (issuer, number))
        return [(r["kind"], r["message_id"], r["detail"]) for r in rows]

    def add_posted_acknowledgement(self, sender: str, message_id: str, ref_to: str, status: str, body: bytes) -> bool:
        """Keep an Acknowledgement a peer posted; False when the same one was posted before."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO posted_acknowledgements VALUES (?, ?, ?, ?, ?, ?)",
            (sender, message_id, ref_to, status, body, clock.isoformat(clock.now())))
        return cursor.rowcount == 1

    def posted_acknowledgements(self) -> list[tuple[str, str, str, str]]:
        rows = self._db.execute(
            "SELECT sender, message_id, ref_to_message_id, status FROM posted_acknowledgements ORDER BY rowid")
        return [tuple(row) for row in rows]


def _document(row: sqlite3.Row) -> DocumentRecord:
    values = dict(row)
    values["own"] = bool(values["own"])
    return DocumentRecord(**values)


class WriterLock:
    """One writer at a time, across the threads of this process and the processes that
    share the database (``epix simulate --workers``): a thread lock, then an exclusive
    ``flock`` on a file beside the database. A waiting writer wakes as soon as the lock
    is free. Where ``flock`` does not exist, only the thread lock is taken."""

    def __init__(self, path: Path):
        self.path = path
        self._threads = threading.Lock()
        self._file = open(path, "a+b") if fcntl is not None else None  # noqa: SIM115 (held open)

    def __enter__(self) -> None:
        self._threads.acquire()
        if self._file is not None:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX)
            except BaseException:
                self._threads.release()
                raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Store:
    """The SQLite file; one connection per thread, WAL, writes serialised by ``BEGIN IMMEDIATE``."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = WriterLock(self.path.with_name(self.path.name + ".writer"))
            self._connection()  # makes the schema
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the partner's database ({exc})") from None

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on an exception.

        Writers queue on :class:`WriterLock` (SQLite's own busy wait sleeps in steps of up
        to 100 ms); ``BEGIN IMMEDIATE`` still guards against a process that does not take it."""
        db = self._connection()
        with self._writer:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield Session(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A consistent read (one snapshot for the whole block)."""
        db = self._connection()
        db.execute("BEGIN")
        try:
            yield Session(db)
        finally:
            db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                with contextlib.suppress(sqlite3.Error):
                    db.close()
            self._connections.clear()
        self._local = threading.local()
        self._writer.close()

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._connect()
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=_BUSY_TIMEOUT_MS / 1000)
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.executescript(_SCHEMA)
        return db
