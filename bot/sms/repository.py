"""The SMS database: seen webhook ids, opt-outs, numbered choices, numbers and the outbox.

Every query lives here, one method each. The Rasa server, the action server and the
worker share the file (WAL, busy timeout), each with its own connection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import sqlite_utils

from bot.sms.settings import SmsSettings
from bot.sqlite_files import connect_autocommit

KINDS = ("confirmation", "moved", "cancelled", "reminder", "code")
# Why a message was kept but not sent because of the daily limit per number.
SKIPPED_DAILY_LIMIT = "daily SMS limit for this number"
STATUSES = ("pending", "sent", "failed", "skipped")

_SCHEMA = """
create table if not exists seen_messages (
    id text primary key,
    seen_at text not null
);
create index if not exists seen_messages_at on seen_messages (seen_at);
-- Keyed by the conversation id (a keyed hash), so the table holds no number.
create table if not exists opt_outs (
    sender_key text primary key,
    opted_out_at text not null
);
create table if not exists choices (
    sender_key text primary key,
    payloads text not null,
    updated_at text not null
);
-- The number behind a conversation id, for the booking form; kept only briefly.
create table if not exists numbers (
    sender_key text primary key,
    phone text not null,
    updated_at text not null
);
create index if not exists numbers_updated on numbers (updated_at);
create table if not exists outbox (
    id integer primary key,
    kind text not null
        check (kind in ('confirmation', 'moved', 'cancelled', 'reminder', 'code')),
    reference text,
    phone text not null,
    body text not null,
    appointment_start text,
    dedupe_key text unique,
    status text not null check (status in ('pending', 'sent', 'failed', 'skipped')),
    attempts integer not null default 0,
    next_attempt_at text not null,
    last_error text,
    created_at text not null,
    updated_at text not null,
    sent_at text
);
create index if not exists outbox_due on outbox (status, next_attempt_at);
create index if not exists outbox_reference on outbox (reference);
create index if not exists outbox_phone on outbox (phone, created_at);
-- Codes sent to a number typed in the web chat; the code itself only as a salted hash.
create table if not exists phone_codes (
    id integer primary key,
    conversation text not null,
    phone text not null,
    code_hash text not null,
    salt text not null,
    created_at text not null,
    expires_at text not null,
    attempts integer not null default 0,
    confirmed_at text
);
create index if not exists phone_codes_phone on phone_codes (phone, created_at);
create index if not exists phone_codes_conversation on phone_codes (conversation, phone);
"""

# Databases made before the "code" kind existed: SQLite cannot change a CHECK constraint,
# so the outbox is rebuilt once with the same rows.
_MIGRATE_OUTBOX = """
alter table outbox rename to outbox_old;
{create}
insert into outbox select * from outbox_old;
drop table outbox_old;
"""


class SmsDatabase:
    """One connection to the SMS database, with its tables created when missing.

    Args:
        path: The SQLite file, or ``:memory:``.

    """

    def __init__(self, path: Path | str) -> None:
        self.path = path
        conn = connect_autocommit(path)
        self.db = sqlite_utils.Database(conn)
        # The Rasa server's event loop and the worker's scheduler may use it from threads.
        self.lock = threading.RLock()
        if str(path) != ":memory:":
            self.db.execute("pragma journal_mode = wal")
        conn.executescript(f"begin immediate;\n{_SCHEMA}\ncommit;")
        self._migrate()

    def _migrate(self) -> None:
        conn = self.db.conn
        conn.execute("begin immediate")
        try:
            row = conn.execute(
                "select sql from sqlite_master where type = 'table' and name = 'outbox'"
            ).fetchone()
            if row and "'code'" not in row[0]:
                create = _SCHEMA[_SCHEMA.index("create table if not exists outbox") :]
                create = create[: create.index(");") + 2]
                for statement in _MIGRATE_OUTBOX.format(create=create).split(";"):
                    if statement.strip():
                        conn.execute(statement)
                for statement in _SCHEMA.split(";"):
                    if "index" in statement and "outbox" in statement:
                        conn.execute(statement)
        except BaseException:
            conn.execute("rollback")
            raise
        conn.execute("commit")

    @classmethod
    def from_env(cls, settings: Optional[SmsSettings] = None) -> SmsDatabase:
        """Opens ``SMS_DB`` (default ``$BOT_DATA_DIR/sms.db``), creating its folder."""
        settings = settings or SmsSettings.from_env()
        settings.db_path.parent.mkdir(parents=True, exist_ok=True)
        return cls(settings.db_path)

    def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        """Runs one statement (autocommit)."""
        with self.lock:
            return self.db.execute(sql, list(params))

    def query(self, sql: str, params: Iterable[Any] = ()) -> List[Dict[str, Any]]:
        """Runs one query and returns its rows as dicts."""
        with self.lock:
            return list(self.db.query(sql, list(params)))

    def close(self) -> None:
        """Closes the connection."""
        self.db.conn.close()


class SeenMessages:
    """Webhook message ids already accepted, so a redelivery is not answered twice."""

    def __init__(self, database: SmsDatabase) -> None:
        self._db = database

    def first_time(self, message_id: str, now: dt.datetime) -> bool:
        """Records an id; False when it was recorded before (atomic, also across processes)."""
        cursor = self._db.execute(
            "insert or ignore into seen_messages (id, seen_at) values (?, ?)",
            [message_id, _utc(now)],
        )
        return cursor.rowcount > 0

    def prune(self, before: dt.datetime) -> int:
        """Forgets ids seen before the cutoff; returns how many."""
        return self._db.execute(
            "delete from seen_messages where seen_at < ?", [_utc(before)]
        ).rowcount


class OptOuts:
    """Numbers (by conversation id) that wrote STOP and have not written since."""

    def __init__(self, database: SmsDatabase) -> None:
        self._db = database

    def opt_out(self, sender_key: str, now: dt.datetime) -> None:
        """Stops all SMS to this conversation's number."""
        self._db.execute(
            "insert or replace into opt_outs (sender_key, opted_out_at) values (?, ?)",
            [sender_key, _utc(now)],
        )

    def opt_in(self, sender_key: str) -> bool:
        """Lifts an opt-out; True when there was one."""
        cursor = self._db.execute("delete from opt_outs where sender_key = ?", [sender_key])
        return cursor.rowcount > 0

    def is_opted_out(self, sender_key: str) -> bool:
        """Whether the number has opted out."""
        rows = self._db.query("select 1 from opt_outs where sender_key = ?", [sender_key])
        return bool(rows)


