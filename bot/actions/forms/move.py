"""Moving and cancelling an appointment: both need the reference and the phone number."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.booking import BookingAction
from bot.actions.booking_base import (
    STOPPED_EXPLAINED,
    SharedValidation,
    client_key_of,
    off_loop,
    parse_iso,
    reset_events,
    text_of,
)
from bot.booking.reference import normalise_reference
from bot.danish import dates
from bot.danish.text import fold

logger = logging.getLogger(__name__)

# Wrong reference/phone pairs allowed per conversation before the citizen is sent to
# Fronten: enough for typos, too few to guess someone else's booking. The server also
# counts them per reference and per client address (BookingDesk.lookup_locked), so a new
# form or conversation does not start again.
MAX_LOOKUPS = 3
_CANCEL_WORDS = ("aflys", "annuller", "afbestil", "slet")


class _ManageValidation(SharedValidation):
    """Finds the citizen's own booking from reference and phone; both must match."""

    async def validate_booking_reference(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """Six characters from the reference alphabet; spaces, hyphens and case ignored."""
        if self.stop_requested(tracker):
            return self.stop()
        reference = normalise_reference(str(slot_value or "").replace("#", ""))
        if reference is None:
            return await self.reject(
                "booking_reference", "utter_booking_invalid_reference", dispatcher, tracker
            )
        return {"booking_reference": reference}

    async def validate_booking_phone(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """The phone number the booking was made with; then the booking is looked up."""
        result = await super().validate_booking_phone(slot_value, dispatcher, tracker, domain)
        number = result.get("booking_phone")
        if not number:
            return result
        reference = tracker.get_slot("booking_reference") or ""
        client = client_key_of(tracker)
        # Checked before the lookup, so a locked reference reveals nothing, right or wrong.
        if await off_loop(self.desk.lookup_locked, reference, client):
            dispatcher.utter_message(
                response="utter_booking_locked", **await off_loop(self.contact)
            )
            return self.stop(STOPPED_EXPLAINED)
        booking = await off_loop(self.desk.find, reference, number)
        if booking is not None and booking.status == "booked" and booking.end > self.desk.now():
            return {"booking_phone": number}
        if booking is not None:
            # The citizen proved it is theirs, so it is safe to say what happened to it.
            dispatcher.utter_message(
                response="utter_booking_already_cancelled"
                if booking.status != "booked"
                else "utter_booking_already_past",
                when=dates.when(booking.start),
            )
            return self.stop(STOPPED_EXPLAINED)
        await off_loop(self.desk.record_lookup_failure, reference, client)
        attempts = int(tracker.get_slot("booking_attempts") or 0) + 1
        if attempts >= MAX_LOOKUPS or await off_loop(self.desk.lookup_locked, reference, client):
            dispatcher.utter_message(
                response="utter_booking_locked", **await off_loop(self.contact)
            )
            return {**self.stop(STOPPED_EXPLAINED), "booking_attempts": float(attempts)}
        # One message for a wrong reference and a wrong phone, so neither can be probed.
        dispatcher.utter_message(response="utter_booking_not_found")
        return {
            "booking_reference": None,
            "booking_phone": None,
            "booking_attempts": float(attempts),
        }


class ValidateCancelForm(_ManageValidation, FormValidationAction):
    """Checks the answers in the cancel form."""

    can_change_time = False

    def name(self) -> str:
        """Action name."""
        return "validate_cancel_form"

    async def validate_booking_confirm(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """Treats "aflys" as yes here, although elsewhere "annuller" means stop."""
        folded = fold(text_of(tracker))
        if any(folded.startswith(word) for word in _CANCEL_WORDS) and "ikke" not in folded:
            return {"booking_confirm": "ja"}
        return await super().validate_booking_confirm(slot_value, dispatcher, tracker, domain)


class ValidateMoveForm(_ManageValidation, FormValidationAction):
    """Checks the answers in the move form."""

    def name(self) -> str:
        """Action name."""
        return "validate_move_form"


class ActionCancelAppointment(BookingAction):
    """Cancels after a clear yes; the slot is free for others at once."""

    def name(self) -> str:
        """Action name."""
        return "action_cancel_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Cancels, or says that the appointment is unchanged."""
        stopped = tracker.get_slot("booking_stopped")
        if stopped or tracker.get_slot("booking_confirm") != "ja":
            if stopped != STOPPED_EXPLAINED:
                dispatcher.utter_message(response="utter_cancel_stopped")
            return reset_events()
        reference = tracker.get_slot("booking_reference") or ""
        phone = tracker.get_slot("booking_phone") or ""
        try:
            booking = await off_loop(self.desk.find, reference, phone)
            cancelled = booking is not None and await off_loop(self.desk.cancel, reference, phone)
        except Exception:  # noqa: BLE001 - the citizen must hear that nothing changed
            logger.exception("cancellation failed (details withheld from the citizen)")
            dispatcher.utter_message(response="utter_cancel_failed", **await off_loop(self.contact))
            return reset_events()
        if not cancelled or booking is None:
            dispatcher.utter_message(response="utter_booking_not_found")
            return reset_events()
        dispatcher.utter_message(
            response="utter_booking_cancelled",
            when=dates.when(booking.start),
            reference=booking.reference,
        )
        contact = await off_loop(self.contact)
        await off_loop(
            self.sms.notify, tracker, "cancelled", "utter_sms_booking_cancelled", booking, contact
        )
        return reset_events()


class ActionMoveAppointment(BookingAction):
    """Moves after a clear yes, keeping the reference; a lost race offers fresh slots."""

    def name(self) -> str:
        """Action name."""
        return "action_move_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Moves, or says that the appointment is unchanged."""
        stopped = tracker.get_slot("booking_stopped")
        start = parse_iso(tracker.get_slot("booking_slot") or "")
        if stopped or tracker.get_slot("booking_confirm") != "ja" or start is None:
            if stopped != STOPPED_EXPLAINED:
                dispatcher.utter_message(response="utter_move_stopped")
            return reset_events()
        reference = tracker.get_slot("booking_reference") or ""
        phone = tracker.get_slot("booking_phone") or ""
        try:
            booking = await off_loop(self.desk.move, reference, phone, start)
        except Exception:  # noqa: BLE001 - the citizen must hear that nothing changed
            logger.exception("move failed (details withheld from the citizen)")
            dispatcher.utter_message(response="utter_move_failed", **await off_loop(self.contact))
            return reset_events()
        if booking is None:
            current = await off_loop(self.desk.find, reference, phone)
            if current is None or current.status != "booked":
                dispatcher.utter_message(response="utter_booking_not_found")
                return reset_events()
        if booking is None:
            return self.lost_race(dispatcher, start, "move_form")
        await self.announce(dispatcher, tracker, booking, "moved")
        return reset_events()
