"""The answer action with tracker fixtures: assert on events, response names and buttons."""

from __future__ import annotations

import json

import pytest
from rasa_sdk.events import SlotSet

from bot.actions.knowledge import ActionAnswerQuestion
from bot.knowledge import KnowledgeRepository, answering
from tests.conftest import responses


async def run(action, dispatcher, tracker):
    return await action.run(dispatcher, tracker, domain={})


def payload(button: dict) -> tuple[str, dict]:
    intent, entities = button["payload"][1:].split("{", 1)
    return intent, json.loads("{" + entities)


async def test_answers_with_source(repository, dispatcher, make_tracker) -> None:
    tracker = make_tracker("hvad koster bostøtte", "ask_cost")
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert events == [
        SlotSet("service", "bostoette"),
        SlotSet("topic", "cost"),
        SlotSet("last_question", "hvad koster bostøtte"),
        SlotSet("offered_services", None),
    ]
    [message] = dispatcher.messages
    assert message["response"] == "utter_answer"
    assert message["answer"] == "Bostøtte er gratis."
    assert message["source"] == "Ny kvalitetsstandard"
    assert message["section"] == "Hvad koster indsatsen?"


@pytest.mark.parametrize(
    "text", ["hvad koster bostotten", "hvad koster bostøten", "hvad koster BOSTØTTE?"]
)
async def test_service_names_as_citizens_write_them(repository, dispatcher, make_tracker, text):
    events = await run(ActionAnswerQuestion(repository), dispatcher, make_tracker(text, "ask_cost"))
    assert SlotSet("service", "bostoette") in events
    assert dispatcher.messages[0]["answer"] == "Bostøtte er gratis."


async def test_follow_up_keeps_the_service(repository, dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        "og hvordan klager jeg?", "ask_complaint", slots={"service": "bostoette"}
    )
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert SlotSet("service", "bostoette") in events
    assert dispatcher.messages[0]["answer"] == "Du kan klage inden for fire uger."


async def test_no_right_of_complaint_for_preventive_offers(repository, dispatcher, make_tracker):
    tracker = make_tracker("kan jeg klage over et forebyggende tilbud?", "ask_complaint")
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert "ikke klage" in dispatcher.messages[0]["answer"]


async def test_two_fitting_services_get_a_short_choice(
    repository, dispatcher, make_tracker, monkeypatch
):
    # Both services answer the question in the same words, and nothing in it points to one.
    monkeypatch.setattr(answering, "SERVICE_WEIGHT", 0.0)
    tracker = make_tracker("kan jeg klage over en afgørelse?", "ask_complaint")
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_choose_service"]
    # The choice also says whom to call.
    assert dispatcher.messages[0]["contact_phone"] == "44 77 34 43"
    buttons = dispatcher.messages[0]["buttons"]
    assert sorted(payload(b)[1]["service"] for b in buttons) == ["bostoette", "forebyggende"]
    # The buttons ask the same kind of question about the service chosen.
    assert {payload(b)[0] for b in buttons} == {"ask_complaint"}
    assert SlotSet("last_question", "kan jeg klage over en afgørelse?") in events
    # The kind asked is kept, for a service typed instead of chosen ("klage", "bostøtte").
    assert SlotSet("topic", "complaint") in events


async def test_a_chosen_service_answers_the_question_being_clarified(
    repository, dispatcher, make_tracker
) -> None:
    tracker = make_tracker(
        '/inform_service{"service":"forebyggende"}',
        "inform_service",
        {"service": "forebyggende"},
        {"last_question": "hvordan klager jeg"},
    )
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert "ikke klage" in dispatcher.messages[0]["answer"]
    assert SlotSet("service", "forebyggende") in events


