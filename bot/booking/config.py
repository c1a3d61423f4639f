"""Fronten's booking rules, loaded from ``config/fronten_slots.yml`` and validated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.settings import Settings

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class OpeningHours:
    """The hours of one weekday during which appointments may start and end."""

    open: dt.time
    close: dt.time


@dataclass(frozen=True)
class BookingTopic:
    """One choice for what an appointment is about.

    Attributes:
        id: Stable identifier, e.g. ``bostoette``.
        label: The button text and what staff see, e.g. ``Bostøtte``. The catch-all's
            button title comes from domain.yml (``utter_button_topic_other``).
        service: The knowledge base service it concerns, so questions asked during the
            booking can be answered about it; None for general topics.
        words: Other ways citizens name the topic, matched case-insensitively.

    """

    id: str
    label: str
    service: str | None = None
    words: tuple[str, ...] = ()


# The catch-all a file may leave out. Citizens see its title from domain.yml; its label
# (what staff see when the file names none) is its id, as no Danish text lives here.
OTHER_TOPIC = BookingTopic(id="andet", label="andet")


@dataclass(frozen=True)
class BookingConfig:
    """Fronten's booking rules.

    Attributes:
        timezone: The zone all slots are expressed in.
        slot_minutes: Length of one appointment.
        capacity: Counsellors available at the same time.
        opening_hours: Hours per weekday (0 = Monday); a missing weekday is closed.
        closed_days: Extra closed dates on top of Danish public holidays.
        notice_hours: Minimum time between now and a bookable slot.
        horizon_days: How far ahead slots are offered.
        retention_days: Days after an appointment before its booking is deleted.
        topics: What an appointment can be about, as offered to the citizen; always ends
            with the catch-all topic ``andet``.

    """

    timezone: ZoneInfo
    slot_minutes: int
    capacity: int
    opening_hours: dict[int, OpeningHours]
    closed_days: frozenset[dt.date]
    notice_hours: int
    horizon_days: int
    retention_days: int
    topics: tuple[BookingTopic, ...] = (OTHER_TOPIC,)

    @classmethod
    def from_env(cls) -> BookingConfig:
        """Loads the file named by ``BOOKING_CONFIG`` (default ``config/fronten_slots.yml``)."""
        return load_config(Settings.from_env().booking_config)


def load_config(path: Path) -> BookingConfig:
    """Reads and validates a booking configuration file.

    Args:
        path: The YAML file.

    Returns:
        The configuration.

    Raises:
        ValueError: The file is malformed; the message names the field.

    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return parse_config(data, source=str(path))


def parse_config(data: dict[str, Any], source: str = "booking config") -> BookingConfig:
    """Validates an already parsed configuration mapping.

    Args:
        data: The mapping as read from YAML.
        source: Named in error messages.

    Returns:
        The configuration.

    Raises:
        ValueError: A field is missing or malformed; the message names it.

    """
    try:
        timezone = ZoneInfo(str(_required(data, "timezone", source)))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{source}: field 'timezone' is not a known time zone") from error
    config = BookingConfig(
        timezone=timezone,
        slot_minutes=_positive_int(data, "slot_minutes", source),
        capacity=_positive_int(data, "capacity", source),
        opening_hours=_opening_hours(_required(data, "opening_hours", source), source),
        closed_days=frozenset(_dates(data.get("closed_days") or [], source)),
        notice_hours=_positive_int(data, "notice_hours", source, allow_zero=True),
        horizon_days=_positive_int(data, "horizon_days", source),
        retention_days=_positive_int(data, "retention_days", source),
        topics=_topics(data.get("topics") or [], source),
    )
    unknown = set(data) - {
        "timezone",
        "slot_minutes",
        "capacity",
        "opening_hours",
        "closed_days",
        "notice_hours",
        "horizon_days",
        "retention_days",
        "topics",
    }
    if unknown:
        # A typo such as "capcity" would otherwise be silently ignored.
        raise ValueError(f"{source}: unknown field(s) {', '.join(sorted(unknown))}")
    return config


def _required(data: dict[str, Any], field: str, source: str) -> Any:
    if data.get(field) is None:
        raise ValueError(f"{source}: field '{field}' is missing")
    return data[field]


def _positive_int(data: dict[str, Any], field: str, source: str, allow_zero: bool = False) -> int:
    value = _required(data, field, source)
    # bool is an int subclass; "capacity: yes" must not become 1.
    if not isinstance(value, int) or isinstance(value, bool) or value < (0 if allow_zero else 1):
        raise ValueError(f"{source}: field '{field}' must be a positive whole number")
    return value


def _time(value: Any, field: str, source: str) -> dt.time:
    # Times must be quoted in YAML; unquoted 09:00 may be read as a base-60 number.
    if not isinstance(value, str):
        raise ValueError(f"{source}: field '{field}' must be a quoted time such as \"09:00\"")
    try:
        return dt.time.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{source}: field '{field}' is not a time (HH:MM)") from error


def _opening_hours(value: Any, source: str) -> dict[int, OpeningHours]:
    if not isinstance(value, dict):
        raise ValueError(f"{source}: field 'opening_hours' must map weekdays to hours")
    hours: dict[int, OpeningHours] = {}
    for day, entry in value.items():
        field = f"opening_hours.{day}"
        if day not in WEEKDAYS:
            raise ValueError(f"{source}: field '{field}' is not an English weekday name")
        if entry is None:
            continue
        if not isinstance(entry, dict):
            raise ValueError(f"{source}: field '{field}' must have 'open' and 'close'")
        opens = _time(entry.get("open"), f"{field}.open", source)
        closes = _time(entry.get("close"), f"{field}.close", source)
        if closes <= opens:
            raise ValueError(f"{source}: field '{field}' closes before it opens")
        hours[WEEKDAYS.index(day)] = OpeningHours(opens, closes)
    return hours


def _dates(value: Any, source: str) -> list[dt.date]:
    if not isinstance(value, list):
        raise ValueError(f"{source}: field 'closed_days' must be a list of dates")
    dates = []
    for item in value:
        # YAML reads unquoted 2026-12-24 as a date, quoted as a string; accept both.
        if isinstance(item, dt.date):
            dates.append(item)
            continue
        try:
            dates.append(dt.date.fromisoformat(str(item)))
        except ValueError as error:
            raise ValueError(f"{source}: field 'closed_days' has a non-date {item!r}") from error
    return dates


def _topics(value: Any, source: str) -> tuple[BookingTopic, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{source}: field 'topics' must be a list")
    topics = []
    for index, item in enumerate(value):
        field = f"topics[{index}]"
        if not isinstance(item, dict) or not item.get("id") or not item.get("label"):
            raise ValueError(f"{source}: field '{field}' needs an 'id' and a 'label'")
        words = item.get("words") or []
        if not isinstance(words, list):
            raise ValueError(f"{source}: field '{field}.words' must be a list")
        topics.append(
            BookingTopic(
                id=str(item["id"]),
                label=str(item["label"]),
                service=str(item["service"]) if item.get("service") else None,
                words=tuple(str(word) for word in words),
            )
        )
    # "Andet" is always offered, and last, so no citizen is turned away for lack of a choice.
    other = next((t for t in topics if t.id == OTHER_TOPIC.id), OTHER_TOPIC)
    return (*(t for t in topics if t.id != OTHER_TOPIC.id), other)
