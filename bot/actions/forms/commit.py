"""One template stores and confirms what a form agreed on: book, move and cancel."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.forms.base import STOPPED_EXPLAINED, FormAction, parse_iso, reset_events
from bot.actions.forms.services import off_loop
from bot.booking import Booking
from bot.danish import dates
from bot.danish.phone import format_danish

logger = logging.getLogger(__name__)

# The chat and SMS responses that confirm a committed change, per meeting form.
ANNOUNCEMENTS = {
    ("confirmation", "fronten"): (
        "utter_booking_confirmed_fronten",
        "utter_sms_booking_confirmed_fronten",
    ),
    ("confirmation", "telefon"): (
        "utter_booking_confirmed_telefon",
        "utter_sms_booking_confirmed_telefon",
    ),
    ("moved", "fronten"): ("utter_booking_moved_fronten", "utter_sms_booking_moved_fronten"),
    ("moved", "telefon"): ("utter_booking_moved_telefon", "utter_sms_booking_moved_telefon"),
}


class CommitAction(FormAction, ABC):
    """Runs after a form: changes storage only on a clear yes, then says what happened.

    A form that stopped, or ended without a yes, changes nothing, and the citizen hears so
    unless already told why. A failing write changes nothing either, and the citizen hears
    that too. Each form's commit action fills in the steps: ``ready``, ``commit``,
    ``refused`` and ``settle``.
    """

    # Said when the form ended without a yes.
    stopped_response: str
    # Said when the write failed; it names Fronten's phone number.
    failed_response: str

    def ready(self, tracker: Tracker) -> bool:
        """Whether the slots hold all the write needs, besides the yes."""
        return True

    @abstractmethod
    async def commit(self, tracker: Tracker) -> Optional[Booking]:
        """Writes to storage (in a worker thread).

        Returns:
            The booking as stored, or None when the write found nothing to change.

        """

    async def refused(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, error: Exception
    ) -> bool:
        """Explains a refusal the form expects; False leaves the error a failure."""
        return False

    @abstractmethod
    async def settle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, booking: Optional[Booking]
    ) -> List[EventType]:
        """Tells the citizen what was stored, after the write succeeded."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Writes after a clear yes; otherwise says that nothing changed."""
        stopped = tracker.get_slot("booking_stopped")
        if stopped or tracker.get_slot("booking_confirm") != "ja" or not self.ready(tracker):
            if stopped != STOPPED_EXPLAINED:
                dispatcher.utter_message(response=self.stopped_response)
            return reset_events()
        try:
            booking = await self.commit(tracker)
        except Exception as error:  # noqa: BLE001 - the citizen must hear that nothing changed
            if not await self.refused(dispatcher, tracker, error):
                logger.exception("%s failed (details withheld from the citizen)", self.name())
                contact = await off_loop(self.services.contact)
                dispatcher.utter_message(response=self.failed_response, **contact)
            return reset_events()
        return await self.settle(dispatcher, tracker, booking)

    async def announce(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, booking: Booking, change: str
    ) -> None:
        """Confirms a stored booking or move in the chat, then queues its SMS.

        Args:
            dispatcher: Collects the confirmation.
            tracker: The conversation (the SMS link needs its channel).
            booking: The booking as stored, so the citizen hears what was committed.
            change: ``confirmation`` (a new booking) or ``moved``.

        """
        chat, sms = ANNOUNCEMENTS[(change, booking.meeting)]
        contact = await off_loop(self.services.contact)
        dispatcher.utter_message(
            response=chat,
            reference=booking.reference,
            when=dates.when(booking.start),
            phone=format_danish(booking.phone),
            **contact,
        )
        # Only queued, after the commit: the worker sends it, and a failure there never
        # touches the booking.
        await off_loop(self.services.sms.notify, tracker, change, sms, booking, contact)

    def lost_race(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, form: str
    ) -> List[EventType]:
        """Someone took the last counsellor first: back to the form for fresh offers.

        The offers are then around the time that was lost.
        """
        dispatcher.utter_message(response="utter_booking_slot_taken")
        start = parse_iso(tracker.get_slot("booking_slot") or "")
        return [
            SlotSet("booking_slot", None),
            SlotSet("booking_confirm", None),
            SlotSet("booking_date", start.isoformat() if start else None),
            FollowupAction(form),
        ]
