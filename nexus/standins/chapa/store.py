"""The sandbox's state in SQLite under ``.nexus/chapa/``: transactions survive a restart."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
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
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | list = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # --- settings ----------------------------------------------------------------------------
    def setting(self, key: str, default: Any = None) -> Any:
        rows = self.query("SELECT value FROM settings WHERE key = ?", [key])
        return json.loads(rows[0]["value"]) if rows else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) "
                         "DO UPDATE SET value = excluded.value", [key, json.dumps(value)])

    # --- transactions ------------------------------------------------------------------------
    def transaction_by(self, column: str, value: str) -> sqlite3.Row | None:
        assert column in {"tx_ref", "token", "reference"}
        rows = self.query(f"SELECT * FROM transactions WHERE {column} = ?", [value])
        return rows[0] if rows else None
