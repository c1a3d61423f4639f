"""Limits that keep one person or script from emptying the calendar or flooding a phone.

Bookings per number and per client address, SMS per number per day, a code before the
first SMS to a number typed in the web chat, STOP, the move/cancel lock-out on the server,
and storage calls off the action server's event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import sqlite3
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms.booking import (
    ActionAskBookingCode,
    ActionBookAppointment,
    ValidateBookingForm,
)
from bot.actions.forms.cancel import ValidateCancelForm
from bot.actions.forms.move import ValidateMoveForm
from bot.booking.desk import BookingDesk
from bot.booking.repository import BookingRepository, LimitReached
from bot.settings import Limits
from bot.sms.hooks import SmsLink
from bot.sms.identity import sender_key
from bot.sms.notify import Notifier
from bot.sms.optout import handle_stop, is_stop
from bot.sms.repository import (
    SKIPPED_DAILY_LIMIT,
    Numbers,
    OptOuts,
    Outbox,
    SmsDatabase,
)
from bot.sms.templates import Templates
from bot.sms.verify import PhoneVerifier
from tests.conftest import CPH, NOW, responses
from tests.sms_support import SENDER_SECRET
from tests.test_actions_booking import DOMAIN, FILLED, TUESDAY_9

TEMPLATES = Templates()
PHONE = "20123456"
OTHER = "31313131"
CODE = "048213"
LIMITS = Limits()
CLIENT = "client-7f3a"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SmsDatabase]:
    database = SmsDatabase(tmp_path / "sms.db")
    yield database
    database.close()


@pytest.fixture
def link(database: SmsDatabase) -> SmsLink:
    return SmsLink(lambda: database, notifications=True, templates=TEMPLATES)


@pytest.fixture
def verifier(database: SmsDatabase) -> PhoneVerifier:
    return PhoneVerifier(
        lambda: database, LIMITS, TEMPLATES, sender_secret=SENDER_SECRET, code=lambda: CODE
    )


def tracker(
    text: str,
    slots: Optional[Dict[str, Any]] = None,
    sender: str = "web-visitor",
    channel: str = "rest",
    active_loop: Optional[str] = "booking_form",
    client_key: Optional[str] = None,
    intent: str = "greet",
) -> Tracker:
    message: Dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": [],
        "metadata": {"client_key": client_key} if client_key else {},
    }
    return Tracker(
        sender_id=sender,
        slots={"service": None, "topic": None, **(slots or {})},
        latest_message=message,
        events=[{"event": "user", "text": text, "parse_data": message, "input_channel": channel}],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def later(desk: BookingDesk, hours: float) -> BookingDesk:
    now = NOW + dt.timedelta(hours=hours)
    return BookingDesk(desk.repository, desk.config, clock=lambda: now, limits=desk.limits)


def slot_at(n: int) -> dt.datetime:
    """The n-th 45-minute slot from Tuesday 9.00 (5 a day, Tuesday to Thursday)."""
    day, index = divmod(n, 5)
    return TUESDAY_9 + dt.timedelta(days=day, minutes=45 * index)


async def book(desk, real_repository, link=None, **slots: Any) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    client = slots.pop("client_key", None)
    done = tracker("ja", {**FILLED, "booking_confirm": "ja", **slots}, client_key=client)
    await ActionBookAppointment(desk, real_repository, link).run(dispatcher, done, DOMAIN)
    return dispatcher


# --- 7. bookings per phone number --------------------------------------------------------


def test_the_repository_refuses_a_third_active_booking_for_a_number(desk) -> None:
    desk.book(slot_at(0), "Andet", "fronten", "Mette", PHONE)
    desk.book(slot_at(1), "Andet", "fronten", "Mette", "+45 20 12 34 56")
    with pytest.raises(LimitReached) as refused:
        desk.book(slot_at(2), "Andet", "fronten", "Mette", "20 12 34 56")
    assert refused.value.kind == "phone"
    assert len(desk.repository.active_for_phone(PHONE, NOW)) == 2
    # Another number is not affected.
    assert desk.book(slot_at(2), "Andet", "fronten", "Ole", OTHER) is not None


def test_cancelled_and_past_bookings_do_not_count(desk) -> None:
    first = desk.book(slot_at(0), "Andet", "fronten", "Mette", PHONE)
    desk.book(slot_at(1), "Andet", "fronten", "Mette", PHONE)
    assert desk.cancel(first.reference, PHONE)
    assert desk.book(slot_at(2), "Andet", "fronten", "Mette", PHONE) is not None
    # Once the appointments are over, the number may book again.
    next_week = later(desk, 24 * 7)
    next_tuesday = TUESDAY_9 + dt.timedelta(days=7)
    assert next_week.book(next_tuesday, "Andet", "fronten", "Mette", PHONE) is not None


async def test_a_citizen_at_the_limit_is_told_their_times_and_references(
    desk, real_repository, link
) -> None:
    held = [desk.book(slot_at(n), "Bostøtte", "fronten", "Mette", PHONE) for n in (3, 1)]
    dispatcher = await book(desk, real_repository, link)
    assert responses(dispatcher) == [
        "utter_booking_limit_reached",
        "utter_booking_limit_item",
        "utter_booking_limit_item",
        "utter_booking_limit_how_to_change",
    ]
    items = [m for m in dispatcher.messages if m["response"] == "utter_booking_limit_item"]
    assert [m["reference"] for m in items] == [held[1].reference, held[0].reference]
    assert items[0]["when"] == "tirsdag den 24. november kl. 9.45"
    assert dispatcher.messages[-1]["contact_phone"] == "44 77 34 43"
    assert len(desk.repository.active_for_phone(PHONE, NOW)) == 2


async def test_the_form_stops_at_the_number_before_anything_else_is_asked(
    desk, real_repository
) -> None:
    for n in range(2):
        desk.book(slot_at(n), "Andet", "fronten", "Mette", PHONE)
    # Without SMS the number is not proven, so neither times nor references are shown.
    validator = ValidateBookingForm(desk, real_repository)
    dispatcher = CollectingDispatcher()
    result = await validator.validate_booking_phone(
        "20 12 34 56", dispatcher, tracker("20 12 34 56"), DOMAIN
    )
    assert result["requested_slot"] is None and result["booking_stopped"] == "explained"
    assert responses(dispatcher) == ["utter_booking_limit_reached_unproven"]
    assert "reference" not in dispatcher.messages[0]


async def test_over_sms_the_citizen_sees_the_list_at_once(
    desk, real_repository, link, database
) -> None:
    for n in range(2):
        desk.book(slot_at(n), "Andet", "fronten", "Mette", PHONE)
    key = sender_key("45" + PHONE, SENDER_SECRET)
    Numbers(database).remember(key, PHONE, dt.datetime.now(dt.timezone.utc))
    validator = ValidateBookingForm(desk, real_repository, link)
    dispatcher = CollectingDispatcher()
    sms = tracker("Mette", sender=key, channel="gatewayapi")
    result = await validator.validate_booking_phone(PHONE, dispatcher, sms, DOMAIN)
    assert result["booking_stopped"] == "explained"
    assert responses(dispatcher)[0] == "utter_booking_limit_reached"
    assert Outbox(database).recent() == []  # no code over SMS


@pytest.mark.parametrize("configured", [("BOOKING_MAX_ACTIVE_PER_PHONE", "3")])
def test_the_limit_is_configurable(monkeypatch, desk, configured) -> None:
    monkeypatch.setenv(*configured)
    generous = BookingDesk(desk.repository, desk.config, clock=lambda: NOW)
    assert generous.limits.active_bookings_per_phone == 3
    for n in range(3):
        assert generous.book(slot_at(n), "Andet", "fronten", "Mette", PHONE) is not None


# --- 7. bookings per client address and hour ---------------------------------------------


async def test_one_client_address_books_at_most_the_hourly_limit(desk, real_repository) -> None:
    limit = desk.limits.bookings_per_client_per_hour
    for n in range(limit):
        dispatcher = await book(
            desk, real_repository, booking_slot=slot_at(n).isoformat(),
            booking_phone=f"2{n:07d}", client_key=CLIENT,
        )  # fmt: skip
        assert responses(dispatcher) == ["utter_booking_confirmed_fronten"]
    refused = await book(
        desk, real_repository, booking_slot=slot_at(limit).isoformat(),
        booking_phone="29999999", client_key=CLIENT,
    )  # fmt: skip
    assert responses(refused) == ["utter_booking_limit_client"]
    assert desk.repository.active_for_phone("29999999", NOW) == []
    # Another address, or no address (SMS), is not affected; an hour later it is free again.
    for other in ({"client_key": "client-other"}, {}):
        phone = "28888888" if other else "27777777"
        ok = await book(
            desk, real_repository, booking_slot=slot_at(limit).isoformat(),
            booking_phone=phone, **other,
        )  # fmt: skip
        assert responses(ok) == ["utter_booking_confirmed_fronten"]
    hour_later = later(desk, 1.01)
    ok = await book(
        hour_later, real_repository, booking_slot=slot_at(limit + 1).isoformat(),
        booking_phone="26666666", client_key=CLIENT,
    )  # fmt: skip
    assert responses(ok) == ["utter_booking_confirmed_fronten"]


# --- 8. SMS per number per day -----------------------------------------------------------


def test_the_outbox_keeps_the_sixth_sms_of_a_day_unsent(database: SmsDatabase) -> None:
    outbox = Outbox(database)
    now = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone.utc)
    ids = [outbox.enqueue("moved", PHONE, f"Flyttet {n}", now, max_per_day=5) for n in range(6)]
    assert all(ids[:5]) and ids[5] is None
    statuses = [(m.status, m.last_error) for m in reversed(outbox.recent())]
    assert statuses[:5] == [("pending", None)] * 5
    assert statuses[5] == ("skipped", SKIPPED_DAILY_LIMIT)
    # Another number, and the same number a day later, are not affected.
    assert outbox.enqueue("moved", OTHER, "Flyttet", now, max_per_day=5)
    assert outbox.enqueue(
        "moved", PHONE, "Flyttet", now + dt.timedelta(hours=24, minutes=1), max_per_day=5
    )


async def test_every_move_does_not_send_another_sms(
    desk, real_repository, link: SmsLink, database: SmsDatabase
) -> None:
    from bot.actions.forms.move import ActionMoveAppointment

    booked = desk.book(slot_at(0), "Bostøtte", "fronten", "Mette", PHONE)
    for n in range(1, 9):
        move = tracker(
            "ja",
            {
                "booking_reference": booked.reference,
                "booking_phone": PHONE,
                "booking_slot": slot_at(n).isoformat(),
                "booking_confirm": "ja",
            },
            active_loop=None,
        )
        await ActionMoveAppointment(desk, real_repository, link).run(
            CollectingDispatcher(), move, DOMAIN
        )
    queued = Outbox(database).recent()
    assert len(queued) == 8
    assert [m.status for m in queued].count("pending") == LIMITS.sms_per_phone_per_day


def test_the_notifier_reads_the_daily_limit_from_the_environment(monkeypatch, database) -> None:
    monkeypatch.setenv("SMS_MAX_PER_PHONE_PER_DAY", "1")
    notifier = Notifier(Outbox(database), TEMPLATES)
    assert notifier.queue("moved", PHONE, "a") is not None
    assert notifier.queue("moved", PHONE, "b") is None


def test_an_old_outbox_is_migrated_for_codes(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        create table outbox (
            id integer primary key,
            kind text not null check (kind in ('confirmation', 'moved', 'cancelled', 'reminder')),
            reference text, phone text not null, body text not null, appointment_start text,
            dedupe_key text unique,
            status text not null check (status in ('pending', 'sent', 'failed', 'skipped')),
            attempts integer not null default 0, next_attempt_at text not null,
            last_error text, created_at text not null, updated_at text not null, sent_at text
        );
        insert into outbox (kind, phone, body, status, next_attempt_at, created_at, updated_at)
        values ('moved', '20123456', 'gammel', 'sent', 'x', 'x', 'x');
        """
    )
    conn.close()
    database = SmsDatabase(path)
    outbox = Outbox(database)
    assert [m.body for m in outbox.recent()] == ["gammel"]
    assert outbox.enqueue("code", PHONE, "kode", dt.datetime.now(dt.timezone.utc))
    database.close()


