"""Builds the Sanic app: blueprints, settings on start-up, security headers, JSON errors."""

from __future__ import annotations

import itertools
import logging
from typing import Any

from sanic import HTTPResponse, Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import json

from bot.booking.config import BookingConfig
from bot.web.context import (
    InsightsFactory,
    KnowledgeFactory,
    RepositoryFactory,
    WebState,
    resolve,
)
from bot.web.health import health_blueprint
from bot.web.login import login_blueprint
from bot.web.pages import pages_blueprint
from bot.web.settings import DEFAULT_BOT_URL, WebSettings, origin_of
from bot.web.staff import staff_blueprint
from bot.web.texts import error_text
from bot.web.widget import widget_blueprint

logger = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# No inline scripts, styles or handlers anywhere; the widget may only talk to this app and
# to the Rasa server (BOT_PUBLIC_URL).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self' {bot}; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
STAFF_PREFIX = "/staff"
# The largest body any route takes (a login form, a rating); Sanic's default is 100 MB.
REQUEST_MAX_SIZE = 64 * 1024

ERROR_TEXTS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}

# Sanic 21.12 refuses a second app with a name already in its registry (outside test mode).
_serial = itertools.count(1)


def create_app(
    repository_factory: RepositoryFactory | None = None,
    config: BookingConfig | None = None,
    staff_token: str | None = None,
    calendar_token: str | None = None,
    name: str = "fronten_web",
    settings: WebSettings | None = None,
    knowledge_factory: KnowledgeFactory | None = None,
    insights_factory: InsightsFactory | None = None,
    state: WebState | None = None,
) -> Sanic:
    """Builds the staff web app; what is left out comes from ``bot.settings`` on start-up.

    Nothing is read or opened here, so building the app at import time is harmless.

    Args:
        repository_factory: Opens the booking database (called on first use, closed when
            the server stops); default ``BOOKING_DB`` in the config's zone.
        config: Booking rules; default ``BOOKING_CONFIG``.
        staff_token: Bearer token for ``/staff/bookings.json``; default ``STAFF_TOKEN``.
            None or empty after that locks the route.
        calendar_token: Token for ``/staff/bookings.ics``; default ``CALENDAR_TOKEN``.
        name: The Sanic app name; a numeric suffix is appended if it is already taken.
        settings: The widget's server, CORS origins and the staff login; default
            ``WebSettings.from_env()``.
        knowledge_factory: Opens the knowledge base for the staff search; default
            ``KNOWLEDGE_DB``.
        insights_factory: Opens ratings and missed questions; default ``INSIGHTS_DB``.
        state: Login limits and logouts; default a fresh one for this app.

    Returns:
        The app, ready for ``app.run`` or an ASGI server.

    """
    app = Sanic(_free_name(name))
    app.config.REQUEST_MAX_SIZE = REQUEST_MAX_SIZE
    # Limits and logouts outlive a restart of the server; settings are re-read each start.
    state = state or WebState()
    blueprints = (
        health_blueprint(),
        widget_blueprint(),
        login_blueprint(),
        pages_blueprint(),
        staff_blueprint(),
    )
    for blueprint in blueprints:
        app.blueprint(blueprint)

    @app.before_server_start
    async def start(app: Sanic, _: Any) -> None:
        context = resolve(
            repository_factory,
            config,
            staff_token,
            calendar_token,
            settings,
            knowledge_factory,
            insights_factory,
            state,
        )
        app.ctx.fronten = context
        trust_proxies(app, context.settings)
        _warn_about_tokens(context.staff_token, context.calendar_token)
        if context.signer is None:
            logger.warning(
                "Staff login is off: set SESSION_SECRET (32+ characters) and "
                "STAFF_PASSWORD_HASH or STAFF_PASSWORD."
            )

    @app.after_server_stop
    async def stop(app: Sanic, _: Any) -> None:
        context = getattr(app.ctx, "fronten", None)
        if context is not None:
            context.close()

    app.register_middleware(add_security_headers, "response")
    app.error_handler.add(Exception, json_error)
    return app


def trust_proxies(app: Sanic, settings: WebSettings) -> None:
    """Tells Sanic which forwarded addresses to believe; by default none.

    ``request.remote_addr`` is then the client's address behind the configured proxy, and
    empty without one (see :func:`bot.web.auth.client_address`).

    Args:
        app: The app.
        settings: ``PROXIES_COUNT``, ``REAL_IP_HEADER`` and ``FORWARDED_SECRET``.

    """
    app.config.PROXIES_COUNT = settings.proxies_count
    app.config.REAL_IP_HEADER = settings.real_ip_header
    app.config.FORWARDED_SECRET = settings.forwarded_secret


async def add_security_headers(request: Request, response: HTTPResponse) -> None:
    """Adds the security headers to every response, and no-store to staff data."""
    for header, value in SECURITY_HEADERS.items():
        response.headers.setdefault(header, value)
    context = getattr(request.app.ctx, "fronten", None)
    bot_url = context.settings.bot_public_url if context is not None else DEFAULT_BOT_URL
    response.headers.setdefault("Content-Security-Policy", content_security_policy(bot_url))
    if request.path == STAFF_PREFIX or request.path.startswith(STAFF_PREFIX + "/"):
        # Bookings hold names and phone numbers: no browser or proxy may keep a copy.
        response.headers["Cache-Control"] = "no-store"


def content_security_policy(bot_url: str) -> str:
    """The policy for every page: only this app's own files, and Rasa for the chat.

    Args:
        bot_url: The Rasa server as browsers reach it (already checked to be a plain URL).

    Returns:
        The ``Content-Security-Policy`` header value.

    """
    return CSP.format(bot=origin_of(bot_url))


def json_error(request: Request, exception: Exception) -> HTTPResponse:
    """Answers every error as JSON in Danish, never with a stack trace."""
    status = getattr(exception, "status_code", 500)
    if isinstance(exception, SanicException) and 400 <= status < 500:
        message = error_text(ERROR_TEXTS.get(status, "client_error"))
        return json({"error": message}, status=status, headers=getattr(exception, "headers", None))
    logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
    return json({"error": error_text("server_error")}, status=500)


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
