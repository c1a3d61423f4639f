"""Times and opening hours written the Danish way, with Babel's Danish calendar data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from babel.dates import format_date, format_datetime, get_day_names

LOCALE = "da_DK"


def when(start: dt.datetime) -> str:
    """E.g. ``tirsdag den 24. november kl. 9.00``."""
    return format_datetime(
        start, "EEEE 'den' d. MMMM 'kl.' H.mm", tzinfo=start.tzinfo, locale=LOCALE
    )


def day(date: dt.date) -> str:
    """E.g. ``fredag den 25. december``."""
    return format_date(date, "EEEE 'den' d. MMMM", locale=LOCALE)


def clock(time: dt.time) -> str:
    """E.g. ``9.00``: Danish writes a full stop between hours and minutes."""
    return f"{time.hour}.{time.minute:02d}"


def opening_hours(hours_by_weekday: Mapping[int, Any]) -> str:
    """Opening hours, consecutive weekdays with equal hours joined: ``mandag-torsdag 9.00-15.00``.

    Args:
        hours_by_weekday: Monday = 0; each value has ``open`` and ``close`` times.

    Returns:
        The open weekdays and their hours, comma-separated.

    """
    names = get_day_names("wide", locale=LOCALE)
    groups: list[tuple[int, int, str]] = []
    for weekday in range(7):
        hours = hours_by_weekday.get(weekday)
        if hours is None:
            continue
        span = f"{clock(hours.open)}-{clock(hours.close)}"
        if groups and groups[-1][1] == weekday - 1 and groups[-1][2] == span:
            groups[-1] = (groups[-1][0], weekday, span)
        else:
            groups.append((weekday, weekday, span))
    return ", ".join(
        f"{names[first]}{'' if first == last else '-' + names[last]} {span}"
        for first, last, span in groups
    )
