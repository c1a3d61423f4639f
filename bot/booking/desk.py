"""Fronten's booking desk: the rules between a citizen's wish and a stored booking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Collection

import holidays

from bot.booking.config import BookingConfig, BookingTopic
from bot.booking.reference import normalise_reference
from bot.booking.repository import (
    FAILED_CLIENT,
    FAILED_REFERENCE,
    Booking,
    BookingRepository,
)
from bot.booking.slots import candidate_slots, nearest_free
from bot.danish.when import Wish
from bot.settings import Limits
from bot.shared import Shared

OFFER_LIMIT = 5

# Why a wished time cannot be booked; each has its own response in the domain.
PAST = "past"
TOO_FAR = "too_far"
HOLIDAY = "holiday"
CLOSED_DAY = "closed_day"
CLOSED_HOUR = "closed_hour"


@dataclass(frozen=True)
class Problem:
    """Why a wish cannot be met.

    Attributes:
        kind: One of ``past``, ``too_far``, ``holiday``, ``closed_day``, ``closed_hour``.
        date: The wished day.
        holiday: The holiday's Danish name, for ``holiday``.

    """

    kind: str
    date: dt.date
    holiday: str | None = None


class BookingDesk:
    """Offers, books, moves and cancels appointments by Fronten's rules.

    Args:
        repository: Where bookings are stored.
        config: Opening hours, slot length, capacity, notice and horizon.
        clock: Returns the current aware time; tests pass a fixed one.
        limits: Bookings per number and address, and the move/cancel lock-out; default
            from the environment.

    The methods read or write SQLite and may wait for its lock; actions call them through
    ``asyncio.to_thread``.

    """

    def __init__(
        self,
        repository: BookingRepository,
        config: BookingConfig,
        clock: Callable[[], dt.datetime] | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.repository = repository
        self.config = config
        self._clock = clock or (lambda: dt.datetime.now(config.timezone))
        self.limits = limits or Limits.from_env()

    @classmethod
    def from_env(cls) -> BookingDesk:
        """A desk with the configuration and database named by the environment."""
        from bot.services import booking_desk  # builds every shared service

        return booking_desk()

    def now(self) -> dt.datetime:
        """The current time in Fronten's zone."""
        return self._clock().astimezone(self.config.timezone)

    def topic(self, topic_id: str | None) -> BookingTopic | None:
        """The configured topic with this id."""
        return next((t for t in self.config.topics if t.id == topic_id), None)

    def wish_start(self, wish: Wish) -> dt.datetime:
        """The time to search around: now for "as soon as possible", else the wish."""
        return self.now() if wish.soonest else wish.start(self.config.timezone)

    def problem(self, wish: Wish) -> Problem | None:
        """Why the wish cannot be met, or None when slots can be offered around it."""
        if wish.soonest:
            return None
        now = self.now()
        day = wish.date
        start = wish.start(self.config.timezone)
        if day < now.date() or (wish.time is not None and start < now):
            return Problem(PAST, day)
        if day > (now + dt.timedelta(days=self.config.horizon_days)).date():
            return Problem(TOO_FAR, day)
        name = holidays.country_holidays("DK", years=day.year, language="da").get(day)
        if name:
            return Problem(HOLIDAY, day, name)
        hours = self.config.opening_hours.get(day.weekday())
        if hours is None or day in self.config.closed_days:
            return Problem(CLOSED_DAY, day)
        if wish.time is not None and not hours.open <= wish.time < hours.close:
            return Problem(CLOSED_HOUR, day)
        return None

    def offers(
        self, around: dt.datetime, exclude: Collection[dt.datetime] = (), limit: int = OFFER_LIMIT
    ) -> list[dt.datetime]:
        """The free slots nearest to a time, read fresh from the database.

        Args:
            around: The wished time.
            exclude: Starts not to offer, e.g. the appointment being moved.
            limit: The most slots to offer.

        Returns:
            Up to ``limit`` free starts, nearest first.

        """
        candidates = [s for s in candidate_slots(self.config, self.now()) if s not in exclude]
        taken = self.repository.taken(candidates)
        return nearest_free(candidates, taken, self.config.capacity, around, limit)

    def is_open_slot(self, start: dt.datetime) -> bool:
        """Whether a start is a real slot inside notice and horizon (free or not)."""
        return start in candidate_slots(self.config, self.now(), start_from=start)[:1]

    def is_bookable(self, start: dt.datetime) -> bool:
        """Whether a start is a real slot with a free counsellor right now."""
        if not self.is_open_slot(start):
            return False
        return self.repository.taken([start])[start] < self.config.capacity

    def end(self, start: dt.datetime) -> dt.datetime:
        """When an appointment starting at ``start`` ends."""
        return start + dt.timedelta(minutes=self.config.slot_minutes)

    def book(
        self,
        start: dt.datetime,
        topic: str,
        meeting: str,
        first_name: str,
        phone: str,
        client_key: str | None = None,
    ) -> Booking | None:
        """Books a slot; None when it is no longer bookable or was just taken.

        Raises:
            LimitReached: The number has its active bookings, or the client address has
                booked its share this hour.

        """
        if not self.is_open_slot(start):
            return None
        return self.repository.book(
            start,
            self.end(start),
            topic,
            meeting,
            first_name,
            phone,
            self.config.capacity,
            max_active_per_phone=self.limits.active_bookings_per_phone,
            client_key=client_key,
            max_per_client_hour=self.limits.bookings_per_client_per_hour,
            now=self.now(),
        )

    def active_bookings(self, phone: str) -> list[Booking]:
        """The number's booked appointments that have not ended, earliest first."""
        return self.repository.active_for_phone(phone, self.now())

    def at_booking_limit(self, phone: str) -> list[Booking] | None:
        """The number's active bookings when it may book no more, else None."""
        active = self.active_bookings(phone)
        return active if len(active) >= self.limits.active_bookings_per_phone else None

    def lookup_locked(self, reference: str, client_key: str | None) -> bool:
        """Whether moving or cancelling is locked for this reference or client address.

        Wrong reference/phone pairs are counted on the server, so a new form or a new
        conversation does not start the count again.
        """
        since = self.now() - self.limits.lookup_window
        key = normalise_reference(reference)
        if key and (
            self.repository.count_events(FAILED_REFERENCE, key, since)
            >= self.limits.lookup_failures_per_reference
        ):
            return True
        return bool(client_key) and (
            self.repository.count_events(FAILED_CLIENT, client_key or "", since)
            >= self.limits.lookup_failures_per_client
        )

    def record_lookup_failure(self, reference: str, client_key: str | None) -> None:
        """Counts one wrong reference/phone pair against the reference and the address."""
        now = self.now()
        key = normalise_reference(reference)
        if key:
            self.repository.record_event(FAILED_REFERENCE, key, now)
        if client_key:
            self.repository.record_event(FAILED_CLIENT, client_key, now)

    def find(self, reference: str, phone: str) -> Booking | None:
        """The booking with this reference and phone number, both matching."""
        return self.repository.find(reference, phone)

    def cancel(self, reference: str, phone: str) -> bool:
        """Cancels a booking; its slot is free again at once."""
        return self.repository.cancel(reference, phone)

    def move(self, reference: str, phone: str, start: dt.datetime) -> Booking | None:
        """Moves a booking; None when the new slot is not bookable or was just taken."""
        if not self.is_open_slot(start):
            return None
        return self.repository.move(reference, phone, start, self.end(start), self.config.capacity)


# The action server's desk, opened on first use (never at import time).
default_desk: Shared[BookingDesk] = Shared(lambda: BookingDesk.from_env())
