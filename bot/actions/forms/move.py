"""Moving an appointment: found by reference and phone, then a new time is chosen."""

from __future__ import annotations

import datetime as dt
from typing import List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.forms.base import (
    CONFIRM_CHOICES,
    AskAction,
    FormValidation,
    Slots,
    buttons,
    given_up,
    parse_iso,
    reset_events,
)
from bot.actions.forms.commit import CommitAction
from bot.actions.forms.lookup import current_booking, own_booking
from bot.actions.forms.offers import OfferSlots
from bot.actions.forms.services import off_loop
from bot.booking import Booking
from bot.danish import dates


class ValidateMoveForm(FormValidation):
    """Checks the answers in the move form (reference, phone, new time and the yes)."""

    def name(self) -> str:
        """Action name."""
        return "validate_move_form"

    async def accept_phone(
        self, number: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Slots:
        """The phone number the booking was made with; then the booking is looked up."""
        return await own_booking(self, number, dispatcher, tracker)


class ActionAskMoveSlot(OfferSlots):
    """Offers free slots for the moved appointment, never its current time."""

    form = "move_form"

    async def excluded(self, tracker: Tracker) -> List[dt.datetime]:
        """The booking's current time."""
        current = await current_booking(self.services, tracker)
        return [current.start] if current else []


class ActionAskMoveConfirm(AskAction):
    """Shows the old and the new time and asks for a clear yes before anything changes."""

    form = "move_form"
    slot = "booking_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the summary, or ends the form if the booking has vanished."""
        start = parse_iso(tracker.get_slot("booking_slot") or "")
        booking = await current_booking(self.services, tracker)
        if booking is None or start is None:
            return given_up(dispatcher)
        dispatcher.utter_message(
            response="utter_ask_move_confirm",
            old_when=dates.when(booking.start),
            when=dates.when(start),
            buttons=buttons(domain, *CONFIRM_CHOICES),
        )
        return []


class ActionMoveAppointment(CommitAction):
    """Moves after a clear yes, keeping the reference; a lost race offers fresh slots."""

    stopped_response = "utter_move_stopped"
    failed_response = "utter_move_failed"

    def name(self) -> str:
        """Action name."""
        return "action_move_appointment"

    def ready(self, tracker: Tracker) -> bool:
        """A new time is chosen."""
        return parse_iso(tracker.get_slot("booking_slot") or "") is not None

    async def commit(self, tracker: Tracker) -> Optional[Booking]:
        """Moves the booking; None when the new time is full or the booking is gone."""
        return await off_loop(
            self.services.desk.move,
            tracker.get_slot("booking_reference") or "",
            tracker.get_slot("booking_phone") or "",
            parse_iso(tracker.get_slot("booking_slot") or ""),
        )

    async def settle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, booking: Optional[Booking]
    ) -> List[EventType]:
        """Confirms the move; or, for a booking still there, goes back for fresh offers."""
        if booking is not None:
            await self.announce(dispatcher, tracker, booking, "moved")
            return reset_events()
        current = await current_booking(self.services, tracker)
        if current is None or current.status != "booked":
            dispatcher.utter_message(response="utter_booking_not_found")
            return reset_events()
        return self.lost_race(dispatcher, tracker, "move_form")
