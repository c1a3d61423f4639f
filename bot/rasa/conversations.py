"""Deletes old conversations from the tracker store: ``python -m bot.rasa.conversations purge``."""

from __future__ import annotations

import datetime as dt
import os
import time

import click
import sqlalchemy as sa

from bot.rasa.tracker_store import tracker_store_url


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
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=lambda: int(os.environ.get("CONVERSATION_RETENTION_DAYS", "30")),
    show_default="CONVERSATION_RETENTION_DAYS or 30",
    help="Delete conversations with no message for this many days.",
)
def purge(days: int) -> None:
    """Deletes conversations older than the retention period (schedule it daily)."""
    repository = ConversationRepository(tracker_store_url())
    cutoff = time.time() - days * 86_400
    deleted = repository.purge(cutoff)
    when = dt.datetime.fromtimestamp(cutoff, dt.timezone.utc).isoformat(timespec="seconds")
    click.echo(f"Deleted {deleted} conversation(s) with no message since {when}.")


if __name__ == "__main__":
    cli()
