"""Every setting read from the environment, in one place, with defaults that work from a clone.

Each process reads :class:`Config` once in its entry point and passes the sections on
(``bot.services`` builds the shared repositories from them). This is the only module that
reads ``os.environ``; the README lists the few exceptions (components Rasa builds itself,
which call a section's ``from_env``).

Every section has ``from_env(env=None)``; ``env`` is an :class:`Environment` over
``os.environ`` by default. :func:`variable_names` lists every variable the sections read,
for the README's configuration table and its test.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Set, Tuple
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_BOT_URL = "http://127.0.0.1:5005"
DEFAULT_ORIGINS = "http://127.0.0.1:8000 http://localhost:8000"
DEFAULT_STAFF_USER = "fronten"
DEFAULT_SESSION_HOURS = 8.0
# HS256 keys shorter than the hash are weak; PyJWT warns about them too.
MIN_SECRET_LENGTH = 32
# The first wait after repeated wrong passwords, and the longest, in seconds.
DEFAULT_LOGIN_BACKOFF_SECONDS = 1.0
DEFAULT_LOGIN_BACKOFF_MAX_SECONDS = 30.0
# How fresh a GatewayAPI webhook signature must be, and the clock difference tolerated.
WEBHOOK_MAX_AGE_SECONDS = 300
WEBHOOK_LEEWAY_SECONDS = 30
DEFAULT_EXEMPT = "127.0.0.0/8 ::1"
SQLITE_SYNCHRONOUS_VALUES = ("OFF", "NORMAL", "FULL", "EXTRA")


class Environment:
    """Reads environment variables and remembers which names were asked for.

    Args:
        values: The variables; default ``os.environ``. Tests and :func:`variable_names`
            pass a plain dict.

    """

    def __init__(self, values: Optional[Mapping[str, str]] = None) -> None:
        self._values = os.environ if values is None else values
        self.names: Set[str] = set()

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The variable's value, exactly as ``os.environ.get`` gives it."""
        self.names.add(name)
        return self._values.get(name, default)

    def text(self, name: str) -> Optional[str]:
        """The value stripped; blank counts as unset (a secrets file ends in a newline)."""
        return (self.get(name) or "").strip() or None

    def path(self, name: str, default: Path) -> Path:
        """A path; a relative one is resolved against the project root."""
        return _resolve(Path(self.text(name) or str(default)))


def _env(env: Optional[Environment]) -> Environment:
    return Environment() if env is None else env


def _resolve(path: Path) -> Path:
    return path if path.is_absolute() else PROJECT_ROOT / path


@dataclass(frozen=True)
class Settings:
    """Paths and choices that differ between a laptop, CI and production.

    Attributes:
        data_dir: Folder for runtime data (databases). ``BOT_DATA_DIR``.
        knowledge_dir: Folder with the knowledge YAML files. ``KNOWLEDGE_DIR``.
        knowledge_db: SQLite file built from the knowledge files. ``KNOWLEDGE_DB``.
        municipality: The municipality the assistant answers for. ``MUNICIPALITY``.
        booking_config: Fronten's opening hours and booking rules. ``BOOKING_CONFIG``.
        booking_db: The bookings. ``BOOKING_DB``.
        insights_db: Ratings and missed questions. ``INSIGHTS_DB``.

    """

    data_dir: Path
    knowledge_dir: Path
    knowledge_db: Path
    municipality: str
    booking_config: Path = PROJECT_ROOT / "config" / "fronten_slots.yml"
    booking_db: Path = PROJECT_ROOT / "var" / "bookings.db"
    insights_db: Path = PROJECT_ROOT / "var" / "insights.db"

    @classmethod
    def from_env(cls, env: Optional[Environment] = None) -> Settings:
        """Reads the settings from the environment.

        Returns:
            The settings, relative paths resolved against the project root.

        """
        env = _env(env)
        data_dir = _resolve(Path(env.get("BOT_DATA_DIR", "var")))
        return cls(
            data_dir=data_dir,
            knowledge_dir=_resolve(Path(env.get("KNOWLEDGE_DIR", "knowledge"))),
            knowledge_db=_resolve(Path(env.get("KNOWLEDGE_DB", str(data_dir / "knowledge.db")))),
            municipality=env.get("MUNICIPALITY", "Ballerup"),
            booking_config=_resolve(Path(env.get("BOOKING_CONFIG", "config/fronten_slots.yml"))),
            booking_db=_resolve(Path(env.get("BOOKING_DB", str(data_dir / "bookings.db")))),
            insights_db=_resolve(Path(env.get("INSIGHTS_DB", str(data_dir / "insights.db")))),
        )


