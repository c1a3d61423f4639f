"""Deletes old conversations from the tracker store: ``fronten conversations purge``."""

from __future__ import annotations

import datetime as dt
import time
from functools import partial

import click
import sqlalchemy as sa

from bot.cli_tools import purge_and_report, purge_options
from bot.settings import Retention


class ConversationRepository:
    """The tracker store's ``events`` table, for housekeeping only (Rasa reads and writes it).

    Args:
        url: The SQLAlchemy URL of the tracker store.

    """

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)

    def count(self) -> int:
        """How many conversations are stored."""
        with self.engine.connect() as conn:
            return conn.execute(sa.text("select count(distinct sender_id) from events")).scalar()

    def count_before(self, older_than: float) -> int:
        """How many conversations have no event since a Unix time."""
        stale = "select sender_id from events group by sender_id having max(timestamp) < :cutoff"
        with self.engine.connect() as conn:
            query = sa.text(f"select count(*) from ({stale})")
            return conn.execute(query, {"cutoff": older_than}).scalar()

    def purge(self, older_than: float) -> int:
        """Deletes every conversation whose latest event is older than a Unix time.

        Args:
            older_than: The cutoff in seconds since the epoch.

        Returns:
            How many conversations were deleted.

        """
        stale = "select sender_id from events group by sender_id having max(timestamp) < :cutoff"
        with self.engine.begin() as conn:
            senders = [row[0] for row in conn.execute(sa.text(stale), {"cutoff": older_than})]
            for sender in senders:
                conn.execute(sa.text("delete from events where sender_id = :s"), {"s": sender})
        return len(senders)


@click.group()
def cli() -> None:
    """Housekeeping of stored conversations."""


@cli.command()
@purge_options(
    lambda: Retention.from_env().conversation_days,
    f"CONVERSATION_RETENTION_DAYS or {Retention.conversation_days}",
    "conversations whose last message came",
)
def purge(days: int, dry_run: bool) -> None:
    """Deletes conversations older than the retention period (schedule it daily)."""
    # Imports Rasa (seconds); only this command needs it.
    from bot.rasa.tracker_store import tracker_store_url

    repository = ConversationRepository(tracker_store_url())
    cutoff = time.time() - days * 86_400
    when = dt.datetime.fromtimestamp(cutoff, dt.timezone.utc).isoformat(timespec="seconds")
    purge_and_report(
        dry_run,
        partial(repository.count_before, cutoff),
        partial(repository.purge, cutoff),
        f"conversation(s) with no message since {when}",
    )


if __name__ == "__main__":
    cli()
