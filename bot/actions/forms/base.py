"""What the booking, move and cancel forms share: services, slot checks and interruptions.

The forms fill every slot from the citizen's free text, so the validators see each message
first. A validator accepts the value, or answers a question asked in the middle of the
form and asks again, or explains what to write. "Stop" ends the form cleanly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any, Callable, Dict, List, Optional, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import default_repository
from bot.actions.handover import ActionContactFronten, ActionHandover
from bot.actions.knowledge import ActionAnswerQuestion
from bot.booking import Booking
from bot.booking.desk import (
    CLOSED_DAY,
    CLOSED_HOUR,
    HOLIDAY,
    PAST,
    TOO_FAR,
    BookingDesk,
    Problem,
    default_desk,
)
from bot.booking.slots import parse_slot_time
from bot.danish import dates
from bot.danish.phone import normalise_danish_mobile
from bot.danish.text import fold
from bot.danish.when import parse_wish
from bot.knowledge import KnowledgeRepository
from bot.sms.hooks import SmsLink, default_sms_link
from bot.sms.verify import PhoneVerifier

REQUESTED_SLOT = "requested_slot"
# Every slot the three forms use; cleared when a form ends, so nothing lingers.
BOOKING_SLOTS = (
    "booking_topic",
    "booking_date",
    "booking_meeting",
    "booking_slot",
    "booking_name",
    "booking_phone",
    "booking_confirm",
    "booking_reference",
    "booking_offers",
    "booking_stopped",
    "booking_attempts",
    "booking_code",
    "form_questions",
)
# The booking_code slot once the number is the citizen's own: typed back from an SMS,
# or the SMS conversation's own number. Only validators set it, never the citizen's text.
PROVEN = "proven"
# The booking_code slot when SMS is off: nothing is sent, so there is nothing to prove.
UNCHECKED = "unchecked"
STOPPED_BY_CITIZEN = "citizen"
STOPPED_EXPLAINED = "explained"
# Below this the classifier is guessing about yes and no.
INTERRUPT_CONFIDENCE = 0.5
STOP_CONFIDENCE = 0.8
_STOP = re.compile(
    r"(stop+|stop det( her)?|afbryd|annuller|fortryd|glem det|drop det|afslut|"
    r"jeg fortryder|jeg vil ikke alligevel|nej stop)\W*"
)
_YES = re.compile(
    r"(ja+|jo|jep+s?|jaja|yes|ok|okay|bekraeft|korrekt|rigtigt|det passer|gerne|ja tak|"
    r"ja gerne|ja,? book (den|tiden)|book (den|tiden)|det er rigtigt|helt sikkert)\W*"
)
_NO = re.compile(r"(nej|nej tak|nope|nix|forkert|ikke rigtigt|det passer ikke)\W*")
_CHANGE = re.compile(r".*\b(ny tid|anden tid|andet tidspunkt|aendre|skift|flyt)\b.*")
_CONTINUE = re.compile(r"(fortsaet|fortsaet (med )?\w+|videre|jeg fortsaetter|ja,? fortsaet)\W*")
# A question in a form: a question word first, or a question mark, and a few words.
_QUESTION_START = re.compile(
    r"(hvad|hvordan|hvorfor|hvornaar|hvor|hvem|hvilke\w*|kan|koster|skal|maa|er|har|faar|"
    r"gaelder|findes|betyder|hjaelper|daekker|tager|giver|vil)\b"
)
QUESTION_MIN_WORDS = 3
QUESTION_INTENTS = frozenset({"inform_service", "nlu_fallback", "out_of_scope", "ask_contact"})
QUESTION_CONFIDENCE = 0.8
# From the second question asked inside a form, the citizen is offered to leave it.
QUESTIONS_BEFORE_OFFER = 2


_T = TypeVar("_T")


async def off_loop(function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Runs a storage call in a worker thread.

    A booking write may wait up to the busy timeout for SQLite's lock; on the event loop
    that would stall every conversation of the action server.
    """
    return await asyncio.to_thread(function, *args, **kwargs)


def client_key_of(tracker: Tracker) -> Optional[str]:
    """The keyed hash of the client's address the REST channel adds; None over SMS."""
    metadata = tracker.latest_message.get("metadata") or {}
    key = metadata.get("client_key") if isinstance(metadata, dict) else None
    return str(key) if key else None


