"""Which appointment times exist and which of them are still free; pure functions only."""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable, Mapping, Union

import holidays

from bot.booking.config import BookingConfig

TakenCount = Union[Callable[[dt.datetime], int], Mapping[dt.datetime, int]]

# A slot time must convert to any zone (offsets stay within a day), so the first and last
# year Python can hold are left out: "9999-12-31T23:59:59-05:00" has no UTC time.
_FIRST_YEAR, _LAST_YEAR = dt.MINYEAR + 1, dt.MAXYEAR - 1


def parse_slot_time(text: str) -> dt.datetime | None:
    """Reads a slot as sent by a button or kept in a slot: an aware ISO datetime.

    Args:
        text: E.g. ``"2026-12-01T09:00:00+01:00"``.

    Returns:
        The time, or None when the text is not an aware ISO datetime, or one so close to
        the ends of the calendar that it cannot be converted between zones.

    """
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        return None
    return value if _in_range(value) else None


def _in_range(value: dt.datetime) -> bool:
    try:
        utc = value.astimezone(dt.timezone.utc)
    except (OverflowError, ValueError):
        return False
    return _FIRST_YEAR <= utc.year <= _LAST_YEAR


def candidate_slots(
    config: BookingConfig, now: dt.datetime, start_from: dt.datetime | None = None
) -> list[dt.datetime]:
    """Lists every bookable slot start, ignoring how many are already taken.

    A slot lies wholly inside the day's opening hours, not on a Danish public holiday or an
    extra closed day, no earlier than ``now`` plus the notice and no later than ``now`` plus
    the horizon.

    Args:
        config: Fronten's booking rules.
        now: The current time; must be timezone-aware.
        start_from: Skip slots before this time (e.g. the citizen's wish), if given.

    Returns:
        Slot starts in ascending order, timezone-aware in the configuration's zone.

    Raises:
        ValueError: ``now`` or ``start_from`` has no timezone.

    """
    tz = config.timezone
    now = _aware(now, "now").astimezone(tz)
    earliest = now + dt.timedelta(hours=config.notice_hours)
    if start_from is not None:
        if not _in_range(_aware(start_from, "start_from")):
            return []  # year 1 or 9999: far outside any horizon, and unconvertible
        earliest = max(earliest, start_from.astimezone(tz))
    latest = now + dt.timedelta(days=config.horizon_days)
    if earliest > latest:
        return []
    public = holidays.country_holidays("DK", years=range(earliest.year, latest.year + 1))
    length = dt.timedelta(minutes=config.slot_minutes)
    slots: list[dt.datetime] = []
    day = earliest.date()
    while day <= latest.date():
        hours = config.opening_hours.get(day.weekday())
        if hours is not None and day not in public and day not in config.closed_days:
            start = dt.datetime.combine(day, hours.open, tzinfo=tz)
            close = dt.datetime.combine(day, hours.close, tzinfo=tz)
            while start + length <= close:
                if earliest <= start <= latest:
                    slots.append(start)
                start += length
        day += dt.timedelta(days=1)
    return slots


def nearest_free(
    candidates: Iterable[dt.datetime],
    taken_count: TakenCount,
    capacity: int,
    wish: dt.datetime,
    limit: int = 5,
) -> list[dt.datetime]:
    """Picks the free slots closest to the citizen's wish.

    Args:
        candidates: Slot starts, e.g. from :func:`candidate_slots`.
        taken_count: Booked appointments per start, as a function or a mapping (missing = 0).
        capacity: Appointments possible at the same time.
        wish: The time the citizen asked for; must be timezone-aware.
        limit: The most slots to return.

    Returns:
        Up to ``limit`` free starts, closest first; on a tie the earlier one first.

    """
    wish = _aware(wish, "wish")
    count = taken_count if callable(taken_count) else (lambda s: taken_count.get(s, 0))
    free = [slot for slot in candidates if count(slot) < capacity]
    free.sort(key=lambda slot: (abs(slot - wish), slot))
    return free[:limit]


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    # A naive time is ambiguous around daylight saving changes; refuse rather than guess.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value
