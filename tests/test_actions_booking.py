"""The booking form's validators and actions, against a real SQLite file and a fixed clock."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
import yaml
from rasa.shared.core.domain import Domain
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from bot.actions.forms.booking import (
    ActionAskBookingConfirm,
    ActionAskBookingSlot,
    ActionAskBookingTopic,
    ActionBookAppointment,
    ValidateBookingForm,
)
from bot.actions.forms.cancel import ValidateCancelForm
from bot.actions.forms.move import ValidateMoveForm
from bot.booking import BookingRepository
from bot.booking.desk import BookingDesk
from bot.knowledge import KnowledgeRepository, load_knowledge
from bot.knowledge.build import build_database
from tests.conftest import CPH, NOW, ROOT, build_tracker, responses

TUESDAY_9 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=CPH)
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def validator(desk, real_repository) -> ValidateBookingForm:
    return ValidateBookingForm(desk, real_repository)


def desk_at(desk: BookingDesk, now: dt.datetime) -> BookingDesk:
    return BookingDesk(desk.repository, desk.config, clock=lambda: now)


def fill(desk: BookingDesk, start: dt.datetime) -> None:
    """Books every counsellor at ``start``."""
    for n in range(desk.config.capacity):
        assert desk.book(start, "Andet", "fronten", "Anna", f"2012345{n}") is not None


async def validate(validator, slot: str, text: str, make_tracker, **tracker_args: Any) -> dict:
    tracker = make_tracker(text, active_loop="booking_form", **tracker_args)
    dispatcher = CollectingDispatcher()
    result = await getattr(validator, f"validate_{slot}")(text, dispatcher, tracker, DOMAIN)
    validate.responses = responses(dispatcher)
    return result


async def cost_question_for_the_date(validator, make_tracker, text: str, **slots: Any) -> dict:
    """Validates a question about cost, asked where the form wants the date."""
    return await validate(
        validator, "booking_date", text, make_tracker, intent="ask_cost", slots=slots
    )


# --- what the meeting is about, and how to meet ----------------------------------------


@pytest.mark.parametrize(
    ("slot", "text", "value"),
    [
        ("booking_topic", "Bostøtte", "bostoette"),
        ("booking_topic", "bostoette", "bostoette"),
        ("booking_topic", "jeg vil tale om min bostøtte", "bostoette"),
        ("booking_topic", "BPA og hjælpere", "bpa"),
        ("booking_topic", "ledsager", "ledsagelse"),
        ("booking_topic", "Andet", "andet"),
        ("booking_topic", "ved ikke", "andet"),
        ("booking_topic", "stoettekontaktperson", "stoettekontaktperson"),
        ("booking_meeting", "fronten", "fronten"),
        ("booking_meeting", "Jeg kommer gerne ind på Fronten", "fronten"),
        ("booking_meeting", "mød op", "fronten"),
        ("booking_meeting", "telefon", "telefon"),
        ("booking_meeting", "ring til mig", "telefon"),
        ("booking_meeting", "Telefonsamtale", "telefon"),
    ],
)
async def test_topic_and_meeting_understood(validator, make_tracker, slot, text, value) -> None:
    assert await validate(validator, slot, text, make_tracker) == {slot: value}


async def test_where_fronten_is_answered_not_taken_as_the_place_to_meet(
    validator, make_tracker
) -> None:
    result = await validate(
        validator,
        "booking_meeting",
        "hvor ligger Fronten egentlig?",
        make_tracker,
        intent="ask_contact",
        confidence=0.99,
    )
    assert result["booking_meeting"] is None and validate.responses == ["utter_contact"]
    # Said as a wish, "Fronten" is still the answer.
    wish = await validate(
        validator,
        "booking_meeting",
        "kan vi mødes i Fronten?",
        make_tracker,
        intent="book_appointment",
        confidence=0.9,
    )
    assert wish == {"booking_meeting": "fronten"}


async def test_a_question_that_only_names_fronten_is_answered(validator, make_tracker) -> None:
    # "Fronten" is the subject of a question a fact answers, not where to meet.
    result = await validate(
        validator,
        "booking_meeting",
        "kan fronten egentlig hjælpe ham med at søge en bolig?",
        make_tracker,
        intent="nlu_fallback",
        confidence=0.3,
    )
    assert result["booking_meeting"] is None
    assert validate.responses == ["utter_answer"]


@pytest.mark.parametrize(
    ("slot", "text", "response"),
    [
        ("booking_topic", "bananer", "utter_booking_invalid_topic"),
        ("booking_meeting", "måske", "utter_booking_invalid_meeting"),
    ],
)
async def test_unclear_topic_or_meeting_asks_again(
    validator, make_tracker, slot, text, response
) -> None:
    result = await validate(validator, slot, text, make_tracker, intent="greet")
    assert result == {slot: None}
    assert validate.responses == [response]


async def test_topic_buttons_end_with_andet(desk, real_repository, make_tracker) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAskBookingTopic(desk, real_repository).run(dispatcher, make_tracker(), DOMAIN)
    [message] = dispatcher.messages
    assert message["response"] == "utter_ask_booking_topic"
    assert [b["title"] for b in message["buttons"]][-1] == "Andet"
    assert len(message["buttons"]) <= 6


# --- when ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "wish"),
    [
        ("i morgen", TUESDAY_9),
        ("i morgen kl. 10", TUESDAY_9.replace(hour=10)),
        ("på torsdag", dt.datetime(2026, 11, 26, 9, 0, tzinfo=CPH)),
        ("næste uge om formiddagen", dt.datetime(2026, 11, 30, 10, 0, tzinfo=CPH)),
        ("den 3. december", dt.datetime(2026, 12, 3, 9, 0, tzinfo=CPH)),
        ("hurtigst muligt", NOW),
    ],
)
async def test_date_understood(validator, make_tracker, text, wish) -> None:
    result = await validate(validator, "booking_date", text, make_tracker)
    assert dt.datetime.fromisoformat(result["booking_date"]) == wish
    assert validate.responses == []


@pytest.mark.parametrize(
    ("text", "now", "response"),
    [
        ("i går", NOW, "utter_booking_date_past"),
        ("asdfgh qwerty", NOW, "utter_booking_date_invalid"),
        ("<script>alert(1)</script>", NOW, "utter_booking_date_invalid"),
        ("x" * 10_000, NOW, "utter_booking_date_invalid"),
        ("på lørdag", NOW, "utter_booking_date_closed"),
        ("i morgen kl. 20", NOW, "utter_booking_time_closed"),
        ("den 3. januar", NOW, "utter_booking_date_too_far"),
        ("25. december", dt.datetime(2026, 12, 10, 8, 0, tzinfo=CPH), "utter_booking_date_holiday"),
        ("24. december", dt.datetime(2026, 12, 10, 8, 0, tzinfo=CPH), "utter_booking_date_closed"),
    ],
)
async def test_date_refused(desk, real_repository, make_tracker, text, now, response) -> None:
    validator = ValidateBookingForm(desk_at(desk, now), real_repository)
    result = await validate(validator, "booking_date", text, make_tracker, intent="greet")
    assert result == {"booking_date": None}
    assert validate.responses == [response]


async def test_holiday_is_named(desk, real_repository, make_tracker) -> None:
    validator = ValidateBookingForm(
        desk_at(desk, dt.datetime(2026, 12, 10, 8, 0, tzinfo=CPH)), real_repository
    )
    tracker = make_tracker("25. december", active_loop="booking_form")
    dispatcher = CollectingDispatcher()
    await validator.validate_booking_date("25. december", dispatcher, tracker, DOMAIN)
    assert dispatcher.messages[0]["holiday"] == "Juledag"
    assert "mandag-torsdag 9.00-15.00" in dispatcher.messages[0]["opening_hours"]


async def test_question_during_the_form_is_answered(validator, make_tracker) -> None:
    result = await cost_question_for_the_date(
        validator, make_tracker, "hvad koster det?", booking_topic="bostoette"
    )
    assert result["booking_date"] is None
    assert result["service"] == "bostoette"
    assert validate.responses and set(validate.responses) == {"utter_answer"}


async def test_a_talk_about_anything_else_is_a_counselling_talk(validator, make_tracker) -> None:
    # "Andet" is a råd- og vejledningssamtale, the first of the § 82 offers: its cost answers.
    result = await cost_question_for_the_date(
        validator, make_tracker, "Er samtalen gratis?", booking_topic="andet"
    )
    assert result["booking_date"] is None
    assert (result["service"], result["topic"]) == ("forebyggende", "cost")
    assert validate.responses == ["utter_answer"]


@pytest.mark.parametrize("word", ["stop", "Afbryd", "annuller!", "glem det"])
@pytest.mark.parametrize("slot", ["booking_topic", "booking_date", "booking_name"])
async def test_stop_ends_the_form(validator, make_tracker, word, slot) -> None:
    result = await validate(validator, slot, word, make_tracker, intent="stop")
    assert result == {"requested_slot": None, "booking_stopped": "citizen"}


VALIDATORS = {
    "booking_form": ValidateBookingForm,
    "move_form": ValidateMoveForm,
    "cancel_form": ValidateCancelForm,
}


@pytest.mark.parametrize(
    ("form", "slot"),
    [(form, slot) for form, spec in DOMAIN["forms"].items() for slot in spec["required_slots"]],
)
async def test_stop_ends_every_form_at_every_question(
    desk, real_repository, make_tracker, form, slot
) -> None:
    validator = VALIDATORS[form](desk, real_repository)
    tracker = make_tracker("stop det her", intent="stop", active_loop=form)
    dispatcher = CollectingDispatcher()
    result = await getattr(validator, f"validate_{slot}")("stop", dispatcher, tracker, DOMAIN)
    assert result == {"requested_slot": None, "booking_stopped": "citizen"}
    assert dispatcher.messages == []


def action_names() -> set[str]:
    """The domain's actions; one with settings is a one-key mapping."""
    return {a if isinstance(a, str) else next(iter(a)) for a in DOMAIN["actions"]}