@dataclass(frozen=True)
class Servers:
    """Where the action server and the web app listen (loopback unless told otherwise).

    Attributes:
        action_host: ``ACTION_HOST``; the action server has no authentication.
        action_port: ``ACTION_PORT``.
        web_host: ``WEB_HOST``.
        web_port: ``WEB_PORT``.

    """

    action_host: str = "127.0.0.1"
    action_port: int = 5055
    web_host: str = "127.0.0.1"
    web_port: int = 8000

    @classmethod
    def from_env(cls, env: Optional[Environment] = None) -> Servers:
        """Reads the addresses."""
        env = _env(env)
        return cls(
            action_host=env.get("ACTION_HOST", "127.0.0.1"),
            action_port=int(env.get("ACTION_PORT", "5055")),
            web_host=env.get("WEB_HOST", "127.0.0.1"),
            web_port=int(env.get("WEB_PORT", "8000")),
        )


@dataclass(frozen=True)
class Retention:
    """How long stored data is kept; ``make purge`` and the SMS worker delete what is older.

    Attributes:
        conversation_days: Conversations with no message for this long.
            ``CONVERSATION_RETENTION_DAYS``.
        insights_days: Ratings and missed questions. ``INSIGHTS_RETENTION_DAYS``.
        sms_outbox: Sent, failed and skipped notification SMS.
        sms_seen: Ids of incoming SMS (a redelivered one is not answered twice).
        sms_choices: The numbered choices offered in an SMS reply.
        sms_numbers: A citizen's phone number after the last SMS (the booking form uses it).

    """

    conversation_days: int = 30
    insights_days: int = 90
    sms_outbox: dt.timedelta = dt.timedelta(days=30)
    sms_seen: dt.timedelta = dt.timedelta(days=7)
    sms_choices: dt.timedelta = dt.timedelta(hours=24)
    sms_numbers: dt.timedelta = dt.timedelta(hours=24)

    @classmethod
    def from_env(cls, env: Optional[Environment] = None) -> Retention:
        """Reads the periods that staff may change."""
        env = _env(env)
        return cls(
            conversation_days=int(env.get("CONVERSATION_RETENTION_DAYS", "30")),
            insights_days=int(env.get("INSIGHTS_RETENTION_DAYS", "90")),
        )


