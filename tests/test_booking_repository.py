from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest

from bot.booking import ALPHABET, BookingRepository, new_reference, normalise_reference

CPH = ZoneInfo("Europe/Copenhagen")
START = dt.datetime(2026, 11, 30, 10, 30, tzinfo=CPH)
END = START + dt.timedelta(minutes=45)
PHONE = "20 12 34 56"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "bookings.db"


@pytest.fixture
def repo(db_path: Path) -> Iterator[BookingRepository]:
    repository = BookingRepository(db_path)
    yield repository
    repository.close()


def book(repo: BookingRepository, start: dt.datetime = START, phone: str = PHONE, capacity=2):
    return repo.book(
        start, start + dt.timedelta(minutes=45), "bostøtte", "fronten", "Anna", phone, capacity
    )


def test_book_and_find(repo: BookingRepository) -> None:
    booking = book(repo)
    assert booking is not None
    assert (booking.start, booking.end, booking.status) == (START, END, "booked")
    assert booking.phone == "20123456"
    assert booking.capacity_unit == 1
    assert booking.start.tzinfo == CPH
    assert repo.find(booking.reference, "+45 2012 3456") == booking
    assert repo.find(booking.reference.lower(), "20123456") == booking


def test_someone_elses_reference_and_phone_do_not_match(repo: BookingRepository) -> None:
    mine = book(repo)
    theirs = book(repo, phone="30 30 30 30")
    assert repo.find(mine.reference, "30303030") is None
    assert repo.find(theirs.reference, PHONE) is None
    assert not repo.cancel(theirs.reference, PHONE)
    assert repo.move(theirs.reference, PHONE, START + dt.timedelta(hours=1), END, 2) is None
    assert repo.find(theirs.reference, "30303030").status == "booked"


def test_full_slot_returns_none(repo: BookingRepository) -> None:
    assert [book(repo).capacity_unit, book(repo).capacity_unit] == [1, 2]
    assert book(repo) is None
    assert repo.taken([START, START + dt.timedelta(hours=1)]) == {
        START: 2,
        START + dt.timedelta(hours=1): 0,
    }


def test_taken_matches_the_same_instant_in_utc(repo: BookingRepository) -> None:
    book(repo)
    utc = START.astimezone(dt.timezone.utc)
    assert repo.taken([utc]) == {utc: 1}


def test_cancelled_unit_is_free_at_once(repo: BookingRepository) -> None:
    first = book(repo, capacity=1)
    assert book(repo, capacity=1) is None
    assert repo.cancel(first.reference, PHONE)
    assert not repo.cancel(first.reference, PHONE)
    assert repo.find(first.reference, PHONE).status == "cancelled"
    assert repo.taken([START]) == {START: 0}
    again = book(repo, capacity=1)
    assert again is not None and again.capacity_unit == 1


def test_move(repo: BookingRepository) -> None:
    booking = book(repo)
    later = START + dt.timedelta(hours=2)
    moved = repo.move(booking.reference, PHONE, later, later + dt.timedelta(minutes=45), 2)
    assert moved is not None
    assert (moved.reference, moved.start, moved.capacity_unit) == (booking.reference, later, 1)
    assert repo.taken([START, later]) == {START: 0, later: 1}


def test_move_to_full_slot_keeps_old_booking(repo: BookingRepository) -> None:
    booking = book(repo, capacity=1)
    later = START + dt.timedelta(hours=2)
    book(repo, start=later, phone="40404040", capacity=1)
    assert repo.move(booking.reference, PHONE, later, later + dt.timedelta(minutes=45), 1) is None
    assert repo.find(booking.reference, PHONE).start == START


def test_persists_across_reopening(db_path: Path) -> None:
    first = BookingRepository(db_path)
    booking = book(first)
    first.close()
    second = BookingRepository(db_path)
    assert second.find(booking.reference, PHONE) == booking
    second.close()


