"""``fronten booking``: purge old bookings and list upcoming ones, for staff.

A thin layer over ``BookingRepository``.
"""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from functools import partial
from typing import Sequence

import click

from bot.booking.repository import EVENT_RETENTION, Booking
from bot.cli_tools import cutoff, purge_and_report, purge_options, table
from bot.services import booking_config, open_bookings

HEADERS = ("Date", "Time", "Seat", "Reference", "Meeting", "First name", "Phone", "Topic")


@click.group()
def cli() -> None:
    """Manage Fronten's appointment bookings (database from BOOKING_DB)."""


@cli.command("purge")
@purge_options(None, "retention_days from the booking config", "bookings that ended")
def purge_command(days: int | None, dry_run: bool) -> None:
    """Delete bookings whose appointment ended more than N days ago (any status)."""
    config = booking_config()
    before = cutoff(config.retention_days if days is None else days, config.timezone)
    with closing(open_bookings(timezone=config.timezone)) as repository:
        purge_and_report(
            dry_run,
            partial(repository.count_ended_before, before),
            partial(repository.purge, before),
            f"booking(s) that ended before {before.isoformat()}",
        )
        if not dry_run:
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
    config = booking_config()
    with closing(open_bookings(timezone=config.timezone)) as repository:
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
    return table(
        HEADERS,
        [
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
        ],
    )