@dataclass(frozen=True)
class Limits:
    """Limits that keep one person or script from emptying the calendar or flooding a phone.

    The defaults never refuse ordinary use: a citizen rarely needs more than two
    appointments, and a shared address (a library, a proxy) still gets several bookings an
    hour.

    Attributes:
        active_bookings_per_phone: Booked, not yet ended appointments one phone number may
            hold. ``BOOKING_MAX_ACTIVE_PER_PHONE``.
        bookings_per_client_per_hour: New bookings from one client address in an hour.
            ``BOOKING_MAX_PER_CLIENT_PER_HOUR``; 0 switches the limit off.
        lookup_failures_per_reference: Wrong reference/phone pairs for one reference before
            it cannot be moved or cancelled in the chat. ``BOOKING_LOOKUP_MAX_PER_REFERENCE``.
        lookup_failures_per_client: Wrong pairs from one client address before it is locked
            out. ``BOOKING_LOOKUP_MAX_PER_CLIENT``.
        lookup_window: How long failures count. ``BOOKING_LOOKUP_WINDOW_MINUTES``; an
            hour is enough to make guessing a phone number hopeless, and short enough that
            a shared address is not locked out for the day.
        sms_per_phone_per_day: SMS queued to one number in 24 hours; more are kept as
            skipped. ``SMS_MAX_PER_PHONE_PER_DAY``.
        code_lifetime: How long an SMS code typed back in the chat is valid.
            ``SMS_CODE_MINUTES``.
        code_cooldown: After a code nobody typed back, how long no new code goes to that
            number. ``SMS_CODE_COOLDOWN_HOURS``.
        code_attempts: Wrong codes before the code is void. ``SMS_CODE_MAX_ATTEMPTS``.
        reply_number: The number citizens can answer STOP to, named in SMS texts.
            ``SMS_REPLY_NUMBER``; default ``GATEWAYAPI_SENDER`` when that is a number.

    """

    active_bookings_per_phone: int = 2
    bookings_per_client_per_hour: int = 6
    lookup_failures_per_reference: int = 3
    lookup_failures_per_client: int = 10
    lookup_window: dt.timedelta = dt.timedelta(hours=1)
    sms_per_phone_per_day: int = 5
    code_lifetime: dt.timedelta = dt.timedelta(minutes=15)
    code_cooldown: dt.timedelta = dt.timedelta(hours=24)
    code_attempts: int = 3
    reply_number: Optional[str] = None

    @classmethod
    def from_env(cls, env: Optional[Environment] = None) -> Limits:
        """Reads the limits from the environment.

        Raises:
            ValueError: A limit is not a whole number, or is negative.

        """
        env = _env(env)
        sender = (env.get("GATEWAYAPI_SENDER") or "").strip()
        reply = (env.get("SMS_REPLY_NUMBER") or "").strip()
        if not reply and re.fullmatch(r"\+?\d{8,15}", sender):
            reply = sender

        def count(name: str, default: int, minimum: int = 0) -> int:
            value = int(env.get(name) or default)
            if value < minimum:
                raise ValueError(f"{name} must be at least {minimum}")
            return value

        return cls(
            active_bookings_per_phone=count("BOOKING_MAX_ACTIVE_PER_PHONE", 2, minimum=1),
            bookings_per_client_per_hour=count("BOOKING_MAX_PER_CLIENT_PER_HOUR", 6),
            lookup_failures_per_reference=count("BOOKING_LOOKUP_MAX_PER_REFERENCE", 3, minimum=1),
            lookup_failures_per_client=count("BOOKING_LOOKUP_MAX_PER_CLIENT", 10, minimum=1),
            lookup_window=dt.timedelta(minutes=count("BOOKING_LOOKUP_WINDOW_MINUTES", 60, 1)),
            sms_per_phone_per_day=count("SMS_MAX_PER_PHONE_PER_DAY", 5, minimum=1),
            code_lifetime=dt.timedelta(minutes=count("SMS_CODE_MINUTES", 15, minimum=1)),
            code_cooldown=dt.timedelta(hours=count("SMS_CODE_COOLDOWN_HOURS", 24)),
            code_attempts=count("SMS_CODE_MAX_ATTEMPTS", 3, minimum=1),
            reply_number=reply or None,
        )


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
        staff_password_hash: An scrypt hash from ``fronten hash-password``.
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
    cors_origins: Tuple[str, ...] = tuple(DEFAULT_ORIGINS.split())
    staff_user: str = DEFAULT_STAFF_USER
    staff_password_hash: Optional[str] = None
    staff_password: Optional[str] = None
    session_secret: Optional[str] = None
    session_seconds: int = int(DEFAULT_SESSION_HOURS * 3600)
    cookie_secure: bool = False
    staff_db: Optional[Path] = None
    login_backoff_seconds: float = DEFAULT_LOGIN_BACKOFF_SECONDS
    login_backoff_max_seconds: float = DEFAULT_LOGIN_BACKOFF_MAX_SECONDS
    proxies_count: int = 0
    real_ip_header: Optional[str] = None
    forwarded_secret: Optional[str] = None

    @property
    def login_configured(self) -> bool:
        """Whether anyone can log in: a password (or hash) and a session secret are set."""
        return bool(self.session_secret and (self.staff_password_hash or self.staff_password))

    @classmethod
    def from_env(cls, env: Optional[Environment] = None) -> WebSettings:
        """Reads the settings; blank values count as unset.

        Returns:
            The settings. A bad ``BOT_PUBLIC_URL`` falls back to the default with a warning.

        Raises:
            ValueError: A number is out of its range.

        """
        env = _env(env)
        data_dir = Settings.from_env(env).data_dir
        return cls(
            bot_public_url=public_url(env.get("BOT_PUBLIC_URL", DEFAULT_BOT_URL)),
            cors_origins=origins(env.get("CORS_ORIGINS", DEFAULT_ORIGINS)),
            staff_user=env.text("STAFF_USER") or DEFAULT_STAFF_USER,
            staff_password_hash=env.text("STAFF_PASSWORD_HASH"),
            # Not stripped inside: a password may end in a space. Only the file's newline goes.
            staff_password=(env.get("STAFF_PASSWORD") or "").rstrip("\r\n") or None,
            session_secret=secret(env.get("SESSION_SECRET")),
            session_seconds=int(float(env.get("SESSION_HOURS", str(DEFAULT_SESSION_HOURS))) * 3600),
            cookie_secure=(env.get("SESSION_COOKIE_SECURE") or "").strip().lower()
            in ("1", "true", "yes", "on"),
            staff_db=env.path("STAFF_DB", data_dir / "staff.db"),
            login_backoff_seconds=_login_seconds(
                env, "LOGIN_BACKOFF_SECONDS", DEFAULT_LOGIN_BACKOFF_SECONDS
            ),
            login_backoff_max_seconds=_login_seconds(
                env, "LOGIN_BACKOFF_MAX_SECONDS", DEFAULT_LOGIN_BACKOFF_MAX_SECONDS
            ),
            proxies_count=_proxies_count(env),
            real_ip_header=env.text("REAL_IP_HEADER"),
            forwarded_secret=env.text("FORWARDED_SECRET"),
        )