def test_every_action_in_the_domain_is_served_by_the_action_server() -> None:
    executor = ActionExecutor()
    executor.register_package("bot.actions")
    assert set(executor.actions) == action_names()


# The actions that read only the knowledge base; their tests run them with an empty domain.
WITHOUT_DOMAIN = {
    "action_answer_question",
    "action_contact_fronten",
    "action_handover",
    "action_default_fallback",
}


def test_only_the_knowledge_actions_are_called_without_the_domain() -> None:
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert endpoints["action_endpoint"]["enable_selective_domain"] is True
    domain = Domain.load(ROOT / "domain.yml")
    sent = {a for a in action_names() if domain.does_custom_action_explicitly_need_domain(a)}
    assert sent == action_names() - WITHOUT_DOMAIN


# --- the slot --------------------------------------------------------------------------


async def test_offers_nearest_free_slots(desk, real_repository, make_tracker) -> None:
    fill(desk, TUESDAY_9)
    tracker = make_tracker(slots={"booking_date": TUESDAY_9.isoformat()})
    dispatcher = CollectingDispatcher()
    events = await ActionAskBookingSlot(desk, real_repository).run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert message["response"] == "utter_ask_booking_slot"
    starts = [dt.datetime.fromisoformat(b["payload"]) for b in message["buttons"]]
    assert len(starts) == 5 and TUESDAY_9 not in starts
    assert starts[0] == TUESDAY_9 + dt.timedelta(minutes=45)
    assert message["buttons"][0]["title"] == "tirsdag den 24. november kl. 9.45"
    assert events[0]["name"] == "booking_offers" and len(events[0]["value"]) == 5


