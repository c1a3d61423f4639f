"""What the booking actions need from SMS: the sender's number, and notifications.

Used in the action server. Nothing is opened until an SMS conversation or a booking
needs it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any, Callable, Optional

from bot.booking.repository import Booking
from bot.settings import Retention
from bot.shared import Shared
from bot.sms.contact import Contact
from bot.sms.notify import Notifier
from bot.sms.repository import Numbers, Outbox, SmsDatabase
from bot.sms.settings import SmsSettings
from bot.sms.templates import Templates, default_templates

logger = logging.getLogger(__name__)

CHANNEL = "gatewayapi"
# How long the number behind an SMS conversation is kept after its last message.
NUMBER_TTL = Retention().sms_numbers


class SmsLink:
    """The booking actions' way to SMS.

    Args:
        database: Opens the SMS database; default ``SMS_DB``. Called on first use.
        notifications: Whether bookings, moves and cancellations are confirmed by SMS;
            default: when ``GATEWAYAPI_TOKEN`` is set (without it nothing could send them).
        templates: The domain's texts.
        clock: Returns the current aware time.

    """

    def __init__(
        self,
        database: Optional[Callable[[], SmsDatabase]] = None,
        notifications: Optional[bool] = None,
        templates: Optional[Templates] = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ) -> None:
        self._open = database or SmsDatabase.from_env
        self._database: Optional[SmsDatabase] = None
        self.notifications = (
            notifications if notifications is not None else bool(SmsSettings.from_env().token)
        )
        self._templates = templates
        self._clock = clock
        self._lock = threading.Lock()

    @property
    def database(self) -> SmsDatabase:
        """The SMS database, opened on first use."""
        with self._lock:
            if self._database is None:
                self._database = self._open()
            return self._database

    def phone_of(self, tracker: Any) -> Optional[str]:
        """The eight digits of the number an SMS conversation writes from, else None.

        Args:
            tracker: The action's tracker; only ``gatewayapi`` conversations have a number.

        """
        if tracker.get_latest_input_channel() != CHANNEL:
            return None
        return Numbers(self.database).phone(tracker.sender_id, self._clock() - NUMBER_TTL)

    def notify(
        self, tracker: Any, kind: str, response: str, booking: Booking, contact: Contact
    ) -> None:
        """Queues an SMS about a booking just committed; never raises.

        Skipped when the conversation itself is an SMS from the booking's number: the
        reply the citizen is getting is that confirmation.

        Args:
            tracker: The action's tracker.
            kind: ``confirmation``, ``moved`` or ``cancelled``.
            response: The domain response with the SMS text.
            booking: The booking as stored.
            contact: Fronten's details.

        """
        if not self.notifications:
            return
        try:
            if self.phone_of(tracker) == booking.phone:
                return
            notifier = Notifier(
                Outbox(self.database), self._templates or default_templates(), self._clock
            )
            notifier.notify(kind, response, booking, contact)
        except Exception:  # noqa: BLE001 - the booking stands whatever happens to the SMS
            logger.exception("could not queue the %s SMS; the booking is not affected", kind)


# The action server's link, configured on first use.
default_sms_link: Shared[SmsLink] = Shared(SmsLink)