# --- 8. a code before the first SMS to a number typed in the web chat --------------------


async def ask_phone(validator, text: str, sender: str = "web-visitor") -> tuple:
    dispatcher = CollectingDispatcher()
    result = await validator.validate_booking_phone(
        text, dispatcher, tracker(text, sender=sender), DOMAIN
    )
    return result, responses(dispatcher)


async def type_code(validator, text: str, sender: str = "web-visitor") -> tuple:
    dispatcher = CollectingDispatcher()
    typed = tracker(text, {"booking_phone": PHONE}, sender=sender)
    result = await validator.validate_booking_code(text, dispatcher, typed, DOMAIN)
    return result, responses(dispatcher)


async def test_a_typed_number_gets_a_code_and_the_booking_waits_for_it(
    desk, real_repository, link, verifier, database
) -> None:
    validator = ValidateBookingForm(desk, real_repository, link, verifier)
    result, said = await ask_phone(validator, "20 12 34 56")
    assert result == {"booking_phone": PHONE, "booking_code": None} and said == []
    [code_sms] = Outbox(database).recent()
    assert (code_sms.kind, code_sms.phone, code_sms.status) == ("code", PHONE, "pending")
    assert CODE in code_sms.body and "STOP" not in code_sms.body  # no number to reply to
    # The form asks for it, naming the number.
    dispatcher = CollectingDispatcher()
    await ActionAskBookingCode(desk, real_repository, link, verifier).run(
        dispatcher, tracker("", {"booking_phone": PHONE}), DOMAIN
    )
    assert responses(dispatcher) == ["utter_ask_booking_code"]
    assert (dispatcher.messages[0]["phone"], dispatcher.messages[0]["minutes"]) == (
        "20 12 34 56",
        15,
    )
    assert await type_code(validator, "123456") == (
        {"booking_code": None},
        ["utter_booking_code_wrong"],
    )
    assert await type_code(validator, "koden er 048 213") == ({"booking_code": "proven"}, [])
    # Only then is it booked, and confirmed by SMS.
    booked = await book(desk, real_repository, link, booking_code="proven")
    assert responses(booked) == ["utter_booking_confirmed_fronten"]
    assert [m.kind for m in Outbox(database).recent()] == ["confirmation", "code"]