async def test_offers_on_other_days_say_so(desk, real_repository, make_tracker) -> None:
    saturday = dt.datetime(2026, 11, 28, 10, 0, tzinfo=CPH)
    tracker = make_tracker(slots={"booking_date": saturday.isoformat()})
    dispatcher = CollectingDispatcher()
    await ActionAskBookingSlot(desk, real_repository).run(dispatcher, tracker, DOMAIN)
    assert responses(dispatcher) == ["utter_ask_booking_slot_other_days"]
    assert dispatcher.messages[0]["day"] == "lørdag den 28. november"


OFFERS = [(TUESDAY_9 + dt.timedelta(minutes=45 * n)).isoformat() for n in range(5)]


@pytest.mark.parametrize(
    ("text", "chosen"),
    [
        (OFFERS[0], OFFERS[0]),
        ("2", OFFERS[1]),
        ("nr. 3", OFFERS[2]),
        ("kl. 9.45", OFFERS[1]),
    ],
)
async def test_slot_chosen(validator, make_tracker, text, chosen) -> None:
    result = await validate(
        validator, "booking_slot", text, make_tracker, slots={"booking_offers": OFFERS}
    )
    assert result == {"booking_slot": chosen}


async def test_full_slot_gets_fresh_offers(desk, validator, make_tracker) -> None:
    fill(desk, TUESDAY_9)
    result = await validate(
        validator, "booking_slot", OFFERS[0], make_tracker, slots={"booking_offers": OFFERS}
    )
    assert result == {"booking_slot": None, "booking_date": OFFERS[0]}
    assert validate.responses == ["utter_booking_slot_taken"]


