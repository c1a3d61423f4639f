"""Booking SMS: the actions queue after the commit, the worker sends, reminders, STOP."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from click.testing import CliRunner
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms.booking import ActionBookAppointment, ValidateBookingForm
from bot.actions.forms.cancel import ActionCancelAppointment
from bot.actions.forms.move import ActionMoveAppointment
from bot.booking.repository import Booking, BookingRepository
from bot.sms.cli import cli
from bot.sms.contact import ContactBook
from bot.sms.gateway import GatewayClient
from bot.sms.hooks import SmsLink
from bot.sms.identity import sender_key
from bot.sms.repository import Numbers, OptOuts, Outbox, SmsDatabase
from bot.sms.settings import SmsSettings
from bot.sms.templates import Templates
from bot.sms.worker import SKIPPED_CHANGED, SKIPPED_OPTED_OUT, Worker
from tests.conftest import CPH, responses
from tests.fake_gateway import FakeGateway
from tests.sms_support import SENDER_SECRET, TOKEN
from tests.test_actions_booking import DOMAIN, FILLED, TUESDAY_9

TEMPLATES = Templates()
PHONE = "20123456"
MSISDN = 4520123456
SMS_KEY = sender_key(str(MSISDN), SENDER_SECRET)
THURSDAY_10 = dt.datetime(2026, 11, 26, 10, 30, tzinfo=CPH)


@pytest.fixture
def link(database: SmsDatabase) -> SmsLink:
    return SmsLink(lambda: database, notifications=True, templates=TEMPLATES)


def tracker(
    slots: Dict[str, Any],
    channel: Optional[str] = "rest",
    sender: str = "web-visitor",
    active_loop: Optional[str] = None,
) -> Tracker:
    message = {"text": "ja", "intent": {"name": "affirm", "confidence": 0.9}, "entities": []}
    return Tracker(
        sender_id=sender,
        slots={"service": None, "topic": None, **slots},
        latest_message=message,
        events=[{"event": "user", "text": "ja", "parse_data": message, "input_channel": channel}],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def sms_conversation(database: SmsDatabase, phone: str = PHONE) -> None:
    """What the channel records when an SMS from the number arrives."""
    Numbers(database).remember(SMS_KEY, phone, dt.datetime.now(dt.timezone.utc))


async def book_via(
    desk, real_repository, link: SmsLink, channel: str = "rest", sender: str = "web", **slots: Any
) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    action = ActionBookAppointment(desk, real_repository, link)
    done = tracker({**FILLED, "booking_confirm": "ja", **slots}, channel, sender)
    await action.run(dispatcher, done, DOMAIN)
    return dispatcher


# --- the actions queue after the commit --------------------------------------------------


async def test_a_web_booking_queues_a_confirmation_sms(
    desk, real_repository, link: SmsLink, database: SmsDatabase
) -> None:
    dispatcher = await book_via(desk, real_repository, link, booking_phone="31313131")
    reference = dispatcher.messages[0]["reference"]
    [queued] = Outbox(database).recent()
    assert (queued.kind, queued.reference, queued.phone) == ("confirmation", reference, "31313131")
    assert queued.status == "pending"
    expected = TEMPLATES.render(
        "utter_sms_booking_confirmed_fronten",
        when="tirsdag den 24. november kl. 9.00",
        reference=reference,
        contact_address="Parkvej 10, 2750 Ballerup",
        contact_phone="44 77 34 43",
    )
    assert queued.body == expected


async def test_a_phone_meeting_gets_its_own_text(
    desk, real_repository, link: SmsLink, database: SmsDatabase
) -> None:
    await book_via(desk, real_repository, link, booking_meeting="telefon")
    [queued] = Outbox(database).recent()
    assert "ringer til dig på 20 12 34 56" in queued.body


async def test_an_sms_booking_is_not_confirmed_twice(
    desk, real_repository, link: SmsLink, database: SmsDatabase
) -> None:
    # The SMS conversation's own reply is the confirmation.
    sms_conversation(database)
    dispatcher = await book_via(desk, real_repository, link, "gatewayapi", SMS_KEY)
    assert responses(dispatcher) == ["utter_booking_confirmed_fronten"]
    assert Outbox(database).recent() == []


async def test_an_sms_booking_for_another_number_is_confirmed_there(
    desk, real_repository, link: SmsLink, database: SmsDatabase
) -> None:
    sms_conversation(database)
    await book_via(desk, real_repository, link, "gatewayapi", SMS_KEY, booking_phone="31313131")
    assert [m.phone for m in Outbox(database).recent()] == ["31313131"]


async def test_without_a_gateway_nothing_is_queued(desk, real_repository, database) -> None:
    link = SmsLink(lambda: database, notifications=False, templates=TEMPLATES)
    await book_via(desk, real_repository, link)
    assert Outbox(database).recent() == []


async def test_a_failing_outbox_never_undoes_the_booking(
    desk, real_repository, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> SmsDatabase:
        raise OSError("disk full")

    link = SmsLink(broken, notifications=True, templates=TEMPLATES)
    dispatcher = await book_via(desk, real_repository, link)
    assert responses(dispatcher) == ["utter_booking_confirmed_fronten"]
    assert desk.find(dispatcher.messages[0]["reference"], PHONE).status == "booked"
    assert "could not queue the confirmation SMS" in caplog.text


async def test_cancel_and_move_are_confirmed_by_sms(
    desk, real_repository, link: SmsLink, database: SmsDatabase
) -> None:
    booked = desk.book(TUESDAY_9, "Bostøtte", "fronten", "Mette", PHONE)
    manage = {"booking_reference": booked.reference, "booking_phone": PHONE}
    move = tracker({**manage, "booking_slot": THURSDAY_10.isoformat(), "booking_confirm": "ja"})
    await ActionMoveAppointment(desk, real_repository, link).run(
        CollectingDispatcher(), move, DOMAIN
    )
    cancel = tracker({**manage, "booking_confirm": "ja"})
    await ActionCancelAppointment(desk, real_repository, link).run(
        CollectingDispatcher(), cancel, DOMAIN
    )
    moved, cancelled = reversed(Outbox(database).recent())
    assert moved.kind == "moved" and "torsdag den 26. november kl. 10.30" in moved.body
    assert cancelled.kind == "cancelled" and "er aflyst" in cancelled.body
    assert {moved.reference, cancelled.reference} == {booked.reference}


# --- the booking form takes the sender's number ------------------------------------------


@pytest.fixture
def booking_validator(desk, real_repository, link: SmsLink) -> ValidateBookingForm:
    return ValidateBookingForm(desk, real_repository, link)


def in_booking_form(channel: str, slots: Dict[str, Any] | None = None) -> Tracker:
    """A message from ``SMS_KEY``'s conversation on ``channel`` while the booking form runs."""
    return tracker(slots or {}, channel, SMS_KEY, "booking_form")


