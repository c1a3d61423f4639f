"""Answers from the knowledge base: the fact that best answers the citizen's question."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import KnowledgeAction, intent_payload
from bot.actions.handover import ActionContactFronten
from bot.insights import InsightsRepository, shared_insights
from bot.knowledge import KnowledgeRepository
from bot.knowledge.answering import (
    ANSWER,
    CHOOSE_FACT,
    CHOOSE_SERVICE,
    CONTACT,
    CONTACT_PREFIX,
    NO_FACT,
    NOT_IN_STANDARDS,
    Context,
    Decision,
)

logger = logging.getLogger(__name__)

PAYLOAD_PREFIX = "/"
ASK_PREFIX = "ask_"
CONTACT_INTENT = "ask_contact"
# Below this the contact intent is often a question that merely names Fronten ("skal jeg
# visiteres før jeg kan komme i Fronten?"), which the facts answer.
CONTACT_CONFIDENCE = 0.8


class ActionAnswerQuestion(KnowledgeAction):
    """Answers the latest question from the knowledge base and names the source.

    The :class:`~bot.knowledge.answering.Answerer` ranks every fact of the municipality
    against the message, with the service named (or under discussion) and the intent as
    evidence, and decides: one short answer (or two that belong together), a choice of two
    or three services or facts, or a plain "the standards do not say". This action turns
    the decision into responses and remembers the service and the question, so that
    "og hvad koster det?" and "og 108?" are follow-ups.

    Args:
        repository: See :class:`KnowledgeAction`.
        insights: Where questions without an answer are kept for staff; default the
            process-wide repository from ``INSIGHTS_DB``, opened on first use.

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
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Answers, offers a short choice, or says the standards do not say."""
        return await asyncio.to_thread(self.answer, dispatcher, tracker)

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
            Events that remember the service and the question for follow-ups.

        """
        text = (tracker.latest_message.get("text") or "").strip()
        if not text:
            dispatcher.utter_message(response="utter_empty_message")
            return []
        parsed_intent = tracker.latest_message.get("intent") or {}
        intent = parsed_intent.get("name")
        answerer = self.repository.answerer()
        decision = answerer.decide(
            "" if text.startswith(PAYLOAD_PREFIX) else text,
            self.context(tracker, text, default_service),
        )
        known_gap = decision.kind == NOT_IN_STANDARDS and decision.facts
        sure_of_contact = float(parsed_intent.get("confidence") or 0.0) >= CONTACT_CONFIDENCE
        if (
            intent == CONTACT_INTENT
            and sure_of_contact
            and not known_gap
            and decision.kind != ANSWER
            and not answerer.named_services(text)
        ):
            # "hvad er Frontens telefonnummer?" gets the contact details; "hvilke faser er der
            # i en støttekontaktperson-ordning?" names a service and is answered from its
            # facts, and "hvornår har I åbent?" is a known gap in the standards. A fact that
            # clearly answers wins too: "skal man visiteres til Fronten?" asks no address
            # (2 fewer wrong answers with a source on development set 5).
            ActionContactFronten(self.repository).contact_message(dispatcher)
            return []
        self.say(dispatcher, decision, intent)
        if decision.kind not in (ANSWER, CONTACT):
            offered = {CHOOSE_FACT: len(decision.facts), CHOOSE_SERVICE: len(decision.services)}
            self._remember(text, offered.get(decision.kind, 0))
        return self._remembered(decision)

    def answer_if_clear(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[List[Dict[str, Any]]]:
        """Answers only when one fact (or two) clearly answers the latest message.

        Used where the intent was some other request that a question can be mistaken for
        ("Handler medarbejderen ind for mig?" read as asking for a person).

        Returns:
            The answer's events, or None when nothing was said.
        """
        text = (tracker.latest_message.get("text") or "").strip()
        if not text or text.startswith(PAYLOAD_PREFIX):
            return None
        decision = self.repository.answerer().decide(text, self.context(tracker, text, None))
        if decision.kind != ANSWER:
            return None
        self.say(dispatcher, decision)
        return self._remembered(decision)

    @staticmethod
    def _remembered(decision: Decision) -> List[Dict[str, Any]]:
        topic = decision.facts[0].topic if decision.kind == ANSWER else decision.topic
        offered = list(decision.services) if decision.kind == CHOOSE_SERVICE else []
        return [
            SlotSet("service", decision.service),
            SlotSet("topic", topic),
            SlotSet("last_question", decision.question),
            SlotSet("offered_services", offered or None),
        ]

    @staticmethod
    def context(tracker: Tracker, text: str, default_service: Optional[str]) -> Context:
        """What the conversation says about the latest message."""
        intent = tracker.latest_message.get("intent") or {}
        payload = text.startswith(PAYLOAD_PREFIX)
        return Context(
            service=tracker.get_slot("service"),
            last_question=tracker.get_slot("last_question"),
            intent=intent.get("name"),
            intent_confidence=float(intent.get("confidence") or 0.0),
            chosen_service=(
                next(tracker.get_latest_entity_values("service"), None) if payload else None
            ),
            chosen_fact=next(tracker.get_latest_entity_values("fact"), None) if payload else None,
            default_service=default_service,
            last_topic=tracker.get_slot("topic"),
            offered_services=tuple(tracker.get_slot("offered_services") or ()),
        )

    def say(
        self, dispatcher: CollectingDispatcher, decision: Decision, intent: Optional[str] = None
    ) -> None:
        """Sends the responses for a decision.

        Args:
            dispatcher: Collects the responses.
            decision: What to say.
            intent: The message's intent; a service button repeats it, so that the chosen
                service is asked the same kind of question ("hvad koster det?").

        """
        repository = self.repository
        if decision.unknown_paragraphs:
            dispatcher.utter_message(
                response="utter_unknown_paragraph",
                paragraph=", ".join(decision.unknown_paragraphs),
            )
        if decision.kind == ANSWER:
            service = repository.service(decision.service or "")
            if decision.assumed and service is not None:
                dispatcher.utter_message(response="utter_assumed_service", service=service.name)
            for candidate in decision.facts:
                fact = repository.fact(candidate.uid)
                if fact is not None:
                    dispatcher.utter_message(
                        response="utter_answer",
                        answer=fact.text,
                        source=fact.document_title,
                        section=fact.section,
                    )
        elif decision.kind == CONTACT:
            contact_id = decision.facts[0].uid.removeprefix(CONTACT_PREFIX)
            ActionContactFronten(repository).contact_message(dispatcher, contact_id)
        elif decision.kind == CHOOSE_SERVICE:
            self._choose_service(dispatcher, decision.services, intent)
        elif decision.kind == CHOOSE_FACT:
            self._choose_fact(dispatcher, decision)
        elif decision.kind == NO_FACT:
            service = repository.service(decision.services[0])
            self._with_contact(dispatcher, "utter_no_fact", service=service.name if service else "")
        else:
            self._with_contact(dispatcher, "utter_not_in_standards")

    def _choose_service(
        self, dispatcher: CollectingDispatcher, service_ids: tuple, intent: Optional[str]
    ) -> None:
        services = [self.repository.service(s) for s in service_ids] if service_ids else []
        services = [s for s in services if s is not None]
        button_intent = intent if intent and intent.startswith(ASK_PREFIX) else "inform_service"
        buttons = [
            {"title": s.name, "payload": intent_payload(button_intent, service=s.id)}
            for s in services or self.repository.services()
        ]
        if services:
            self._with_contact(dispatcher, "utter_choose_service", buttons=buttons)
        else:
            self._with_contact(dispatcher, "utter_ask_service", buttons=buttons)

    def _choose_fact(self, dispatcher: CollectingDispatcher, decision: Decision) -> None:
        services = {c.service_id for c in decision.facts}
        buttons = []
        for candidate in decision.facts:
            title = candidate.questions[0]
            if len(services) > 1:
                service = self.repository.service(candidate.service_id or "")
                title = f"{service.name}: {title}" if service else title
            buttons.append(
                {"title": title, "payload": intent_payload("inform_service", fact=candidate.uid)}
            )
        self._with_contact(dispatcher, "utter_choose_fact", buttons=buttons)

    def _with_contact(self, dispatcher: CollectingDispatcher, response: str, **kwargs: Any) -> None:
        contact = self.repository.office_contact()
        if contact is None:
            dispatcher.utter_message(response=f"{response}_no_contact", **kwargs)
            return
        dispatcher.utter_message(
            response=response, contact_name=contact.name, contact_phone=contact.phone, **kwargs
        )

    def _remember(self, text: str, suggestions: int) -> None:
        # Staff insight must never cost the citizen an answer: a storage error is only logged.
        if text.startswith(PAYLOAD_PREFIX):
            return
        try:
            (self._insights or shared_insights()).record_unanswered(text, suggestions)
        except Exception:
            logger.exception("Could not store a missed question")
