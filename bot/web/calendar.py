"""The bookings as an iCalendar feed that Outlook can subscribe to (a staff route)."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

import icalendar
from sanic import HTTPResponse, Request
from sanic.response import raw

from bot.booking.repository import Booking
from bot.web.auth import bearer_token, token_matches, unauthorized
from bot.web.context import web_context

CALENDAR_NAME = "Fronten – samtaler"
PRODID = "-//Ballerup Kommune//Fronten samtaler//DA"
UID_DOMAIN = "fronten.ballerup"
CONTENT_TYPE = "text/calendar; charset=utf-8"


async def bookings_ics(request: Request) -> HTTPResponse:
    """Today's and later appointments; ``?token=`` or a Bearer header with ``CALENDAR_TOKEN``."""
    context = web_context(request)
    # Outlook cannot send headers when it subscribes, so the query string is accepted too.
    given = request.args.get("token") or bearer_token(request)
    if not token_matches(given, context.calendar_token):
        return unauthorized()
    now = dt.datetime.now(dt.timezone.utc)
    # From midnight, so today's appointments stay in Outlook after they have started.
    today = now.astimezone(context.config.timezone).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    bookings = context.repository.upcoming(today)
    body = build_calendar(bookings, now, context.config.timezone.key).to_ical()
    return raw(body, content_type=CONTENT_TYPE)


def build_calendar(bookings: Iterable[Booking], now: dt.datetime, zone: str) -> icalendar.Calendar:
    """One VEVENT per booking, in UTC so no VTIMEZONE block is needed.

    Args:
        bookings: The appointments to publish.
        now: The DTSTAMP of every event; timezone-aware.
        zone: The IANA zone calendar apps should display in.

    Returns:
        The calendar.

    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-timezone", zone)
    for booking in bookings:
        calendar.add_component(booking_event(booking, now))
    return calendar


def booking_event(booking: Booking, now: dt.datetime) -> icalendar.Event:
    """The event for one booking; its UID stays the same when the booking is moved."""
    utc = dt.timezone.utc
    event = icalendar.Event()
    event.add("uid", f"{booking.reference}@{UID_DOMAIN}")
    event.add("dtstamp", now.astimezone(utc))
    event.add("dtstart", booking.start.astimezone(utc))
    event.add("dtend", booking.end.astimezone(utc))
    event.add("last-modified", booking.updated_at.astimezone(utc))
    event.add("summary", f"Samtale: {booking.topic} ({booking.meeting})")
    event.add(
        "description",
        f"Reference: {booking.reference}\n"
        f"Fornavn: {booking.first_name}\n"
        f"Telefon: {booking.phone}\n"
        f"Rådgiverplads: {booking.capacity_unit}",
    )
    event.add("status", "CONFIRMED")
    return event
