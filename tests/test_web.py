from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any, Iterator

import icalendar
import pytest
from sanic import Sanic

from bot.booking import Booking, BookingRepository
from bot.web import create_app
from bot.web.settings import WebSettings
from bot.web.staff import BAD_DATE, booking_json
from tests.conftest import MONDAY_CONFIG

# Sanic warns that start/stop listeners run "as early/late as possible" under ASGI.
pytestmark = [
    pytest.mark.filterwarnings("ignore:You have set a listener:UserWarning"),
    pytest.mark.usefixtures("forget_apps"),
]

CPH = MONDAY_CONFIG.timezone
STAFF, CALENDAR = "staff-secret-token", "calendar-secret-token"
TODAY = dt.datetime.now(CPH).date()
TOMORROW, LATER = TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self' http://127.0.0.1:5005; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CPH)


def book(repo: BookingRepository, start: dt.datetime, phone: str, topic: str = "bostøtte"):
    end = start + dt.timedelta(minutes=45)
    return repo.book(start, end, topic, "fronten", "Åse", phone, MONDAY_CONFIG.capacity)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "b.db"


@pytest.fixture
def seeded(db_path: Path) -> Iterator[dict[str, Booking]]:
    """Upcoming bookings on two days, one cancelled and one in the past."""
    repo = BookingRepository(db_path, CPH)
    bookings = {
        "first": book(repo, at(TOMORROW, 10, 30), "20123456"),
        "second": book(repo, at(TOMORROW, 10, 30), "30303030", topic="BPA og hjælpere"),
        "later": repo.book(
            at(LATER, 11, 15), at(LATER, 12), "botilbud", "telefon", "Bo", "40404040", 2
        ),
        "cancelled": book(repo, at(TOMORROW, 13), "50505050"),
        "past": book(repo, at(TODAY - dt.timedelta(days=2), 9), "60606060"),
    }
    assert repo.cancel(bookings["cancelled"].reference, "50505050")
    yield bookings
    repo.close()


def make_app(db_path: Path, **kwargs: Any) -> Sanic:
    options = {
        "config": MONDAY_CONFIG,
        "staff_token": STAFF,
        "calendar_token": CALENDAR,
        "settings": WebSettings(),
    } | kwargs
    # A fresh connection per server start: the app closes it when the server stops.
    return create_app(lambda: BookingRepository(db_path, CPH), **options)


@pytest.fixture
def app(db_path: Path, seeded: dict[str, Booking]) -> Sanic:
    return make_app(db_path)


async def get(app: Sanic, url: str, token: str | None = None, **headers: str):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    _, response = await app.asgi_client.get(url, headers=headers)
    return response


async def test_health(app: Sanic) -> None:
    response = await get(app, "/health")
    assert (response.status, response.json) == (200, {"status": "ok"})


async def test_health_reports_a_broken_database_without_details(db_path: Path) -> None:
    def broken() -> BookingRepository:
        raise sqlite3.OperationalError("unable to open database file /secret/path")

    app = create_app(broken, MONDAY_CONFIG, STAFF, CALENDAR)
    response = await get(app, "/health")
    assert (response.status, response.json) == (503, {"status": "error"})


async def test_bookings_json_lists_upcoming_booked(app: Sanic, seeded: dict) -> None:
    response = await get(app, "/staff/bookings.json", STAFF)
    assert response.status == 200
    first = seeded["first"]
    offset = at(TOMORROW, 10, 30).isoformat()[-6:]  # +01:00 in winter, +02:00 in summer
    assert offset in ("+01:00", "+02:00")
    assert response.json["bookings"][0] == {
        "reference": first.reference,
        "start": f"{TOMORROW.isoformat()}T10:30:00{offset}",
        "end": f"{TOMORROW.isoformat()}T11:15:00{offset}",
        "topic": "bostøtte",
        "meeting": "fronten",
        "first_name": "Åse",
        "phone": "20123456",
        "status": "booked",
        "capacity": 1,
    }
    expected = [booking_json(seeded[k], CPH) for k in ("first", "second", "later")]
    assert response.json["bookings"] == expected
    assert [b["capacity"] for b in expected] == [1, 2, 1]


@pytest.mark.parametrize(
    ("day", "keys"),
    [(TOMORROW, ["first", "second"]), (LATER, ["later"]), (TODAY + dt.timedelta(days=9), [])],
)
async def test_bookings_json_on_a_date(app: Sanic, seeded: dict, day: dt.date, keys) -> None:
    response = await get(app, f"/staff/bookings.json?date={day.isoformat()}", STAFF)
    assert response.status == 200
    assert [b["reference"] for b in response.json["bookings"]] == [
        seeded[k].reference for k in keys
    ]


async def test_cancelled_and_past_bookings_are_not_listed(app: Sanic, seeded: dict) -> None:
    hidden = {seeded["cancelled"].reference, seeded["past"].reference}
    for url in ("/staff/bookings.json", f"/staff/bookings.json?date={TOMORROW.isoformat()}"):
        listed = {b["reference"] for b in (await get(app, url, STAFF)).json["bookings"]}
        assert listed and not listed & hidden


@pytest.mark.parametrize(
    "value", ["2026-13-40", "abc", "x" * 500, "2026-1-5", "2026-02-30", "٢٠٢٦-١١-٣٠"]
)
async def test_bad_date_is_400_in_danish(app: Sanic, value: str) -> None:
    _, response = await app.asgi_client.get(
        "/staff/bookings.json",
        params={"date": value},
        headers={"Authorization": f"Bearer {STAFF}"},
    )
    assert (response.status, response.json) == (400, {"error": BAD_DATE})


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {STAFF}x"},
        {"Authorization": f"Basic {STAFF}"},
        {"Authorization": f"Bearer {CALENDAR}"},
        {"Authorization": "Bearer "},
    ],
)
async def test_bookings_json_needs_the_staff_token(app: Sanic, headers: dict) -> None:
    response = await get(app, f"/staff/bookings.json?token={STAFF}", **headers)
    assert response.status == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json) == {"error"}