async def test_another_day_instead_of_the_offers(validator, make_tracker) -> None:
    result = await validate(
        validator, "booking_slot", "har I noget på torsdag?", make_tracker,
        slots={"booking_offers": OFFERS},
    )  # fmt: skip
    assert result["booking_slot"] is None
    assert result["booking_date"].startswith("2026-11-26")


async def test_slot_nonsense(validator, make_tracker) -> None:
    result = await validate(
        validator, "booking_slot", "blå", make_tracker, intent="greet",
        slots={"booking_offers": OFFERS},
    )  # fmt: skip
    assert result == {"booking_slot": None}
    assert validate.responses == ["utter_booking_invalid_slot"]


# --- name and phone --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mette", "Mette"),
        ("mette", "Mette"),
        ("Jeg hedder anne-marie", "Anne-Marie"),
        ("Ole Bo.", "Ole Bo"),
        ("Zoë", "Zoë"),
    ],
)
async def test_name(validator, make_tracker, text, name) -> None:
    assert await validate(validator, "booking_name", text, make_tracker) == {"booking_name": name}


@pytest.mark.parametrize(
    "text",
    ["<b>Mette</b>", "M" * 500, "Mette123", "010190-1234", "Mette Marie Hansen Jensen", "", "😀"],
)
async def test_bad_name_asks_again(validator, make_tracker, text) -> None:
    result = await validate(validator, "booking_name", text, make_tracker, intent="greet")
    assert result == {"booking_name": None}
    assert validate.responses == ["utter_booking_invalid_name"]


@pytest.mark.parametrize(
    ("text", "number"),
    [("20123456", "20123456"), ("+45 20 12 34 56", "20123456"), ("0045 2012 3456", "20123456")],
)
async def test_phone(validator, make_tracker, text, number) -> None:
    # Without SMS nothing is sent to the number, so there is no code to ask for.
    assert await validate(validator, "booking_phone", text, make_tracker) == {
        "booking_phone": number,
        "booking_code": "unchecked",
    }


@pytest.mark.parametrize("text", ["2012345a", "12345", "+46 20 12 34 56", "0101901234", "ring"])
async def test_bad_phone_asks_again(validator, make_tracker, text) -> None:
    result = await validate(validator, "booking_phone", text, make_tracker, intent="greet")
    assert result == {"booking_phone": None}
    assert validate.responses == ["utter_booking_invalid_phone"]


# --- summary and commit ----------------------------------------------------------------

