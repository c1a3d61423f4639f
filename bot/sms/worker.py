"""The SMS worker: sends the outbox and queues reminders, on an APScheduler schedule.

Run one worker (``fronten sms worker``). It is the only sender of notifications:
the booking actions just queue, so a slow or failing gateway never touches a booking.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, List, Optional

from bot.booking.config import BookingConfig
from bot.booking.repository import Booking, BookingRepository
from bot.settings import Retention
from bot.sms.compose import Composer
from bot.sms.contact import ContactBook
from bot.sms.gateway import GatewayClient, GatewayError
from bot.sms.identity import log_ref, msisdn_of, sender_key
from bot.sms.notify import Notifier
from bot.sms.repository import (
    Choices,
    Numbers,
    OptOuts,
    Outbox,
    OutboxMessage,
    SeenMessages,
    SmsDatabase,
    parse_utc,
)
from bot.sms.settings import SmsSettings
from bot.sms.templates import Templates, default_templates

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
# Row-level retries after the client's quick ones: 1, 2, 4, 8 ... minutes, at most an hour.
RETRY_BASE = dt.timedelta(minutes=1)
RETRY_MAX = dt.timedelta(hours=1)
BATCH = 50
REMINDER_EVERY_SECONDS = 60.0
HOUSEKEEPING_EVERY_SECONDS = 3600.0
SKIPPED_OPTED_OUT = "opted out (STOP)"
SKIPPED_CHANGED = "booking cancelled or moved"
SKIPPED_PAST = "appointment already started"
BROKEN_PREFIX = "cannot be sent"


@dataclass
class RunResult:
    """What one outbox run did (and how many reminders it queued first)."""

    queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Worker:
    """Sends queued notifications and queues reminders.

    Args:
        settings: SMS settings (secrets, reminder hour, attempts).
        database: The SMS database.
        bookings: The booking database (reminders, and checks before sending one).
        config: Fronten's booking rules (its time zone).
        client: The gateway client; None means nothing can be sent (no token).
        contacts: Fronten's details for the texts.
        templates: The domain's texts.
        clock: Returns the current aware time.
        retention: How long outbox rows, seen ids, choices and numbers are kept.

    """

    def __init__(
        self,
        settings: SmsSettings,
        database: SmsDatabase,
        bookings: BookingRepository,
        config: BookingConfig,
        client: Optional[GatewayClient],
        contacts: Optional[ContactBook] = None,
        templates: Optional[Templates] = None,
        clock: Clock = _utc_now,
        retention: Optional[Retention] = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.outbox = Outbox(database)
        self.opt_outs = OptOuts(database)
        self.bookings = bookings
        self.config = config
        self.client = client
        self.contacts = contacts or ContactBook()
        self.templates = templates or default_templates()
        self.composer = Composer(self.templates, settings.max_parts)
        self._clock = clock
        self.retention = retention or Retention()

    @classmethod
    def from_env(cls) -> Worker:
        """A worker with every database and setting from the environment."""
        from bot.services import sms_worker  # builds every shared service

        return sms_worker()

    @property
    def can_send(self) -> bool:
        """Whether a token and the sender secret (needed to honour STOP) are set."""
        return self.client is not None and bool(self.settings.sender_secret)

    def reminder_time(self, booking: Booking) -> dt.datetime:
        """When a booking's reminder is due: the day before, at ``SMS_REMINDER_HOUR``."""
        local = booking.start.astimezone(self.config.timezone)
        day_before = local.date() - dt.timedelta(days=1)
        return dt.datetime.combine(
            day_before, dt.time(self.settings.reminder_hour), tzinfo=self.config.timezone
        )

    def queue_reminders(self) -> int:
        """Queues a reminder for every booking whose reminder time has come.

        A booking made or moved after its reminder time gets none: the citizen has just
        had the confirmation. Each booking and start is reminded once (dedupe key), even
        across restarts.

        Returns:
            How many reminders were queued.

        """
        now = self._clock()
        notifier = Notifier(self.outbox, self.templates, self._clock)
        contact = self.contacts.contact()
        queued = 0
        for booking in self.bookings.upcoming(now):
            due = self.reminder_time(booking)
            if not (due <= now < booking.start) or booking.updated_at >= due:
                continue
            response = (
                "utter_sms_reminder_telefon"
                if booking.meeting == "telefon"
                else "utter_sms_reminder_fronten"
            )
            key = f"reminder:{booking.reference}:{booking.start.astimezone(dt.timezone.utc)}"
            if notifier.notify("reminder", response, booking, contact, dedupe_key=key):
                queued += 1
        return queued

    async def send_due(self) -> RunResult:
        """Sends every due message once; failures are retried later, then marked failed.

        A message that cannot be sent at all (e.g. a number with digits no gateway can
        encode) is marked failed on its own, and the rest of the batch is still sent.
        """
        result = RunResult()
        if not self.can_send:
            return result
        for message in self.outbox.due(self._clock(), BATCH):
            try:
                await self._send_one(message, result)
            except Exception as error:  # noqa: BLE001 - one bad row must not block the queue
                self._broken(message, error, result)
        return result

    def _broken(self, message: OutboxMessage, error: Exception, result: RunResult) -> None:
        # The type only: an exception's text may quote the number or the message.
        reason = f"{BROKEN_PREFIX} ({type(error).__name__})"
        self.outbox.mark_failed(message.id, reason, self._clock())
        result.failed += 1
        logger.error("SMS %s #%d failed without retry: %s", message.kind, message.id, reason)

    async def _send_one(self, message: OutboxMessage, result: RunResult) -> None:
        now = self._clock()
        secret = self.settings.sender_secret or ""
        msisdn = msisdn_of(message.phone)
        skip = self._skip_reason(message, msisdn, secret, now)
        if skip:
            self.outbox.mark_skipped(message.id, skip, now)
            result.skipped += 1
            return
        assert self.client is not None  # checked by can_send
        parts = self.composer.parts(message.body, self.contacts.contact())
        try:
            await self.client.send(msisdn, parts)
        except GatewayError as error:
            self._failed(message, msisdn, secret, error, result)
            return
        self.outbox.mark_sent(message.id, self._clock())
        result.sent += 1

    def _skip_reason(
        self, message: OutboxMessage, msisdn: str, secret: str, now: dt.datetime
    ) -> Optional[str]:
        if self.opt_outs.is_opted_out(sender_key(msisdn, secret)):
            return SKIPPED_OPTED_OUT
        if message.kind != "reminder":
            return None
        booking = self.bookings.find(message.reference or "", message.phone)
        if (
            booking is None
            or booking.status != "booked"
            or message.appointment_start is None
            or booking.start != parse_utc(message.appointment_start)
        ):
            return SKIPPED_CHANGED
        return SKIPPED_PAST if booking.start <= now else None

    def _failed(
        self,
        message: OutboxMessage,
        msisdn: str,
        secret: str,
        error: GatewayError,
        result: RunResult,
    ) -> None:
        now = self._clock()
        attempts = message.attempts + 1
        if error.permanent or attempts >= self.settings.max_attempts:
            self.outbox.mark_failed(message.id, str(error), now)
            result.failed += 1
            logger.error(
                "SMS %s #%d to %s failed finally after %d attempt(s): %s",
                message.kind,
                message.id,
                log_ref(msisdn, secret),
                attempts,
                error,
            )
            return
        delay = min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)
        self.outbox.mark_retry(message.id, str(error), now + delay, now)
        result.retried += 1
        logger.warning("SMS %s #%d: %s; next attempt in %s", message.kind, message.id, error, delay)

    def housekeeping(self) -> None:
        """Deletes old outbox rows, seen ids, choices and numbers."""
        now = self._clock()
        self.outbox.prune(now - self.retention.sms_outbox)
        SeenMessages(self.database).prune(now - self.retention.sms_seen)
        Choices(self.database).prune(now - self.retention.sms_choices)
        Numbers(self.database).prune(now - self.retention.sms_numbers)

    async def run_once(self) -> RunResult:
        """Queues due reminders, then sends what is due (``fronten sms send``)."""
        queued = self.queue_reminders()
        result = await self.send_due()
        result.queued = queued
        return result

    def run_forever(self) -> None:
        """Runs the schedule until the process is stopped."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        scheduler = AsyncIOScheduler(event_loop=loop, timezone=self.config.timezone)
        start = dt.datetime.now(self.config.timezone)

        # Coroutines run on the loop's thread, so the SQLite connections stay on one thread.
        async def reminders() -> None:
            self.queue_reminders()

        async def housekeeping() -> None:
            self.housekeeping()

        if self.can_send:
            jobs: List[tuple] = [
                (self.send_due, self.settings.outbox_interval),
                (reminders, REMINDER_EVERY_SECONDS),
            ]
        else:
            # honcho stops every process when one exits, so an unconfigured worker idles.
            logger.warning(
                "SMS worker idle: GATEWAYAPI_TOKEN or SMS_SENDER_SECRET is not set; "
                "nothing will be sent"
            )
            jobs = []
        jobs.append((housekeeping, HOUSEKEEPING_EVERY_SECONDS))
        for job, seconds in jobs:
            scheduler.add_job(
                job,
                "interval",
                seconds=seconds,
                next_run_time=start,
                max_instances=1,
                coalesce=True,
            )
        scheduler.start()
        logger.info("SMS worker started (reminders at %02d:00)", self.settings.reminder_hour)
        try:
            loop.run_forever()
        finally:
            scheduler.shutdown(wait=False)
            loop.close()
