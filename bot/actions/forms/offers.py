"""Offering free slots: the booking and move forms ask for a time the same way."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.forms.base import AskAction, end_form, parse_iso
from bot.actions.forms.services import off_loop
from bot.danish import dates


class OfferSlots(AskAction, ABC):
    """Offers up to five free slots nearest to the wish, read fresh from the database.

    A form's ``action_ask_<form>_booking_slot`` subclasses it and names its form.
    """

    slot = "booking_slot"

    @abstractmethod
    async def excluded(self, tracker: Tracker) -> List[dt.datetime]:
        """Times never to offer in this form."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the offers as buttons and remembers them, so "2" picks the second."""
        desk = self.services.desk
        wish = parse_iso(tracker.get_slot("booking_date") or "") or desk.now()
        offers = await off_loop(desk.offers, wish, exclude=await self.excluded(tracker))
        if not offers:
            dispatcher.utter_message(
                response="utter_booking_no_slots",
                horizon_days=desk.config.horizon_days,
                **await off_loop(self.services.contact),
            )
            return end_form()
        buttons = [{"title": dates.when(s), "payload": s.isoformat()} for s in offers]
        if any(s.date() == wish.date() for s in offers) or wish <= desk.now():
            dispatcher.utter_message(response="utter_ask_booking_slot", buttons=buttons)
        else:
            dispatcher.utter_message(
                response="utter_ask_booking_slot_other_days",
                day=dates.day(wish.date()),
                buttons=buttons,
            )
        return [SlotSet("booking_offers", [s.isoformat() for s in offers])]