@dataclass(frozen=True)
class StaffTokens:
    """The tokens of the staff routes for scripts and calendars; None locks a route.

    Attributes:
        staff: Bearer token for ``/staff/bookings.json``. ``STAFF_TOKEN``.
        calendar: Token for the calendar feed. ``CALENDAR_TOKEN``.

    """

    staff: Optional[str] = field(default=None, repr=False)
    calendar: Optional[str] = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Optional[Environment] = None) -> StaffTokens:
        """Reads the tokens; blank counts as unset."""
        env = _env(env)
        return cls(staff=env.text("STAFF_TOKEN"), calendar=env.text("CALENDAR_TOKEN"))


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


def origins(value: str) -> Tuple[str, ...]:
    """The allowed origins; ``*`` is ignored, because ratings must not come from anywhere."""
    found = []
    for item in value.split():
        item = item.rstrip("/")
        if item == "*":
            logger.warning("CORS_ORIGINS contains '*', which the web app ignores.")
            continue
        found.append(item)
    return tuple(found)


def secret(value: Optional[str]) -> Optional[str]:
    """The session secret, or None when it is unset or too short to be safe."""
    value = (value or "").strip() or None
    if value is not None and len(value) < MIN_SECRET_LENGTH:
        logger.warning(
            "SESSION_SECRET is shorter than %d characters; login is off.", MIN_SECRET_LENGTH
        )
        return None
    return value


