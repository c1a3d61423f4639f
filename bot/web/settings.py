"""The web app's settings from the environment: the widget's server, CORS and staff login."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

DEFAULT_BOT_URL = "http://127.0.0.1:5005"
DEFAULT_ORIGINS = "http://127.0.0.1:8000 http://localhost:8000"
DEFAULT_STAFF_USER = "fronten"
DEFAULT_SESSION_HOURS = 8.0
# HS256 keys shorter than the hash are weak; PyJWT warns about them too.
MIN_SECRET_LENGTH = 32
# The first wait after repeated wrong passwords, and the longest, in seconds.
DEFAULT_LOGIN_BACKOFF_SECONDS = 1.0
DEFAULT_LOGIN_BACKOFF_MAX_SECONDS = 30.0


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
        staff_db: The SQLite file that keeps logouts across restarts. ``STAFF_DB``; None
            (only when built in code, e.g. in tests) keeps them in memory.
        login_backoff_seconds: The first wait after repeated wrong passwords; it doubles
            with each further one. ``LOGIN_BACKOFF_SECONDS``.
        login_backoff_max_seconds: The longest wait before a login is checked.
            ``LOGIN_BACKOFF_MAX_SECONDS``.
        proxies_count: How many reverse proxies in front of the app are trusted to append
            the client's address to ``X-Forwarded-For`` (Sanic's ``PROXIES_COUNT``); 0, the
            default, trusts none and uses the connection's address. ``PROXIES_COUNT``.
        real_ip_header: A header the proxy sets to the client's address, e.g.
            ``X-Real-IP`` (Sanic's ``REAL_IP_HEADER``). ``REAL_IP_HEADER``.
        forwarded_secret: The ``secret=`` a proxy puts in its RFC 7239 ``Forwarded`` header
            (Sanic's ``FORWARDED_SECRET``). ``FORWARDED_SECRET``.

    """

    bot_public_url: str = DEFAULT_BOT_URL
    cors_origins: tuple[str, ...] = tuple(DEFAULT_ORIGINS.split())
    staff_user: str = DEFAULT_STAFF_USER
    staff_password_hash: str | None = None
    staff_password: str | None = None
    session_secret: str | None = None
    session_seconds: int = int(DEFAULT_SESSION_HOURS * 3600)
    cookie_secure: bool = False
    staff_db: Path | None = None
    login_backoff_seconds: float = DEFAULT_LOGIN_BACKOFF_SECONDS
    login_backoff_max_seconds: float = DEFAULT_LOGIN_BACKOFF_MAX_SECONDS
    proxies_count: int = 0
    real_ip_header: str | None = None
    forwarded_secret: str | None = None

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
            staff_db=_data_file(os.environ.get("STAFF_DB"), "staff.db"),
            login_backoff_seconds=_seconds("LOGIN_BACKOFF_SECONDS", DEFAULT_LOGIN_BACKOFF_SECONDS),
            login_backoff_max_seconds=_seconds(
                "LOGIN_BACKOFF_MAX_SECONDS", DEFAULT_LOGIN_BACKOFF_MAX_SECONDS
            ),
            proxies_count=_count("PROXIES_COUNT"),
            real_ip_header=_text(os.environ.get("REAL_IP_HEADER")),
            forwarded_secret=_text(os.environ.get("FORWARDED_SECRET")),
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


def _data_file(value: str | None, name: str) -> Path:
    path = Path(_text(value) or str(Settings.from_env().data_dir / name))
    return path if path.is_absolute() else PROJECT_ROOT / path


def _seconds(variable: str, default: float) -> float:
    value = float(_text(os.environ.get(variable)) or default)
    # A login left waiting longer than a minute would meet the proxy's own timeout first.
    if not 0 <= value <= 60:
        raise ValueError(f"{variable} must be a number of seconds from 0 to 60")
    return value


def _count(variable: str) -> int:
    value = int(_text(os.environ.get(variable)) or 0)
    if value < 0:
        raise ValueError(f"{variable} must be 0 or more")
    return value


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")
