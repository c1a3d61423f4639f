"""What the form actions work with: the desk, the knowledge base and the SMS link.

Actions never touch storage themselves: they call these objects, in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, List, Optional, TypeVar

from rasa_sdk.executor import CollectingDispatcher

from bot.actions.base import default_repository
from bot.booking import Booking
from bot.booking.desk import BookingDesk, default_desk
from bot.danish import dates
from bot.knowledge import KnowledgeRepository, contact_fields
from bot.sms.hooks import SmsLink, default_sms_link
from bot.sms.verify import PhoneVerifier

_T = TypeVar("_T")


async def off_loop(function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Runs a storage call in a worker thread.

    A booking write may wait up to the busy timeout for SQLite's lock; on the event loop
    that would stall every conversation of the action server.
    """
    return await asyncio.to_thread(function, *args, **kwargs)


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
        return contact_fields(self.knowledge.office_contact())


class WithServices:
    """Gives a form action its :class:`BookingServices` (composition, not inheritance).

    Args:
        desk: The booking desk; defaults to the one from the environment.
        knowledge: The knowledge repository; defaults to the one from the environment.
        sms: The SMS link; defaults to the one from the environment.
        verifier: Codes for typed numbers; defaults to one on the SMS link's database.
        services: All of them at once; the other arguments are then ignored.

    """

    def __init__(
        self,
        desk: Optional[BookingDesk] = None,
        knowledge: Optional[KnowledgeRepository] = None,
        sms: Optional[SmsLink] = None,
        verifier: Optional[PhoneVerifier] = None,
        *,
        services: Optional[BookingServices] = None,
    ) -> None:
        self.services = services or BookingServices(desk, knowledge, sms, verifier)