def slot_events_to_dict(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Turns ``SlotSet`` events into the ``{slot: value}`` a validator returns."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def reset_events() -> List[Dict[str, Any]]:
    """Clears every booking slot."""
    return [SlotSet(slot, None) for slot in BOOKING_SLOTS]


def text_of(tracker: Tracker) -> str:
    """The latest message's text, stripped."""
    return (tracker.latest_message.get("text") or "").strip()


def intent_of(tracker: Tracker) -> tuple[str, float]:
    """The latest message's intent and its confidence."""
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name") or "", float(intent.get("confidence") or 0.0)


def parse_iso(text: str) -> Optional[dt.datetime]:
    """An aware ISO time as sent by slot buttons and kept in slots, else None."""
    return parse_slot_time(text)  # also refuses year 1 / 9999 times that cannot convert


class BookingServices:
    """The desk, the knowledge base and the SMS link: injected in tests, process-wide otherwise.

    Args:
        desk: The booking desk; defaults to the one from the environment.
        knowledge: The knowledge repository; defaults to the one from the environment.
        sms: The SMS link; defaults to the one from the environment.
        verifier: Sends and checks codes for numbers typed in the web chat; defaults to
            one on the SMS link's database.

    """

    def __init__(
        self,
        desk: Optional[BookingDesk] = None,
        knowledge: Optional[KnowledgeRepository] = None,
        sms: Optional[SmsLink] = None,
        verifier: Optional[PhoneVerifier] = None,
    ) -> None:
        self._desk = desk
        self._knowledge = knowledge
        self._sms = sms
        self._verifier = verifier

    @property
    def desk(self) -> BookingDesk:
        """The booking desk."""
        return self._desk or default_desk()

    @property
    def knowledge(self) -> KnowledgeRepository:
        """The knowledge repository (Fronten's address and phone come from here)."""
        return self._knowledge or default_repository()

    @property
    def sms(self) -> SmsLink:
        """The sender's number over SMS, and SMS notifications."""
        return self._sms or default_sms_link()

    @property
    def verifier(self) -> PhoneVerifier:
        """Codes that prove a typed number is the citizen's own."""
        if self._verifier is None:
            link = self.sms
            self._verifier = PhoneVerifier(lambda: link.database)
        return self._verifier

    def say_booking_limit(
        self, dispatcher: CollectingDispatcher, active: List[Booking], proven: bool
    ) -> None:
        """Tells a citizen with the most bookings allowed what they have and what to do.

        Args:
            dispatcher: Collects the messages.
            active: The number's active bookings.
            proven: Whether the number is proven to be the citizen's (by SMS or code);
                only then are times and references shown.

        """
        contact = self.contact()
        if not proven:
            dispatcher.utter_message(
                response="utter_booking_limit_reached_unproven", count=len(active), **contact
            )
            return
        dispatcher.utter_message(response="utter_booking_limit_reached", count=len(active))
        for booking in active:
            dispatcher.utter_message(
                response="utter_booking_limit_item",
                when=dates.when(booking.start),
                reference=booking.reference,
            )
        dispatcher.utter_message(response="utter_booking_limit_how_to_change", **contact)

    def topic_label(self, topic_id: Optional[str]) -> str:
        """What staff and citizen see for a topic: its label, or the service's name."""
        topic = self.desk.topic(topic_id)
        if topic is not None:
            return topic.label
        service = self.knowledge.service(topic_id) if topic_id else None
        return service.name if service else (topic_id or "")

    def topic_service(self, topic_id: Optional[str]) -> Optional[str]:
        """The knowledge base service a topic concerns, if any."""
        topic = self.desk.topic(topic_id)
        if topic is not None:
            return topic.service
        return topic_id if topic_id and self.knowledge.service(topic_id) else None

    def contact(self) -> Dict[str, str]:
        """Fronten's details for responses, from the knowledge base."""
        contact = self.knowledge.contact("fronten") or self.knowledge.contact("general")
        if contact is None:
            return {"contact_name": "", "contact_address": "", "contact_phone": ""}
        return {
            "contact_name": contact.name,
            "contact_address": contact.address,
            "contact_phone": contact.phone,
        }


class SharedValidation(BookingServices):
    """Validators and helpers used by more than one form (mixed into each form's validator)."""

    # Whether "ny tid" at the summary goes back to choosing a time.
    can_change_time = True

    def stop_requested(self, tracker: Tracker) -> bool:
        """Whether the citizen wants to leave the form ("stop", "afbryd", ...)."""
        intent, confidence = intent_of(tracker)
        return bool(_STOP.fullmatch(fold(text_of(tracker)))) or (
            intent == "stop" and confidence >= STOP_CONFIDENCE
        )

    def stop(self, reason: str = STOPPED_BY_CITIZEN) -> Dict[str, Any]:
        """Ends the form early.

        Args:
            reason: ``citizen`` makes the form's closing action say that nothing was
                changed; any other reason means the citizen has already been told why.

        """
        return {REQUESTED_SLOT: None, "booking_stopped": reason}

    def asked_question(self, tracker: Tracker) -> bool:
        """Whether the message is a question rather than an answer to the form's question.

        A question starts with a question word or carries a question mark, and has a few
        words ("hvad koster bostøtte?"); "bostøtte?" or "torsdag?" are answers. A button
        from an offered choice of answers is a question too.
        """
        text = text_of(tracker)
        intent, confidence = intent_of(tracker)
        if text.startswith("/"):
            return intent.startswith("ask_") or intent == "inform_service"
        folded = fold(text)
        words = len(folded.split())
        if words >= QUESTION_MIN_WORDS and (_QUESTION_START.match(folded) or "?" in folded):
            return True
        return (
            (intent in QUESTION_INTENTS or intent.startswith("ask_"))
            and confidence >= QUESTION_CONFIDENCE
            and words >= QUESTION_MIN_WORDS + 1
        )

    async def interruption(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Dict[str, Any]]:
        """Answers a question asked in the middle of a form.

        The form asks its own question again afterwards. From the second question on, the
        citizen is also offered to leave the form.

        Returns:
            Slots to set (the service and question under discussion, and the count of
            questions asked in this form) when the message was a question, else None.

        """
        if not self.asked_question(tracker):
            return None
        intent, _ = intent_of(tracker)
        answered: Dict[str, Any] = {}
        if intent == "ask_contact":
            await off_loop(ActionContactFronten(self.knowledge).contact_message, dispatcher)
        elif intent == "human_handover":
            await off_loop(ActionHandover(self.knowledge).contact_message, dispatcher)
        else:
            service = await off_loop(self.topic_service, tracker.get_slot("booking_topic"))
            events = await off_loop(
                ActionAnswerQuestion(self.knowledge).answer, dispatcher, tracker, service
            )
            answered = slot_events_to_dict(events)
        asked = int(tracker.get_slot("form_questions") or 0) + 1
        if asked >= QUESTIONS_BEFORE_OFFER:
            dispatcher.utter_message(response="utter_offer_leave_form")
        return {**answered, "form_questions": float(asked)}

    async def reject(
        self,
        slot: str,
        response: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        **variables: Any,
    ) -> Dict[str, Any]:
        """Answers a question, or explains what to write; either way the slot stays empty."""
        answered = await self.interruption(dispatcher, tracker)
        if answered is not None:
            return {slot: None, **answered}
        if _CONTINUE.fullmatch(fold(text_of(tracker))):
            # "Fortsæt" after the offer to leave: the form simply asks its question again.
            return {slot: None}
        dispatcher.utter_message(response=response, **variables)
        return {slot: None}

    def problem_message(self, dispatcher: CollectingDispatcher, problem: Problem) -> None:
        """Says why a wished day or time cannot be booked."""
        config = self.desk.config
        variables = {
            "day": dates.day(problem.date),
            "opening_hours": dates.opening_hours(config.opening_hours),
            "horizon_days": config.horizon_days,
        }
        if problem.kind == PAST:
            dispatcher.utter_message(response="utter_booking_date_past", **variables)
        elif problem.kind == TOO_FAR:
            dispatcher.utter_message(response="utter_booking_date_too_far", **variables)
        elif problem.kind == HOLIDAY:
            dispatcher.utter_message(
                response="utter_booking_date_holiday", holiday=problem.holiday, **variables
            )
        elif problem.kind == CLOSED_DAY:
            dispatcher.utter_message(response="utter_booking_date_closed", **variables)
        elif problem.kind == CLOSED_HOUR:
            dispatcher.utter_message(response="utter_booking_time_closed", **variables)

    async def validate_booking_date(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """Understands the citizen's wish in free Danish ("på tirsdag", "i morgen kl. 10")."""
        if self.stop_requested(tracker):
            return self.stop()
        wish = parse_wish(str(slot_value or ""), self.desk.now())
        if wish is None:
            return await self.reject(
                "booking_date", "utter_booking_date_invalid", dispatcher, tracker
            )
        problem = self.desk.problem(wish)
        if problem is not None:
            self.problem_message(dispatcher, problem)
            return {"booking_date": None}
        return {"booking_date": self.desk.wish_start(wish).isoformat(), "booking_slot": None}

    async def validate_booking_slot(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """Takes an offered slot by button, number or time; another day gets new offers."""
        if self.stop_requested(tracker):
            return self.stop()
        text = str(slot_value or "")
        offers = [t for t in (parse_iso(o) for o in tracker.get_slot("booking_offers") or []) if t]
        chosen = self._chosen_offer(text, offers)
        if chosen is None:
            wish = parse_wish(text, self.desk.now())
            if wish is None:
                return await self.reject(
                    "booking_slot",
                    "utter_booking_invalid_slot",
                    dispatcher,
                    tracker,
                    count=max(len(offers), 1),
                )
            problem = self.desk.problem(wish)
            if problem is not None:
                self.problem_message(dispatcher, problem)
                return {"booking_slot": None}
            # Another day or time than offered: offer slots around the new wish instead.
            return {"booking_date": self.desk.wish_start(wish).isoformat(), "booking_slot": None}
        if not await off_loop(self.desk.is_bookable, chosen):
            # Taken since it was offered, or no longer inside notice and horizon.
            dispatcher.utter_message(response="utter_booking_slot_taken")
            return {"booking_slot": None, "booking_date": chosen.isoformat()}
        return {"booking_slot": chosen.isoformat()}

    def _chosen_offer(self, text: str, offers: List[dt.datetime]) -> Optional[dt.datetime]:
        exact = parse_iso(text)
        if exact is not None:
            return exact
        number = re.fullmatch(r"\s*(?:nr\.?\s*|nummer\s*)?(\d)\s*\.?\s*", text.lower())
        if number and 1 <= int(number.group(1)) <= len(offers):
            return offers[int(number.group(1)) - 1]
        wish = parse_wish(text, self.desk.now())
        if wish is None or wish.time is None:
            return None
        start = wish.start(self.desk.config.timezone)
        if start in offers:
            return start
        # "kl. 10" after seeing the offers means the offered ten o'clock, whatever the day.
        same_time = [o for o in offers if o.time() == wish.time]
        return same_time[0] if len(same_time) == 1 else None

    async def validate_booking_phone(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """A Danish phone number: 8 digits, optionally with +45 and spaces."""
        if self.stop_requested(tracker):
            return self.stop()
        number = normalise_danish_mobile(str(slot_value or ""))
        if number is None:
            return await self.reject(
                "booking_phone", "utter_booking_invalid_phone", dispatcher, tracker
            )
        return {"booking_phone": number}

    def confirmation(self, tracker: Tracker) -> Optional[str]:
        """The answer to a summary: ``yes``, ``no``, ``change`` or None when unclear."""
        text = fold(text_of(tracker))
        intent, confidence = intent_of(tracker)
        if _CHANGE.fullmatch(text):
            return "change"
        if _NO.fullmatch(text) or (intent == "deny" and confidence >= INTERRUPT_CONFIDENCE):
            return "no"
        if _YES.fullmatch(text) or (intent == "affirm" and confidence >= INTERRUPT_CONFIDENCE):
            return "yes"
        return None

    async def validate_booking_confirm(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """Yes commits, "ny tid" picks another time, no (or stop) ends without changes."""
        if self.stop_requested(tracker):
            return self.stop()
        answer = self.confirmation(tracker)
        if answer == "yes":
            return {"booking_confirm": "ja"}
        if answer == "no":
            return self.stop()
        if answer == "change" and self.can_change_time:
            return {"booking_confirm": None, "booking_slot": None, "booking_date": None}
        return await self.reject(
            "booking_confirm", "utter_booking_invalid_confirm", dispatcher, tracker
        )
