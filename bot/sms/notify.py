"""Booking notifications (confirmation, move, cancellation, reminder) queued in the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Callable, Optional

from bot.booking.repository import Booking
from bot.danish import dates
from bot.danish.phone import format_danish
from bot.settings import Limits
from bot.sms.contact import Contact
from bot.sms.repository import Outbox
from bot.sms.templates import Templates

Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Notifier:
    """Fills a domain response for a booking and queues it for the worker.

    Every message to a number counts towards its daily limit (``SMS_MAX_PER_PHONE_PER_DAY``);
    past it, messages are kept as skipped rather than sent.

    Args:
        outbox: Where messages wait for the worker.
        templates: The domain's texts.
        clock: Returns the current aware time.
        limits: SMS per number per day; default from the environment.

    """

    def __init__(
        self,
        outbox: Outbox,
        templates: Templates,
        clock: Clock = _utc_now,
        limits: Optional[Limits] = None,
    ) -> None:
        self.outbox = outbox
        self.templates = templates
        self._clock = clock
        self.limits = limits or Limits.from_env()

    def queue(self, kind: str, phone: str, body: str, **details: object) -> Optional[int]:
        """Queues any text to a number, within the number's daily limit.

        Args:
            kind: One of ``bot.sms.repository.KINDS``.
            phone: Eight Danish digits.
            body: The text.
            **details: ``reference``, ``appointment_start`` or ``dedupe_key`` for the outbox.

        Returns:
            The outbox row id, or None when it was queued before or is over the limit.

        """
        return self.outbox.enqueue(
            kind,
            phone,
            body,
            self._clock(),
            max_per_day=self.limits.sms_per_phone_per_day,
            **details,  # type: ignore[arg-type]
        )

    def notify(
        self,
        kind: str,
        response: str,
        booking: Booking,
        contact: Contact,
        dedupe_key: Optional[str] = None,
    ) -> Optional[int]:
        """Queues one message about a booking to the booking's phone.

        Args:
            kind: ``confirmation``, ``moved``, ``cancelled`` or ``reminder``.
            response: The domain response to send, e.g. ``utter_sms_booking_cancelled``.
            booking: The booking as stored after the change.
            contact: Fronten's details (``contact_address``, ``contact_phone``, ...).
            dedupe_key: Queue only once per key (reminders).

        Returns:
            The outbox row id, or None when the key was queued before or the number has
            had its SMS for today.

        """
        body = self.templates.render(
            response,
            **contact,
            reference=booking.reference,
            when=dates.when(booking.start),
            phone=format_danish(booking.phone),
            first_name=booking.first_name,
            topic=booking.topic,
        )
        return self.queue(
            kind,
            booking.phone,
            body,
            reference=booking.reference,
            appointment_start=booking.start if kind == "reminder" else None,
            dedupe_key=dedupe_key,
        )
