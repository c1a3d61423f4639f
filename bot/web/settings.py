"""The web app's settings from the environment: the widget's server, CORS and staff login."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

DEFAULT_BOT_URL = "http://127.0.0.1:5005"
DEFAULT_ORIGINS = "http://127.0.0.1:8000 http://localhost:8000"
DEFAULT_STAFF_USER = "fronten"
DEFAULT_SESSION_HOURS = 8.0
# HS256 keys shorter than the hash are weak; PyJWT warns about them too.
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class WebSettings:
    """What the widget and the staff login need.

    Attributes:
        bot_public_url: The Rasa server as browsers reach it, e.g. ``http://127.0.0.1:5005``;
            the demo page points the widget there and the CSP allows connecting to it.
            ``BOT_PUBLIC_URL``.
        cors_origins: Sites that may embed the widget and send ratings. ``CORS_ORIGINS``
            (space-separated), the same list the Rasa server gets with ``--cors``.
        staff_user: The staff login name. ``STAFF_USER``.
        staff_password_hash: An scrypt hash from ``python -m bot.web.hash_password``.
            ``STAFF_PASSWORD_HASH``; preferred over the plain password.
        staff_password: A plain password. ``STAFF_PASSWORD``.
        session_secret: Signs staff sessions; None (unset or too short) means nobody can
            log in. ``SESSION_SECRET``.
        session_seconds: How long a login lasts. ``SESSION_HOURS``.
        cookie_secure: Marks the session cookie ``Secure`` (behind HTTPS).
            ``SESSION_COOKIE_SECURE``.

    """

    bot_public_url: str = DEFAULT_BOT_URL
    cors_origins: tuple[str, ...] = tuple(DEFAULT_ORIGINS.split())
    staff_user: str = DEFAULT_STAFF_USER
    staff_password_hash: str | None = None
    staff_password: str | None = None
    session_secret: str | None = None
    session_seconds: int = int(DEFAULT_SESSION_HOURS * 3600)
    cookie_secure: bool = False

    @property
    def login_configured(self) -> bool:
        """Whether anyone can log in: a password (or hash) and a session secret are set."""
        return bool(self.session_secret and (self.staff_password_hash or self.staff_password))

    @classmethod
    def from_env(cls) -> WebSettings:
        """Reads the settings; blank values count as unset.

        Returns:
            The settings. A bad ``BOT_PUBLIC_URL`` falls back to the default with a warning.

        """
        return cls(
            bot_public_url=public_url(os.environ.get("BOT_PUBLIC_URL", DEFAULT_BOT_URL)),
            cors_origins=origins(os.environ.get("CORS_ORIGINS", DEFAULT_ORIGINS)),
            staff_user=_text(os.environ.get("STAFF_USER")) or DEFAULT_STAFF_USER,
            staff_password_hash=_text(os.environ.get("STAFF_PASSWORD_HASH")),
            # Not stripped inside: a password may end in a space. Only the file's newline goes.
            staff_password=(os.environ.get("STAFF_PASSWORD") or "").rstrip("\r\n") or None,
            session_secret=secret(os.environ.get("SESSION_SECRET")),
            session_seconds=int(
                float(os.environ.get("SESSION_HOURS", str(DEFAULT_SESSION_HOURS))) * 3600
            ),
            cookie_secure=_flag(os.environ.get("SESSION_COOKIE_SECURE")),
        )


def public_url(value: str) -> str:
    """An http(s) base URL without a trailing slash, safe to put in a CSP header.

    Args:
        value: The configured URL.

    Returns:
        The URL, or the default when it is not a plain http(s) URL.

    """
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    # Quotes, semicolons or spaces would let the setting rewrite the whole policy.
    unsafe = any(c in value for c in " ;,'\"\n\r\t")
    if parts.scheme not in ("http", "https") or not parts.netloc or unsafe:
        logger.warning("BOT_PUBLIC_URL %r is not an http(s) URL; using %s", value, DEFAULT_BOT_URL)
        return DEFAULT_BOT_URL
    return value


def origin_of(url: str) -> str:
    """``scheme://host:port`` of a URL, as a CSP source or a CORS origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def origins(value: str) -> tuple[str, ...]:
    """The allowed origins; ``*`` is ignored, because ratings must not come from anywhere."""
    found = []
    for item in value.split():
        item = item.rstrip("/")
        if item == "*":
            logger.warning("CORS_ORIGINS contains '*', which the web app ignores.")
            continue
        found.append(item)
    return tuple(found)


def secret(value: str | None) -> str | None:
    """The session secret, or None when it is unset or too short to be safe."""
    value = _text(value)
    if value is not None and len(value) < MIN_SECRET_LENGTH:
        logger.warning(
            "SESSION_SECRET is shorter than %d characters; login is off.", MIN_SECRET_LENGTH
        )
        return None
    return value


def _text(value: str | None) -> str | None:
    # A trailing newline from a secrets file must not make every comparison fail.
    return (value or "").strip() or None


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")