def _login_seconds(env: Environment, name: str, default: float) -> float:
    value = float(env.text(name) or default)
    # A login left waiting longer than a minute would meet the proxy's own timeout first.
    if not 0 <= value <= 60:
        raise ValueError(f"{name} must be a number of seconds from 0 to 60")
    return value


def _proxies_count(env: Environment) -> int:
    value = int(env.text("PROXIES_COUNT") or 0)
    if value < 0:
        raise ValueError("PROXIES_COUNT must be 0 or more")
    return value


@dataclass(frozen=True)
class SmsSettings:
    """Everything the SMS channel, the notifier and the worker need.

    Attributes:
        gateway_url: GatewayAPI's base URL. ``GATEWAYAPI_URL``.
        token: API token for sending. ``GATEWAYAPI_TOKEN``; None disables sending.
        webhook_secret: Shared secret of the webhook's JWT. ``GATEWAYAPI_WEBHOOK_SECRET``;
            None makes the channel refuse every message.
        sender_secret: Key of the HMAC that turns a number into a conversation id.
            ``SMS_SENDER_SECRET``; None makes the channel refuse every message.
        sender_name: The sender shown on notifications (the virtual number for two-way
            SMS, or up to 11 letters). ``GATEWAYAPI_SENDER``.
        db_path: The SQLite file for seen ids, opt-outs, choices and the outbox. ``SMS_DB``.
        max_parts: The most SMS parts one reply may use. ``SMS_MAX_PARTS``.
        reminder_hour: Local hour, the day before, at which reminders go out.
            ``SMS_REMINDER_HOUR``.
        outbox_interval: Seconds between the worker's outbox runs. ``SMS_OUTBOX_INTERVAL``.
        max_attempts: Outbox attempts before a message is marked failed.
            ``SMS_OUTBOX_MAX_ATTEMPTS``.
        timeout: Seconds one request to the gateway may take. ``GATEWAYAPI_TIMEOUT``.
        retries: Quick retries of one request after a 5xx or a timeout.
            ``GATEWAYAPI_RETRIES``.
        max_body_bytes: Largest webhook body accepted. ``SMS_MAX_BODY_BYTES``.
        webhook_max_age: Seconds a webhook's signature stays usable after it was issued
            (``iat``); its ``exp`` may lie no further ahead. ``GATEWAYAPI_WEBHOOK_MAX_AGE``.
        webhook_leeway: Seconds of clock difference tolerated between GatewayAPI and this
            server when checking ``iat`` and ``exp``. ``GATEWAYAPI_WEBHOOK_LEEWAY``.

    """

    gateway_url: str = "https://gatewayapi.com"
    token: Optional[str] = None
    webhook_secret: Optional[str] = None
    sender_secret: Optional[str] = None
    sender_name: str = "Fronten"
    db_path: Path = PROJECT_ROOT / "var" / "sms.db"
    max_parts: int = 5
    reminder_hour: int = 12
    outbox_interval: float = 10.0
    max_attempts: int = 5
    timeout: float = 10.0
    retries: int = 3
    max_body_bytes: int = 65_536
    webhook_max_age: float = float(WEBHOOK_MAX_AGE_SECONDS)
    webhook_leeway: float = float(WEBHOOK_LEEWAY_SECONDS)

    @classmethod
    def from_env(cls, env: Optional[Environment] = None) -> SmsSettings:
        """Reads the settings; blank secrets count as unset.

        Raises:
            ValueError: A number is out of its range.

        """
        env = _env(env)
        default_db = Settings.from_env(env).data_dir / "sms.db"
        db_path = Path(env.get("SMS_DB") or str(default_db))
        hour = int(env.get("SMS_REMINDER_HOUR", "12"))
        if not 0 <= hour <= 23:
            raise ValueError("SMS_REMINDER_HOUR must be a whole hour from 0 to 23")
        return cls(
            gateway_url=(env.get("GATEWAYAPI_URL") or "https://gatewayapi.com").rstrip("/"),
            token=env.text("GATEWAYAPI_TOKEN"),
            webhook_secret=env.text("GATEWAYAPI_WEBHOOK_SECRET"),
            sender_secret=env.text("SMS_SENDER_SECRET"),
            sender_name=env.get("GATEWAYAPI_SENDER") or "Fronten",
            db_path=_resolve(db_path),
            max_parts=max(1, int(env.get("SMS_MAX_PARTS", "5"))),
            reminder_hour=hour,
            outbox_interval=float(env.get("SMS_OUTBOX_INTERVAL", "10")),
            max_attempts=max(1, int(env.get("SMS_OUTBOX_MAX_ATTEMPTS", "5"))),
            timeout=float(env.get("GATEWAYAPI_TIMEOUT", "10")),
            retries=max(0, int(env.get("GATEWAYAPI_RETRIES", "3"))),
            max_body_bytes=int(env.get("SMS_MAX_BODY_BYTES", "65536")),
            webhook_max_age=_webhook_seconds(
                env, "GATEWAYAPI_WEBHOOK_MAX_AGE", WEBHOOK_MAX_AGE_SECONDS
            ),
            webhook_leeway=_webhook_seconds(
                env, "GATEWAYAPI_WEBHOOK_LEEWAY", WEBHOOK_LEEWAY_SECONDS
            ),
        )