async def extracted_phone(validator: ValidateBookingForm, message: Tracker) -> Dict[str, Any]:
    return await validator.extract_booking_phone(CollectingDispatcher(), message, DOMAIN)


async def test_over_sms_the_form_does_not_ask_for_the_phone(
    booking_validator: ValidateBookingForm, database: SmsDatabase
) -> None:
    sms_conversation(database)
    sms = in_booking_form("gatewayapi")
    assert await extracted_phone(booking_validator, sms) == {"booking_phone": PHONE}
    # The whole validation run fills it, so Rasa never asks utter_ask_booking_phone.
    events = await booking_validator.run(CollectingDispatcher(), sms, DOMAIN)
    assert {"event": "slot", "timestamp": None, "name": "booking_phone", "value": PHONE} in events


async def test_on_the_web_the_form_asks_for_the_phone(
    booking_validator: ValidateBookingForm, database: SmsDatabase
) -> None:
    sms_conversation(database)
    assert await extracted_phone(booking_validator, in_booking_form("rest")) == {}
    typed = in_booking_form("gatewayapi", {"booking_phone": "31313131"})
    assert await extracted_phone(booking_validator, typed) == {}


async def test_an_old_sms_number_is_not_used(
    booking_validator: ValidateBookingForm, database: SmsDatabase
) -> None:
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
    Numbers(database).remember(SMS_KEY, PHONE, old)
    assert await extracted_phone(booking_validator, in_booking_form("gatewayapi")) == {}


