"""What the booking, move and cancel forms share: the validation base and slot checks.

The forms fill every slot from the citizen's free text, so the validators see each message
first. A validator accepts the value, or answers a question asked in the middle of the
form and asks again, or explains what to write. "Stop" ends any form: the base checks for
it once, before every ``validate_<slot>`` a form defines.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from abc import ABC, abstractmethod
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from bot.actions.forms.services import WithServices, off_loop
from bot.actions.handover import ActionContactFronten, ActionHandover
from bot.actions.knowledge import ActionAnswerQuestion
from bot.booking.desk import CLOSED_DAY, CLOSED_HOUR, HOLIDAY, PAST, TOO_FAR, Problem
from bot.booking.reference import normalise_reference
from bot.booking.slots import parse_slot_time
from bot.danish import dates
from bot.danish.phone import normalise_danish_mobile
from bot.danish.text import fold
from bot.danish.when import parse_wish

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

Slots = Dict[str, Any]
Validator = Callable[..., Awaitable[Slots]]
# Marks a validator that already checks for "stop", so it is wrapped only once.
_STOP_CHECKED = "_stop_checked"


def client_key_of(tracker: Tracker) -> Optional[str]:
    """The keyed hash of the client's address the REST channel adds; None over SMS."""
    metadata = tracker.latest_message.get("metadata") or {}
    key = metadata.get("client_key") if isinstance(metadata, dict) else None
    return str(key) if key else None


def slot_events_to_dict(events: List[Dict[str, Any]]) -> Slots:
    """Turns ``SlotSet`` events into the ``{slot: value}`` a validator returns."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def reset_events() -> List[EventType]:
    """Clears every booking slot."""
    return [SlotSet(slot, None) for slot in BOOKING_SLOTS]


def text_of(tracker: Tracker) -> str:
    """The latest message's text, stripped."""
    return (tracker.latest_message.get("text") or "").strip()


def intent_of(tracker: Tracker) -> Tuple[str, float]:
    """The latest message's intent and its confidence."""
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name") or "", float(intent.get("confidence") or 0.0)


def parse_iso(text: str) -> Optional[dt.datetime]:
    """An aware ISO time as sent by slot buttons and kept in slots, else None."""
    return parse_slot_time(text)  # also refuses year 1 / 9999 times that cannot convert


def button_title(domain: DomainDict, response: str) -> str:
    """A button's title: the text of a ``utter_button_*`` response in domain.yml."""
    return str(domain["responses"][response][0]["text"])


def buttons(domain: DomainDict, *choices: Tuple[str, str]) -> List[Dict[str, str]]:
    """Buttons whose titles the citizen reads come from domain.yml.

    Args:
        domain: The domain the action was called with.
        choices: ``(response, payload)`` pairs: the response holding the title, and what
            the button sends (the text the form's validator reads).

    """
    return [{"title": button_title(domain, r), "payload": p} for r, p in choices]


def end_form() -> List[EventType]:
    """Ends the form from an ask action; the citizen has just been told why."""
    return [SlotSet(REQUESTED_SLOT, None), SlotSet("booking_stopped", STOPPED_EXPLAINED)]


# The booking and move summaries' buttons: the response holding each title, and the payload.
CONFIRM_CHOICES = (
    ("utter_button_book_yes", "ja"),
    ("utter_button_other_time", "ny tid"),
    ("utter_button_stop", "nej"),
)


def given_up(dispatcher: CollectingDispatcher) -> List[EventType]:
    """The booking vanished or a slot is missing: the form ends, and never guesses."""
    dispatcher.utter_message(response="utter_booking_not_found")
    return end_form()