async def test_without_the_code_nothing_is_booked_or_sent(
    desk, real_repository, link, database
) -> None:
    dispatcher = await book(desk, real_repository, link, booking_code=None)
    assert responses(dispatcher) == ["utter_booking_stopped"]
    assert desk.repository.upcoming(NOW) == [] and Outbox(database).recent() == []


async def test_three_wrong_codes_void_it(desk, real_repository, link, verifier) -> None:
    validator = ValidateBookingForm(desk, real_repository, link, verifier)
    await ask_phone(validator, PHONE)
    assert (await type_code(validator, "111111"))[1] == ["utter_booking_code_wrong"]
    assert (await type_code(validator, "222222"))[1] == ["utter_booking_code_wrong"]
    result, said = await type_code(validator, "333333")
    assert said == ["utter_booking_code_void"] and result["booking_stopped"] == "explained"
    # Even the right code is void now.
    assert (await type_code(validator, CODE))[1] == ["utter_booking_code_void"]


async def test_a_number_that_never_answered_gets_no_second_sms(
    desk, real_repository, link, verifier, database
) -> None:
    validator = ValidateBookingForm(desk, real_repository, link, verifier)
    await ask_phone(validator, PHONE, sender="prankster-1")
    # A new conversation, or the same one again, cannot send that number another SMS.
    for sender in ("prankster-2", "prankster-1"):
        result, said = await ask_phone(validator, PHONE, sender=sender)
        assert said == ["utter_booking_code_wait"] and result["booking_stopped"] == "explained"
    assert len(Outbox(database).recent()) == 1
    # A day later one more code may go out.
    tomorrow = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=25)
    later_verifier = PhoneVerifier(
        lambda: database, LIMITS, TEMPLATES, lambda: tomorrow, SENDER_SECRET, lambda: CODE
    )
    validator = ValidateBookingForm(desk, real_repository, link, later_verifier)
    assert (await ask_phone(validator, PHONE, sender="citizen"))[1] == []


