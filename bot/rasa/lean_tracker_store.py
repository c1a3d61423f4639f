"""The SQL tracker store with the same rows and transactions as Rasa's, at a third of the cost.

Rasa's ``SQLTrackerStore`` builds ORM queries and objects for every turn: it loads the
conversation as ``SQLEvent`` objects, and before saving it counts the stored events with a
second ORM query. Profiling showed the store at more than a third of the server's CPU time
per message. This store reads with the same query as plain SQL, remembers how many events
it read instead of counting them again, and appends the new events to the same ``events``
table in one transaction per turn. It reads conversations written by Rasa's store and the
other way round (``bot.rasa.conversations`` purges both).

On SQLite it also:

- keeps its connections in a pool: SQLAlchemy 1.4 gives a SQLite file a ``NullPool``, so
  every turn opened and closed two connections (SQLAlchemy 2.0 pools them too);
- writes in write-ahead-log mode: a commit is one append to the log instead of syncing the
  database file and a rollback journal. ``synchronous`` stays ``FULL`` (every commit is on
  disk before the reply) unless ``TRACKER_SQLITE_SYNCHRONOUS`` says otherwise.

PostgreSQL gets the same SQL and Rasa's own pool settings.

Reads and writes stay on the server's event loop, although a commit waits for the disk. In
a worker thread (``asyncio.to_thread``) they cost more than the wait: with 8 conversations at
once the server's CPU per message was 10.3 ms with the thread and 8.3 ms without it, and its
throughput 91 and 113 messages a second (medians of two series of eight runs, each run
alternating with the code before, which gave 9.2 and 9.4 ms; 2026-12-01). The threads
contend for the interpreter's lock.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any, Dict, Optional

import sqlalchemy as sa
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.rasa.tracker_store import UrlTrackerStore
from bot.settings import RasaSettings

logger = logging.getLogger(__name__)


# The events of the latest session: those at or after its SessionStarted event, or all of
# them before the first session starts. The same condition as SQLTrackerStore._event_query.
_LATEST_SESSION = """
from events
where sender_id = :sender_id
  and (timestamp >= (select max(timestamp) from events
                     where sender_id = :sender_id and type_name = :session_started)
       or (select max(timestamp) from events
           where sender_id = :sender_id and type_name = :session_started) is null)
"""
_SELECT_EVENTS = sa.text(f"select data {_LATEST_SESSION} order by id")
_COUNT_EVENTS = sa.text(f"select count(*) {_LATEST_SESSION}")
# On a tracker read from the store: how many of its events are stored.
_STORED = "_lean_stored_events"


def sqlite_synchronous() -> str:
    """SQLite's ``synchronous`` level for the tracker store (``TRACKER_SQLITE_SYNCHRONOUS``)."""
    return RasaSettings.from_env().tracker_sqlite_synchronous


class LeanUrlTrackerStore(UrlTrackerStore):
    """:class:`bot.rasa.tracker_store.UrlTrackerStore` with plain-SQL reads and writes.

    Configured exactly like it (``TRACKER_STORE_URL``); only the cost per turn differs.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (
            None,
            "",
            ":memory:",
        ):
            self._use_pooled_sqlite_engine()
        self._events = self.SQLEvent.__table__

    def _use_pooled_sqlite_engine(self) -> None:
        url = self.engine.url
        self.engine.dispose()
        # A pooled connection is handed to one thread at a time.
        self.engine = sa.create_engine(
            url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False}
        )
        synchronous = sqlite_synchronous()

        @sa.event.listens_for(self.engine, "connect")
        def _configure(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("pragma journal_mode=wal")
                cursor.execute(f"pragma synchronous={synchronous}")
            finally:
                cursor.close()

        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _session_parameters(self, sender_id: str) -> Dict[str, Any]:
        return {"sender_id": sender_id, "session_started": SessionStarted.type_name}

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The tracker of the conversation's latest session, or None if it has no events."""
        with self.engine.connect() as connection:
            rows = connection.execute(_SELECT_EVENTS, self._session_parameters(sender_id))
            events = [json.loads(data) for (data,) in rows]
        if not (self.domain and events):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        setattr(tracker, _STORED, len(events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Appends the tracker's events that are not stored yet, in one transaction."""
        await self.stream_events(tracker)
        events = list(tracker.events)
        with self.engine.begin() as connection:
            # Rasa holds the conversation's lock from reading the tracker until it is saved,
            # so no one else can have stored events for it in between: the count from
            # reading is the count stored. A tracker not read here is counted, as Rasa does.
            stored = getattr(tracker, _STORED, None)
            if stored is None:
                stored = connection.execute(
                    _COUNT_EVENTS, self._session_parameters(tracker.sender_id)
                ).scalar_one()
            rows = [
                self._row(tracker.sender_id, event.type_name, event.as_dict())
                for event in events[stored:]
            ]
            if rows:
                connection.execute(self._events.insert(), rows)
        setattr(tracker, _STORED, len(events))

    @staticmethod
    def _row(sender_id: str, type_name: str, data: Dict[str, Any]) -> Dict[str, Any]:
        # The same columns SQLTrackerStore.save fills.
        return {
            "sender_id": sender_id,
            "type_name": type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