# --- the worker --------------------------------------------------------------------------


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def make_worker(
    gateway: FakeGateway,
    database: SmsDatabase,
    bookings: BookingRepository,
    booking_config,
    real_repository,
    clock: Clock,
    client: Optional[GatewayClient] = "default",  # type: ignore[assignment]
    **settings: Any,
) -> Worker:
    sms_settings = SmsSettings(
        gateway_url=gateway.url, token=TOKEN, sender_secret=SENDER_SECRET, **settings
    )
    if client == "default":
        client = GatewayClient(gateway.url, TOKEN, timeout=2, retries=1, backoff=0.01)
    return Worker(
        sms_settings,
        database,
        bookings,
        booking_config,
        client,
        ContactBook(lambda: real_repository),
        TEMPLATES,
        clock,
    )


def upcoming_start(days: int = 2, hour: int = 10) -> dt.datetime:
    """A start some days after the real now (bookings store the real time they were made)."""
    day = dt.datetime.now(CPH).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CPH)


def store(bookings: BookingRepository, start: dt.datetime, meeting: str = "fronten") -> Booking:
    booked = bookings.book(
        start, start + dt.timedelta(minutes=45), "Bostøtte", meeting, "Mette", PHONE, 2
    )
    assert booked is not None
    return booked


@pytest.fixture
def worker_parts(gateway, database, booking_repository, booking_config, real_repository):
    def build(now: dt.datetime, **kwargs: Any) -> Worker:
        return make_worker(
            gateway,
            database,
            booking_repository,
            booking_config,
            real_repository,
            Clock(now),
            **kwargs,
        )

    return build


