from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.booking import BookingConfig, candidate_slots, load_config, nearest_free
from bot.booking.config import parse_config

ROOT = Path(__file__).resolve().parent.parent
CPH = ZoneInfo("Europe/Copenhagen")
NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=CPH)  # a Monday


@pytest.fixture(scope="module")
def config() -> BookingConfig:
    return load_config(ROOT / "config" / "fronten_slots.yml")


@pytest.fixture(scope="module")
def long_config(config: BookingConfig) -> BookingConfig:
    # A long horizon so that Christmas, New Year and Easter 2027 are in reach from NOW.
    return dataclasses.replace(config, horizon_days=200)


def test_config_file_values(config: BookingConfig) -> None:
    assert config.timezone == CPH
    assert (config.slot_minutes, config.capacity, config.notice_hours) == (45, 2, 2)
    assert (config.horizon_days, config.retention_days) == (28, 30)
    assert set(config.opening_hours) == {0, 1, 2, 3, 4}
    assert dt.date(2026, 12, 24) in config.closed_days


def test_config_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "slots.yml"
    path.write_text((ROOT / "config" / "fronten_slots.yml").read_text().replace("45", "30"))
    monkeypatch.setenv("BOOKING_CONFIG", str(path))
    assert BookingConfig.from_env().slot_minutes == 30


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slot_minutes": "lots"}, "slot_minutes"),
        ({"capacity": 0}, "capacity"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"opening_hours": {"monday": {"open": "15:00", "close": "09:00"}}}, "opening_hours"),
        ({"opening_hours": {"mandag": None}}, "opening_hours.mandag"),
        ({"closed_days": ["juleaften"]}, "closed_days"),
        ({"horizon_days": None}, "horizon_days"),
        ({"capcity": 2}, "capcity"),
    ],
)
def test_malformed_config_names_the_field(change: dict, field: str) -> None:
    data = {
        "timezone": "Europe/Copenhagen",
        "slot_minutes": 45,
        "capacity": 2,
        "opening_hours": {"monday": {"open": "09:00", "close": "15:00"}},
        "closed_days": [],
        "notice_hours": 2,
        "horizon_days": 28,
        "retention_days": 30,
        **change,
    }
    with pytest.raises(ValueError, match=field):
        parse_config(data)


def test_slots_respect_notice_and_horizon(config: BookingConfig) -> None:
    slots = candidate_slots(config, NOW)
    assert slots
    assert all(
        s.tzinfo is not None and s.utcoffset() == s.astimezone(CPH).utcoffset() for s in slots
    )
    assert min(slots) >= NOW + dt.timedelta(hours=2)
    assert max(slots) <= NOW + dt.timedelta(days=28)
    assert slots == sorted(slots)


def test_no_slot_inside_notice_on_the_same_day(config: BookingConfig) -> None:
    now = dt.datetime(2026, 11, 23, 10, 30, tzinfo=CPH)
    first = candidate_slots(config, now)[0]
    assert first == dt.datetime(2026, 11, 23, 12, 45, tzinfo=CPH)


def test_now_in_utc_is_accepted(config: BookingConfig) -> None:
    assert candidate_slots(config, NOW.astimezone(dt.timezone.utc)) == candidate_slots(config, NOW)


def test_naive_now_is_refused(config: BookingConfig) -> None:
    with pytest.raises(ValueError):
        candidate_slots(config, dt.datetime(2026, 11, 23, 8, 0))


def test_slots_within_opening_hours(config: BookingConfig) -> None:
    length = dt.timedelta(minutes=45)
    for slot in candidate_slots(config, NOW):
        hours = config.opening_hours[slot.weekday()]
        assert slot.time() >= hours.open
        assert (slot + length).time() <= hours.close
    friday = [s for s in candidate_slots(config, NOW) if s.date() == dt.date(2026, 11, 27)]
    assert [s.strftime("%H:%M") for s in friday] == ["09:00", "09:45", "10:30", "11:15"]


def test_weekend_closed(config: BookingConfig) -> None:
    assert all(s.weekday() < 5 for s in candidate_slots(config, NOW))


@pytest.mark.parametrize(
    "day",
    [
        dt.date(2026, 12, 25),  # Christmas Day
        dt.date(2027, 1, 1),  # New Year's Day
        dt.date(2027, 3, 25),  # Maundy Thursday
        dt.date(2027, 3, 29),  # Easter Monday
        dt.date(2026, 12, 24),  # closed_days
        dt.date(2026, 12, 31),  # closed_days
    ],
)
def test_no_slot_on_holidays_or_closed_days(long_config: BookingConfig, day: dt.date) -> None:
    days = {s.date() for s in candidate_slots(long_config, NOW)}
    assert day not in days
    # An ordinary weekday next to it is open, so the rule (not the horizon) removed it.
    assert dt.date(2026, 12, 23) in days


def test_start_from_skips_earlier_slots(config: BookingConfig) -> None:
    start_from = dt.datetime(2026, 12, 1, 12, 0, tzinfo=CPH)
    slots = candidate_slots(config, NOW, start_from=start_from)
    assert slots[0] == dt.datetime(2026, 12, 1, 12, 0, tzinfo=CPH)


def test_daylight_saving_keeps_wall_clock(long_config: BookingConfig) -> None:
    now = dt.datetime(2027, 3, 20, 8, 0, tzinfo=CPH)
    slots = candidate_slots(long_config, now)
    after = [s for s in slots if s.date() == dt.date(2027, 3, 30)]
    assert after[0].strftime("%H:%M %z") == "09:00 +0200"


@pytest.fixture
def monday(config: BookingConfig) -> list[dt.datetime]:
    return [s for s in candidate_slots(config, NOW) if s.date() == dt.date(2026, 11, 30)]


def test_nearest_free_orders_by_closeness(monday: list[dt.datetime]) -> None:
    wish = dt.datetime(2026, 11, 30, 11, 0, tzinfo=CPH)
    result = nearest_free(monday, {}, 2, wish)
    # 11:15 is 15 min away, 10:30 is 30, 12:00 is 60, 09:45 is 75, 12:45 is 105.
    assert [s.strftime("%H:%M") for s in result] == ["11:15", "10:30", "12:00", "09:45", "12:45"]


@pytest.mark.parametrize("as_function", [False, True])
def test_nearest_free_excludes_full_slots(monday: list[dt.datetime], as_function: bool) -> None:
    wish = dt.datetime(2026, 11, 30, 10, 30, tzinfo=CPH)
    counts = {monday[2]: 2, monday[3]: 1}  # 10:30 full, 11:15 half
    result = nearest_free(monday, (lambda s: counts.get(s, 0)) if as_function else counts, 2, wish)
    assert monday[2] not in result
    assert monday[3] in result
    assert len(result) == 5


def test_nearest_free_limit(monday: list[dt.datetime]) -> None:
    wish = dt.datetime(2026, 11, 30, 9, 0, tzinfo=CPH)
    assert len(nearest_free(monday, {}, 1, wish)) == 5
    assert len(nearest_free(monday, {}, 1, wish, limit=2)) == 2
    assert nearest_free(monday, {s: 1 for s in monday}, 1, wish) == []