class Choices:
    """The button payloads last shown as numbered choices, per conversation."""

    def __init__(self, database: SmsDatabase) -> None:
        self._db = database

    def remember(self, sender_key: str, payloads: List[str], now: dt.datetime) -> None:
        """Replaces the conversation's choices."""
        self._db.execute(
            "insert or replace into choices (sender_key, payloads, updated_at) values (?, ?, ?)",
            [sender_key, json.dumps(payloads, ensure_ascii=False), _utc(now)],
        )

    def get(self, sender_key: str) -> List[str]:
        """The conversation's current choices, in the order shown."""
        rows = self._db.query("select payloads from choices where sender_key = ?", [sender_key])
        return list(json.loads(rows[0]["payloads"])) if rows else []

    def forget(self, sender_key: str) -> None:
        """Drops the conversation's choices (the last reply had none)."""
        self._db.execute("delete from choices where sender_key = ?", [sender_key])

    def prune(self, before: dt.datetime) -> int:
        """Drops choices not updated since the cutoff."""
        return self._db.execute("delete from choices where updated_at < ?", [_utc(before)]).rowcount


class Numbers:
    """The Danish number behind an SMS conversation id, for the booking form.

    Kept here rather than in the conversation's metadata, because the tracker store keeps
    metadata with every message for as long as the conversation is stored.
    """

    def __init__(self, database: SmsDatabase) -> None:
        self._db = database

    def remember(self, sender_key: str, phone: str, now: dt.datetime) -> None:
        """Records the eight digits behind a conversation id."""
        self._db.execute(
            "insert or replace into numbers (sender_key, phone, updated_at) values (?, ?, ?)",
            [sender_key, phone, _utc(now)],
        )

    def phone(self, sender_key: str, since: dt.datetime) -> Optional[str]:
        """The number, if the conversation wrote after ``since``."""
        rows = self._db.query(
            "select phone from numbers where sender_key = ? and updated_at >= ?",
            [sender_key, _utc(since)],
        )
        return rows[0]["phone"] if rows else None

    def prune(self, before: dt.datetime) -> int:
        """Forgets numbers of conversations idle since the cutoff."""
        return self._db.execute("delete from numbers where updated_at < ?", [_utc(before)]).rowcount


