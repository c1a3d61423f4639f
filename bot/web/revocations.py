"""Logged-out staff sessions in SQLite, so a logout still holds after a restart."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 10.0
MEMORY = ":memory:"

_SCHEMA = """
create table if not exists revoked_sessions (
    session_id text primary key,
    expires real not null
);
create index if not exists revoked_sessions_expires on revoked_sessions (expires);
"""


class RevokedSessions:
    """The session ids that logged out, each kept until its token would have expired.

    The file is opened on first use, so building the app opens nothing.

    Args:
        path: The SQLite file (``STAFF_DB``), or ``":memory:"`` when none is configured
            (tests); created with its table when missing.

    """

    def __init__(self, path: Path | str = MEMORY) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if self.path != MEMORY:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(self.path), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
            )
            conn.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            with conn:
                conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def revoke(self, session_id: str, expires: float, now: float) -> None:
        """Remembers a logout, and forgets logouts whose tokens have expired anyway.

        Args:
            session_id: The session's random id.
            expires: When its token expires (Unix time).
            now: The current Unix time.

        """
        with self._lock:
            conn = self._connection()
            with conn:
                conn.execute("delete from revoked_sessions where expires <= ?", (now,))
                conn.execute(
                    "insert or replace into revoked_sessions (session_id, expires) values (?, ?)",
                    (session_id, expires),
                )

    def is_revoked(self, session_id: str) -> bool:
        """Whether the session logged out."""
        with self._lock:
            row = (
                self._connection()
                .execute("select 1 from revoked_sessions where session_id = ?", (session_id,))
                .fetchone()
            )
        return row is not None

    def close(self) -> None:
        """Closes the file; the next use opens it again. A memory store stays open."""
        with self._lock:
            if self._conn is not None and self.path != MEMORY:
                self._conn.close()
                self._conn = None