async def test_a_confirmed_number_may_get_codes_in_other_conversations(
    desk, real_repository, link, verifier, database
) -> None:
    validator = ValidateBookingForm(desk, real_repository, link, verifier)
    await ask_phone(validator, PHONE, sender="first")
    assert (await type_code(validator, CODE, sender="first"))[0] == {"booking_code": "proven"}
    # Back in the same conversation: already proven, no new SMS.
    assert (await ask_phone(validator, PHONE, sender="first"))[0] == {
        "booking_phone": PHONE,
        "booking_code": "proven",
    }
    assert (await ask_phone(validator, PHONE, sender="second"))[0]["booking_code"] is None
    assert [m.kind for m in Outbox(database).recent()] == ["code", "code"]


async def test_a_number_that_said_stop_gets_no_code(
    desk, real_repository, link, verifier, database
) -> None:
    OptOuts(database).opt_out(
        sender_key("45" + PHONE, SENDER_SECRET), dt.datetime.now(dt.timezone.utc)
    )
    validator = ValidateBookingForm(desk, real_repository, link, verifier)
    result, said = await ask_phone(validator, PHONE)
    assert said == ["utter_booking_code_opted_out"] and result["booking_stopped"] == "explained"
    assert Outbox(database).recent() == []


def test_the_code_sms_names_the_number_to_answer_stop_to(database) -> None:
    limits = dataclasses.replace(LIMITS, reply_number="+4512345678")
    verifier = PhoneVerifier(
        lambda: database, limits, TEMPLATES, sender_secret="", code=lambda: CODE
    )
    assert verifier.request("web", PHONE, {"contact_phone": "44 77 34 43"}) == "sent"
    [sms] = Outbox(database).recent()
    assert "svar STOP til +4512345678" in sms.body


