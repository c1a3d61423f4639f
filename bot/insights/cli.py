"""Housekeeping of ratings and missed questions: ``python -m bot.insights purge``."""

from __future__ import annotations

import datetime as dt
import os

import click

from bot.insights.repository import InsightsRepository

DEFAULT_RETENTION_DAYS = 90


@click.group()
def cli() -> None:
    """Manage what the chat taught staff (database from INSIGHTS_DB)."""


@cli.command("purge")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=lambda: int(os.environ.get("INSIGHTS_RETENTION_DAYS", str(DEFAULT_RETENTION_DAYS))),
    show_default=f"INSIGHTS_RETENTION_DAYS or {DEFAULT_RETENTION_DAYS}",
    help="Delete ratings and missed questions older than this many days.",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")
def purge_command(days: int, dry_run: bool) -> None:
    """Delete ratings and missed questions stored more than N days ago."""
    cutoff = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=days)
    repository = InsightsRepository.from_env()
    try:
        if dry_run:
            count = repository.count_before(cutoff)
            click.echo(f"Would delete {count} rating(s) and missed question(s) before {cutoff}.")
        else:
            count = repository.purge(cutoff)
            click.echo(f"Deleted {count} rating(s) and missed question(s) stored before {cutoff}.")
    finally:
        repository.close()
