"""Ratings and missed questions in SQLite: the only place that reads or writes them."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import sqlite_utils

from bot.shared import Shared

RATINGS = ("up", "down")
# Citizens' text is kept short: enough for staff to see the question, no life stories.
QUESTION_LIMIT = 500
ANSWER_LIMIT = 2000
BUSY_TIMEOUT_SECONDS = 10.0

# No CPR numbers: the channel and the feedback route redact them before anything is stored.
_SCHEMA = """
create table if not exists feedback (
    id integer primary key,
    sender text not null,
    message_id text not null,
    rating text not null check (rating in ('up', 'down')),
    question text not null,
    answer text not null,
    created_at text not null,
    unique (sender, message_id)
);
create index if not exists feedback_rating_created on feedback (rating, created_at);
create table if not exists unanswered (
    id integer primary key,
    text text not null,
    suggestions integer not null,
    created_at text not null
);
create index if not exists unanswered_created on unanswered (created_at);
"""

_UPSERT_FEEDBACK = """
insert into feedback (sender, message_id, rating, question, answer, created_at)
values (:sender, :message_id, :rating, :question, :answer, :created_at)
on conflict (sender, message_id) do update set rating = excluded.rating,
    created_at = excluded.created_at
"""

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class Feedback:
    """A citizen's rating of one answer.

    Attributes:
        rating: ``up`` or ``down``.
        question: What the citizen asked (or the button they chose).
        answer: The assistant's message that was rated.
        created_at: When it was rated (UTC).

    """

    rating: str
    question: str
    answer: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Unanswered:
    """A message the assistant could not match to an answer.

    Attributes:
        text: The message, shortened to :data:`QUESTION_LIMIT` characters.
        suggestions: How many search hits the assistant offered instead (0: none).
        created_at: When it was asked (UTC).

    """

    text: str
    suggestions: int
    created_at: dt.datetime


class InsightsRepository:
    """Stores ratings from the chat widget and the questions that hit the fallback.

    The action server writes missed questions and the web app writes ratings, so both
    processes open the same file; WAL and a busy timeout let them take turns.

    Args:
        path: The SQLite file; created with its tables when missing.
        clock: Returns "now" (UTC); tests pass a fixed one.

    """

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.path = path
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
        conn.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        self._db = sqlite_utils.Database(conn)
        # WAL lets the staff pages read while the action server writes; stored in the file.
        self._db.execute("pragma journal_mode = wal")
        with self._db.conn:
            self._db.conn.executescript(_SCHEMA)

    @classmethod
    def from_env(cls) -> InsightsRepository:
        """Opens the file named by ``INSIGHTS_DB`` (default ``$BOT_DATA_DIR/insights.db``).

        Returns:
            A repository; the data folder is created if needed.

        """
        from bot.services import open_insights  # builds every shared service

        return open_insights()

    def close(self) -> None:
        """Closes the connection."""
        self._db.conn.close()

    def record_feedback(
        self, sender: str, message_id: str, rating: str, question: str, answer: str
    ) -> None:
        """Stores a rating; rating the same message again replaces the first rating.

        Args:
            sender: The conversation's id from the widget.
            message_id: The widget's id for the rated message.
            rating: ``up`` or ``down``.
            question: What the citizen asked; shortened to :data:`QUESTION_LIMIT`.
            answer: The rated message; shortened to :data:`ANSWER_LIMIT`.

        Raises:
            ValueError: The rating is neither ``up`` nor ``down``.

        """
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}")
        with self._db.conn:
            self._db.execute(
                _UPSERT_FEEDBACK,
                {
                    "sender": sender,
                    "message_id": message_id,
                    "rating": rating,
                    "question": question[:QUESTION_LIMIT],
                    "answer": answer[:ANSWER_LIMIT],
                    "created_at": self._now(),
                },
            )

    def negative_feedback(self, limit: int = 200) -> list[Feedback]:
        """The newest thumbs-down ratings first."""
        rows = self._db.query(
            "select rating, question, answer, created_at from feedback where rating = 'down' "
            "order by created_at desc, id desc limit ?",
            [limit],
        )
        return [Feedback(**_with_time(row)) for row in rows]

    def feedback_counts(self) -> dict[str, int]:
        """How many answers were rated up and down in all."""
        rows = self._db.query("select rating, count(*) as n from feedback group by rating")
        counts = dict.fromkeys(RATINGS, 0)
        counts.update({row["rating"]: row["n"] for row in rows})
        return counts

    def record_unanswered(self, text: str, suggestions: int) -> None:
        """Stores a message that hit the fallback.

        Args:
            text: The message (already CPR-redacted by the channel); shortened to
                :data:`QUESTION_LIMIT` characters.
            suggestions: How many search hits were offered instead.

        """
        with self._db.conn:
            self._db.execute(
                "insert into unanswered (text, suggestions, created_at) values (?, ?, ?)",
                [text[:QUESTION_LIMIT], suggestions, self._now()],
            )

    def unanswered(self, limit: int = 200) -> list[Unanswered]:
        """The newest missed questions first."""
        rows = self._db.query(
            "select text, suggestions, created_at from unanswered "
            "order by created_at desc, id desc limit ?",
            [limit],
        )
        return [Unanswered(**_with_time(row)) for row in rows]

    def purge(self, older_than: dt.datetime) -> int:
        """Deletes ratings and missed questions stored before the cutoff.

        Args:
            older_than: The cutoff; timezone-aware.

        Returns:
            How many rows were deleted, both kinds together.

        """
        cutoff = _utc_text(older_than)
        with self._db.conn:
            ratings = self._db.execute("delete from feedback where created_at < ?", [cutoff])
            missed = self._db.execute("delete from unanswered where created_at < ?", [cutoff])
        return ratings.rowcount + missed.rowcount

    def count_before(self, older_than: dt.datetime) -> int:
        """Counts what :meth:`purge` would delete, deleting nothing."""
        cutoff = _utc_text(older_than)
        rows = self._db.execute(
            "select (select count(*) from feedback where created_at < :cutoff) "
            "+ (select count(*) from unanswered where created_at < :cutoff)",
            {"cutoff": cutoff},
        )
        return rows.fetchone()[0]

    def _now(self) -> str:
        return _utc_text(self._clock())


def _utc_text(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return value.astimezone(dt.timezone.utc).isoformat()


def _with_time(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "created_at": dt.datetime.fromisoformat(row["created_at"])}


# The action server's repository, opened on first use.
shared_insights: Shared[InsightsRepository] = Shared(lambda: InsightsRepository.from_env())
