"""Conversations kept in SQL: a SQLite file by default, PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine.url import make_url

from bot.settings import PROJECT_ROOT, RasaSettings


def tracker_store_url() -> str:
    """``TRACKER_STORE_URL``, or a SQLite file in the data folder.

    A relative SQLite path is resolved against the project root, so the file is the same
    whichever folder the server was started from.
    """
    url = make_url(RasaSettings.from_env().tracker_store_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        url = url.set(database=str(path))
    return url.render_as_string(hide_password=False)


class UrlTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, configured by one URL from the environment.

    ``endpoints.yml`` names this class; the URL (with any password) stays out of the file.
    """

    def __init__(
        self,
        domain: Optional[Domain] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("host", None)
        super().__init__(domain, host=tracker_store_url(), event_broker=event_broker, **kwargs)
