"""Handover actions fill their responses from the knowledge base."""

from __future__ import annotations

import pytest

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