# The answers of :meth:`PhoneCodes.check`.
CODE_OK = "ok"
CODE_WRONG = "wrong"
CODE_VOID = "void"


class PhoneCodes:
    """Short codes that prove a number typed in the web chat belongs to the citizen.

    One row per code sent. The conversation is stored as a hash of its id and the code as
    a salted hash; rows are deleted when they no longer matter for any limit.
    """

    def __init__(self, database: SmsDatabase) -> None:
        self._db = database

    def issue(
        self, conversation: str, phone: str, code: str, now: dt.datetime, lifetime: dt.timedelta
    ) -> None:
        """Records a code sent to a number for one conversation.

        Args:
            conversation: The conversation's id (stored hashed).
            phone: Eight Danish digits.
            code: The code in the SMS.
            now: When it was sent.
            lifetime: How long it may be typed back.

        """
        salt = secrets.token_hex(8)
        self._db.execute(
            "insert into phone_codes (conversation, phone, code_hash, salt, created_at, "
            "expires_at) values (?, ?, ?, ?, ?, ?)",
            [_hash(conversation), phone, _hash(salt + code), salt, _utc(now), _utc(now + lifetime)],
        )

    def unconfirmed_since(self, phone: str, since: dt.datetime) -> bool:
        """Whether a code went to the number at or after ``since`` and was never typed back."""
        rows = self._db.query(
            "select 1 from phone_codes where phone = ? and created_at >= ? "
            "and confirmed_at is null limit 1",
            [phone, _utc(since)],
        )
        return bool(rows)

    def confirmed(self, conversation: str, phone: str, since: dt.datetime) -> bool:
        """Whether this conversation typed back a code for the number at or after ``since``."""
        rows = self._db.query(
            "select 1 from phone_codes where conversation = ? and phone = ? "
            "and confirmed_at >= ? limit 1",
            [_hash(conversation), phone, _utc(since)],
        )
        return bool(rows)

    def check(
        self, conversation: str, phone: str, code: str, now: dt.datetime, max_attempts: int
    ) -> str:
        """Checks a code typed in the chat against the latest one sent for the conversation.

        Args:
            conversation: The conversation's id.
            phone: The number the code was sent to.
            code: What the citizen typed (digits only).
            now: The current time.
            max_attempts: Wrong codes allowed before the code is void.

        Returns:
            :data:`CODE_OK` (now confirmed), :data:`CODE_WRONG` (try again) or
            :data:`CODE_VOID` (expired, used up, or none was sent).

        """
        with self._db.lock:
            rows = self._db.query(
                "select id, code_hash, salt, expires_at, attempts from phone_codes "
                "where conversation = ? and phone = ? and confirmed_at is null "
                "order by id desc limit 1",
                [_hash(conversation), phone],
            )
            if not rows:
                return CODE_VOID
            row = rows[0]
            if row["attempts"] >= max_attempts or parse_utc(row["expires_at"]) <= now:
                return CODE_VOID
            if hmac.compare_digest(row["code_hash"], _hash(row["salt"] + code)):
                self._db.execute(
                    "update phone_codes set confirmed_at = ? where id = ?", [_utc(now), row["id"]]
                )
                return CODE_OK
            self._db.execute(
                "update phone_codes set attempts = attempts + 1 where id = ?", [row["id"]]
            )
            return CODE_VOID if row["attempts"] + 1 >= max_attempts else CODE_WRONG

    def prune(self, before: dt.datetime) -> int:
        """Deletes codes sent before the cutoff; returns how many."""
        return self._db.execute(
            "delete from phone_codes where created_at < ?", [_utc(before)]
        ).rowcount


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class OutboxMessage:
    """One notification SMS and how sending it went.

    Attributes:
        id: Row id.
        kind: ``confirmation``, ``moved``, ``cancelled`` or ``reminder``.
        reference: The booking's reference.
        phone: Eight Danish digits.
        body: The full text (GSM-7 and splitting are applied when sending).
        appointment_start: For reminders, the start they were made for (UTC ISO).
        status: ``pending``, ``sent``, ``failed`` or ``skipped``.
        attempts: Sending attempts so far.
        next_attempt_at: When the worker tries next (UTC ISO).
        last_error: Why the last attempt failed or the message was skipped.
        created_at: When the message was queued (UTC ISO).
        updated_at: Last change (UTC ISO).
        sent_at: When the gateway accepted it (UTC ISO).

    """

    id: int
    kind: str
    reference: Optional[str]
    phone: str
    body: str
    appointment_start: Optional[str]
    status: str
    attempts: int
    next_attempt_at: str
    last_error: Optional[str]
    created_at: str
    updated_at: str
    sent_at: Optional[str]


