"""Moving and cancelling: only with the matching reference and phone number."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms.cancel import (
    ActionAskCancelConfirm,
    ActionCancelAppointment,
    ValidateCancelForm,
)
from bot.actions.forms.lookup import MAX_LOOKUPS
from bot.actions.forms.move import ActionAskMoveSlot, ActionMoveAppointment, ValidateMoveForm
from bot.booking import Booking
from tests.conftest import CPH, responses
from tests.test_actions_booking import DOMAIN, TUESDAY_9, fill

PHONE = "20123456"
THURSDAY_10 = dt.datetime(2026, 11, 26, 10, 30, tzinfo=CPH)


@pytest.fixture
def booking(desk) -> Booking:
    booked = desk.book(TUESDAY_9, "Bostøtte", "fronten", "Mette", PHONE)
    assert booked is not None
    return booked


async def run_validator(validator, slot, text, make_tracker, form, slots=None) -> tuple:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text, intent="greet", slots=slots or {}, active_loop=form)
    method = getattr(validator, f"validate_{slot}")
    return await method(text, dispatcher, tracker, DOMAIN), responses(dispatcher)


@pytest.mark.parametrize(("text", "reference"), [("k7q x2m", "K7QX2M"), ("#K7Q-X2M", "K7QX2M")])
async def test_reference(desk, real_repository, make_tracker, text, reference) -> None:
    result, _ = await run_validator(
        ValidateCancelForm(desk, real_repository), "booking_reference", text, make_tracker,
        "cancel_form",
    )  # fmt: skip
    assert result == {"booking_reference": reference}


@pytest.mark.parametrize("text", ["123", "K0QX1M", "hej med dig", "x" * 500])
async def test_bad_reference(desk, real_repository, make_tracker, text) -> None:
    result, said = await run_validator(
        ValidateCancelForm(desk, real_repository), "booking_reference", text, make_tracker,
        "cancel_form",
    )  # fmt: skip
    assert result == {"booking_reference": None}
    assert said == ["utter_booking_invalid_reference"]


@pytest.mark.parametrize("form", [ValidateCancelForm, ValidateMoveForm])
async def test_someone_elses_reference(desk, real_repository, make_tracker, booking, form):
    result, said = await run_validator(
        form(desk, real_repository), "booking_phone", "30 30 30 30", make_tracker, "cancel_form",
        slots={"booking_reference": booking.reference},
    )  # fmt: skip
    assert said == ["utter_booking_not_found"]
    assert result == {"booking_reference": None, "booking_phone": None, "booking_attempts": 1.0}


async def test_too_many_wrong_pairs_hand_over_to_fronten(
    desk, real_repository, make_tracker, booking
) -> None:
    result, said = await run_validator(
        ValidateCancelForm(desk, real_repository), "booking_phone", "30303030", make_tracker,
        "cancel_form",
        slots={"booking_reference": booking.reference, "booking_attempts": MAX_LOOKUPS - 1},
    )  # fmt: skip
    assert said == ["utter_booking_locked"]
    assert result["requested_slot"] is None and result["booking_stopped"] == "explained"


async def test_own_booking_is_found(desk, real_repository, make_tracker, booking) -> None:
    result, said = await run_validator(
        ValidateCancelForm(desk, real_repository), "booking_phone", "+45 20 12 34 56",
        make_tracker, "cancel_form", slots={"booking_reference": booking.reference.lower()},
    )  # fmt: skip
    assert (result, said) == ({"booking_phone": PHONE}, [])


async def test_already_cancelled(desk, real_repository, make_tracker, booking) -> None:
    desk.cancel(booking.reference, PHONE)
    result, said = await run_validator(
        ValidateCancelForm(desk, real_repository), "booking_phone", PHONE, make_tracker,
        "cancel_form", slots={"booking_reference": booking.reference},
    )  # fmt: skip
    assert said == ["utter_booking_already_cancelled"]
    assert result["requested_slot"] is None


@pytest.mark.parametrize(
    ("text", "confirm"), [("aflys den", "ja"), ("ja", "ja"), ("annuller", "ja"), ("nej", None)]
)
async def test_cancel_confirm(desk, real_repository, make_tracker, text, confirm) -> None:
    result, _ = await run_validator(
        ValidateCancelForm(desk, real_repository), "booking_confirm", text, make_tracker,
        "cancel_form",
    )  # fmt: skip
    assert result.get("booking_confirm") == confirm


async def test_cancel_has_no_new_time(desk, real_repository, make_tracker) -> None:
    result, said = await run_validator(
        ValidateCancelForm(desk, real_repository), "booking_confirm", "ny tid", make_tracker,
        "cancel_form",
    )  # fmt: skip
    assert result == {"booking_confirm": None}
    assert said == ["utter_booking_invalid_confirm"]


def manage_tracker(make_tracker, booking: Booking, form: str, **slots: Any):
    return make_tracker(
        "ja",
        slots={"booking_reference": booking.reference, "booking_phone": PHONE, **slots},
        active_loop=form,
    )


async def test_cancel_summary(desk, real_repository, make_tracker, booking) -> None:
    dispatcher = CollectingDispatcher()
    tracker = manage_tracker(make_tracker, booking, "cancel_form")
    await ActionAskCancelConfirm(desk, real_repository).run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_ask_cancel_confirm"]
    assert dispatcher.messages[0]["when"] == "tirsdag den 24. november kl. 9.00"


async def test_cancel_frees_the_slot_at_once(desk, real_repository, make_tracker, booking):
    dispatcher = CollectingDispatcher()
    tracker = manage_tracker(make_tracker, booking, None, booking_confirm="ja")
    await ActionCancelAppointment(desk, real_repository).run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_booking_cancelled"]
    assert desk.repository.taken([TUESDAY_9]) == {TUESDAY_9: 0}


async def test_cancel_stopped_keeps_the_booking(desk, real_repository, make_tracker, booking):
    dispatcher = CollectingDispatcher()
    tracker = manage_tracker(make_tracker, booking, None, booking_stopped="citizen")
    await ActionCancelAppointment(desk, real_repository).run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_cancel_stopped"]
    assert desk.find(booking.reference, PHONE).status == "booked"


async def test_move_offers_exclude_the_current_time(
    desk, real_repository, make_tracker, booking
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = manage_tracker(make_tracker, booking, "move_form", booking_date=TUESDAY_9.isoformat())
    await ActionAskMoveSlot(desk, real_repository).run(dispatcher, tracker, DOMAIN)
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert TUESDAY_9.isoformat() not in payloads and len(payloads) == 5


async def test_move_keeps_the_reference(desk, real_repository, make_tracker, booking) -> None:
    dispatcher = CollectingDispatcher()
    tracker = manage_tracker(
        make_tracker, booking, None, booking_confirm="ja", booking_slot=THURSDAY_10.isoformat()
    )
    await ActionMoveAppointment(desk, real_repository).run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_booking_moved_fronten"]
    assert dispatcher.messages[0]["reference"] == booking.reference
    assert desk.find(booking.reference, PHONE).start == THURSDAY_10
    assert desk.repository.taken([TUESDAY_9]) == {TUESDAY_9: 0}


async def test_move_to_a_full_slot_offers_fresh_ones(
    desk, real_repository, make_tracker, booking
) -> None:
    fill(desk, THURSDAY_10)
    dispatcher = CollectingDispatcher()
    tracker = manage_tracker(
        make_tracker, booking, None, booking_confirm="ja", booking_slot=THURSDAY_10.isoformat()
    )
    events = await ActionMoveAppointment(desk, real_repository).run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_booking_slot_taken"]
    assert FollowupAction("move_form") in events
    assert desk.find(booking.reference, PHONE).start == TUESDAY_9  # the old time is kept
