"""Handover actions fill their responses from the knowledge base."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from bot.actions.handover import ActionContactFronten, ActionHandover
from bot.knowledge import KnowledgeRepository
from tests.conftest import responses


@pytest.mark.parametrize(
    ("action", "response", "phone"),
    [
        (ActionContactFronten, "utter_contact", "44 77 34 43"),
        (ActionHandover, "utter_handover", "44 77 34 43"),
    ],
)
async def test_contact_responses(repository, dispatcher, make_tracker, action, response, phone):
    assert await action(repository).run(dispatcher, make_tracker("hej"), {}) == []
    [message] = dispatcher.messages
    assert message["response"] == response
    assert message["contact_phone"] == phone
    assert message["source"] and message["section"]


@pytest.mark.parametrize("action", [ActionContactFronten, ActionHandover])
async def test_without_a_contact(fixture_db, dispatcher, make_tracker, action) -> None:
    gladsaxe = KnowledgeRepository(fixture_db, "Gladsaxe")
    await action(gladsaxe).run(dispatcher, make_tracker("hej"), {})
    assert responses(dispatcher)[0].endswith("_no_contact")


async def test_a_question_mistaken_for_a_request_for_a_person_is_answered(
    repository, dispatcher, make_tracker
) -> None:
    # "Hvor tit følger medarbejderen op?" can read as asking for a person.
    tracker = make_tracker(
        "hvor tit følger I op på min bostøtte?", "human_handover", confidence=0.88
    )
    events = await ActionHandover(repository).run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_answer"]
    assert SlotSet("service", "bostoette") in events


@pytest.mark.parametrize(
    ("text", "confidence"),
    [
        ("hvor tit følger I op på min bostøtte? jeg vil tale med en medarbejder", 0.99),
        ("jeg vil tale med et menneske", 0.6),
    ],
)
async def test_a_clear_request_or_no_clear_answer_is_handed_over(
    repository, dispatcher, make_tracker, text, confidence
) -> None:
    tracker = make_tracker(text, "human_handover", confidence=confidence)
    assert await ActionHandover(repository).run(dispatcher, tracker, {}) == []
    assert responses(dispatcher) == ["utter_handover"]


async def test_the_contact_details_first_say_what_the_place_is(
    real_repository, dispatcher, make_tracker
) -> None:
    await ActionContactFronten(real_repository).run(dispatcher, make_tracker("hej"), {})
    [message] = dispatcher.messages
    assert message["contact_about"].startswith("Fronten er Ballerup Kommunes indgang")


async def test_a_contact_without_a_description_says_only_how_to_reach_it(
    repository, dispatcher, make_tracker
) -> None:
    await ActionContactFronten(repository).run(dispatcher, make_tracker("hej"), {})
    assert dispatcher.messages[0]["contact_about"] == ""