FILLED = {
    "booking_topic": "bostoette",
    "booking_date": TUESDAY_9.isoformat(),
    "booking_meeting": "fronten",
    "booking_slot": TUESDAY_9.isoformat(),
    "booking_name": "Mette",
    "booking_phone": "20123456",
    "booking_code": "proven",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ja", {"booking_confirm": "ja"}),
        ("Ja tak", {"booking_confirm": "ja"}),
        ("nej", {"requested_slot": None, "booking_stopped": "citizen"}),
        ("ny tid", {"booking_confirm": None, "booking_slot": None, "booking_date": None}),
    ],
)
async def test_confirm(validator, make_tracker, text, expected) -> None:
    assert await validate(validator, "booking_confirm", text, make_tracker) == expected


async def test_unclear_confirm_asks_again(validator, make_tracker) -> None:
    result = await validate(validator, "booking_confirm", "tja", make_tracker, intent="greet")
    assert result == {"booking_confirm": None}
    assert validate.responses == ["utter_booking_invalid_confirm"]


async def test_summary(desk, real_repository, make_tracker) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots=FILLED, active_loop="booking_form")
    await ActionAskBookingConfirm(desk, real_repository).run(dispatcher, tracker, DOMAIN)
    [message] = dispatcher.messages
    assert message["response"] == "utter_ask_booking_confirm_fronten"
    assert (message["topic"], message["phone"]) == ("Bostøtte", "20 12 34 56")
    assert message["contact_address"] == "Parkvej 10, 2750 Ballerup"
    assert [b["payload"] for b in message["buttons"]] == ["ja", "ny tid", "nej"]


async def book(desk, real_repository, make_tracker, **slots: Any):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={**FILLED, "booking_confirm": "ja", **slots})
    events = await ActionBookAppointment(desk, real_repository).run(dispatcher, tracker, DOMAIN)
    return dispatcher, events


async def test_booking_is_committed_then_confirmed(desk, real_repository, make_tracker) -> None:
    dispatcher, events = await book(desk, real_repository, make_tracker)
    [message] = dispatcher.messages
    assert message["response"] == "utter_booking_confirmed_fronten"
    stored = desk.find(message["reference"], "20123456")
    assert stored is not None and stored.start == TUESDAY_9 and stored.topic == "Bostøtte"
    assert message["when"] == "tirsdag den 24. november kl. 9.00"
    assert (message["contact_address"], message["contact_phone"]) == (
        "Parkvej 10, 2750 Ballerup",
        "44 77 34 43",
    )
    # Every booking slot is cleared, so a second booking starts from scratch.
    assert all(e["value"] is None for e in events)


async def test_phone_meeting_confirmation(desk, real_repository, make_tracker) -> None:
    dispatcher, _ = await book(desk, real_repository, make_tracker, booking_meeting="telefon")
    assert responses(dispatcher) == ["utter_booking_confirmed_telefon"]
    assert dispatcher.messages[0]["phone"] == "20 12 34 56"


async def test_stopped_form_books_nothing(desk, real_repository, make_tracker) -> None:
    dispatcher, _ = await book(desk, real_repository, make_tracker, booking_stopped="citizen")
    assert responses(dispatcher) == ["utter_booking_stopped"]
    assert desk.repository.upcoming(NOW) == []


async def test_lost_race_offers_fresh_slots(desk, real_repository, make_tracker) -> None:
    fill(desk, TUESDAY_9)
    dispatcher, events = await book(desk, real_repository, make_tracker)
    assert responses(dispatcher) == ["utter_booking_slot_taken"]
    assert FollowupAction("booking_form") in events
    assert SlotSet("booking_slot", None) in events


async def test_storage_failure_is_said_and_nothing_confirmed(
    desk, real_repository, make_tracker
) -> None:
    desk.repository.close()  # every query now fails
    dispatcher, _ = await book(desk, real_repository, make_tracker)
    assert responses(dispatcher) == ["utter_booking_failed"]
    assert dispatcher.messages[0]["contact_phone"] == "44 77 34 43"


