"""Opening the SQLite files that several processes write at once (bookings, SMS)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# How long a writer waits for another process's write lock before SQLite gives up.
BUSY_TIMEOUT_SECONDS = 10.0


def connect_autocommit(path: Path | str) -> sqlite3.Connection:
    """Opens a SQLite file in autocommit mode, shareable between threads.

    In autocommit mode every write transaction is an explicit ``BEGIN IMMEDIATE`` written by
    the caller, so the write lock is taken before anything is read.

    Args:
        path: The SQLite file, created when missing, or ``:memory:``.

    Returns:
        The connection, waiting up to ``BUSY_TIMEOUT_SECONDS`` for a lock held elsewhere.

    """
    conn = sqlite3.connect(
        str(path),
        isolation_level=None,
        timeout=BUSY_TIMEOUT_SECONDS,
        # Callers guard the connection with their own lock.
        check_same_thread=False,
    )
    conn.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    return conn
