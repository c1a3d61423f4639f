"""What the routes share: settings resolved at start-up and lazily opened repositories."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from sanic import Request

from bot.booking.config import BookingConfig
from bot.booking.repository import BookingRepository
from bot.insights import InsightsRepository
from bot.knowledge import KnowledgeRepository
from bot.services import booking_config, open_bookings, open_insights, open_knowledge
from bot.settings import Settings, StaffTokens
from bot.web.revocations import MEMORY, RevokedSessions
from bot.web.sessions import SessionSigner, credential_fingerprint
from bot.web.settings import WebSettings
from bot.web.throttle import FailureCounter, Throttle

RepositoryFactory = Callable[[], BookingRepository]
KnowledgeFactory = Callable[[], KnowledgeRepository]
InsightsFactory = Callable[[], InsightsRepository]

# Wrong passwords before the next login waits (then 1, 2, 4 … s up to the cap): few per
# address; more per user name, so that guesses from many addresses slow the desk's login
# down without ever refusing the right password. Counts are forgotten after the window.
LOGIN_FREE_FAILURES, USER_LOGIN_FREE_FAILURES, LOGIN_WINDOW_SECONDS = 3, 10, 15 * 60
# Ratings one address may send in the window; a library's shared address stays well below.
FEEDBACK_LIMIT, FEEDBACK_WINDOW_SECONDS = 120, 10 * 60


@dataclass
class WebState:
    """What must outlive a server restart inside one process: limits and logouts.

    Built once per app by ``create_app`` (tests pass their own); the settings are re-read
    on every start.

    Attributes:
        login_failures: Wrong passwords per address and per user name.
        feedback_throttle: Ratings per address.
        revoked: Logged-out sessions (``STAFF_DB``); opened by :func:`resolve`.
        sleep: Waits before a login is checked; tests record the waits instead.

    """

    login_failures: FailureCounter = field(
        default_factory=lambda: FailureCounter(LOGIN_WINDOW_SECONDS)
    )
    feedback_throttle: Throttle = field(
        default_factory=lambda: Throttle(FEEDBACK_LIMIT, FEEDBACK_WINDOW_SECONDS)
    )
    revoked: RevokedSessions | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


@dataclass
class WebContext:
    """The settings and the databases of one running app.

    Attributes:
        config: Fronten's booking rules (the time zone is used for display).
        staff_token: The bearer token for ``/staff/*`` JSON routes; None locks them.
        calendar_token: The token for the calendar feed; None locks it.
        repository_factory: Opens the booking database; called on first use.
        settings: The widget's server, CORS origins and the staff login.
        knowledge_factory: Opens the knowledge base for the staff search; called on first use.
        insights_factory: Opens the ratings and missed questions; called on first use.
        state: Login and rating limits, and logouts.
        signer: Signs staff sessions; None when no login is configured.

    """

    config: BookingConfig
    staff_token: str | None
    calendar_token: str | None
    repository_factory: RepositoryFactory
    settings: WebSettings = field(default_factory=WebSettings)
    knowledge_factory: KnowledgeFactory | None = None
    insights_factory: InsightsFactory | None = None
    state: WebState = field(default_factory=WebState)
    signer: SessionSigner | None = None
    _repository: BookingRepository | None = field(default=None, repr=False)
    _knowledge: KnowledgeRepository | None = field(default=None, repr=False)
    _insights: InsightsRepository | None = field(default=None, repr=False)

    @property
    def repository(self) -> BookingRepository:
        """The booking repository, opened on first use and then kept for the process."""
        if self._repository is None:
            self._repository = self.repository_factory()
        return self._repository

    @property
    def knowledge(self) -> KnowledgeRepository:
        """The knowledge base (read-only), opened on first use."""
        if self._knowledge is None:
            self._knowledge = (self.knowledge_factory or open_knowledge)()
        return self._knowledge

    @property
    def insights(self) -> InsightsRepository:
        """Ratings and missed questions, opened on first use."""
        if self._insights is None:
            self._insights = (self.insights_factory or open_insights)()
        return self._insights

    def close(self) -> None:
        """Closes the databases that were opened."""
        if self._repository is not None:
            self._repository.close()
            self._repository = None
        if self._insights is not None:
            self._insights.close()
            self._insights = None
        self._knowledge = None
        if self.state.revoked is not None:
            self.state.revoked.close()


def resolve(
    repository_factory: RepositoryFactory | None,
    config: BookingConfig | None,
    staff_token: str | None,
    calendar_token: str | None,
    settings: WebSettings | None = None,
    knowledge_factory: KnowledgeFactory | None = None,
    insights_factory: InsightsFactory | None = None,
    state: WebState | None = None,
) -> WebContext:
    """Fills in what the caller left out from the settings, read once here.

    Args:
        repository_factory: Opens the database; default ``BOOKING_DB``.
        config: The booking rules; default ``BOOKING_CONFIG``.
        staff_token: Default ``STAFF_TOKEN``.
        calendar_token: Default ``CALENDAR_TOKEN``.
        settings: The widget and login settings; default ``WebSettings.from_env()``.
        knowledge_factory: Default: the built knowledge base (``KNOWLEDGE_DB``).
        insights_factory: Default ``INSIGHTS_DB``.
        state: The app's limits and logouts; default a fresh one.

    Returns:
        The context; blank tokens become None (locked).

    """
    paths = Settings.from_env()
    config = config or booking_config(paths)
    if repository_factory is None:
        timezone = config.timezone

        def repository_factory() -> BookingRepository:
            return open_bookings(paths, timezone)

    if knowledge_factory is None:

        def knowledge_factory() -> KnowledgeRepository:
            return open_knowledge(paths)

    if insights_factory is None:

        def insights_factory() -> InsightsRepository:
            return open_insights(paths)

    tokens = StaffTokens.from_env()

    settings = settings or WebSettings.from_env()
    state = state or WebState()
    signer = None
    if settings.login_configured and settings.session_secret:
        path = settings.staff_db or MEMORY
        if state.revoked is None or state.revoked.path != path:
            state.revoked = RevokedSessions(path)
        credential = settings.staff_password_hash or settings.staff_password or ""
        signer = SessionSigner(
            settings.session_secret,
            settings.session_seconds,
            revoked=state.revoked,
            fingerprint=credential_fingerprint(
                settings.session_secret, settings.staff_user, credential
            ),
        )
    return WebContext(
        config=config,
        staff_token=tokens.staff if staff_token is None else _token(staff_token),
        calendar_token=tokens.calendar if calendar_token is None else _token(calendar_token),
        repository_factory=repository_factory,
        settings=settings,
        knowledge_factory=knowledge_factory,
        insights_factory=insights_factory,
        state=state,
        signer=signer,
    )


def web_context(request: Request) -> WebContext:
    """The context of the app serving this request."""
    return request.app.ctx.fronten


def _token(value: str) -> str | None:
    # A trailing newline from a secrets file must not make every comparison fail.
    return value.strip() or None
