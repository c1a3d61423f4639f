"""Answers from the knowledge base: one kind of question about one service."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import KnowledgeAction, intent_payload, topic_intent
from bot.insights import InsightsRepository, shared_insights
from bot.knowledge import KnowledgeRepository, ServiceInfo

logger = logging.getLogger(__name__)

ASK_PREFIX = "ask_"
DEFAULT_TOPIC = "overview"


class ActionAnswerQuestion(KnowledgeAction):
    """Answers the latest question from the knowledge base and names the source.

    The kind of question comes from the intent (``ask_cost`` asks about ``cost``). The
    service comes from the message, or else from the conversation so far, so that
    "og hvad koster det?" is about the service already under discussion. Without a service
    the assistant asks which one, with buttons.
    """

    def name(self) -> str:
        """Action name."""
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Answers, or asks which service the question is about."""
        return self.answer(dispatcher, tracker)

    def answer(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        default_service: Optional[str] = None,
    ) -> List[Dict[str, Any]]:
        """Answers the latest message; also used for questions asked during a booking.

        Args:
            dispatcher: Collects the answer.
            tracker: The conversation.
            default_service: The service to assume when neither the message nor the
                conversation names one, e.g. the topic of the appointment being booked.

        Returns:
            Events that remember the topic and service for follow-up questions.

        """
        topic = self._topic(tracker)
        service, unknown = self._service(tracker)
        if service is None and default_service and not unknown:
            service = self.repository.service(default_service)
        if unknown:
            dispatcher.utter_message(response="utter_unknown_paragraph", paragraph=unknown)
        if service is None:
            self._ask_for_service(dispatcher, topic)
            return [SlotSet("topic", topic), SlotSet("service", None)]

        answers = self.repository.answers(service.id, topic)
        if not answers:
            self._no_fact(dispatcher, service, topic)
        for answer in answers:
            dispatcher.utter_message(
                response="utter_answer",
                answer=answer.text,
                source=answer.document_title,
                section=answer.section,
            )
        return [SlotSet("topic", topic), SlotSet("service", service.id)]

    def _topic(self, tracker: Tracker) -> str:
        intent = tracker.latest_message.get("intent", {}).get("name") or ""
        if intent.startswith(ASK_PREFIX):
            return intent[len(ASK_PREFIX) :]
        mentioned = next(tracker.get_latest_entity_values("topic"), None)
        if mentioned and self.repository.topic_label(mentioned):
            return mentioned
        # "Og hvad med BPA?" asks the last question again, about another service.
        return tracker.get_slot("topic") or DEFAULT_TOPIC

    def _service(self, tracker: Tracker) -> tuple[Optional[ServiceInfo], Optional[str]]:
        """The service the question is about, and a paragraph the municipality lacks."""
        named = next(tracker.get_latest_entity_values("service"), None)
        if named:
            return self.repository.service(named), None
        paragraph = next(tracker.get_latest_entity_values("paragraph"), None)
        if paragraph:
            service = self.repository.service_by_paragraph(paragraph)
            return service, (None if service else paragraph)
        current = tracker.get_slot("service")
        return (self.repository.service(current) if current else None), None

    def _ask_for_service(self, dispatcher: CollectingDispatcher, topic: str) -> None:
        intent = topic_intent(topic)
        buttons = [
            {"title": s.name, "payload": intent_payload(intent, service=s.id, topic=topic)}
            for s in self.repository.services()
        ]
        dispatcher.utter_message(response="utter_ask_service", buttons=buttons)

    def _no_fact(self, dispatcher: CollectingDispatcher, service: ServiceInfo, topic: str) -> None:
        label = self.repository.topic_label(topic) or topic
        contact = self.repository.contact("fronten") or self.repository.contact("general")
        if contact is None:
            dispatcher.utter_message(
                response="utter_no_fact_no_contact", service=service.name, topic=label
            )
            return
        dispatcher.utter_message(
            response="utter_no_fact",
            service=service.name,
            topic=label,
            contact_name=contact.name,
            contact_phone=contact.phone,
        )


class ActionSearchFallback(KnowledgeAction):
    """When the assistant is unsure: search the knowledge base and offer the best topics.

    It never guesses an answer. With no match it says what it can help with and where to
    call instead. Every such message is kept for staff, so they see what citizens miss.

    Args:
        repository: See :class:`KnowledgeAction`.
        insights: Where missed questions are kept; default the process-wide repository
            from ``INSIGHTS_DB``, opened on first use.

    """

    def __init__(
        self,
        repository: Optional[KnowledgeRepository] = None,
        insights: Optional[InsightsRepository] = None,
    ) -> None:
        super().__init__(repository)
        self._insights = insights

    def name(self) -> str:
        """Action name."""
        return "action_search_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Offers search hits as buttons, or says it cannot help."""
        text = tracker.latest_message.get("text") or ""
        if not text.strip():
            dispatcher.utter_message(response="utter_empty_message")
            return []
        hits = self.repository.search(text, limit=3)
        self._remember(text, len(hits))
        if hits:
            buttons = [
                {
                    "title": f"{hit.service_name}: {hit.topic_label}",
                    "payload": intent_payload(
                        topic_intent(hit.topic), service=hit.service_id, topic=hit.topic
                    ),
                }
                for hit in hits
            ]
            dispatcher.utter_message(response="utter_search_results", buttons=buttons)
            return []
        contact = self.repository.contact("general") or self.repository.contact("fronten")
        if contact is None:
            dispatcher.utter_message(response="utter_cannot_help_no_contact")
        else:
            dispatcher.utter_message(
                response="utter_cannot_help",
                contact_name=contact.name,
                contact_phone=contact.phone,
            )
        return []

    def _remember(self, text: str, suggestions: int) -> None:
        # Staff insight must never cost the citizen an answer: a storage error is only logged.
        try:
            (self._insights or shared_insights()).record_unanswered(text, suggestions)
        except Exception:
            logger.exception("Could not store a missed question")