def test_fifty_citizens_race_for_one_slot(tmp_path: Path, booking_config) -> None:
    """50 threads, each with its own connections, book the last counsellor at once."""
    config = dataclasses.replace(booking_config, capacity=1)
    knowledge_path = tmp_path / "knowledge.db"
    build_database(load_knowledge(ROOT / "knowledge"), sqlite_utils.Database(knowledge_path))
    path = tmp_path / "race.db"
    BookingRepository(path, CPH).close()
    barrier = threading.Barrier(50)
    results: list[tuple[list, list]] = []
    lock = threading.Lock()

    def citizen(n: int) -> None:
        repository = BookingRepository(path, CPH)
        desk = BookingDesk(repository, config, clock=lambda: NOW)
        knowledge = KnowledgeRepository.open(knowledge_path, "Ballerup")
        tracker = build_tracker(
            slots={**FILLED, "booking_confirm": "ja", "booking_phone": f"2{n:07d}"}
        )
        dispatcher = CollectingDispatcher()
        barrier.wait()
        events = asyncio.run(
            ActionBookAppointment(desk, knowledge).run(dispatcher, tracker, DOMAIN)
        )
        repository.close()
        with lock:
            results.append((responses(dispatcher), events))

    threads = [threading.Thread(target=citizen, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    replies = [r for r, _ in results]
    assert len(replies) == 50  # nobody was left without an answer
    assert replies.count(["utter_booking_confirmed_fronten"]) == 1
    assert replies.count(["utter_booking_slot_taken"]) == 49
    losers = [e for r, e in results if r == ["utter_booking_slot_taken"]]
    assert all(FollowupAction("booking_form") in e for e in losers)
    assert len(BookingRepository(path, CPH).upcoming(NOW)) == 1


@pytest.mark.parametrize("slot", ["booking_topic", "booking_name"])
@pytest.mark.parametrize("text", ["hvad koster bostøtte?", '/ask_cost{"service":"bostoette"}'])
async def test_question_is_not_taken_as_topic_or_name(validator, make_tracker, slot, text):
    result = await validate(
        validator, slot, text, make_tracker, intent="ask_cost", entities={"service": "bostoette"}
    )
    assert result[slot] is None and result["service"] == "bostoette"
    assert validate.responses == ["utter_answer"]


# --- questions inside the form -----------------------------------------------------------


@pytest.mark.parametrize(
    ("slot", "text"),
    [
        ("booking_date", "hvor lang tid tager det at få svar på en ansøgning om bostøtte?"),
        ("booking_date", "hvad koster det egentlig"),
        ("booking_meeting", "hvem kan få BPA?"),
        ("booking_phone", "kan jeg klage over en afgørelse om bostøtte?"),
    ],
)
async def test_a_question_in_the_form_is_answered_not_refused(
    validator, make_tracker, slot, text
) -> None:
    result = await validate(validator, slot, text, make_tracker, intent="nlu_fallback")
    assert result[slot] is None and result["form_questions"] == 1.0
    assert "utter_booking_date_invalid" not in validate.responses
    assert validate.responses[-1] in (
        "utter_answer",
        "utter_choose_fact",
        "utter_choose_service",
        "utter_ask_service",
    )


@pytest.mark.parametrize("text", ["blabla", "den 45. brumbasse", "kl. 99"])
async def test_an_unreadable_day_is_still_explained(validator, make_tracker, text) -> None:
    result = await validate(validator, "booking_date", text, make_tracker, intent="nlu_fallback")
    assert result == {"booking_date": None}
    assert validate.responses == ["utter_booking_date_invalid"]


async def test_the_second_question_offers_to_leave_the_form(validator, make_tracker) -> None:
    result = await cost_question_for_the_date(
        validator, make_tracker, "hvad koster bostøtte?", form_questions=1.0
    )
    assert result["form_questions"] == 2.0
    assert validate.responses == ["utter_answer", "utter_offer_leave_form"]


async def test_continue_after_the_offer_asks_the_question_again(validator, make_tracker) -> None:
    result = await validate(validator, "booking_date", "fortsæt", make_tracker, intent="affirm")
    assert result == {"booking_date": None} and validate.responses == []