@pytest.mark.parametrize("text", ["og bostøtte?", "hvad med bostøtte så?", "og § 85?", "og 85?"])
async def test_naming_another_service_repeats_the_last_question(
    repository, dispatcher, make_tracker, text
):
    tracker = make_tracker(
        text,
        "inform_service",
        slots={
            "service": "forebyggende",
            "topic": "complaint",
            "last_question": "kan jeg klage over forløbet?",
        },
    )
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert dispatcher.messages[0]["answer"] == "Du kan klage inden for fire uger."
    assert SlotSet("service", "bostoette") in events


async def test_naming_a_service_alone_gives_the_overview(repository, dispatcher, make_tracker):
    events = await run(
        ActionAnswerQuestion(repository), dispatcher, make_tracker("bostøtte", "inform_service")
    )
    assert SlotSet("topic", "overview") in events
    assert "hverdagen" in dispatcher.messages[0]["answer"]


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("klage § 85", "bostoette"),
        ("klage paragraf 85", "bostoette"),
        ("kan man klage over 85'eren", "bostoette"),
        ("klage §82 a", "forebyggende"),
        ("klage over 82b", "forebyggende"),
    ],
)
async def test_paragraph_resolves_to_service(repository, dispatcher, make_tracker, text, service):
    events = await run(
        ActionAnswerQuestion(repository), dispatcher, make_tracker(text, "ask_complaint")
    )
    assert SlotSet("service", service) in events
    assert responses(dispatcher) == ["utter_answer"]


async def test_unknown_paragraph_is_said_and_not_guessed(repository, dispatcher, make_tracker):
    tracker = make_tracker("hvad koster § 999", "ask_cost", slots={"service": "bostoette"})
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_unknown_paragraph", "utter_not_in_standards"]
    assert dispatcher.messages[0]["paragraph"] == "§ 999"


async def test_never_a_fact_of_another_service_than_the_one_named(
    repository, dispatcher, make_tracker
) -> None:
    # Forebyggende tilbud has no cost fact; bostøtte's must not stand in for it.
    tracker = make_tracker("hvad koster et forebyggende tilbud?", "ask_cost")
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    [message] = dispatcher.messages
    assert message["response"] == "utter_no_fact"
    assert message["service"] == "Forebyggende tilbud"
    assert (message["contact_name"], message["contact_phone"]) == ("Fronten", "44 77 34 43")


async def test_what_the_standards_do_not_say_is_said_plainly(repository, dispatcher, make_tracker):
    tracker = make_tracker("hvornår har I åbent?", "ask_contact", slots={"service": "bostoette"})
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    [message] = dispatcher.messages
    assert message["response"] == "utter_not_in_standards"
    assert message["contact_phone"] == "44 77 34 43"


async def test_unsure_offers_the_best_facts_titled_by_their_question(
    repository, dispatcher, make_tracker, monkeypatch
) -> None:
    monkeypatch.setattr(answering, "NAMED_ANSWER_SCORE", 2.0)  # nothing is clearly right
    tracker = make_tracker("hvad koster bostøtte", "nlu_fallback")
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    [message] = dispatcher.messages
    assert message["response"] == "utter_choose_fact"
    assert message["buttons"][0]["title"] == "Hvad koster bostøtte?"
    assert payload(message["buttons"][0]) == ("inform_service", {"fact": "bostoette.cost"})
    assert 1 <= len(message["buttons"]) <= 3


async def test_a_chosen_fact_is_answered(repository, dispatcher, make_tracker) -> None:
    tracker = make_tracker(
        '/inform_service{"fact":"bostoette.follow_up"}',
        "inform_service",
        {"fact": "bostoette.follow_up"},
    )
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert dispatcher.messages[0]["answer"] == "Der følges op mindst hver 6. måned."
    assert SlotSet("service", "bostoette") in events


