"""Cancelling an appointment: found by reference and phone, cancelled after a clear yes."""

from __future__ import annotations

from typing import Any, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.forms.base import (
    AskAction,
    FormValidation,
    Slots,
    buttons,
    given_up,
    reset_events,
    text_of,
)
from bot.actions.forms.commit import CommitAction
from bot.actions.forms.lookup import current_booking, own_booking
from bot.actions.forms.services import off_loop
from bot.booking import Booking
from bot.danish import dates
from bot.danish.text import fold

# At this form's summary these words say yes, although elsewhere "annuller" means stop.
_CANCEL_WORDS = ("aflys", "annuller", "afbestil", "slet")


def _says_cancel(tracker: Tracker) -> bool:
    folded = fold(text_of(tracker))
    return any(folded.startswith(word) for word in _CANCEL_WORDS) and "ikke" not in folded


class ValidateCancelForm(FormValidation):
    """Checks the answers in the cancel form (reference, phone and the yes)."""

    can_change_time = False

    def name(self) -> str:
        """Action name."""
        return "validate_cancel_form"

    def stop_requested(self, tracker: Tracker, slot: str) -> bool:
        """As in every form, except that "annuller" at the summary means yes."""
        if slot == "booking_confirm" and _says_cancel(tracker):
            return False
        return super().stop_requested(tracker, slot)

    async def accept_phone(
        self, number: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Slots:
        """The phone number the booking was made with; then the booking is looked up."""
        return await own_booking(self, number, dispatcher, tracker)

    async def validate_booking_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """Treats "aflys" as yes here; otherwise like every form's summary."""
        if _says_cancel(tracker):
            return {"booking_confirm": "ja"}
        return await super().validate_booking_confirm(value, dispatcher, tracker, domain)


class ActionAskCancelConfirm(AskAction):
    """Names the booking and asks for a clear yes before it is cancelled."""

    form = "cancel_form"
    slot = "booking_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question, or ends the form if the booking has vanished."""
        booking = await current_booking(self.services, tracker)
        if booking is None:
            return given_up(dispatcher)
        dispatcher.utter_message(
            response="utter_ask_cancel_confirm",
            when=dates.when(booking.start),
            reference=booking.reference,
            buttons=buttons(
                domain, ("utter_button_cancel_yes", "ja"), ("utter_button_cancel_no", "nej")
            ),
        )
        return []


class ActionCancelAppointment(CommitAction):
    """Cancels after a clear yes; the slot is free for others at once."""

    stopped_response = "utter_cancel_stopped"
    failed_response = "utter_cancel_failed"

    def name(self) -> str:
        """Action name."""
        return "action_cancel_appointment"

    async def commit(self, tracker: Tracker) -> Optional[Booking]:
        """Cancels; the booking as it was, or None when there was none to cancel."""
        booking = await current_booking(self.services, tracker)
        cancelled = booking is not None and await off_loop(
            self.services.desk.cancel,
            tracker.get_slot("booking_reference") or "",
            tracker.get_slot("booking_phone") or "",
        )
        return booking if cancelled else None

    async def settle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, booking: Optional[Booking]
    ) -> List[EventType]:
        """Confirms the cancellation in the chat, then queues its SMS."""
        if booking is None:
            dispatcher.utter_message(response="utter_booking_not_found")
            return reset_events()
        dispatcher.utter_message(
            response="utter_booking_cancelled",
            when=dates.when(booking.start),
            reference=booking.reference,
        )
        contact = await off_loop(self.services.contact)
        await off_loop(
            self.services.sms.notify,
            tracker,
            "cancelled",
            "utter_sms_booking_cancelled",
            booking,
            contact,
        )
        return reset_events()
