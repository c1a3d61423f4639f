"""Settings read from the environment, with defaults that work from a fresh clone."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Paths and choices that differ between a laptop, CI and production.

    Attributes:
        data_dir: Folder for runtime data (databases). ``BOT_DATA_DIR``.
        knowledge_dir: Folder with the knowledge YAML files. ``KNOWLEDGE_DIR``.
        knowledge_db: SQLite file built from the knowledge files. ``KNOWLEDGE_DB``.
        municipality: The municipality the assistant answers for. ``MUNICIPALITY``.

    """

    data_dir: Path
    knowledge_dir: Path
    knowledge_db: Path
    municipality: str

    @classmethod
    def from_env(cls) -> Settings:
        """Reads the settings from the environment.

        Returns:
            The settings, relative paths resolved against the project root.

        """
        data_dir = _path(os.environ.get("BOT_DATA_DIR", "var"))
        return cls(
            data_dir=data_dir,
            knowledge_dir=_path(os.environ.get("KNOWLEDGE_DIR", "knowledge")),
            knowledge_db=_path(os.environ.get("KNOWLEDGE_DB", str(data_dir / "knowledge.db"))),
            municipality=os.environ.get("MUNICIPALITY", "Ballerup"),
        )


def _path(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


@dataclass(frozen=True)
class Limits:
    """Limits that keep one person or script from emptying the calendar or flooding a phone.

    The defaults never refuse ordinary use: a citizen rarely needs more than two
    appointments, and a shared address (a library, a proxy) still gets several bookings an
    hour.

    Attributes:
        active_bookings_per_phone: Booked, not yet ended appointments one phone number may
            hold. ``BOOKING_MAX_ACTIVE_PER_PHONE``.
        bookings_per_client_per_hour: New bookings from one client address in an hour.
            ``BOOKING_MAX_PER_CLIENT_PER_HOUR``; 0 switches the limit off.
        lookup_failures_per_reference: Wrong reference/phone pairs for one reference before
            it cannot be moved or cancelled in the chat. ``BOOKING_LOOKUP_MAX_PER_REFERENCE``.
        lookup_failures_per_client: Wrong pairs from one client address before it is locked
            out. ``BOOKING_LOOKUP_MAX_PER_CLIENT``.
        lookup_window: How long failures count. ``BOOKING_LOOKUP_WINDOW_MINUTES``; an
            hour is enough to make guessing a phone number hopeless, and short enough that
            a shared address is not locked out for the day.
        sms_per_phone_per_day: SMS queued to one number in 24 hours; more are kept as
            skipped. ``SMS_MAX_PER_PHONE_PER_DAY``.
        code_lifetime: How long an SMS code typed back in the chat is valid.
            ``SMS_CODE_MINUTES``.
        code_cooldown: After a code nobody typed back, how long no new code goes to that
            number. ``SMS_CODE_COOLDOWN_HOURS``.
        code_attempts: Wrong codes before the code is void. ``SMS_CODE_MAX_ATTEMPTS``.
        reply_number: The number citizens can answer STOP to, named in SMS texts.
            ``SMS_REPLY_NUMBER``; default ``GATEWAYAPI_SENDER`` when that is a number.

    """

    active_bookings_per_phone: int = 2
    bookings_per_client_per_hour: int = 6
    lookup_failures_per_reference: int = 3
    lookup_failures_per_client: int = 10
    lookup_window: dt.timedelta = dt.timedelta(hours=1)
    sms_per_phone_per_day: int = 5
    code_lifetime: dt.timedelta = dt.timedelta(minutes=15)
    code_cooldown: dt.timedelta = dt.timedelta(hours=24)
    code_attempts: int = 3
    reply_number: Optional[str] = None

    @classmethod
    def from_env(cls) -> Limits:
        """Reads the limits from the environment.

        Raises:
            ValueError: A limit is not a whole number, or is negative.

        """
        sender = (os.environ.get("GATEWAYAPI_SENDER") or "").strip()
        reply = (os.environ.get("SMS_REPLY_NUMBER") or "").strip()
        if not reply and re.fullmatch(r"\+?\d{8,15}", sender):
            reply = sender
        return cls(
            active_bookings_per_phone=_count("BOOKING_MAX_ACTIVE_PER_PHONE", 2, minimum=1),
            bookings_per_client_per_hour=_count("BOOKING_MAX_PER_CLIENT_PER_HOUR", 6),
            lookup_failures_per_reference=_count("BOOKING_LOOKUP_MAX_PER_REFERENCE", 3, minimum=1),
            lookup_failures_per_client=_count("BOOKING_LOOKUP_MAX_PER_CLIENT", 10, minimum=1),
            lookup_window=dt.timedelta(
                minutes=_count("BOOKING_LOOKUP_WINDOW_MINUTES", 60, minimum=1)
            ),
            sms_per_phone_per_day=_count("SMS_MAX_PER_PHONE_PER_DAY", 5, minimum=1),
            code_lifetime=dt.timedelta(minutes=_count("SMS_CODE_MINUTES", 15, minimum=1)),
            code_cooldown=dt.timedelta(hours=_count("SMS_CODE_COOLDOWN_HOURS", 24)),
            code_attempts=_count("SMS_CODE_MAX_ATTEMPTS", 3, minimum=1),
            reply_number=reply or None,
        )


def _count(name: str, default: int, minimum: int = 0) -> int:
    value = int(os.environ.get(name) or default)
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}")
    return value