async def test_other_municipality(fixture_db, dispatcher, make_tracker) -> None:
    gladsaxe = KnowledgeRepository(fixture_db, "Gladsaxe")
    await run(
        ActionAnswerQuestion(gladsaxe), dispatcher, make_tracker("hvad koster § 85", "ask_cost")
    )
    assert dispatcher.messages[0]["answer"] == "Du betaler selv dine varer."
    dispatcher.messages.clear()
    tracker = make_tracker("hvordan klager jeg over § 85", "ask_complaint")
    await run(ActionAnswerQuestion(gladsaxe), dispatcher, tracker)
    # Gladsaxe's only fact is about cost: never given as an answer about complaints.
    assert responses(dispatcher) == ["utter_no_fact_no_contact"]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
async def test_blank_message_is_asked_to_write_again(repository, dispatcher, make_tracker, text):
    await run(ActionAnswerQuestion(repository), dispatcher, make_tracker(text, "nlu_fallback"))
    assert responses(dispatcher) == ["utter_empty_message"]


@pytest.mark.parametrize(
    "text", ["😀🙈", '" * ( ) AND NEAR', "<script>alert(1)</script>", "x" * 10_000]
)
async def test_nonsense_gets_the_phone_number_not_a_guess(
    repository, dispatcher, make_tracker, text
):
    await run(ActionAnswerQuestion(repository), dispatcher, make_tracker(text, "nlu_fallback"))
    [message] = dispatcher.messages
    assert message["response"] == "utter_not_in_standards"
    assert message["contact_phone"] == "44 77 34 43"


async def test_contact_details_unless_a_service_is_named(repository, dispatcher, make_tracker):
    await run(ActionAnswerQuestion(repository), dispatcher, make_tracker("tlf nr?", "ask_contact"))
    assert responses(dispatcher) == ["utter_contact"]
    dispatcher.messages.clear()
    # The classifier's guess of a contact question does not hide a named service's fact.
    tracker = make_tracker("hvad koster bostøtte?", "ask_contact")
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_answer"]


@pytest.mark.parametrize(("confidence", "contact"), [(0.5, False), (0.95, True)])
async def test_only_a_sure_contact_intent_gets_the_contact_details(
    repository, dispatcher, make_tracker, confidence, contact
) -> None:
    tracker = make_tracker("tlf nr?", "ask_contact", confidence=confidence)
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert ("utter_contact" in responses(dispatcher)) == contact


async def test_a_fact_that_clearly_answers_wins_over_a_sure_contact_intent(
    repository, dispatcher, make_tracker
) -> None:
    # "hvor tit følger I op?" about bostøtte, read as asking for Fronten's contact details.
    tracker = make_tracker(
        "hvor tit følger I op?", "ask_contact", slots={"service": "bostoette"}, confidence=0.95
    )
    await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_answer"]


async def test_a_contact_point_found_by_the_ranker_gets_its_details(
    real_repository, dispatcher, make_tracker
) -> None:
    # The classifier was unsure; the contact's own questions match.
    tracker = make_tracker("og adressen?", "nlu_fallback", confidence=0.3)
    await run(ActionAnswerQuestion(real_repository), dispatcher, tracker)
    assert responses(dispatcher) == ["utter_contact"]
    assert dispatcher.messages[0]["contact_address"] == "Parkvej 10, 2750 Ballerup"


async def test_a_choice_of_services_is_remembered_for_the_next_question(
    repository, dispatcher, make_tracker
) -> None:
    tracker = make_tracker("noget helt andet: hvordan klager jeg?", "ask_complaint")
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    [offered] = [e["value"] for e in events if e["name"] == "offered_services"]
    assert sorted(offered) == ["bostoette", "forebyggende"]
    assert dispatcher.messages[0]["response"] == "utter_choose_service"


async def test_a_question_after_an_ignored_choice_stays_among_the_services_offered(
    repository, dispatcher, make_tracker
) -> None:
    tracker = make_tracker(
        "hvordan klager jeg?", "ask_complaint", slots={"offered_services": ["forebyggende"]}
    )
    events = await run(ActionAnswerQuestion(repository), dispatcher, tracker)
    assert SlotSet("service", "forebyggende") in events
    assert dispatcher.messages[0]["response"] == "utter_assumed_service"