def _webhook_seconds(env: Environment, name: str, default: float) -> float:
    value = float(env.get(name) or default)
    if not 0 <= value <= 3600:
        raise ValueError(f"{name} must be a number of seconds from 0 to 3600")
    return value


@dataclass(frozen=True)
class RasaSettings:
    """What the Rasa server's own components read: the guard, the channels, the stores.

    Rasa builds these components itself (from ``credentials.yml``, ``endpoints.yml`` and
    ``config.yml``), so they call :meth:`from_env` where they are built.

    Attributes:
        max_message_length: Characters kept of one message. ``MAX_MESSAGE_LENGTH``.
        rate_limit_per_minute: Messages one conversation may send a minute.
            ``RATE_LIMIT_PER_MINUTE``.
        reply_timeout: Seconds to wait for the assistant before apologising.
            ``REPLY_TIMEOUT_SECONDS``.
        new_conversations_per_hour: New conversations one client address may start in an
            hour; 0 means no limit. ``NEW_CONVERSATIONS_PER_HOUR``.
        client_key_secret: HMAC key of the client key; None means a random key per
            process. ``CLIENT_KEY_SECRET``.
        client_limit_exempt: Addresses or networks never limited per client.
            ``CLIENT_LIMIT_EXEMPT``.
        max_body_bytes: Largest request body. ``BOT_MAX_BODY_BYTES``.
        proxies_count: Trusted reverse proxies. ``PROXIES_COUNT``.
        real_ip_header: The proxy's client-address header. ``REAL_IP_HEADER``.
        forwarded_secret: The proxy's ``Forwarded`` secret. ``FORWARDED_SECRET``.
        speedups_disabled: Speed-ups switched off by name, or ``all``, for measuring.
            ``FRONTEN_SPEEDUPS_DISABLE``.
        danish_spacy_model: ``auto``, ``blank`` or ``da_core_news_sm``; None leaves the
            choice to ``config.yml``. ``DANISH_SPACY_MODEL``.
        tracker_store_url: Where conversations are stored. ``TRACKER_STORE_URL``.
        tracker_sqlite_synchronous: SQLite's ``synchronous`` level for the tracker file.
            ``TRACKER_SQLITE_SYNCHRONOUS``.

    """

    max_message_length: int = 1000
    rate_limit_per_minute: int = 30
    reply_timeout: float = 10.0
    new_conversations_per_hour: int = 30
    client_key_secret: Optional[str] = field(default=None, repr=False)
    client_limit_exempt: Tuple[str, ...] = tuple(DEFAULT_EXEMPT.split())
    max_body_bytes: int = 65536
    proxies_count: int = 0
    real_ip_header: Optional[str] = None
    forwarded_secret: Optional[str] = field(default=None, repr=False)
    speedups_disabled: frozenset = frozenset()
    danish_spacy_model: Optional[str] = None
    tracker_store_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
    tracker_sqlite_synchronous: str = "FULL"

    @classmethod
    def from_env(cls, env: Optional[Environment] = None) -> RasaSettings:
        """Reads the settings, falling back to the defaults.

        Raises:
            ValueError: A number is not a number.

        """
        env = _env(env)
        data_dir = Settings.from_env(env).data_dir
        synchronous = env.get("TRACKER_SQLITE_SYNCHRONOUS", "FULL").strip().upper()
        if synchronous not in SQLITE_SYNCHRONOUS_VALUES:
            logger.warning("Ignoring TRACKER_SQLITE_SYNCHRONOUS=%s; using FULL", synchronous)
            synchronous = "FULL"
        disabled = env.get("FRONTEN_SPEEDUPS_DISABLE", "")
        return cls(
            max_message_length=int(env.get("MAX_MESSAGE_LENGTH", "1000")),
            rate_limit_per_minute=int(env.get("RATE_LIMIT_PER_MINUTE", "30")),
            reply_timeout=float(env.get("REPLY_TIMEOUT_SECONDS", "10")),
            new_conversations_per_hour=int(env.get("NEW_CONVERSATIONS_PER_HOUR", "30")),
            client_key_secret=env.get("CLIENT_KEY_SECRET", "") or None,
            client_limit_exempt=tuple(env.get("CLIENT_LIMIT_EXEMPT", DEFAULT_EXEMPT).split()),
            max_body_bytes=int(env.get("BOT_MAX_BODY_BYTES", "65536")),
            proxies_count=int(env.get("PROXIES_COUNT", "0")),
            real_ip_header=env.get("REAL_IP_HEADER") or None,
            forwarded_secret=env.get("FORWARDED_SECRET") or None,
            speedups_disabled=frozenset(disabled.replace(",", " ").split()),
            danish_spacy_model=env.get("DANISH_SPACY_MODEL"),
            tracker_store_url=env.get("TRACKER_STORE_URL")
            or f"sqlite:///{data_dir / 'tracker.db'}",
            tracker_sqlite_synchronous=synchronous,
        )


