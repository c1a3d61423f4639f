"""Finding the citizen's own booking from reference and phone: the move and cancel forms."""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms.base import STOPPED_EXPLAINED, FormValidation, Slots, client_key_of
from bot.actions.forms.services import BookingServices, off_loop
from bot.booking import Booking
from bot.danish import dates

# Wrong reference/phone pairs allowed per conversation before the citizen is sent to
# Fronten: enough for typos, too few to guess someone else's booking. The server also
# counts them per reference and per client address (BookingDesk.lookup_locked), so a new
# form or conversation does not start again.
MAX_LOOKUPS = 3


async def own_booking(
    form: FormValidation, number: str, dispatcher: CollectingDispatcher, tracker: Tracker
) -> Slots:
    """Takes the phone number only when it and the reference belong to one active booking.

    Args:
        form: The validating form (its services, and how it stops).
        number: The phone number the citizen typed, normalised.
        dispatcher: Collects what the citizen is told.
        tracker: The conversation (the reference slot and the failed attempts so far).

    Returns:
        ``{"booking_phone": number}`` for the citizen's own active booking; otherwise
        both slots emptied to ask again, or the form stopped with the reason said.

    """
    desk = form.services.desk
    reference = tracker.get_slot("booking_reference") or ""
    client = client_key_of(tracker)
    # Checked before the lookup, so a locked reference reveals nothing, right or wrong.
    if await off_loop(desk.lookup_locked, reference, client):
        dispatcher.utter_message(
            response="utter_booking_locked", **await off_loop(form.services.contact)
        )
        return form.stop(STOPPED_EXPLAINED)
    booking = await off_loop(desk.find, reference, number)
    if booking is not None and booking.status == "booked" and booking.end > desk.now():
        return {"booking_phone": number}
    if booking is not None:
        # The citizen proved it is theirs, so it is safe to say what happened to it.
        dispatcher.utter_message(
            response="utter_booking_already_cancelled"
            if booking.status != "booked"
            else "utter_booking_already_past",
            when=dates.when(booking.start),
        )
        return form.stop(STOPPED_EXPLAINED)
    await off_loop(desk.record_lookup_failure, reference, client)
    attempts = int(tracker.get_slot("booking_attempts") or 0) + 1
    if attempts >= MAX_LOOKUPS or await off_loop(desk.lookup_locked, reference, client):
        dispatcher.utter_message(
            response="utter_booking_locked", **await off_loop(form.services.contact)
        )
        return {**form.stop(STOPPED_EXPLAINED), "booking_attempts": float(attempts)}
    # One message for a wrong reference and a wrong phone, so neither can be probed.
    dispatcher.utter_message(response="utter_booking_not_found")
    return {
        "booking_reference": None,
        "booking_phone": None,
        "booking_attempts": float(attempts),
    }


async def current_booking(services: BookingServices, tracker: Tracker) -> Optional[Booking]:
    """The booking being moved or cancelled, by the reference and phone the form checked."""
    return await off_loop(
        services.desk.find,
        tracker.get_slot("booking_reference") or "",
        tracker.get_slot("booking_phone") or "",
    )
