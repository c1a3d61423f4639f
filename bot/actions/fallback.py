"""Rasa's own fallback, with the contact point's phone number from the knowledge base."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.handover import _ContactAction


class ActionDefaultFallback(_ContactAction):
    """Says the assistant did not understand, and whom to call.

    Replaces Rasa's built-in action of the same name (listed under the domain's actions),
    which can only fill a response from slots: the phone number would otherwise have to be
    written into ``utter_default`` itself. When the action server is down, the channel
    guard's message (``utter_guard_technical_problem``) still gives the number.
    """

    response = "utter_default"

    def name(self) -> str:
        """Action name: the one RulePolicy's core fallback calls."""
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Utters ``utter_default``; like Rasa's own, forgets the turn it could not follow."""
        await super().run(dispatcher, tracker, domain)
        return [UserUtteranceReverted()]
