"""Knowledge actions with tracker fixtures: assert on events and response names."""

from __future__ import annotations

import json

import pytest
from rasa_sdk.events import SlotSet

from bot.actions.knowledge import ActionAnswerQuestion, ActionSearchFallback
from bot.knowledge import KnowledgeRepository
from tests.conftest import responses


async def run(action, dispatcher, tracker):
    return await action.run(dispatcher, tracker, domain={})


async def test_answers_with_source(repository, dispatcher, make_tracker) -> None:
    tracker = make_tracker("hvad koster bostøtte", "ask_cost", {"service": "bostoette"})
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert events == [SlotSet("topic", "cost"), SlotSet("service", "bostoette")]
    [message] = dispatcher.messages
    assert message["response"] == "utter_answer"
    assert message["answer"] == "Bostøtte er gratis."
    assert message["source"] == "Ny kvalitetsstandard"
    assert message["section"] == "Hvad koster indsatsen?"


async def test_follow_up_reuses_the_service(repository, dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "og hvordan klager jeg?", "ask_complaint", slots={"service": "bostoette"}
    )
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert SlotSet("service", "bostoette") in events
    assert dispatcher.messages[0]["answer"] == "Du kan klage inden for fire uger."


async def test_no_right_of_complaint_for_preventive_offers(repository, dispatcher, make_tracker):
    tracker = make_tracker("kan jeg klage", "ask_complaint", {"service": "forebyggende"})
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert "ikke klage" in dispatcher.messages[0]["answer"]


async def test_missing_service_asks_with_buttons(repository, dispatcher, make_tracker) -> None:
    tracker = make_tracker("hvad koster det", "ask_cost")
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_ask_service"]
    assert events == [SlotSet("topic", "cost"), SlotSet("service", None)]
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["title"] for b in buttons] == ["Forebyggende tilbud", "Bostøtte"]
    intent, entities = buttons[1]["payload"][1:].split("{", 1)
    assert intent == "ask_cost"
    assert json.loads("{" + entities) == {"service": "bostoette", "topic": "cost"}


async def test_naming_a_service_repeats_the_last_question(repository, dispatcher, make_tracker):
    tracker = make_tracker(
        "og bostøtte?", "inform_service", {"service": "bostoette"}, {"topic": "cost"}
    )
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert dispatcher.messages[0]["answer"] == "Bostøtte er gratis."


async def test_naming_a_service_alone_gives_the_overview(repository, dispatcher, make_tracker):
    tracker = make_tracker("bostøtte", "inform_service", {"service": "bostoette"})
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert SlotSet("topic", "overview") in events
    assert "hverdagen" in dispatcher.messages[0]["answer"]


@pytest.mark.parametrize(
    ("paragraph", "service"), [("§ 85", "bostoette"), ("§82 a", "forebyggende")]
)
async def test_paragraph_resolves_to_service(
    repository, dispatcher, make_tracker, paragraph, service
):
    tracker = make_tracker(f"klage {paragraph}", "ask_complaint", {"paragraph": paragraph})
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert SlotSet("service", service) in events


async def test_unknown_paragraph_is_said_and_not_guessed(repository, dispatcher, make_tracker):
    tracker = make_tracker(
        "hvad koster § 999", "ask_cost", {"paragraph": "§ 999"}, slots={"service": "bostoette"}
    )
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_unknown_paragraph", "utter_ask_service"]
    assert dispatcher.messages[0]["paragraph"] == "§ 999"
    assert SlotSet("service", None) in events


async def test_unknown_service_value_asks_again(repository, dispatcher, make_tracker):
    tracker = make_tracker("pris", "ask_cost", {"service": "hundepasning"})
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_ask_service"]


async def test_missing_fact_is_not_invented(repository, dispatcher, make_tracker) -> None:
    tracker = make_tracker("hvad koster det", "ask_cost", {"service": "forebyggende"})
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    [message] = dispatcher.messages
    assert message["response"] == "utter_no_fact"
    assert (message["contact_name"], message["contact_phone"]) == ("Fronten", "44 77 34 43")
    assert message["topic"] == "Hvad koster det?"


async def test_other_municipality(fixture_db, dispatcher, make_tracker) -> None:
    gladsaxe = KnowledgeRepository(fixture_db, "Gladsaxe")
    tracker = make_tracker("hvad koster § 85", "ask_cost", {"paragraph": "§ 85"})
    await run(ActionAnswerQuestion(gladsaxe), dispatcher, tracker)
    assert dispatcher.messages[0]["answer"] == "Du betaler selv dine varer."
    dispatcher.messages.clear()
    tracker = make_tracker("hvordan klager jeg", "ask_complaint", {"paragraph": "§ 85"})
    await run(ActionAnswerQuestion(gladsaxe), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_no_fact_no_contact"]


async def test_fallback_offers_search_hits(repository, dispatcher, make_tracker) -> None:
    tracker = make_tracker("er det gratis", "nlu_fallback")
    assert await run(ActionSearchFallback(repository), dispatcher, tracker) == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_search_results"
    assert message["buttons"][0]["title"] == "Bostøtte: Hvad koster det?"
    assert message["buttons"][0]["payload"].startswith("/ask_cost{")


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
async def test_blank_message_is_asked_to_write_again(repository, dispatcher, make_tracker, text):
    await run(ActionSearchFallback(repository), dispatcher, make_tracker(text, "nlu_fallback"))
    assert responses(dispatcher) == ["utter_empty_message"]


@pytest.mark.parametrize(
    "text", ["😀🙈", '" * ( ) AND NEAR', "<script>alert(1)</script>", "x" * 10_000]
)
async def test_fallback_without_hits_says_what_it_can_do(
    repository, dispatcher, make_tracker, text
):
    await run(ActionSearchFallback(repository), dispatcher, make_tracker(text, "nlu_fallback"))
    [message] = dispatcher.messages
    assert message["response"] == "utter_cannot_help"
    assert message["contact_phone"] == "44 77 20 00"