def day_before_at(start: dt.datetime, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(
        start.date() - dt.timedelta(days=1), dt.time(hour, minute), tzinfo=CPH
    )


async def test_a_queued_confirmation_is_sent(
    worker_parts, gateway: FakeGateway, database: SmsDatabase
) -> None:
    outbox = Outbox(database)
    now = dt.datetime.now(dt.timezone.utc)
    outbox.enqueue("confirmation", PHONE, "Din tid er booket » 😀", now, reference="K7QX2M")
    result = await worker_parts(now).send_due()
    assert result.sent == 1
    assert gateway.texts_to(MSISDN) == ['Din tid er booket "']
    [message] = outbox.recent()
    assert (message.status, message.attempts, message.sent_at is not None) == ("sent", 1, True)
    assert outbox.for_references(["K7QX2M"])["K7QX2M"][0].status == "sent"


async def test_the_reminder_goes_out_the_day_before_at_the_configured_hour(
    worker_parts, booking_repository, gateway: FakeGateway, database: SmsDatabase
) -> None:
    start = upcoming_start()
    booked = store(booking_repository, start)
    early = worker_parts(day_before_at(start, 11, 59), reminder_hour=12)
    assert early.queue_reminders() == 0
    due = worker_parts(day_before_at(start, 12, 0), reminder_hour=12)
    assert due.queue_reminders() == 1
    assert due.queue_reminders() == 0  # only once
    assert (await due.send_due()).sent == 1
    text = " ".join(gateway.texts_to(MSISDN))
    assert text.startswith("Påmindelse: Du har en tid hos Fronten")
    assert booked.reference in text and "Parkvej 10" in text
    # Another worker process after a restart does not remind again.
    again = worker_parts(day_before_at(start, 15, 0), reminder_hour=12)
    assert again.queue_reminders() == 0


async def test_a_phone_meeting_reminder(
    worker_parts, booking_repository, gateway: FakeGateway
) -> None:
    start = upcoming_start()
    store(booking_repository, start, meeting="telefon")
    worker = worker_parts(day_before_at(start, 9), reminder_hour=9)
    await worker.run_once()
    text = " ".join(gateway.texts_to(MSISDN))
    assert "En rådgiver fra Fronten ringer til dig" in text and "20 12 34 56" in text


async def test_a_booking_made_after_the_reminder_time_gets_no_reminder(
    worker_parts, booking_repository
) -> None:
    start = upcoming_start(days=1, hour=15)
    store(booking_repository, start)
    # The reminder was due at midnight; the booking was made after that (just now).
    worker = worker_parts(dt.datetime.now(CPH), reminder_hour=0)
    assert worker.queue_reminders() == 0


async def test_a_reminder_for_a_cancelled_or_moved_booking_is_not_sent(
    worker_parts, booking_repository, gateway: FakeGateway, database: SmsDatabase
) -> None:
    start = upcoming_start(days=3)
    booked = store(booking_repository, start)
    worker = worker_parts(day_before_at(start, 12), reminder_hour=12)
    assert worker.queue_reminders() == 1
    booking_repository.move(
        booked.reference,
        PHONE,
        start + dt.timedelta(days=1),
        start + dt.timedelta(days=1, hours=1),
        2,
    )
    result = await worker.send_due()
    assert result.skipped == 1 and gateway.requests() == []
    [skipped] = Outbox(database).recent()
    assert (skipped.status, skipped.last_error) == ("skipped", SKIPPED_CHANGED)
    # The moved booking gets its own reminder the day before its new time.
    later = worker_parts(day_before_at(start + dt.timedelta(days=1), 12), reminder_hour=12)
    assert later.queue_reminders() == 1


async def test_stop_is_honoured_for_reminders_and_confirmations(
    worker_parts, booking_repository, gateway: FakeGateway, database: SmsDatabase
) -> None:
    OptOuts(database).opt_out(SMS_KEY, dt.datetime.now(dt.timezone.utc))
    start = upcoming_start()
    store(booking_repository, start)
    worker = worker_parts(day_before_at(start, 12), reminder_hour=12)
    Outbox(database).enqueue("confirmation", PHONE, "Din tid er booket", worker._clock())
    result = await worker.run_once()
    assert result.skipped == 2 and gateway.requests() == []
    assert {m.last_error for m in Outbox(database).recent()} == {SKIPPED_OPTED_OUT}
    # Writing again lifts the opt-out (the channel does this); new messages go out.
    OptOuts(database).opt_in(SMS_KEY)
    Outbox(database).enqueue("confirmation", PHONE, "Din tid er flyttet", worker._clock())
    assert (await worker.send_due()).sent == 1


def confirmation_due_now(database: SmsDatabase) -> dt.datetime:
    """Queues a booking confirmation that is due now; returns that now."""
    now = dt.datetime.now(dt.timezone.utc)
    Outbox(database).enqueue("confirmation", PHONE, "Din tid er booket", now)
    return now


async def test_a_gateway_that_answers_500_then_200(
    worker_parts, gateway: FakeGateway, database: SmsDatabase
) -> None:
    gateway.fail(500)
    now = confirmation_due_now(database)
    assert (await worker_parts(now).send_due()).sent == 1
    assert [r["answered"] for r in gateway.requests()] == [500, 200]


async def test_a_failing_gateway_is_retried_later_then_marked_failed(
    worker_parts, gateway: FakeGateway, database: SmsDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    gateway.fail(*[503] * 20)
    clock = dt.datetime.now(dt.timezone.utc)
    outbox = Outbox(database)
    outbox.enqueue("confirmation", PHONE, "Din tid er booket", clock, reference="K7QX2M")
    for attempt in range(1, 4):
        worker = worker_parts(clock, max_attempts=3)
        result = await worker.send_due()
        [message] = outbox.recent()
        if attempt < 3:
            assert (result.retried, message.status, message.attempts) == (1, "pending", attempt)
            # Not due again at once: it waits (1, 2, 4 ... minutes).
            assert (await worker.send_due()).retried == 0
            clock += dt.timedelta(hours=1)
        else:
            assert (result.failed, message.status, message.last_error) == (1, "failed", "HTTP 503")
    assert "failed finally" in caplog.text
    assert PHONE not in caplog.text and str(MSISDN) not in caplog.text
    # Staff see it, and can queue it again once the cause is fixed.
    assert outbox.for_references(["K7QX2M"])["K7QX2M"][-1].status == "failed"
    assert outbox.retry_failed(message.id, clock)
    gateway.reset()
    assert (await worker_parts(clock).send_due()).sent == 1


async def test_a_refused_message_fails_at_once(
    worker_parts, gateway: FakeGateway, database: SmsDatabase
) -> None:
    gateway.fail(400)
    now = confirmation_due_now(database)
    result = await worker_parts(now).send_due()
    assert result.failed == 1 and len(gateway.requests()) == 1


async def test_one_unsendable_message_does_not_hold_up_the_queue(
    worker_parts, gateway: FakeGateway, database: SmsDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    # Stored before phone numbers were limited to 0-9: Arabic-Indic digits cannot be sent.
    outbox = Outbox(database)
    now = dt.datetime.now(dt.timezone.utc)
    broken = outbox.enqueue("confirmation", "2١٢٣٤٥٦٧", "Din tid er booket", now, reference="AAA")
    fine = outbox.enqueue("confirmation", PHONE, "Din tid er booket", now, reference="BBB")
    result = await worker_parts(now).send_due()
    assert (result.sent, result.failed) == (1, 1)
    assert gateway.texts_to(MSISDN) == ["Din tid er booket"]
    statuses = {m.id: (m.status, m.last_error) for m in outbox.recent()}
    assert statuses[fine] == ("sent", None)
    assert statuses[broken] == ("failed", "cannot be sent (UnicodeEncodeError)")
    assert "٢٣٤" not in caplog.text
    # The next run does not try the broken one again.
    assert (await worker_parts(now + dt.timedelta(hours=2)).send_due()).failed == 0


async def test_without_a_token_the_worker_sends_nothing(
    worker_parts, gateway: FakeGateway, database: SmsDatabase
) -> None:
    now = confirmation_due_now(database)
    worker = worker_parts(now, client=None)
    assert not worker.can_send
    assert (await worker.send_due()).sent == 0
    assert Outbox(database).recent()[0].status == "pending"  # kept for later


# --- staff -------------------------------------------------------------------------------


def test_the_outbox_command_lists_failures_with_masked_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cli-sms.db"
    monkeypatch.setenv("SMS_DB", str(path))
    database = SmsDatabase(path)
    outbox = Outbox(database)
    now = dt.datetime.now(dt.timezone.utc)
    failed = outbox.enqueue("reminder", PHONE, "Påmindelse", now, reference="K7QX2M")
    outbox.mark_failed(failed, "HTTP 401", now)
    outbox.enqueue("confirmation", "31313131", "Din tid", now, reference="ABCDEF")
    database.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["outbox", "--status", "failed"])
    assert result.exit_code == 0, result.output
    lines: List[str] = result.output.splitlines()
    assert lines[0].split()[:4] == ["Id", "Queued", "Kind", "Reference"]
    assert "K7QX2M" in lines[2] and "failed" in lines[2] and "HTTP 401" in lines[2]
    assert "•• •• •• 56" in lines[2] and PHONE not in result.output
    assert "ABCDEF" not in result.output
    assert runner.invoke(cli, ["retry", str(failed)]).exit_code == 0
    assert runner.invoke(cli, ["retry", str(failed)]).exit_code != 0
