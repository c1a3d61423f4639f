"""Booking a counselling appointment at Fronten: the booking form's validation and actions."""

from __future__ import annotations

import datetime as dt
import logging
import re
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.booking_base import (
    PROVEN,
    STOPPED_EXPLAINED,
    UNCHECKED,
    BookingServices,
    SharedValidation,
    client_key_of,
    off_loop,
    parse_iso,
    reset_events,
)
from bot.booking import Booking
from bot.booking.repository import LimitReached
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
_BY_PHONE = re.compile(r"\b(telefon\w*|tlf|ring\w*|opkald)\b")
_IN_PERSON = re.compile(
    r"\b(fronten|moed\w*|mode|fremmoede|fysisk|personligt|komme ind|parkvej|kontoret)\b"
)
MEETING_BUTTONS = [
    {"title": "Mød op på Fronten", "payload": "fronten"},
    {"title": "Telefonsamtale", "payload": "telefon"},
]


class BookingAction(BookingServices, Action, ABC):
    """An action of the booking forms (abstract, so rasa_sdk does not register it).

    Args:
        desk: The booking desk; defaults to the one from the environment.
        knowledge: The knowledge repository; defaults to the one from the environment.
        sms: The SMS link; defaults to the one from the environment.

    """

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    async def announce(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, booking: Booking, change: str
    ) -> None:
        """Confirms a stored booking or move in the chat, then queues its SMS.

        Args:
            dispatcher: Collects the confirmation.
            tracker: The conversation (the SMS link needs its channel).
            booking: The booking as stored, so the citizen hears what was committed.
            change: ``confirmation`` (a new booking) or ``moved``.

        """
        chat, sms = ANNOUNCEMENTS[(change, booking.meeting)]
        contact = await off_loop(self.contact)
        dispatcher.utter_message(
            response=chat,
            reference=booking.reference,
            when=dates.when(booking.start),
            phone=format_danish(booking.phone),
            **contact,
        )
        # Only queued, after the commit: the worker sends it, and a failure there never
        # touches the booking.
        await off_loop(self.sms.notify, tracker, change, sms, booking, contact)

    def lost_race(
        self, dispatcher: CollectingDispatcher, start: dt.datetime, form: str
    ) -> List[Dict[str, Any]]:
        """Someone took the last counsellor first: back to the form for fresh offers."""
        dispatcher.utter_message(response="utter_booking_slot_taken")
        return [
            SlotSet("booking_slot", None),
            SlotSet("booking_confirm", None),
            SlotSet("booking_date", start.isoformat()),
            FollowupAction(form),
        ]


# The chat and SMS responses that confirm a committed change, per meeting form.
ANNOUNCEMENTS = {
    ("confirmation", "fronten"): (
        "utter_booking_confirmed_fronten",
        "utter_sms_booking_confirmed_fronten",
    ),
    ("confirmation", "telefon"): (
        "utter_booking_confirmed_telefon",
        "utter_sms_booking_confirmed_telefon",
    ),
    ("moved", "fronten"): ("utter_booking_moved_fronten", "utter_sms_booking_moved_fronten"),
    ("moved", "telefon"): ("utter_booking_moved_telefon", "utter_sms_booking_moved_telefon"),
}