@pytest.mark.parametrize(
    ("env", "reply"),
    [
        ({"GATEWAYAPI_SENDER": "4512345678"}, "4512345678"),
        ({"GATEWAYAPI_SENDER": "Fronten"}, None),
        (
            {"GATEWAYAPI_SENDER": "Fronten", "SMS_REPLY_NUMBER": "+45 12 34 56 78"},
            "+45 12 34 56 78",
        ),
    ],
)
def test_the_reply_number_comes_from_the_sender_when_it_is_a_number(monkeypatch, env, reply):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Limits.from_env().reply_number == reply


# --- 8. STOP -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "stop"), [
    ("STOP", True), ("stop", True), (" Stop. ", True), ("stop sms", True), ("Afmeld", True),
    ("stop det", False), ("hvordan stopper jeg min bostøtte?", False),
])  # fmt: skip
def test_what_counts_as_stop(text: str, stop: bool) -> None:
    assert is_stop(text) is stop


def test_stop_drops_what_is_waiting_for_the_number(database: SmsDatabase) -> None:
    outbox = Outbox(database)
    now = dt.datetime.now(dt.timezone.utc)
    waiting = outbox.enqueue("code", PHONE, "kode", now)
    other = outbox.enqueue("code", OTHER, "kode", now)
    key = sender_key("45" + PHONE, SENDER_SECRET)
    assert not handle_stop(database, "stop det", key, PHONE, now)
    assert handle_stop(database, "STOP", key, PHONE, now)
    assert OptOuts(database).is_opted_out(key)
    status = {m.id: m.status for m in outbox.recent()}
    assert (status[waiting], status[other]) == ("skipped", "pending")