@dataclass(frozen=True)
class Config:
    """All sections, read together by a process's entry point.

    Attributes:
        paths: Data files, the knowledge base and the municipality.
        servers: Where the action server and the web app listen.
        retention: How long stored data is kept.
        limits: Booking and SMS limits.
        web: The web app.
        tokens: The staff routes' tokens.
        sms: The SMS channel and worker.
        rasa: The Rasa server's components.

    """

    paths: Settings
    servers: Servers
    retention: Retention
    limits: Limits
    web: WebSettings
    tokens: StaffTokens
    sms: SmsSettings
    rasa: RasaSettings

    @classmethod
    def from_env(cls, env: Optional[Environment] = None) -> Config:
        """Reads every section.

        Raises:
            ValueError: A value is malformed or out of range; the message names it.

        """
        env = _env(env)
        return cls(
            paths=Settings.from_env(env),
            servers=Servers.from_env(env),
            retention=Retention.from_env(env),
            limits=Limits.from_env(env),
            web=WebSettings.from_env(env),
            tokens=StaffTokens.from_env(env),
            sms=SmsSettings.from_env(env),
            rasa=RasaSettings.from_env(env),
        )


def variable_names() -> Set[str]:
    """Every environment variable the settings read (for the README's table and its test)."""
    env = Environment({})
    Config.from_env(env)
    return env.names