_OUTBOX_COLUMNS = (
    "id, kind, reference, phone, body, appointment_start, status, attempts, next_attempt_at, "
    "last_error, created_at, updated_at, sent_at"
)


class Outbox:
    """Notification SMS waiting for, or done with, the worker.

    The booking actions only queue, after their commit; the worker sends. A gateway
    failure therefore never touches a booking, and staff can see it here.
    """

    def __init__(self, database: SmsDatabase) -> None:
        self._db = database

    def enqueue(
        self,
        kind: str,
        phone: str,
        body: str,
        now: dt.datetime,
        reference: Optional[str] = None,
        appointment_start: Optional[dt.datetime] = None,
        dedupe_key: Optional[str] = None,
        max_per_day: Optional[int] = None,
    ) -> Optional[int]:
        """Queues a message for the worker.

        Args:
            kind: One of :data:`KINDS`.
            phone: Eight Danish digits.
            body: The text.
            now: The current time; the message is due at once.
            reference: The booking's reference.
            appointment_start: For reminders, the appointment's start.
            dedupe_key: A message with the same key is queued only once.
            max_per_day: The most messages to this number in 24 hours (skipped ones not
                counted); past it the message is stored as skipped, so staff see it. None
                for no limit.

        Returns:
            The new row id, or None when the dedupe key was already queued or the daily
            limit kept the message from being sent.

        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        day_ago = _utc(now - dt.timedelta(days=1))
        limit = -1 if max_per_day is None else max_per_day
        # Counted and inserted under the write lock, so two processes cannot both take the
        # last message of the day.
        with self._db.lock:
            conn = self._db.db.conn
            conn.execute("begin immediate")
            try:
                sent_today = conn.execute(
                    "select count(*) from outbox where phone = ? and created_at >= ? "
                    "and status != 'skipped'",
                    [phone, day_ago],
                ).fetchone()[0]
                over = limit >= 0 and sent_today >= limit
                cursor = conn.execute(
                    "insert or ignore into outbox (kind, reference, phone, body, "
                    "appointment_start, dedupe_key, status, attempts, next_attempt_at, "
                    "last_error, created_at, updated_at) "
                    "values (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
                    [
                        kind,
                        reference,
                        phone,
                        body,
                        _utc(appointment_start) if appointment_start else None,
                        dedupe_key,
                        "skipped" if over else "pending",
                        _utc(now),
                        SKIPPED_DAILY_LIMIT if over else None,
                        _utc(now),
                        _utc(now),
                    ],
                )
            except BaseException:
                conn.execute("rollback")
                raise
            conn.execute("commit")
        return cursor.lastrowid if cursor.rowcount > 0 and not over else None

    def sent_today(self, phone: str, now: dt.datetime) -> int:
        """Messages queued to the number in the last 24 hours, skipped ones not counted."""
        rows = self._db.query(
            "select count(*) as n from outbox where phone = ? and created_at >= ? "
            "and status != 'skipped'",
            [phone, _utc(now - dt.timedelta(days=1))],
        )
        return int(rows[0]["n"])

    def skip_pending_to(self, phone: str, reason: str, now: dt.datetime) -> int:
        """Marks every message still waiting for this number as skipped; returns how many."""
        return self._db.execute(
            "update outbox set status = 'skipped', last_error = ?, updated_at = ? "
            "where phone = ? and status = 'pending'",
            [reason, _utc(now), phone],
        ).rowcount

    def due(self, now: dt.datetime, limit: int = 50) -> List[OutboxMessage]:
        """Pending messages whose next attempt is due, oldest first."""
        rows = self._db.query(
            f"select {_OUTBOX_COLUMNS} from outbox where status = 'pending' "
            "and next_attempt_at <= ? order by next_attempt_at, id limit ?",
            [_utc(now), limit],
        )
        return [OutboxMessage(**row) for row in rows]

    def mark_sent(self, message_id: int, now: dt.datetime) -> None:
        """The gateway accepted the message."""
        self._db.execute(
            "update outbox set status = 'sent', attempts = attempts + 1, last_error = null, "
            "sent_at = ?, updated_at = ? where id = ?",
            [_utc(now), _utc(now), message_id],
        )

    def mark_retry(
        self, message_id: int, error: str, next_attempt: dt.datetime, now: dt.datetime
    ) -> None:
        """An attempt failed; try again at ``next_attempt``."""
        self._db.execute(
            "update outbox set attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
            "updated_at = ? where id = ?",
            [error, _utc(next_attempt), _utc(now), message_id],
        )

    def mark_failed(self, message_id: int, error: str, now: dt.datetime) -> None:
        """Gives up on the message; staff see it as failed."""
        self._db.execute(
            "update outbox set status = 'failed', attempts = attempts + 1, last_error = ?, "
            "updated_at = ? where id = ?",
            [error, _utc(now), message_id],
        )

    def mark_skipped(self, message_id: int, reason: str, now: dt.datetime) -> None:
        """Not sent on purpose (opted out, or the booking changed)."""
        self._db.execute(
            "update outbox set status = 'skipped', last_error = ?, updated_at = ? where id = ?",
            [reason, _utc(now), message_id],
        )

    def retry_failed(self, message_id: int, now: dt.datetime) -> bool:
        """Puts a failed message back in the queue (staff fixed the cause); True if it was."""
        return (
            self._db.execute(
                "update outbox set status = 'pending', attempts = 0, next_attempt_at = ?, "
                "updated_at = ? where id = ? and status = 'failed'",
                [_utc(now), _utc(now), message_id],
            ).rowcount
            > 0
        )

    def recent(self, status: Optional[str] = None, limit: int = 100) -> List[OutboxMessage]:
        """The newest messages, optionally of one status, newest first."""
        rows = self._db.query(
            f"select {_OUTBOX_COLUMNS} from outbox where ? is null or status = ? "
            "order by id desc limit ?",
            [status, status, limit],
        )
        return [OutboxMessage(**row) for row in rows]

    def for_references(self, references: Iterable[str]) -> Dict[str, List[OutboxMessage]]:
        """Every message about the given bookings, oldest first, for the staff pages.

        Args:
            references: Booking references.

        Returns:
            The messages per reference; references without messages are left out.

        """
        wanted = sorted(set(references))
        if not wanted:
            return {}
        marks = ", ".join("?" for _ in wanted)
        rows = self._db.query(
            f"select {_OUTBOX_COLUMNS} from outbox where reference in ({marks}) order by id",
            wanted,
        )
        found: Dict[str, List[OutboxMessage]] = {}
        for row in rows:
            found.setdefault(row["reference"], []).append(OutboxMessage(**row))
        return found

    def prune(self, before: dt.datetime) -> int:
        """Deletes sent, failed and skipped messages last changed before the cutoff."""
        return self._db.execute(
            "delete from outbox where status != 'pending' and updated_at < ?", [_utc(before)]
        ).rowcount


def _utc(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return value.astimezone(dt.timezone.utc).isoformat()


def parse_utc(text: str) -> dt.datetime:
    """A time stored by this module, back as an aware datetime."""
    return dt.datetime.fromisoformat(text)