# --- 9. the move/cancel lock-out holds across forms and conversations --------------------


async def try_pair(desk, real_repository, reference, phone, form="cancel", **tracker_args):
    validator = (ValidateCancelForm if form == "cancel" else ValidateMoveForm)(
        desk, real_repository
    )
    dispatcher = CollectingDispatcher()
    attempt = tracker(
        phone, {"booking_reference": reference}, active_loop=f"{form}_form", **tracker_args
    )
    result = await validator.validate_booking_phone(phone, dispatcher, attempt, DOMAIN)
    return result, responses(dispatcher)


async def test_three_wrong_pairs_lock_the_reference_in_every_new_conversation(
    desk, real_repository
) -> None:
    booked = desk.book(slot_at(0), "Andet", "fronten", "Mette", PHONE)
    for n, form in enumerate(("cancel", "move", "cancel")):
        # A new form and a new sender each time: the slot count starts at 0.
        result, said = await try_pair(
            desk, real_repository, booked.reference, f"4000000{n}", form, sender=f"s{n}"
        )
        assert said in (["utter_booking_not_found"], ["utter_booking_locked"])
    result, said = await try_pair(desk, real_repository, booked.reference, PHONE, sender="s9")
    assert said == ["utter_booking_locked"] and result["booking_stopped"] == "explained"
    # The period passes, and the owner gets in again.
    after = later(desk, desk.limits.lookup_window.total_seconds() / 3600 + 0.01)
    result, said = await try_pair(after, real_repository, booked.reference, PHONE)
    assert result == {"booking_phone": PHONE} and said == []


async def test_one_client_address_is_locked_out_across_references(desk, real_repository) -> None:
    booked = desk.book(slot_at(0), "Andet", "fronten", "Mette", PHONE)
    guesses = desk.limits.lookup_failures_per_client
    for n in range(guesses):
        await try_pair(
            desk, real_repository, f"ABCD{n:02d}".replace("0", "Q").replace("1", "R"), PHONE,
            sender=f"s{n}", client_key=CLIENT,
        )  # fmt: skip
    _, said = await try_pair(
        desk, real_repository, booked.reference, PHONE, sender="new", client_key=CLIENT
    )
    assert said == ["utter_booking_locked"]
    # Another address is not.
    result, _ = await try_pair(
        desk, real_repository, booked.reference, PHONE, sender="new", client_key="client-b"
    )
    assert result == {"booking_phone": PHONE}


def test_failures_are_stored_rows(desk) -> None:
    desk.record_lookup_failure("k7q x2m", CLIENT)
    rows = list(desk.repository._db.query("select kind, key from limit_events order by id"))
    assert rows == [
        {"kind": "failed_reference", "key": "K7QX2M"},
        {"kind": "failed_client", "key": CLIENT},
    ]


# --- 12. storage calls never block the action server's event loop ------------------------


async def test_a_booking_waiting_for_the_database_lock_does_not_stall_other_conversations(
    tmp_path: Path, booking_config, real_repository
) -> None:
    path = tmp_path / "bookings.db"
    repository = BookingRepository(path, CPH)
    desk = BookingDesk(repository, booking_config, clock=lambda: NOW)
    # Another process (the staff app, the SMS worker) holds the write lock for a while.
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("begin immediate")
    ticks: List[float] = []

    async def other_conversations() -> None:
        for _ in range(10):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.05)

    booking = asyncio.create_task(book(desk, real_repository))
    await other_conversations()
    holder.execute("commit")
    dispatcher = await booking
    holder.close()
    assert len(ticks) == 10 and ticks[-1] - ticks[0] < 2
    assert responses(dispatcher) == ["utter_booking_confirmed_fronten"]
    repository.close()
