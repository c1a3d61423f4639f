from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner, Result

from bot.booking import Booking, BookingRepository
from bot.booking.cli import cli
from bot.cli import cli as fronten

PHONE = "20123456"
CUTOFF_LINE = re.compile(
    r"(Deleted|Would delete) (\d+) booking\(s\) that ended before "
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00\.\n"
)


@pytest.fixture
def env(tmp_path: Path, monday_rules_file: Path) -> dict[str, str]:
    return {"BOOKING_DB": str(tmp_path / "b.db"), "BOOKING_CONFIG": str(monday_rules_file)}


@pytest.fixture
def repo(env: dict[str, str]) -> Iterator[BookingRepository]:
    repository = BookingRepository(Path(env["BOOKING_DB"]))
    yield repository
    repository.close()


@pytest.fixture
def bookings(repo: BookingRepository) -> dict[str, Booking]:
    """Appointments that ended 40, 35 (cancelled) and 5 days ago, and one tomorrow."""
    now = dt.datetime.now(repo.timezone).replace(second=0, microsecond=0)

    def book(days: float, phone: str = PHONE) -> Booking:
        start = now + dt.timedelta(days=days)
        return repo.book(
            start, start + dt.timedelta(minutes=45), "bostøtte", "telefon", "Anna", phone, 2
        )

    made = {
        "old": book(-40),
        "cancelled": book(-35, "30303030"),
        "recent": book(-5),
        "future": book(1),
    }
    assert repo.cancel(made["cancelled"].reference, "30303030")
    return made


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def remaining(repo: BookingRepository, bookings: dict[str, Booking]) -> set[str]:
    return {k for k, b in bookings.items() if repo.find(b.reference, b.phone) is not None}


def counted(result: Result) -> tuple[str, int]:
    assert result.exit_code == 0, result.output
    match = CUTOFF_LINE.fullmatch(result.output)
    assert match, result.output
    return match[1], int(match[2])


def test_purge_uses_retention_days_by_default(env, repo, bookings) -> None:
    assert counted(run(env, "purge")) == ("Deleted", 2)
    assert remaining(repo, bookings) == {"recent", "future"}


@pytest.mark.parametrize(
    ("days", "deleted", "left"),
    [
        ("3", 3, {"future"}),
        ("36", 1, {"cancelled", "recent", "future"}),
        ("60", 0, {"old", "cancelled", "recent", "future"}),
    ],
)
def test_purge_days(env, repo, bookings, days: str, deleted: int, left: set[str]) -> None:
    assert counted(run(env, "purge", "--days", days)) == ("Deleted", deleted)
    assert remaining(repo, bookings) == left


@pytest.mark.parametrize(("args", "count"), [((), 2), (("--days", "3"), 3)])
def test_purge_dry_run_deletes_nothing(env, repo, bookings, args, count: int) -> None:
    assert counted(run(env, "purge", "--dry-run", *args)) == ("Would delete", count)
    assert remaining(repo, bookings) == set(bookings)


@pytest.mark.parametrize("days", ["-1", "abc"])
def test_purge_rejects_bad_days(env, repo, bookings, days: str) -> None:
    result = CliRunner().invoke(cli, ["purge", "--days", days], env=env)
    assert result.exit_code == 2
    assert remaining(repo, bookings) == set(bookings)


def test_count_ended_before_matches_purge(repo, bookings) -> None:
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    assert repo.count_ended_before(cutoff) == 2  # old and cancelled: any status counts
    assert repo.count_ended_before(cutoff - dt.timedelta(days=100)) == 0
    assert repo.purge(cutoff) == 2
    assert repo.count_ended_before(cutoff) == 0
    with pytest.raises(ValueError, match="timezone"):
        repo.count_ended_before(dt.datetime(2026, 1, 1))


def test_list_shows_upcoming_bookings_as_a_table(env, bookings) -> None:
    future = bookings["future"]
    result = run(env, "list")
    assert result.exit_code == 0, result.output
    header, rule, *rows = result.output.splitlines()
    assert header.split()[:4] == ["Date", "Time", "Seat", "Reference"]
    assert set(rule) == {"-", " "}
    assert [row.split() for row in rows] == [
        [
            f"{future.start:%Y-%m-%d}",
            f"{future.start:%H:%M}-{future.end:%H:%M}",
            "1",
            future.reference,
            "telefon",
            "Anna",
            "20123456",
            "bostøtte",
        ]
    ]
    # Columns line up: every value starts where its header does.
    assert rows[0].index(future.reference) == header.index("Reference")


@pytest.mark.parametrize(
    ("key", "shown"), [("future", True), ("recent", True), ("cancelled", False)]
)
def test_list_on_a_date(env, bookings, key: str, shown: bool) -> None:
    booking = bookings[key]
    result = run(env, "list", "--date", f"{booking.start:%Y-%m-%d}")
    assert result.exit_code == 0
    assert (booking.reference in result.output) is shown
    if not shown:
        assert result.output == "No bookings.\n"


def test_list_rejects_a_bad_date(env) -> None:
    result = CliRunner().invoke(cli, ["list", "--date", "2026-13-40"], env=env)
    assert result.exit_code == 2


def test_fronten_purge_runs_every_purge(env, repo, bookings, tmp_path: Path) -> None:
    tracker = tmp_path / "tracker.db"
    with sqlite3.connect(tracker) as conn:
        conn.execute("create table events (sender_id text, timestamp real, data text)")
        conn.execute("insert into events values ('gammel', ?, '{}')", (time.time() - 40 * 86_400,))
        conn.execute("insert into events values ('ny', ?, '{}')", (time.time(),))
    env = {
        **env,
        "TRACKER_STORE_URL": f"sqlite:///{tracker}",
        "INSIGHTS_DB": str(tmp_path / "i.db"),
    }
    result = CliRunner().invoke(fronten, ["purge"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    booking_line, conversation_line, insights_line = result.output.splitlines()
    assert booking_line.startswith("Deleted 2 booking(s)")
    assert conversation_line.startswith("Deleted 1 conversation(s)")
    assert insights_line.startswith("Deleted 0 rating(s)")
    assert remaining(repo, bookings) == {"recent", "future"}
    with sqlite3.connect(tracker) as conn:
        assert [row[0] for row in conn.execute("select sender_id from events")] == ["ny"]


def test_the_booking_group_is_a_fronten_subcommand(env, bookings) -> None:
    result = CliRunner().invoke(fronten, ["booking", "purge", "--dry-run"], env=env)
    assert counted(result) == ("Would delete", 2)
