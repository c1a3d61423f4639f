"""Appointment bookings in SQLite: the only place that reads or writes them."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar
from zoneinfo import ZoneInfo

import sqlite_utils

from bot.booking.reference import new_reference, normalise_reference
from bot.danish.phone import normalise_danish_mobile
from bot.sqlite_files import connect_autocommit

MEETINGS = ("fronten", "telefon")

# Deliberately no CPR number: the booking needs only a first name and a phone number.
_SCHEMA = """
create table if not exists bookings (
    id integer primary key,
    reference text not null unique,
    start text not null,
    "end" text not null,
    topic text not null,
    meeting text not null check (meeting in ('fronten', 'telefon')),
    first_name text not null,
    phone text not null,
    status text not null check (status in ('booked', 'cancelled')),
    capacity_unit integer not null check (capacity_unit >= 1),
    created_at text not null,
    updated_at text not null
);
create unique index if not exists bookings_unit_taken
    on bookings (start, capacity_unit) where status = 'booked';
create index if not exists bookings_end on bookings ("end");
create index if not exists bookings_phone on bookings (phone, status);
-- What limits count: bookings per client address, wrong reference/phone pairs per
-- reference and per client address. Keys are references or keyed hashes, never an address.
create table if not exists limit_events (
    id integer primary key,
    kind text not null,
    key text not null,
    at text not null
);
create index if not exists limit_events_key on limit_events (kind, key, at);
"""

# Kinds of limit events.
BOOKED_FROM_CLIENT = "booked_from_client"
FAILED_REFERENCE = "failed_reference"
FAILED_CLIENT = "failed_client"
# Limit events older than this are never counted again.
EVENT_RETENTION = dt.timedelta(days=7)

_T = TypeVar("_T")


class LimitReached(Exception):
    """A booking was refused by a limit (the slot itself may be free).

    Attributes:
        kind: ``phone`` (too many active bookings on the number) or ``client`` (too many
            bookings from one client address in the last hour).

    """

    def __init__(self, kind: str) -> None:
        super().__init__(f"booking limit reached: {kind}")
        self.kind = kind


def _serialised(method: Callable[..., _T]) -> Callable[..., _T]:
    # Actions call the repository from worker threads; one connection, one caller at a time.
    @functools.wraps(method)
    def locked(self: BookingRepository, *args: Any, **kwargs: Any) -> _T:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


_COLUMNS = (
    'reference, start, "end", topic, meeting, first_name, phone, status, capacity_unit, '
    "created_at, updated_at"
)


@dataclass(frozen=True)
class Booking:
    """One appointment with a counsellor at Fronten.

    Times are timezone-aware in the repository's zone.
    """

    reference: str
    start: dt.datetime
    end: dt.datetime
    topic: str
    meeting: str
    first_name: str
    phone: str
    status: str
    capacity_unit: int
    created_at: dt.datetime
    updated_at: dt.datetime


class BookingRepository:
    """Books, finds, moves and cancels appointments.

    One instance holds one connection. It runs in autocommit mode so that every write
    transaction is an explicit ``BEGIN IMMEDIATE``: the write lock is taken before the free
    capacity is counted, so two processes cannot both see the same unit as free. The partial
    unique index on ``(start, capacity_unit)`` is the last line of defence.

    Times are stored as UTC ISO text so that text order is time order.

    Args:
        path: The SQLite file; created with its table when missing.
        timezone: The zone bookings are returned in and ``on_date`` counts days in.

    """

    def __init__(self, path: Path, timezone: ZoneInfo | None = None) -> None:
        self.path = path
        self.timezone = timezone or ZoneInfo("Europe/Copenhagen")
        conn = connect_autocommit(path)
        self._db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._create_schema()

    @classmethod
    def from_env(cls, timezone: ZoneInfo | None = None) -> BookingRepository:
        """Opens the file named by ``BOOKING_DB`` (default ``$BOT_DATA_DIR/bookings.db``).

        Args:
            timezone: See the class.

        Returns:
            A repository; the data folder is created if needed.

        """
        from bot.services import open_bookings  # builds every shared service

        return open_bookings(timezone=timezone)

    @_serialised
    def close(self) -> None:
        """Closes the connection."""
        self._db.conn.close()

    def _create_schema(self) -> None:
        # WAL lets readers continue while one writer books; the setting is stored in the file.
        self._db.execute("pragma journal_mode = wal")
        self._db.conn.executescript(f"begin immediate;\n{_SCHEMA}\ncommit;")

    @_serialised
    def columns(self) -> list[str]:
        """The names of the bookings table's columns."""
        return [
            row["name"] for row in self._db.query("select name from pragma_table_info('bookings')")
        ]

    @_serialised
    def book(
        self,
        start: dt.datetime,
        end: dt.datetime,
        topic: str,
        meeting: str,
        first_name: str,
        phone: str,
        capacity: int,
        max_active_per_phone: int | None = None,
        client_key: str | None = None,
        max_per_client_hour: int | None = None,
        now: dt.datetime | None = None,
    ) -> Booking | None:
        """Books the lowest free capacity unit at ``start``.

        The limits are checked inside the write transaction, so two conversations cannot
        both take the last allowed booking.

        Args:
            start: The slot start; timezone-aware.
            end: The slot end; timezone-aware.
            topic: What the citizen wants to talk about.
            meeting: ``"fronten"`` (in person) or ``"telefon"``.
            first_name: The citizen's first name.
            phone: A Danish phone number in any common spelling.
            capacity: Appointments possible at the same time.
            max_active_per_phone: The most booked, not yet ended appointments the number
                may hold, this one included; None for no limit.
            client_key: A keyed hash of the client's address; None when unknown (SMS).
            max_per_client_hour: The most bookings from ``client_key`` in an hour; None or
                0 for no limit.
            now: The current time (injected clock); default the system clock.

        Returns:
            The booking, or None when the slot is full (the caller offers fresh slots).

        Raises:
            ValueError: A time is naive, the meeting kind is unknown or the phone is invalid.
            LimitReached: The number or the client address has booked its share.

        """
        start_text, end_text = _utc_text(start), _utc_text(end)
        if meeting not in MEETINGS:
            raise ValueError(f"meeting must be one of {MEETINGS}, not {meeting!r}")
        number = _phone(phone)
        current = now or dt.datetime.now(dt.timezone.utc)
        now = _utc_text(current)
        hour_ago = _utc_text(current - dt.timedelta(hours=1))

        def write(conn: sqlite3.Connection) -> str | None:
            if max_active_per_phone is not None:
                active = conn.execute(
                    "select count(*) from bookings where phone = ? and status = 'booked' "
                    'and "end" > ?',
                    [number, now],
                ).fetchone()[0]
                if active >= max_active_per_phone:
                    raise LimitReached("phone")
            if client_key and max_per_client_hour:
                recent = conn.execute(
                    "select count(*) from limit_events where kind = ? and key = ? and at >= ?",
                    [BOOKED_FROM_CLIENT, client_key, hour_ago],
                ).fetchone()[0]
                if recent >= max_per_client_hour:
                    raise LimitReached("client")
            unit = _free_unit(conn, start_text, capacity)
            if unit is None:
                return None
            reference = _unused_reference(conn)
            conn.execute(
                f"insert into bookings ({_COLUMNS}) "
                "values (?, ?, ?, ?, ?, ?, ?, 'booked', ?, ?, ?)",
                [
                    reference,
                    start_text,
                    end_text,
                    topic,
                    meeting,
                    first_name,
                    number,
                    unit,
                    now,
                    now,
                ],
            )
            if client_key:
                conn.execute(
                    "insert into limit_events (kind, key, at) values (?, ?, ?)",
                    [BOOKED_FROM_CLIENT, client_key, now],
                )
            return reference

        reference = self._transaction(write)
        return self._get(reference) if reference else None

    @_serialised
    def active_for_phone(self, phone: str, now: dt.datetime) -> list[Booking]:
        """The number's booked appointments that have not ended, earliest first.

        Args:
            phone: A Danish phone number in any common spelling.
            now: The current time; timezone-aware.

        Returns:
            The bookings; empty for an invalid number.

        """
        number = normalise_danish_mobile(phone)
        if number is None:
            return []
        rows = self._db.query(
            f"select {_COLUMNS} from bookings where phone = ? and status = 'booked' "
            'and "end" > ? order by start',
            [number, _utc_text(now)],
        )
        return [self._booking(row) for row in rows]

    @_serialised
    def record_event(self, kind: str, key: str, now: dt.datetime) -> None:
        """Records one event a limit counts (a wrong reference/phone pair, ...).

        Args:
            kind: E.g. :data:`FAILED_REFERENCE` or :data:`FAILED_CLIENT`.
            key: What is counted: a reference, or a keyed hash of a client address.
            now: When it happened; timezone-aware.

        """
        self._db.execute(
            "insert into limit_events (kind, key, at) values (?, ?, ?)",
            [kind, key, _utc_text(now)],
        )

    @_serialised
    def count_events(self, kind: str, key: str, since: dt.datetime) -> int:
        """How many events of a kind and key happened at or after ``since``."""
        row = self._db.execute(
            "select count(*) from limit_events where kind = ? and key = ? and at >= ?",
            [kind, key, _utc_text(since)],
        ).fetchone()
        return int(row[0])

    @_serialised
    def purge_events(self, older_than: dt.datetime) -> int:
        """Deletes limit events before the cutoff; returns how many."""
        return self._db.execute(
            "delete from limit_events where at < ?", [_utc_text(older_than)]
        ).rowcount

    @_serialised
    def taken(self, starts: Iterable[dt.datetime]) -> dict[dt.datetime, int]:
        """Counts the booked appointments at each of the given starts.

        Args:
            starts: Slot starts; timezone-aware.

        Returns:
            The count for every start given (0 when free), keyed by the given objects.

        """
        starts = list(starts)
        if not starts:
            return {}
        texts = {start: _utc_text(start) for start in starts}
        marks = ", ".join("?" for _ in texts)
        rows = self._db.query(
            f"select start, count(*) as n from bookings "
            f"where status = 'booked' and start in ({marks}) group by start",
            list(set(texts.values())),
        )
        counts = {row["start"]: row["n"] for row in rows}
        return {start: counts.get(text, 0) for start, text in texts.items()}

    @_serialised
    def find(self, reference: str, phone: str) -> Booking | None:
        """Finds a booking by its reference and the phone number it was made with.

        Both must match, so a guessed reference alone reveals nothing.

        Args:
            reference: The booking reference, in any case, spaces allowed.
            phone: The phone number, in any common spelling.

        Returns:
            The booking (booked or cancelled), or None.

        """
        key = _key(reference, phone)
        if key is None:
            return None
        rows = list(
            self._db.query(
                f"select {_COLUMNS} from bookings where reference = ? and phone = ?", list(key)
            )
        )
        return self._booking(rows[0]) if rows else None

    @_serialised
    def cancel(self, reference: str, phone: str) -> bool:
        """Cancels a booking; its capacity unit is free again at once.

        Args:
            reference: The booking reference.
            phone: The phone number it was made with.

        Returns:
            True when a booked appointment was cancelled.

        """
        key = _key(reference, phone)
        if key is None:
            return False
        cursor = self._db.execute(
            "update bookings set status = 'cancelled', updated_at = ? "
            "where reference = ? and phone = ? and status = 'booked'",
            [_utc_text(dt.datetime.now(dt.timezone.utc)), *key],
        )
        return cursor.rowcount > 0

    @_serialised
    def move(
        self,
        reference: str,
        phone: str,
        new_start: dt.datetime,
        new_end: dt.datetime,
        capacity: int,
    ) -> Booking | None:
        """Moves a booking to another slot in one transaction, keeping its reference.

        Args:
            reference: The booking reference.
            phone: The phone number it was made with.
            new_start: The new slot start; timezone-aware.
            new_end: The new slot end; timezone-aware.
            capacity: Appointments possible at the same time.

        Returns:
            The moved booking, or None when it was not found or the new slot is full (the
            old appointment is then kept).

        """
        key = _key(reference, phone)
        if key is None:
            return None
        start_text, end_text = _utc_text(new_start), _utc_text(new_end)
        now = _utc_text(dt.datetime.now(dt.timezone.utc))

        def write(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "select id from bookings where reference = ? and phone = ? and status = 'booked'",
                list(key),
            ).fetchone()
            if row is None:
                return None
            unit = _free_unit(conn, start_text, capacity, ignore_id=row[0])
            if unit is None:
                return None
            conn.execute(
                'update bookings set start = ?, "end" = ?, capacity_unit = ?, updated_at = ? '
                "where id = ?",
                [start_text, end_text, unit, now, row[0]],
            )
            return key[0]

        moved = self._transaction(write)
        return self._get(moved) if moved else None

    @_serialised
    def upcoming(self, now: dt.datetime) -> list[Booking]:
        """Booked appointments that start at or after ``now``, earliest first."""
        rows = self._db.query(
            f"select {_COLUMNS} from bookings where status = 'booked' and start >= ? "
            "order by start, capacity_unit",
            [_utc_text(now)],
        )
        return [self._booking(row) for row in rows]

    @_serialised
    def on_date(self, date: dt.date) -> list[Booking]:
        """Booked appointments that start on a calendar day in the repository's zone."""
        first = dt.datetime.combine(date, dt.time(), tzinfo=self.timezone)
        after = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(), tzinfo=self.timezone)
        rows = self._db.query(
            f"select {_COLUMNS} from bookings where status = 'booked' and start >= ? "
            "and start < ? order by start, capacity_unit",
            [_utc_text(first), _utc_text(after)],
        )
        return [self._booking(row) for row in rows]

    @_serialised
    def purge(self, older_than: dt.datetime) -> int:
        """Deletes bookings (any status) whose appointment ended before the cutoff.

        Args:
            older_than: The cutoff, e.g. now minus the retention period; timezone-aware.

        Returns:
            How many bookings were deleted.

        """
        cursor = self._db.execute('delete from bookings where "end" < ?', [_utc_text(older_than)])
        return cursor.rowcount

    @_serialised
    def count_ended_before(self, older_than: dt.datetime) -> int:
        """Counts the bookings (any status) that ``purge`` would delete, deleting nothing.

        Args:
            older_than: The cutoff; timezone-aware.

        Returns:
            How many bookings ended before the cutoff.

        """
        rows = self._db.execute(
            'select count(*) from bookings where "end" < ?', [_utc_text(older_than)]
        )
        return rows.fetchone()[0]

    def _transaction(self, write: Callable[[sqlite3.Connection], str | None]) -> str | None:
        conn = self._db.conn
        conn.execute("begin immediate")
        try:
            result = write(conn)
        except sqlite3.IntegrityError:
            # Another writer got the unit after all; report "full" so fresh slots are offered.
            conn.execute("rollback")
            return None
        except BaseException:
            conn.execute("rollback")
            raise
        conn.execute("commit" if result is not None else "rollback")
        return result

    def _get(self, reference: str) -> Booking:
        rows = list(
            self._db.query(f"select {_COLUMNS} from bookings where reference = ?", [reference])
        )
        return self._booking(rows[0])

    def _booking(self, row: dict[str, Any]) -> Booking:
        def local(text: str) -> dt.datetime:
            return dt.datetime.fromisoformat(text).astimezone(self.timezone)

        return Booking(
            reference=row["reference"],
            start=local(row["start"]),
            end=local(row["end"]),
            topic=row["topic"],
            meeting=row["meeting"],
            first_name=row["first_name"],
            phone=row["phone"],
            status=row["status"],
            capacity_unit=row["capacity_unit"],
            created_at=local(row["created_at"]),
            updated_at=local(row["updated_at"]),
        )


def _free_unit(
    conn: sqlite3.Connection, start: str, capacity: int, ignore_id: int | None = None
) -> int | None:
    used = {
        row[0]
        for row in conn.execute(
            "select capacity_unit from bookings where start = ? and status = 'booked' "
            "and id is not ?",
            [start, ignore_id],
        )
    }
    return next((unit for unit in range(1, capacity + 1) if unit not in used), None)


def _unused_reference(conn: sqlite3.Connection) -> str:
    # Collisions are rare but possible; the write lock makes this check reliable.
    while True:
        reference = new_reference()
        if (
            conn.execute("select 1 from bookings where reference = ?", [reference]).fetchone()
            is None
        ):
            return reference


def _key(reference: str, phone: str) -> tuple[str, str] | None:
    cleaned, number = normalise_reference(reference), normalise_danish_mobile(phone)
    return (cleaned, number) if cleaned and number else None


def _phone(text: str) -> str:
    number = normalise_danish_mobile(text)
    if number is None:
        raise ValueError("phone is not a Danish phone number")
    return number


def _utc_text(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return value.astimezone(dt.timezone.utc).isoformat()