def _stop_first(slot: str, validate: Validator) -> Validator:
    @functools.wraps(validate)
    async def checked(
        form: FormValidation,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        if form.stop_requested(tracker, slot):
            return form.stop()
        return await validate(form, value, dispatcher, tracker, domain)

    setattr(checked, _STOP_CHECKED, True)
    return checked


class FormAction(WithServices, Action, ABC):
    """An ask or commit action of the forms (abstract, so rasa_sdk does not register it).

    Args:
        desk: The booking desk; defaults to the one from the environment.
        knowledge: The knowledge repository; defaults to the one from the environment.
        sms: The SMS link; defaults to the one from the environment.
        verifier: Codes for typed numbers; defaults to one on the SMS link's database.

    """

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""


class AskAction(FormAction, ABC):
    """Asks one form for one slot; Rasa runs it as ``action_ask_<form>_<slot>``.

    Each form has its own, so no question branches on the active form.
    """

    # The form and the slot asked for, e.g. "move_form" and "booking_slot".
    form: str
    slot: str

    def name(self) -> str:
        """``action_ask_<form>_<slot>``."""
        return f"action_ask_{self.form}_{self.slot}"

    @abstractmethod
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question with its buttons, or ends the form when it cannot be asked."""


class FormValidation(WithServices, FormValidationAction, ABC):
    """The one validation base of the forms: "stop", questions, and the shared slots.

    Each form subclasses it and adds the ``validate_<slot>`` methods of its own slots.
    Every ``validate_<slot>`` (the form's and those below) first checks whether the
    citizen wants to stop; that check lives here only (see ``__init_subclass__``).
    A validator returns ``{slot: value}``, or ``{slot: None}`` and a response that
    explains what to write.

    Args:
        desk: The booking desk; defaults to the one from the environment.
        knowledge: The knowledge repository; defaults to the one from the environment.
        sms: The SMS link; defaults to the one from the environment.
        verifier: Codes for typed numbers; defaults to one on the SMS link's database.

    """

    # Whether "ny tid" at the summary goes back to choosing a time.
    can_change_time = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Makes each ``validate_<slot>`` of a form check for "stop" before anything else."""
        super().__init_subclass__(**kwargs)
        for attribute in [a for a in dir(cls) if a.startswith("validate_")]:
            method = getattr(cls, attribute)
            if not getattr(method, _STOP_CHECKED, False):
                setattr(cls, attribute, _stop_first(attribute.removeprefix("validate_"), method))

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain: ``validate_<form>``."""

    def stop_requested(self, tracker: Tracker, slot: str) -> bool:
        """Whether the citizen wants to leave the form ("stop", "afbryd", ...).

        Args:
            tracker: The conversation.
            slot: The slot being validated, for a form in which a stop word means
                something else at one question.

        """
        intent, confidence = intent_of(tracker)
        return bool(_STOP.fullmatch(fold(text_of(tracker)))) or (
            intent == "stop" and confidence >= STOP_CONFIDENCE
        )

    def stop(self, reason: str = STOPPED_BY_CITIZEN) -> Slots:
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

    def asks_for_information(self, tracker: Tracker) -> bool:
        """A question the intent is sure asks for information, though it names an answer.

        "hvor ligger Fronten?" names the place to meet, but asks where it is.
        """
        intent, confidence = intent_of(tracker)
        return (
            intent.startswith("ask_")
            and confidence >= QUESTION_CONFIDENCE
            and self.asked_question(tracker)
        )

    async def interruption(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Slots]:
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
        knowledge = self.services.knowledge
        answered: Slots = {}
        if intent == "ask_contact":
            await off_loop(ActionContactFronten(knowledge).contact_message, dispatcher)
        elif intent == "human_handover":
            await off_loop(ActionHandover(knowledge).contact_message, dispatcher)
        else:
            service = await off_loop(self.services.topic_service, tracker.get_slot("booking_topic"))
            events = await off_loop(
                ActionAnswerQuestion(knowledge).answer, dispatcher, tracker, service
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
    ) -> Slots:
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
        config = self.services.desk.config
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
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """Understands the citizen's wish in free Danish ("på tirsdag", "i morgen kl. 10")."""
        desk = self.services.desk
        wish = parse_wish(str(value or ""), desk.now())
        if wish is None:
            return await self.reject(
                "booking_date", "utter_booking_date_invalid", dispatcher, tracker
            )
        problem = desk.problem(wish)
        if problem is not None:
            self.problem_message(dispatcher, problem)
            return {"booking_date": None}
        return {"booking_date": desk.wish_start(wish).isoformat(), "booking_slot": None}

    async def validate_booking_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """Takes an offered slot by button, number or time; another day gets new offers."""
        desk = self.services.desk
        text = str(value or "")
        offers = [t for t in (parse_iso(o) for o in tracker.get_slot("booking_offers") or []) if t]
        chosen = self._chosen_offer(text, offers)
        if chosen is None:
            wish = parse_wish(text, desk.now())
            if wish is None:
                return await self.reject(
                    "booking_slot",
                    "utter_booking_invalid_slot",
                    dispatcher,
                    tracker,
                    count=max(len(offers), 1),
                )
            problem = desk.problem(wish)
            if problem is not None:
                self.problem_message(dispatcher, problem)
                return {"booking_slot": None}
            # Another day or time than offered: offer slots around the new wish instead.
            return {"booking_date": desk.wish_start(wish).isoformat(), "booking_slot": None}
        if not await off_loop(desk.is_bookable, chosen):
            # Taken since it was offered, or no longer inside notice and horizon.
            dispatcher.utter_message(response="utter_booking_slot_taken")
            return {"booking_slot": None, "booking_date": chosen.isoformat()}
        return {"booking_slot": chosen.isoformat()}

    def _chosen_offer(self, text: str, offers: List[dt.datetime]) -> Optional[dt.datetime]:
        desk = self.services.desk
        exact = parse_iso(text)
        if exact is not None:
            return exact
        number = re.fullmatch(r"\s*(?:nr\.?\s*|nummer\s*)?(\d)\s*\.?\s*", text.lower())
        if number and 1 <= int(number.group(1)) <= len(offers):
            return offers[int(number.group(1)) - 1]
        wish = parse_wish(text, desk.now())
        if wish is None or wish.time is None:
            return None
        start = wish.start(desk.config.timezone)
        if start in offers:
            return start
        # "kl. 10" after seeing the offers means the offered ten o'clock, whatever the day.
        same_time = [o for o in offers if o.time() == wish.time]
        return same_time[0] if len(same_time) == 1 else None

    async def validate_booking_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """A Danish number (8 digits, maybe with +45 and spaces); then the form's own check."""
        number = normalise_danish_mobile(str(value or ""))
        if number is None:
            return await self.reject(
                "booking_phone", "utter_booking_invalid_phone", dispatcher, tracker
            )
        return await self.accept_phone(number, dispatcher, tracker)

    async def accept_phone(
        self, number: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Slots:
        """What the form does with a well-formed number; by default it is simply taken.

        Args:
            number: Eight digits.
            dispatcher: Collects what the citizen is told.
            tracker: The conversation.

        """
        return {"booking_phone": number}

    async def validate_booking_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """Six characters from the reference alphabet; spaces, hyphens and case ignored."""
        reference = normalise_reference(str(value or "").replace("#", ""))
        if reference is None:
            return await self.reject(
                "booking_reference", "utter_booking_invalid_reference", dispatcher, tracker
            )
        return {"booking_reference": reference}

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
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """Yes commits, "ny tid" picks another time, no (or stop) ends without changes."""
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
