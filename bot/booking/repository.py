"""Appointment bookings in SQLite: the only place that reads or writes them."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

import sqlite_utils

from bot.booking.phone import normalise_danish_mobile
from bot.booking.reference import new_reference, normalise_reference
from bot.settings import PROJECT_ROOT, Settings

MEETINGS = ("fronten", "telefon")
BUSY_TIMEOUT_SECONDS = 10.0

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
"""

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
        conn = sqlite3.connect(
            str(path),
            isolation_level=None,
            timeout=BUSY_TIMEOUT_SECONDS,
            check_same_thread=False,
        )
        conn.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        self._db = sqlite_utils.Database(conn)
        self._create_schema()

    @classmethod
    def from_env(cls, timezone: ZoneInfo | None = None) -> BookingRepository:
        """Opens the file named by ``BOOKING_DB`` (default ``$BOT_DATA_DIR/bookings.db``).

        Args:
            timezone: See the class.

        Returns:
            A repository; the data folder is created if needed.

        """
        default = Settings.from_env().data_dir / "bookings.db"
        path = Path(os.environ.get("BOOKING_DB", str(default)))
        path = path if path.is_absolute() else PROJECT_ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path, timezone)

    def close(self) -> None:
        """Closes the connection."""
        self._db.conn.close()

    def _create_schema(self) -> None:
        # WAL lets readers continue while one writer books; the setting is stored in the file.
        self._db.execute("pragma journal_mode = wal")
        self._db.conn.executescript(f"begin immediate;\n{_SCHEMA}\ncommit;")

    def columns(self) -> list[str]:
        """The names of the bookings table's columns."""
        return [
            row["name"] for row in self._db.query("select name from pragma_table_info('bookings')")
        ]

    def book(
        self,
        start: dt.datetime,
        end: dt.datetime,
        topic: str,
        meeting: str,
        first_name: str,
        phone: str,
        capacity: int,
    ) -> Booking | None:
        """Books the lowest free capacity unit at ``start``.

        Args:
            start: The slot start; timezone-aware.
            end: The slot end; timezone-aware.
            topic: What the citizen wants to talk about.
            meeting: ``"fronten"`` (in person) or ``"telefon"``.
            first_name: The citizen's first name.
            phone: A Danish phone number in any common spelling.
            capacity: Appointments possible at the same time.

        Returns:
            The booking, or None when the slot is full (the caller offers fresh slots).

        Raises:
            ValueError: A time is naive, the meeting kind is unknown or the phone is invalid.

        """
        start_text, end_text = _utc_text(start), _utc_text(end)
        if meeting not in MEETINGS:
            raise ValueError(f"meeting must be one of {MEETINGS}, not {meeting!r}")
        number = _phone(phone)
        now = _utc_text(dt.datetime.now(dt.timezone.utc))

        def write(conn: sqlite3.Connection) -> str | None:
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
            return reference

        reference = self._transaction(write)
        return self._get(reference) if reference else None

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

    def upcoming(self, now: dt.datetime) -> list[Booking]:
        """Booked appointments that start at or after ``now``, earliest first."""
        rows = self._db.query(
            f"select {_COLUMNS} from bookings where status = 'booked' and start >= ? "
            "order by start, capacity_unit",
            [_utc_text(now)],
        )
        return [self._booking(row) for row in rows]

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

    def purge(self, older_than: dt.datetime) -> int:
        """Deletes bookings (any status) whose appointment ended before the cutoff.

        Args:
            older_than: The cutoff, e.g. now minus the retention period; timezone-aware.

        Returns:
            How many bookings were deleted.

        """
        cursor = self._db.execute('delete from bookings where "end" < ?', [_utc_text(older_than)])
        return cursor.rowcount

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