@pytest.mark.parametrize("configured", ["", "   ", None])
async def test_no_staff_token_configured_locks_the_route(
    db_path: Path, seeded: dict, monkeypatch: pytest.MonkeyPatch, configured: str | None
) -> None:
    monkeypatch.delenv("STAFF_TOKEN", raising=False)
    app = make_app(db_path, staff_token=configured)
    for token in ("", " ", "None", STAFF):
        response = await get(app, "/staff/bookings.json", token)
        assert response.status == 401 and "bookings" not in response.json


async def test_tokens_are_read_from_the_environment_on_start(
    db_path: Path, seeded: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STAFF_TOKEN", raising=False)
    app = make_app(db_path, staff_token=None, calendar_token=None)
    monkeypatch.setenv("STAFF_TOKEN", "from-env\n")
    monkeypatch.setenv("CALENDAR_TOKEN", "cal-from-env")
    assert (await get(app, "/staff/bookings.json", "from-env")).status == 200
    assert (await get(app, "/staff/bookings.ics?token=cal-from-env")).status == 200


async def test_defaults_open_nothing_until_the_app_starts(
    tmp_path: Path, monday_rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOOKING_CONFIG", str(monday_rules_file))
    monkeypatch.setenv("BOOKING_DB", str(tmp_path / "env.db"))
    app = create_app()
    assert not (tmp_path / "env.db").exists()
    assert (await get(app, "/health")).status == 200
    assert (tmp_path / "env.db").exists()


def calendar_of(response) -> icalendar.Calendar:
    assert response.status == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.body)


@pytest.mark.parametrize(
    ("url", "token"),
    [(f"/staff/bookings.ics?token={CALENDAR}", None), ("/staff/bookings.ics", CALENDAR)],
)
async def test_calendar_feed(app: Sanic, seeded: dict, url: str, token: str | None) -> None:
    calendar = calendar_of(await get(app, url, token))
    assert str(calendar["X-WR-CALNAME"]) == "Fronten – samtaler"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Copenhagen"
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    expected = {
        f"{seeded[k].reference}@fronten.ballerup": seeded[k] for k in ("first", "second", "later")
    }
    assert set(events) == set(expected)
    for uid, booking in expected.items():
        event = events[uid]
        assert event.decoded("DTSTART") == booking.start
        assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
        assert event.decoded("DTEND") == booking.end
        assert "DTSTAMP" in event
        assert str(event["SUMMARY"]) == f"Samtale: {booking.topic} ({booking.meeting})"
        description = str(event["DESCRIPTION"])
        assert booking.reference in description and booking.phone in description
        assert booking.first_name in description


@pytest.mark.parametrize(
    ("url", "token"),
    [
        ("/staff/bookings.ics", None),
        ("/staff/bookings.ics?token=wrong", None),
        (f"/staff/bookings.ics?token={STAFF}", None),
        ("/staff/bookings.ics?token=%C3%A6%C3%B8%C3%A5", None),
        ("/staff/bookings.ics", "wrong"),
    ],
)
async def test_calendar_needs_the_calendar_token(app: Sanic, url: str, token: str | None) -> None:
    response = await get(app, url, token)
    assert response.status == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert b"VEVENT" not in response.body


async def test_no_calendar_token_configured_locks_the_feed(
    db_path: Path, seeded: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALENDAR_TOKEN", raising=False)
    app = make_app(db_path, calendar_token=None)
    assert (await get(app, "/staff/bookings.ics?token=")).status == 401
    assert (await get(app, "/staff/bookings.ics?token=None")).status == 401


@pytest.mark.parametrize(
    ("url", "token", "status"),
    [
        ("/health", None, 200),
        ("/findes-ikke", None, 404),
        ("/staff/bookings.json", None, 401),
        ("/staff/bookings.json", STAFF, 200),
        ("/staff/bookings.json?date=abc", STAFF, 400),
        (f"/staff/bookings.ics?token={CALENDAR}", None, 200),
    ],
)
async def test_security_headers(app: Sanic, url: str, token: str | None, status: int) -> None:
    response = await get(app, url, token)
    assert response.status == status
    for header, value in SECURITY_HEADERS.items():
        assert response.headers[header] == value
    staff = url.startswith("/staff/")
    assert (response.headers.get("cache-control") == "no-store") is staff


async def test_unknown_route_is_404_json_in_danish(app: Sanic) -> None:
    response = await get(app, "/findes-ikke")
    assert (response.status, response.json) == (404, {"error": "Siden findes ikke."})


async def test_unexpected_error_is_500_json_without_details(db_path: Path) -> None:
    app = make_app(db_path)

    async def boom(request: Any) -> None:
        raise RuntimeError("secret detail")

    app.add_route(boom, "/boom")
    response = await get(app, "/boom")
    assert response.status == 500
    assert set(response.json) == {"error"}
    assert "secret" not in response.text and "Traceback" not in response.text


def test_many_apps_can_be_created_with_one_name() -> None:
    # Sanic 21.12 refuses a taken name unless Sanic.test_mode is on; create_app avoids it.
    Sanic.test_mode = False
    try:
        names = [create_app(name="fronten_web").name for _ in range(3)]
    finally:
        Sanic.test_mode = True
    assert names[0] == "fronten_web" and len(set(names)) == 3
