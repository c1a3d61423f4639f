"""Command line for staff: purge old bookings and list upcoming ones.

A thin layer over ``BookingRepository``; run as ``python -m bot.booking``.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Iterator, Sequence

import click

from bot.booking.config import BookingConfig
from bot.booking.repository import EVENT_RETENTION, Booking, BookingRepository

HEADERS = ("Date", "Time", "Seat", "Reference", "Meeting", "First name", "Phone", "Topic")


@click.group()
def cli() -> None:
    """Manage Fronten's appointment bookings (database from BOOKING_DB)."""


@cli.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=None,
    help="Delete bookings that ended more than this many days ago "
    "[default: retention_days from the booking config].",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge_command(days: int | None, dry_run: bool) -> None:
    """Delete bookings whose appointment ended more than N days ago (any status)."""
    config = BookingConfig.from_env()
    days = config.retention_days if days is None else days
    cutoff = dt.datetime.now(config.timezone).replace(microsecond=0) - dt.timedelta(days=days)
    with _repository(config) as repository:
        if dry_run:
            count = repository.count_ended_before(cutoff)
            click.echo(f"Would delete {count} booking(s) that ended before {cutoff.isoformat()}.")
        else:
            count = repository.purge(cutoff)
            click.echo(f"Deleted {count} booking(s) that ended before {cutoff.isoformat()}.")
            # Counts for the booking and lock-out limits are useless after a few days.
            repository.purge_events(dt.datetime.now(config.timezone) - EVENT_RETENTION)


@cli.command("list")
@click.option(
    "--date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only this day (YYYY-MM-DD) [default: all upcoming from now].",
)
def list_command(date: dt.datetime | None) -> None:
    """Print booked appointments as a table, earliest first."""
    config = BookingConfig.from_env()
    with _repository(config) as repository:
        if date is None:
            bookings = repository.upcoming(dt.datetime.now(config.timezone))
        else:
            bookings = repository.on_date(date.date())
    if not bookings:
        click.echo("No bookings.")
        return
    for line in format_table(bookings):
        click.echo(line)


def format_table(bookings: Sequence[Booking]) -> list[str]:
    """Aligned text columns, one line per booking, times in the bookings' own zone.

    Args:
        bookings: The bookings to show.

    Returns:
        The header line, a rule and one line per booking.

    """
    rows = [HEADERS] + [
        (
            b.start.strftime("%Y-%m-%d"),
            f"{b.start:%H:%M}-{b.end:%H:%M}",
            str(b.capacity_unit),
            b.reference,
            b.meeting,
            b.first_name,
            b.phone,
            b.topic,
        )
        for b in bookings
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return [line(rows[0]), line(["-" * w for w in widths]), *(line(row) for row in rows[1:])]


@contextmanager
def _repository(config: BookingConfig) -> Iterator[BookingRepository]:
    # One short-lived connection per command, closed even when the command fails.
    repository = BookingRepository.from_env(timezone=config.timezone)
    try:
        yield repository
    finally:
        repository.close()
