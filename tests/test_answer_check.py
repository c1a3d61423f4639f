"""The grader of `make answer-check`: how a situation's expected services are matched."""

from __future__ import annotations

import pytest

from bot.quality.answer_check import (
    ABSTAINED,
    RIGHT,
    WRONG_WITH_SOURCE,
    Catalogue,
    Reply,
    grade,
)

CATALOGUE = Catalogue(
    document_by_title={"Gladsaxe Kommunes katalog": "004.txt"},
    paragraphs_by_service={"toejvask": ("85",), "egenomsorg": ("85",), "bpa": ("96",)},
    titles_by_service={
        "toejvask": frozenset({"Støtte og træning i tøjvask"}),
        "egenomsorg": frozenset({"Træning i egenomsorg"}),
    },
)


def _answer_about(service: str) -> Reply:
    text = "Du lærer at vaske tøj.\nKilde: Gladsaxe Kommunes katalog, afsnittet »Formål«."
    return Reply([{"text": text, "response": "utter_fact"}], None, service)


@pytest.mark.parametrize(
    ("expected", "service", "outcome"),
    [
        (["Støtte og træning i tøjvask"], "toejvask", RIGHT),
        (["Støtte og træning i tøjvask"], "egenomsorg", WRONG_WITH_SOURCE),
        (["85"], "egenomsorg", RIGHT),  # a § label fits every service under it
        (["96"], "toejvask", WRONG_WITH_SOURCE),
    ],
)
def test_a_situation_may_name_a_service_by_its_title(expected, service, outcome) -> None:
    turn = {"expect": {"services": expected}}
    assert grade(turn, _answer_about(service), CATALOGUE)[0] == outcome


def test_a_choice_of_services_is_matched_by_title_too() -> None:
    buttons = [
        {"payload": '/choose_service{"service":"egenomsorg"}'},
        {"payload": '/choose_service{"service":"toejvask"}'},
    ]
    reply = Reply([{"text": "Hvilken mener du?", "buttons": buttons}], None, None)
    assert grade({"expect": {"services": ["Træning i egenomsorg"]}}, reply, CATALOGUE)[0] == RIGHT
    lone = {"expect": {"services": ["Støtte til ind- og udflytning"]}}
    assert grade(lone, reply, CATALOGUE)[0] == ABSTAINED
