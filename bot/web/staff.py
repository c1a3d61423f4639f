"""Staff routes: the bookings as JSON for the desk and other tools, and as a calendar feed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from sanic import Blueprint, HTTPResponse, Request
from sanic.response import json

from bot.booking.repository import Booking
from bot.web.auth import bearer_token, token_matches, unauthorized
from bot.web.calendar import bookings_ics
from bot.web.context import web_context
from bot.web.login import current_session

# ASCII digits only: date.fromisoformat would also accept e.g. Arabic-Indic digits.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
BAD_DATE = "Datoen skal skrives som ÅÅÅÅ-MM-DD."


def staff_blueprint() -> Blueprint:
    """A fresh blueprint per app: Sanic ties a blueprint's routes to the apps it joins."""
    blueprint = Blueprint("staff", url_prefix="/staff")
    blueprint.add_route(bookings_json, "/bookings.json", methods=["GET"])
    blueprint.add_route(bookings_ics, "/bookings.ics", methods=["GET"])
    return blueprint


async def bookings_json(request: Request) -> HTTPResponse:
    """Lists booked appointments: on ``?date=YYYY-MM-DD``, or all upcoming from now.

    Allowed with ``Authorization: Bearer $STAFF_TOKEN`` or a staff login.
    """
    context = web_context(request)
    # Scripts send the Bearer token; the staff pages' own session is accepted too.
    if not token_matches(bearer_token(request), context.staff_token):
        if current_session(request) is None:
            return unauthorized()
    text = request.args.get("date")
    date = parse_date(text) if text is not None else None
    if text is not None and date is None:
        return json({"error": BAD_DATE}, status=400)
    zone = context.config.timezone
    repository = context.repository
    bookings = repository.on_date(date) if date else repository.upcoming(dt.datetime.now(zone))
    return json({"bookings": [booking_json(b, zone) for b in bookings]})


def parse_date(text: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` date, or None when the text is not one."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def booking_json(booking: Booking, zone: ZoneInfo) -> dict[str, Any]:
    """The fields staff need, times as ISO 8601 with Fronten's UTC offset."""
    return {
        "reference": booking.reference,
        "start": booking.start.astimezone(zone).isoformat(),
        "end": booking.end.astimezone(zone).isoformat(),
        "topic": booking.topic,
        "meeting": booking.meeting,
        "first_name": booking.first_name,
        "phone": booking.phone,
        "status": booking.status,
        "capacity": booking.capacity_unit,
    }
