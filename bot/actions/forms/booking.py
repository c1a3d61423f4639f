"""Booking a counselling appointment at Fronten: the booking form's validation and actions."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.forms.base import (
    CONFIRM_CHOICES,
    PROVEN,
    STOPPED_EXPLAINED,
    UNCHECKED,
    AskAction,
    FormValidation,
    Slots,
    button_title,
    buttons,
    client_key_of,
    given_up,
    parse_iso,
    reset_events,
    text_of,
)
from bot.actions.forms.commit import CommitAction
from bot.actions.forms.offers import OfferSlots
from bot.actions.forms.services import off_loop
from bot.booking import OTHER_TOPIC, Booking
from bot.booking.repository import LimitReached
from bot.booking.requests import BY_PHONE, IN_PERSON, meeting_choice
from bot.danish import dates
from bot.danish.phone import format_danish
from bot.danish.text import fold
from bot.sms import verify

logger = logging.getLogger(__name__)

MAX_NAME_LENGTH = 40
_NAME_PREFIX = re.compile(
    r"^(?:hej,?\s+)?(?:jeg hedder|mit fornavn er|mit navn er|navnet er|det er|fornavn:?|navn:?)"
    r"\s+",
    re.IGNORECASE,
)
# One or two words of letters, each possibly hyphenated ("Anne-Marie", "Ole Bo").
_NAME = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*(?: [^\W\d_]+(?:['’-][^\W\d_]+)*)?")
# Why no code could be sent to a typed number, and what the citizen is told.
CODE_REFUSED = {
    verify.WAIT: "utter_booking_code_wait",
    verify.DAILY_LIMIT: "utter_booking_code_wait",
    verify.OPTED_OUT: "utter_booking_code_opted_out",
}


class ValidateBookingForm(FormValidation):
    """Checks each answer in the booking form; explains and asks again when it is not valid.

    Args:
        desk: The booking desk; defaults to the one from the environment.
        knowledge: The knowledge repository; defaults to the one from the environment.
        sms: The SMS link; defaults to the one from the environment.
        verifier: Codes for typed numbers; defaults to one on the SMS link's database.

    """

    def name(self) -> str:
        """Action name."""
        return "validate_booking_form"

    async def extract_booking_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """Over SMS the sender's number is the booking's phone, so it is never asked for.

        Rasa SDK calls this on every turn of the form; the number is then validated like
        a typed one.
        """
        if tracker.get_slot("booking_phone"):
            return {}
        try:
            phone = await off_loop(self.services.sms.phone_of, tracker)
        except Exception:  # noqa: BLE001 - without the number the form simply asks for it
            logger.exception("could not read the SMS number; the form will ask for it")
            return {}
        return {"booking_phone": phone} if phone else {}

    async def validate_booking_topic(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """One of the configured topics, or a service from the knowledge base."""
        answered = await self.interruption(dispatcher, tracker)
        if answered is not None:
            return {"booking_topic": None, **answered}
        topic = await off_loop(self._topic, str(value or ""), tracker)
        if topic is None:
            return await self.reject(
                "booking_topic", "utter_booking_invalid_topic", dispatcher, tracker
            )
        return {"booking_topic": topic}

    def _topic(self, text: str, tracker: Tracker) -> Optional[str]:
        config, knowledge = self.services.desk.config, self.services.knowledge
        folded = fold(text).strip(" .!")
        for topic in config.topics:
            names = [topic.id, topic.label, *topic.words]
            if any(_contains(folded, fold(name)) for name in names):
                return topic.id
        # A service the topics do not list ("støttekontaktperson") is still a fine topic.
        for service in tracker.get_latest_entity_values("service"):
            if knowledge.service(service):
                matching = [t.id for t in config.topics if t.service == service]
                return matching[0] if matching else service
        if knowledge.service(text.strip()):
            return text.strip()
        return None

    async def validate_booking_meeting(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """At Fronten or by phone; a question that only names one of them is answered."""
        if self.asks_for_information(tracker) or (
            self.asked_question(tracker)
            and await off_loop(self.services.knowledge.answers_with_a_fact, text_of(tracker))
        ):
            answered = await self.interruption(dispatcher, tracker)
            return {"booking_meeting": None, **(answered or {})}
        contact = await off_loop(self.services.contact)
        choice = meeting_choice(str(value or ""), contact["contact_address"])
        if choice is not None:
            return {"booking_meeting": choice}
        return await self.reject(
            "booking_meeting", "utter_booking_invalid_meeting", dispatcher, tracker
        )

    async def validate_booking_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """A first name: letters only, one or two words, at most 40 characters."""
        answered = await self.interruption(dispatcher, tracker)
        if answered is not None:
            return {"booking_name": None, **answered}
        text = str(value or "")
        name = " ".join(_NAME_PREFIX.sub("", text.strip()).strip(" .!").split())
        if len(name) > MAX_NAME_LENGTH or not _NAME.fullmatch(name):
            return await self.reject(
                "booking_name",
                "utter_booking_invalid_name",
                dispatcher,
                tracker,
                max_length=MAX_NAME_LENGTH,
            )
        return {"booking_name": _capitalise(name)}

    async def accept_phone(
        self, number: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Slots:
        """A number the citizen owns, with room for one more booking.

        A number typed in the web chat gets a code by SMS first, when SMS is on; the
        form then asks for it (``booking_code``). The SMS conversation's own number needs
        none, and without SMS nothing is ever sent to the number, so there is nothing to
        prove.
        """
        sms = self.services.sms
        own = await off_loop(sms.phone_of, tracker)
        if own == number or not sms.notifications:
            state = PROVEN if own == number else UNCHECKED
            return await self._with_room(dispatcher, number, state, {"booking_phone": number})
        contact = await off_loop(self.services.contact)
        status = await off_loop(self.services.verifier.request, tracker.sender_id, number, contact)
        if status == verify.SENT:
            return {"booking_phone": number, "booking_code": None}
        if status == verify.CONFIRMED:
            return await self._with_room(dispatcher, number, PROVEN, {"booking_phone": number})
        dispatcher.utter_message(response=CODE_REFUSED[status], **contact)
        return self.stop(STOPPED_EXPLAINED)

    async def validate_booking_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """The code from the SMS, typed back in the chat."""
        number = tracker.get_slot("booking_phone") or ""
        answer = await off_loop(
            self.services.verifier.check, tracker.sender_id, number, str(value or "")
        )
        if answer == verify.CODE_OK:
            return await self._with_room(dispatcher, number, PROVEN, {})
        if answer == verify.CODE_VOID:
            dispatcher.utter_message(
                response="utter_booking_code_void", **await off_loop(self.services.contact)
            )
            return self.stop(STOPPED_EXPLAINED)
        return await self.reject("booking_code", "utter_booking_code_wrong", dispatcher, tracker)

    async def _with_room(
        self, dispatcher: CollectingDispatcher, number: str, state: str, slots: Slots
    ) -> Slots:
        # Checked as soon as the number is known, so nobody fills in a form in vain; the
        # commit checks again inside its transaction.
        active = await off_loop(self.services.desk.at_booking_limit, number)
        if active is not None:
            await off_loop(self.services.say_booking_limit, dispatcher, active, state == PROVEN)
            return {**slots, **self.stop(STOPPED_EXPLAINED)}
        return {**slots, "booking_code": state}


def _contains(text: str, name: str) -> bool:
    return bool(name) and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _capitalise(name: str) -> str:
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[0].upper() + m.group(0)[1:], name)


class ActionAskBookingTopic(AskAction):
    """Asks what the meeting is about, with the configured topics as buttons."""

    form = "booking_form"
    slot = "booking_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question and one button per topic, the catch-all last.

        The catch-all's title comes from domain.yml; the others are the configured labels.
        """
        titles = [
            button_title(domain, "utter_button_topic_other") if t.id == OTHER_TOPIC.id else t.label
            for t in self.services.desk.config.topics
        ]
        topic_buttons = [{"title": title, "payload": title} for title in titles]
        dispatcher.utter_message(response="utter_ask_booking_topic", buttons=topic_buttons)
        return []


