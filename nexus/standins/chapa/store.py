"""The Chapa sandbox's state in SQLite (``.nexus/chapa/sandbox.sqlite3``): all of its SQL.

Transactions, the deliveries (callbacks and webhooks) owed for them with every attempt, and the
merchant's settings survive a restart. The rules that decide what to write are in :mod:`.api`
and :mod:`.deliveries`; this module only reads and writes rows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (
    tx_ref TEXT PRIMARY KEY,
    token TEXT UNIQUE NOT NULL,
    reference TEXT UNIQUE NOT NULL,
    mode TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    email TEXT, first_name TEXT, last_name TEXT, phone_number TEXT,
    callback_url TEXT, return_url TEXT,
    customization TEXT NOT NULL,
    meta TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    method TEXT, mobile TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_ref TEXT NOT NULL,
    kind TEXT NOT NULL,            -- webhook | callback
    event TEXT,
    url TEXT NOT NULL,
    body TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    delivered INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    status INTEGER,
    error TEXT
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
#: A delivery that will not be attempted again (``next_attempt_at``); SQLite stores it as Inf.
NEVER = float("inf")


def now_iso() -> str:
    """Chapa's timestamp format: ISO 8601 in UTC with a ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Store:
    """Thread-safe access to the sandbox database (one connection, serialised)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # --- settings ----------------------------------------------------------------------------
    def setting(self, key: str, default: Any = None) -> Any:
        """The merchant's setting ``key`` (stored as JSON), or ``default``."""
        rows = self._query("SELECT value FROM settings WHERE key = ?", [key])
        return json.loads(rows[0]["value"]) if rows else default

    def set_setting(self, key: str, value: Any) -> None:
        """Store the merchant's setting ``key``."""
        with self._transaction() as conn:
            conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) "
                         "DO UPDATE SET value = excluded.value", [key, json.dumps(value)])

    # --- transactions ------------------------------------------------------------------------
    def transaction_by(self, column: str, value: str) -> sqlite3.Row | None:
        """The transaction whose ``tx_ref``, ``token`` or ``reference`` is ``value``."""
        assert column in {"tx_ref", "token", "reference"}
        rows = self._query(f"SELECT * FROM transactions WHERE {column} = ?", [value])
        return rows[0] if rows else None

    def add_transaction(self, values: Mapping[str, Any]) -> bool:
        """Insert a new transaction; False (and nothing written) if its tx_ref exists."""
        columns = ", ".join(values)  # the caller's fixed column names, never request data
        with self._transaction() as conn:
            cursor = conn.execute(
                f"INSERT INTO transactions ({columns}) VALUES ({', '.join('?' * len(values))}) "
                "ON CONFLICT(tx_ref) DO NOTHING", list(values.values()))
        return cursor.rowcount == 1

    def settle_transaction(self, token: str, *, status: str, method: str, mobile: str | None,
                           updated_at: str) -> bool:
        """Record the payer's outcome if the transaction is still pending; False if it was not."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE transactions SET status = ?, method = ?, mobile = ?, updated_at = ? "
                "WHERE token = ? AND status = 'pending'",
                [status, method, mobile, updated_at, token])
        return cursor.rowcount == 1

    # --- deliveries --------------------------------------------------------------------------
    def add_deliveries(self, deliveries: Iterable[Mapping[str, Any]]) -> list[int]:
        """Queue callbacks/webhooks (tx_ref, kind, url, and event, body for a webhook), due now.

        Returns their ids. All are written in one transaction: none or all.
        """
        due, created_at, ids = time.time(), now_iso(), []
        with self._transaction() as conn:
            for delivery in deliveries:
                cursor = conn.execute(
                    "INSERT INTO deliveries (tx_ref, kind, event, url, body, next_attempt_at, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [delivery["tx_ref"], delivery["kind"], delivery.get("event"), delivery["url"],
                     delivery.get("body"), due, created_at])
                ids.append(cursor.lastrowid)
        return ids

    def last_webhook(self, tx_ref: str) -> sqlite3.Row | None:
        """The newest webhook delivery queued for ``tx_ref``."""
        rows = self._query("SELECT * FROM deliveries WHERE tx_ref = ? AND kind = 'webhook' "
                           "ORDER BY id DESC LIMIT 1", [tx_ref])
        return rows[0] if rows else None

    def deliveries(self, tx_ref: str | None = None) -> list[sqlite3.Row]:
        """Every delivery (of ``tx_ref`` if given), oldest first."""
        sql = "SELECT * FROM deliveries" + (" WHERE tx_ref = ?" if tx_ref else "") + " ORDER BY id"
        return self._query(sql, [tx_ref] if tx_ref else [])

    def attempts(self, delivery_id: int) -> list[sqlite3.Row]:
        """A delivery's attempts, oldest first: when, and the HTTP status or the error."""
        return self._query("SELECT at, status, error FROM attempts WHERE delivery_id = ? "
                           "ORDER BY id", [delivery_id])

    def due_deliveries(self, *, now: float, max_attempts: int) -> list[sqlite3.Row]:
        """Undelivered deliveries whose next attempt is due, oldest first."""
        return self._query("SELECT * FROM deliveries WHERE delivered = 0 AND attempts < ? "
                           "AND next_attempt_at <= ? ORDER BY id", [max_attempts, now])

    def record_attempt(self, delivery_id: int, *, status: int | None, error: str | None,
                       delivered: bool, next_attempt_at: float) -> None:
        """Log one attempt and schedule the next (``NEVER`` for none)."""
        with self._transaction() as conn:
            conn.execute("INSERT INTO attempts (delivery_id, at, status, error) "
                         "VALUES (?, ?, ?, ?)", [delivery_id, now_iso(), status, error])
            conn.execute(
                "UPDATE deliveries SET attempts = attempts + 1, last_status = ?, last_error = ?, "
                "delivered = ?, next_attempt_at = ? WHERE id = ?",
                [status, error, int(delivered), next_attempt_at, delivery_id])
