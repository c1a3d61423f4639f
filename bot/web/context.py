"""What the routes share: settings resolved at start-up and one lazily opened repository."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

from sanic import Request

from bot.booking.config import BookingConfig
from bot.booking.repository import BookingRepository

RepositoryFactory = Callable[[], BookingRepository]


@dataclass
class WebContext:
    """The settings and the booking database of one running app.

    Attributes:
        config: Fronten's booking rules (the time zone is used for display).
        staff_token: The bearer token for ``/staff/*`` JSON routes; None locks them.
        calendar_token: The token for the calendar feed; None locks it.
        repository_factory: Opens the booking database; called on first use.

    """

    config: BookingConfig
    staff_token: str | None
    calendar_token: str | None
    repository_factory: RepositoryFactory
    _repository: BookingRepository | None = field(default=None, repr=False)

    @property
    def repository(self) -> BookingRepository:
        """The booking repository, opened on first use and then kept for the process."""
        if self._repository is None:
            self._repository = self.repository_factory()
        return self._repository

    def close(self) -> None:
        """Closes the repository if it was opened."""
        if self._repository is not None:
            self._repository.close()
            self._repository = None


def resolve(
    repository_factory: RepositoryFactory | None,
    config: BookingConfig | None,
    staff_token: str | None,
    calendar_token: str | None,
) -> WebContext:
    """Fills in what the caller left out from the environment.

    Args:
        repository_factory: Opens the database; default ``BookingRepository.from_env``.
        config: The booking rules; default ``BookingConfig.from_env()``.
        staff_token: Default ``STAFF_TOKEN``.
        calendar_token: Default ``CALENDAR_TOKEN``.

    Returns:
        The context; blank tokens become None (locked).

    """
    config = config or BookingConfig.from_env()
    if repository_factory is None:
        timezone = config.timezone

        def repository_factory() -> BookingRepository:
            return BookingRepository.from_env(timezone=timezone)

    return WebContext(
        config=config,
        staff_token=_token(staff_token, "STAFF_TOKEN"),
        calendar_token=_token(calendar_token, "CALENDAR_TOKEN"),
        repository_factory=repository_factory,
    )


def web_context(request: Request) -> WebContext:
    """The context of the app serving this request."""
    return request.app.ctx.fronten


def _token(value: str | None, variable: str) -> str | None:
    # A trailing newline from a secrets file must not make every comparison fail.
    value = os.environ.get(variable) if value is None else value
    return (value or "").strip() or None
