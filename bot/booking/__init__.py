"""Appointment booking with Fronten: configuration, free slots and stored bookings."""

from bot.booking.config import (
    OTHER_TOPIC,
    BookingConfig,
    BookingTopic,
    OpeningHours,
    load_config,
    parse_config,
)
from bot.booking.reference import ALPHABET, new_reference, normalise_reference
from bot.booking.repository import Booking, BookingRepository
from bot.booking.slots import candidate_slots, nearest_free

__all__ = [
    "ALPHABET",
    "OTHER_TOPIC",
    "Booking",
    "BookingConfig",
    "BookingTopic",
    "BookingRepository",
    "OpeningHours",
    "candidate_slots",
    "load_config",
    "nearest_free",
    "new_reference",
    "normalise_reference",
    "parse_config",
]
