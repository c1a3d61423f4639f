"""The web app's section of the settings (``bot.settings``): the widget's server, CORS, login."""

from bot.settings import (
    DEFAULT_BOT_URL,
    DEFAULT_ORIGINS,
    DEFAULT_SESSION_HOURS,
    DEFAULT_STAFF_USER,
    MIN_SECRET_LENGTH,
    WebSettings,
    origin_of,
    origins,
    public_url,
    secret,
)

__all__ = [
    "DEFAULT_BOT_URL",
    "DEFAULT_ORIGINS",
    "DEFAULT_SESSION_HOURS",
    "DEFAULT_STAFF_USER",
    "MIN_SECRET_LENGTH",
    "WebSettings",
    "origin_of",
    "origins",
    "public_url",
    "secret",
]
