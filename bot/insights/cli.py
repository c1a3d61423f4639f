"""``fronten insights``: housekeeping of ratings and missed questions."""

from __future__ import annotations

from contextlib import closing
from functools import partial

import click

from bot.cli_tools import cutoff, purge_and_report, purge_options
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
        purge_and_report(
            dry_run,
            partial(repository.count_before, before),
            partial(repository.purge, before),
            f"rating(s) and missed question(s) before {before}",
            f"rating(s) and missed question(s) stored before {before}",
        )
