"""``fronten insights``: housekeeping of ratings and missed questions."""

from __future__ import annotations

from contextlib import closing

import click

from bot.cli_tools import cutoff, purge_options
from bot.services import open_insights
from bot.settings import Retention


@click.group()
def cli() -> None:
    """Manage what the chat taught staff (database from INSIGHTS_DB)."""


@cli.command("purge")
@purge_options(
    lambda: Retention.from_env().insights_days,
    f"INSIGHTS_RETENTION_DAYS or {Retention.insights_days}",
    "ratings and missed questions stored",
)
def purge_command(days: int, dry_run: bool) -> None:
    """Delete ratings and missed questions stored more than N days ago."""
    before = cutoff(days)
    with closing(open_insights()) as repository:
        if dry_run:
            count = repository.count_before(before)
            click.echo(f"Would delete {count} rating(s) and missed question(s) before {before}.")
        else:
            count = repository.purge(before)
            click.echo(f"Deleted {count} rating(s) and missed question(s) stored before {before}.")