class ActionAskBookingMeeting(AskAction):
    """Asks how to meet, with Fronten's address from the knowledge base."""

    form = "booking_form"
    slot = "booking_meeting"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question with the two choices as buttons."""
        contact = await off_loop(self.services.contact)
        choices = buttons(
            domain,
            ("utter_button_meeting_fronten", IN_PERSON),
            ("utter_button_meeting_telefon", BY_PHONE),
        )
        dispatcher.utter_message(response="utter_ask_booking_meeting", buttons=choices, **contact)
        return []


class ActionAskBookingSlot(OfferSlots):
    """Offers free slots for a new booking."""

    form = "booking_form"

    async def excluded(self, tracker: Tracker) -> List[dt.datetime]:
        """None: every free slot may be offered."""
        return []


class ActionAskBookingCode(AskAction):
    """Asks for the code just sent by SMS to the number typed in the chat."""

    form = "booking_form"
    slot = "booking_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Names the number and how long the code is valid."""
        lifetime = self.services.verifier.limits.code_lifetime
        dispatcher.utter_message(
            response="utter_ask_booking_code",
            phone=format_danish(tracker.get_slot("booking_phone") or ""),
            minutes=int(lifetime.total_seconds() // 60),
        )
        return []


class ActionAskBookingConfirm(AskAction):
    """Shows a summary and asks for a clear yes before anything is stored."""

    form = "booking_form"
    slot = "booking_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the summary for the chosen way of meeting."""
        start = parse_iso(tracker.get_slot("booking_slot") or "")
        if start is None:
            return given_up(dispatcher)
        topic = await off_loop(self.services.topic_label, tracker.get_slot("booking_topic"))
        contact = await off_loop(self.services.contact)
        dispatcher.utter_message(
            response=(
                "utter_ask_booking_confirm_telefon"
                if tracker.get_slot("booking_meeting") == BY_PHONE
                else "utter_ask_booking_confirm_fronten"
            ),
            topic=topic,
            when=dates.when(start),
            first_name=tracker.get_slot("booking_name") or "",
            phone=format_danish(tracker.get_slot("booking_phone") or ""),
            buttons=buttons(domain, *CONFIRM_CHOICES),
            **contact,
        )
        return []


class ActionBookAppointment(CommitAction):
    """Commits the booking, and only then confirms it with reference, time and place."""

    stopped_response = "utter_booking_stopped"
    failed_response = "utter_booking_failed"

    def name(self) -> str:
        """Action name."""
        return "action_book_appointment"

    def ready(self, tracker: Tracker) -> bool:
        """A chosen time, and with SMS on, a number proven by SMS or code (then texted)."""
        start = parse_iso(tracker.get_slot("booking_slot") or "")
        unproven = self.services.sms.notifications and tracker.get_slot("booking_code") != PROVEN
        return start is not None and not unproven

    async def commit(self, tracker: Tracker) -> Optional[Booking]:
        """Books the slot; None when someone took the last counsellor first."""
        topic = await off_loop(self.services.topic_label, tracker.get_slot("booking_topic"))
        return await off_loop(
            self.services.desk.book,
            parse_iso(tracker.get_slot("booking_slot") or ""),
            topic=topic,
            meeting=tracker.get_slot("booking_meeting") or IN_PERSON,
            first_name=tracker.get_slot("booking_name") or "",
            phone=tracker.get_slot("booking_phone") or "",
            client_key=client_key_of(tracker),
        )

    async def refused(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, error: Exception
    ) -> bool:
        """The number or the client address has the most bookings allowed."""
        if not isinstance(error, LimitReached):
            return False
        if error.kind == "phone":
            # Another conversation booked for the number since the form checked.
            phone = tracker.get_slot("booking_phone") or ""
            proven = tracker.get_slot("booking_code") == PROVEN
            active = await off_loop(self.services.desk.active_bookings, phone)
            await off_loop(self.services.say_booking_limit, dispatcher, active, proven)
        else:
            contact = await off_loop(self.services.contact)
            dispatcher.utter_message(response="utter_booking_limit_client", **contact)
        return True

    async def settle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, booking: Optional[Booking]
    ) -> List[EventType]:
        """Confirms the booking, or goes back to the form for fresh offers."""
        if booking is None:
            return self.lost_race(dispatcher, tracker, "booking_form")
        await self.announce(dispatcher, tracker, booking, "confirmation")
        return reset_events()