class ValidateBookingForm(SharedValidation, FormValidationAction):
    """Checks each answer in the booking form; explains and asks again when it is not valid.

    Args:
        desk: The booking desk; defaults to the one from the environment.
        knowledge: The knowledge repository; defaults to the one from the environment.
        sms: The SMS link; defaults to the one from the environment.

    """

    def name(self) -> str:
        """Action name."""
        return "validate_booking_form"

    async def extract_booking_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> Dict[str, Any]:
        """Over SMS the sender's number is the booking's phone, so it is never asked for.

        Rasa SDK calls this on every turn of the form; the number is then validated like
        a typed one.
        """
        if tracker.get_slot("booking_phone"):
            return {}
        try:
            phone = await off_loop(self.sms.phone_of, tracker)
        except Exception:  # noqa: BLE001 - without the number the form simply asks for it
            logger.exception("could not read the SMS number; the form will ask for it")
            return {}
        return {"booking_phone": phone} if phone else {}

    async def validate_booking_topic(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """One of the configured topics, or a service from the knowledge base."""
        if self.stop_requested(tracker):
            return self.stop()
        answered = await self.interruption(dispatcher, tracker)
        if answered is not None:
            return {"booking_topic": None, **answered}
        topic = await off_loop(self._topic, str(slot_value or ""), tracker)
        if topic is None:
            return await self.reject(
                "booking_topic", "utter_booking_invalid_topic", dispatcher, tracker
            )
        return {"booking_topic": topic}

    def _topic(self, text: str, tracker: Tracker) -> Optional[str]:
        folded = fold(text).strip(" .!")
        for topic in self.desk.config.topics:
            names = [topic.id, topic.label, *topic.words]
            if any(_contains(folded, fold(name)) for name in names):
                return topic.id
        # A service the topics do not list ("støttekontaktperson") is still a fine topic.
        for service in tracker.get_latest_entity_values("service"):
            if self.knowledge.service(service):
                matching = [t.id for t in self.desk.config.topics if t.service == service]
                return matching[0] if matching else service
        if self.knowledge.service(text.strip()):
            return text.strip()
        return None

    async def validate_booking_meeting(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """At Fronten or by phone."""
        if self.stop_requested(tracker):
            return self.stop()
        folded = fold(str(slot_value or ""))
        by_phone, in_person = bool(_BY_PHONE.search(folded)), bool(_IN_PERSON.search(folded))
        if by_phone != in_person:
            return {"booking_meeting": "telefon" if by_phone else "fronten"}
        return await self.reject(
            "booking_meeting", "utter_booking_invalid_meeting", dispatcher, tracker
        )

    async def validate_booking_name(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """A first name: letters only, one or two words, at most 40 characters."""
        if self.stop_requested(tracker):
            return self.stop()
        answered = await self.interruption(dispatcher, tracker)
        if answered is not None:
            return {"booking_name": None, **answered}
        text = str(slot_value or "")
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

    async def validate_booking_phone(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """A number the citizen owns, with room for one more booking.

        A number typed in the web chat gets a code by SMS first, when SMS is on; the
        form then asks for it (``booking_code``). The SMS conversation's own number needs
        none, and without SMS nothing is ever sent to the number, so there is nothing to
        prove.
        """
        result = await super().validate_booking_phone(slot_value, dispatcher, tracker, domain)
        number = result.get("booking_phone")
        if not number:
            return result
        own = await off_loop(self.sms.phone_of, tracker)
        if own == number or not self.sms.notifications:
            state = PROVEN if own == number else UNCHECKED
            return await self._with_room(dispatcher, number, state, {"booking_phone": number})
        contact = await off_loop(self.contact)
        status = await off_loop(self.verifier.request, tracker.sender_id, number, contact)
        if status == verify.SENT:
            return {"booking_phone": number, "booking_code": None}
        if status == verify.CONFIRMED:
            return await self._with_room(dispatcher, number, PROVEN, {"booking_phone": number})
        dispatcher.utter_message(response=CODE_REFUSED[status], **contact)
        return self.stop(STOPPED_EXPLAINED)

    async def validate_booking_code(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Dict[str, Any],
    ) -> Dict[str, Any]:
        """The code from the SMS, typed back in the chat."""
        if self.stop_requested(tracker):
            return self.stop()
        number = tracker.get_slot("booking_phone") or ""
        answer = await off_loop(
            self.verifier.check, tracker.sender_id, number, str(slot_value or "")
        )
        if answer == verify.CODE_OK:
            return await self._with_room(dispatcher, number, PROVEN, {})
        if answer == verify.CODE_VOID:
            dispatcher.utter_message(
                response="utter_booking_code_void", **await off_loop(self.contact)
            )
            return self.stop(STOPPED_EXPLAINED)
        return await self.reject("booking_code", "utter_booking_code_wrong", dispatcher, tracker)

    async def _with_room(
        self, dispatcher: CollectingDispatcher, number: str, state: str, slots: Dict[str, Any]
    ) -> Dict[str, Any]:
        # Checked as soon as the number is known, so nobody fills in a form in vain; the
        # commit checks again inside its transaction.
        active = await off_loop(self.desk.at_booking_limit, number)
        if active is not None:
            await off_loop(self.say_booking_limit, dispatcher, active, state == PROVEN)
            return {**slots, **self.stop(STOPPED_EXPLAINED)}
        return {**slots, "booking_code": state}


# Why no code could be sent to a typed number, and what the citizen is told.
CODE_REFUSED = {
    verify.WAIT: "utter_booking_code_wait",
    verify.DAILY_LIMIT: "utter_booking_code_wait",
    verify.OPTED_OUT: "utter_booking_code_opted_out",
}


def _contains(text: str, name: str) -> bool:
    return bool(name) and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _capitalise(name: str) -> str:
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[0].upper() + m.group(0)[1:], name)


class ActionAskBookingTopic(BookingAction):
    """Asks what the meeting is about, with the configured topics as buttons."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_booking_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Sends the question and one button per topic, "Andet" last."""
        buttons = [{"title": t.label, "payload": t.label} for t in self.desk.config.topics]
        dispatcher.utter_message(response="utter_ask_booking_topic", buttons=buttons)
        return []


class ActionAskBookingMeeting(BookingAction):
    """Asks how to meet, with Fronten's address from the knowledge base."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_booking_meeting"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Sends the question with the two choices as buttons."""
        contact = await off_loop(self.contact)
        dispatcher.utter_message(
            response="utter_ask_booking_meeting", buttons=MEETING_BUTTONS, **contact
        )
        return []


class ActionAskBookingSlot(BookingAction):
    """Offers up to five free slots nearest to the wish, read fresh from the database."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_booking_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Sends the offers as buttons and remembers them, so "2" picks the second."""
        wish = parse_iso(tracker.get_slot("booking_date") or "") or self.desk.now()
        exclude = []
        if tracker.active_loop_name == "move_form":
            current = await off_loop(
                self.desk.find,
                tracker.get_slot("booking_reference") or "",
                tracker.get_slot("booking_phone") or "",
            )
            exclude = [current.start] if current else []
        offers = await off_loop(self.desk.offers, wish, exclude=exclude)
        if not offers:
            dispatcher.utter_message(
                response="utter_booking_no_slots",
                horizon_days=self.desk.config.horizon_days,
                **await off_loop(self.contact),
            )
            return [SlotSet("requested_slot", None), SlotSet("booking_stopped", STOPPED_EXPLAINED)]
        buttons = [{"title": dates.when(s), "payload": s.isoformat()} for s in offers]
        if any(s.date() == wish.date() for s in offers) or wish <= self.desk.now():
            dispatcher.utter_message(response="utter_ask_booking_slot", buttons=buttons)
        else:
            dispatcher.utter_message(
                response="utter_ask_booking_slot_other_days",
                day=dates.day(wish.date()),
                buttons=buttons,
            )
        return [SlotSet("booking_offers", [s.isoformat() for s in offers])]


class ActionAskBookingCode(BookingAction):
    """Asks for the code just sent by SMS to the number typed in the chat."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_booking_code"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Names the number and how long the code is valid."""
        dispatcher.utter_message(
            response="utter_ask_booking_code",
            phone=format_danish(tracker.get_slot("booking_phone") or ""),
            minutes=int(self.verifier.limits.code_lifetime.total_seconds() // 60),
        )
        return []


class ActionAskBookingConfirm(BookingAction):
    """Shows a summary and asks for a clear yes before anything is stored or changed."""

    def name(self) -> str:
        """Action name."""
        return "action_ask_booking_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Sends the summary that fits the active form."""
        form = tracker.active_loop_name
        start = parse_iso(tracker.get_slot("booking_slot") or "")
        if form in ("cancel_form", "move_form"):
            booking = await off_loop(
                self.desk.find,
                tracker.get_slot("booking_reference") or "",
                tracker.get_slot("booking_phone") or "",
            )
            if booking is not None and form == "cancel_form":
                dispatcher.utter_message(
                    response="utter_ask_cancel_confirm",
                    when=dates.when(booking.start),
                    reference=booking.reference,
                    buttons=[
                        {"title": "Ja, aflys tiden", "payload": "ja"},
                        {"title": "Nej, behold tiden", "payload": "nej"},
                    ],
                )
                return []
            if booking is not None and start is not None:
                dispatcher.utter_message(
                    response="utter_ask_move_confirm",
                    old_when=dates.when(booking.start),
                    when=dates.when(start),
                    buttons=_confirm_buttons(),
                )
                return []
        elif start is not None:
            meeting = tracker.get_slot("booking_meeting")
            topic = await off_loop(self.topic_label, tracker.get_slot("booking_topic"))
            contact = await off_loop(self.contact)
            dispatcher.utter_message(
                response=(
                    "utter_ask_booking_confirm_telefon"
                    if meeting == "telefon"
                    else "utter_ask_booking_confirm_fronten"
                ),
                topic=topic,
                when=dates.when(start),
                first_name=tracker.get_slot("booking_name") or "",
                phone=format_danish(tracker.get_slot("booking_phone") or ""),
                buttons=_confirm_buttons(),
                **contact,
            )
            return []
        # The booking vanished or a slot is missing: start the choice again, never guess.
        dispatcher.utter_message(response="utter_booking_not_found")
        return [SlotSet("requested_slot", None), SlotSet("booking_stopped", STOPPED_EXPLAINED)]


def _confirm_buttons() -> List[Dict[str, str]]:
    return [
        {"title": "Ja, book tiden", "payload": "ja"},
        {"title": "Vælg en anden tid", "payload": "ny tid"},
        {"title": "Nej, stop", "payload": "nej"},
    ]


class ActionBookAppointment(BookingAction):
    """Commits the booking, and only then confirms it with reference, time and place."""

    def name(self) -> str:
        """Action name."""
        return "action_book_appointment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        """Books; a lost race offers fresh slots; a failure says so and books nothing."""
        stopped = tracker.get_slot("booking_stopped")
        start = parse_iso(tracker.get_slot("booking_slot") or "")
        code = tracker.get_slot("booking_code")
        # With SMS on, only a number proven by SMS or code is booked (and then texted).
        unproven = self.sms.notifications and code != PROVEN
        if stopped or tracker.get_slot("booking_confirm") != "ja" or start is None or unproven:
            if stopped != STOPPED_EXPLAINED:
                dispatcher.utter_message(response="utter_booking_stopped")
            return reset_events()
        phone = tracker.get_slot("booking_phone") or ""
        try:
            topic = await off_loop(self.topic_label, tracker.get_slot("booking_topic"))
            booking = await off_loop(
                self.desk.book,
                start,
                topic=topic,
                meeting=tracker.get_slot("booking_meeting") or "fronten",
                first_name=tracker.get_slot("booking_name") or "",
                phone=phone,
                client_key=client_key_of(tracker),
            )
        except LimitReached as limit:
            return await self._refused(dispatcher, limit, phone, code == PROVEN)
        except Exception:  # noqa: BLE001 - the citizen must hear that nothing was booked
            logger.exception("booking failed (details withheld from the citizen)")
            dispatcher.utter_message(
                response="utter_booking_failed", **await off_loop(self.contact)
            )
            return reset_events()
        if booking is None:
            return self.lost_race(dispatcher, start, "booking_form")
        await self.announce(dispatcher, tracker, booking, "confirmation")
        return reset_events()

    async def _refused(
        self, dispatcher: CollectingDispatcher, limit: LimitReached, phone: str, proven: bool
    ) -> List[Dict[str, Any]]:
        if limit.kind == "phone":
            # Another conversation booked for the number since the form checked.
            active = await off_loop(self.desk.active_bookings, phone)
            await off_loop(self.say_booking_limit, dispatcher, active, proven)
        else:
            contact = await off_loop(self.contact)
            dispatcher.utter_message(response="utter_booking_limit_client", **contact)
        return reset_events()
