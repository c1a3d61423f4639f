"""Builds the Sanic app: blueprints, settings on start-up, security headers, JSON errors."""

from __future__ import annotations

import itertools
import logging
from typing import Any

from sanic import HTTPResponse, Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import json

from bot.booking.config import BookingConfig
from bot.web.calendar import calendar_blueprint
from bot.web.context import RepositoryFactory, resolve
from bot.web.health import health_blueprint
from bot.web.staff import staff_blueprint

logger = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
STAFF_PREFIX = "/staff"

ERROR_MESSAGES = {
    400: "Forespørgslen er ugyldig.",
    404: "Siden findes ikke.",
    405: "Metoden er ikke tilladt her.",
}
GENERIC_CLIENT_ERROR = "Forespørgslen kunne ikke behandles."
SERVER_ERROR = "Der opstod en fejl på serveren. Prøv igen senere."

# Sanic 21.12 refuses a second app with a name already in its registry (outside test mode).
_serial = itertools.count(1)


def create_app(
    repository_factory: RepositoryFactory | None = None,
    config: BookingConfig | None = None,
    staff_token: str | None = None,
    calendar_token: str | None = None,
    name: str = "fronten_web",
) -> Sanic:
    """Builds the staff web app; what is left out is read from the environment on start-up.

    Nothing is read or opened here, so building the app at import time is harmless.

    Args:
        repository_factory: Opens the booking database (called on first use, closed when
            the server stops); default ``BookingRepository.from_env`` in the config's zone.
        config: Booking rules; default ``BookingConfig.from_env()``.
        staff_token: Bearer token for ``/staff/bookings.json``; default ``STAFF_TOKEN``.
            None or empty after that locks the route.
        calendar_token: Token for ``/staff/bookings.ics``; default ``CALENDAR_TOKEN``.
        name: The Sanic app name; a numeric suffix is appended if it is already taken.

    Returns:
        The app, ready for ``app.run`` or an ASGI server.

    """
    app = Sanic(_free_name(name))
    for blueprint in (health_blueprint(), staff_blueprint(), calendar_blueprint()):
        app.blueprint(blueprint)

    @app.before_server_start
    async def start(app: Sanic, _: Any) -> None:
        app.ctx.fronten = resolve(repository_factory, config, staff_token, calendar_token)
        _warn_about_tokens(app.ctx.fronten.staff_token, app.ctx.fronten.calendar_token)

    @app.after_server_stop
    async def stop(app: Sanic, _: Any) -> None:
        context = getattr(app.ctx, "fronten", None)
        if context is not None:
            context.close()

    app.register_middleware(add_security_headers, "response")
    app.error_handler.add(Exception, json_error)
    return app


async def add_security_headers(request: Request, response: HTTPResponse) -> None:
    """Adds the security headers to every response, and no-store to staff data."""
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    if request.path == STAFF_PREFIX or request.path.startswith(STAFF_PREFIX + "/"):
        # Bookings hold names and phone numbers: no browser or proxy may keep a copy.
        response.headers["Cache-Control"] = "no-store"


def json_error(request: Request, exception: Exception) -> HTTPResponse:
    """Answers every error as JSON in Danish, never with a stack trace."""
    status = getattr(exception, "status_code", 500)
    if isinstance(exception, SanicException) and 400 <= status < 500:
        message = ERROR_MESSAGES.get(status, GENERIC_CLIENT_ERROR)
        return json({"error": message}, status=status, headers=getattr(exception, "headers", None))
    logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
    return json({"error": SERVER_ERROR}, status=500)


def _free_name(name: str) -> str:
    # Tests build many apps in one process; production builds one and keeps its name.
    candidate = name
    while candidate in Sanic._app_registry:
        candidate = f"{name}_{next(_serial)}"
    return candidate


def _warn_about_tokens(staff_token: str | None, calendar_token: str | None) -> None:
    if staff_token is None:
        logger.warning("STAFF_TOKEN is not set: /staff/bookings.json answers 401 to everyone.")
    if calendar_token is None:
        logger.warning("CALENDAR_TOKEN is not set: /staff/bookings.ics answers 401 to everyone.")
    if staff_token is not None and staff_token == calendar_token:
        logger.warning("CALENDAR_TOKEN equals STAFF_TOKEN; calendar links are shared, use two.")