def test_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BOOKING_DB", str(tmp_path / "sub" / "env.db"))
    repo = BookingRepository.from_env()
    assert book(repo) is not None
    repo.close()
    assert (tmp_path / "sub" / "env.db").exists()


def test_upcoming_and_on_date(repo: BookingRepository) -> None:
    tomorrow = START + dt.timedelta(days=1)
    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=CPH)  # 22:30 UTC: still the 30th locally
    for start in (tomorrow, START, late):
        book(repo, start=start)
    assert [b.start for b in repo.upcoming(START)] == [START, late, tomorrow]
    assert [b.start for b in repo.upcoming(START + dt.timedelta(minutes=1))] == [late, tomorrow]
    assert [b.start for b in repo.on_date(dt.date(2026, 11, 30))] == [START, late]


def test_purge_deletes_only_old_bookings(repo: BookingRepository) -> None:
    old = book(repo, start=START - dt.timedelta(days=40))
    cancelled_old = book(repo, start=START - dt.timedelta(days=35))
    repo.cancel(cancelled_old.reference, PHONE)
    recent = book(repo, start=START - dt.timedelta(days=5))
    future = book(repo)
    assert repo.purge(START - dt.timedelta(days=30)) == 2
    assert repo.find(old.reference, PHONE) is None
    assert repo.find(cancelled_old.reference, PHONE) is None
    assert repo.find(recent.reference, PHONE) is not None
    assert repo.find(future.reference, PHONE) is not None


def test_no_cpr_column(repo: BookingRepository) -> None:
    columns = repo.columns()
    assert "reference" in columns
    assert not [c for c in columns if "cpr" in c.lower() or "personnummer" in c.lower()]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"meeting": "video"}, "meeting"),
        ({"phone": "12345"}, "phone"),
        ({"start": dt.datetime(2026, 11, 30, 10, 30)}, "timezone"),
    ],
)
def test_book_rejects_bad_input(repo: BookingRepository, kwargs: dict, message: str) -> None:
    args = {"start": START, "end": END, "topic": "x", "meeting": "telefon"}
    args |= {"first_name": "Anna", "phone": PHONE, "capacity": 2} | kwargs
    with pytest.raises(ValueError, match=message):
        repo.book(**args)


def test_references_avoid_ambiguous_characters(repo: BookingRepository) -> None:
    references = {new_reference() for _ in range(2000)} | {book(repo).reference}
    assert all(len(r) == 6 and set(r) <= set(ALPHABET) for r in references)
    assert not set("0O1IL") & set("".join(references))
    assert len(references) > 1990


@pytest.mark.parametrize(
    ("text", "expected"),
    [("k7q x2m", "K7QX2M"), ("K7Q-X2M", "K7QX2M"), ("K7QX2", None), ("K7QX20", None)],
)
def test_normalise_reference(text: str, expected: str | None) -> None:
    assert normalise_reference(text) == expected


@pytest.mark.parametrize(("capacity", "expected"), [(1, 1), (2, 2)])
def test_concurrent_booking_of_one_slot(db_path: Path, capacity: int, expected: int) -> None:
    BookingRepository(db_path).close()  # create the schema before the race
    threads_count = 50
    barrier = threading.Barrier(threads_count)
    results: list[object] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        repo = BookingRepository(db_path)
        try:
            barrier.wait()
            result = book(repo, phone=f"2{index:07d}", capacity=capacity)
            with lock:
                results.append(result)
        except Exception as error:  # reported to the main thread, which asserts none
            with lock:
                errors.append(error)
        finally:
            repo.close()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    booked = [r for r in results if r is not None]
    assert len(booked) == expected
    assert results.count(None) == threads_count - expected
    assert sorted(b.capacity_unit for b in booked) == list(range(1, expected + 1))
    check = BookingRepository(db_path)
    assert check.taken([START]) == {START: expected}
    assert len(check.upcoming(START - dt.timedelta(days=1))) == expected
    check.close()
