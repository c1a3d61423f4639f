"""Handing the citizen over to people: Fronten's contact details."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import KnowledgeAction


class _ContactAction(KnowledgeAction):
    """Utters a response filled with one contact point's details and source."""

    contact_id = "fronten"
    response = ""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Utters the response, or a plain one when the municipality has no such contact."""
        # SQLite off the event loop, so one slow read never stalls other conversations.
        await asyncio.to_thread(self.contact_message, dispatcher)
        return []

    def contact_message(
        self, dispatcher: CollectingDispatcher, contact_id: str | None = None
    ) -> None:
        """Sends the contact response; also used for questions asked during a booking.

        Args:
            dispatcher: Collects the response.
            contact_id: Another contact point than the action's own.
        """
        contact = self.repository.contact(contact_id or self.contact_id)
        if contact is None:
            dispatcher.utter_message(response=f"{self.response}_no_contact")
            return
        dispatcher.utter_message(
            response=self.response,
            contact_name=contact.name,
            contact_address=contact.address,
            contact_phone=contact.phone,
            contact_email=contact.email,
            # What the place is, before how to reach it; a space only when there is one.
            contact_about=f"{contact.about} " if contact.about else "",
            source=contact.document_title,
            section=contact.section,
        )


class ActionContactFronten(_ContactAction):
    """Gives Fronten's address, phone number and e-mail."""

    response = "utter_contact"

    def name(self) -> str:
        """Action name."""
        return "action_contact_fronten"


# Below this the handover intent is often a question about staff ("Handler medarbejderen ind
# for mig?" got 0.88), which is answered when the knowledge base answers it clearly.
HANDOVER_CONFIDENCE = 0.95


class ActionHandover(_ContactAction):
    """The citizen wants a person: say how to reach Fronten's staff."""

    response = "utter_handover"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Answers a question mistaken for a request for a person; else hands over."""
        confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 0)
        if confidence < HANDOVER_CONFIDENCE:
            # Imported here: the answer action itself uses ActionContactFronten.
            from bot.actions.knowledge import ActionAnswerQuestion

            answering = ActionAnswerQuestion(self._repository)
            events = await asyncio.to_thread(answering.answer_if_clear, dispatcher, tracker)
            if events is not None:
                return events
        return await super().run(dispatcher, tracker, domain)

    def name(self) -> str:
        """Action name."""
        return "action_handover"
