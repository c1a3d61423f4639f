"""What the subcommands of ``fronten`` share: purge options, text tables and logging."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable, Optional, Sequence

import click

LOG_FORMAT = "[%(asctime)s] [%(levelname)s] %(name)s: %(message)s"


def purge_options(
    default: Optional[Callable[[], int]], shown: str, what: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--days N`` and ``--dry-run`` options of every purge command.

    Args:
        default: Reads the retention period when ``--days`` is not given (at run time,
            from the settings); None leaves ``days`` None for the command to fill in.
        shown: How ``--help`` names the default.
        what: What is deleted, for the help text.

    Returns:
        A decorator that adds both options.

    """

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option("--dry-run", is_flag=True, help="Only count what would be deleted.")(
            command
        )
        return click.option(
            "--days",
            type=click.IntRange(min=0),
            default=default,
            show_default=shown,
            help=f"Delete {what} more than this many days ago.",
        )(command)

    return decorate


def purge_and_report(
    dry_run: bool,
    count: Callable[[], int],
    purge: Callable[[], int],
    what: str,
    what_deleted: Optional[str] = None,
) -> None:
    """Deletes, or with ``--dry-run`` only counts, and says how many.

    Args:
        dry_run: Only count what would be deleted.
        count: Counts what would be deleted.
        purge: Deletes it and returns how many went.
        what: What the number counts, e.g. ``booking(s) that ended before 2026-11-01``.
        what_deleted: The same after deleting, when it reads differently.

    """
    if dry_run:
        click.echo(f"Would delete {count()} {what}.")
    else:
        click.echo(f"Deleted {purge()} {what_deleted or what}.")


def cutoff(days: int, zone: dt.tzinfo = dt.timezone.utc) -> dt.datetime:
    """Now minus ``days``, to the second, in ``zone``."""
    return dt.datetime.now(zone).replace(microsecond=0) - dt.timedelta(days=days)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Aligned text columns.

    Args:
        headers: The column names.
        rows: One sequence of cells per line, as many as there are headers.

    Returns:
        The header line, a rule and one line per row, without trailing spaces.

    """
    everything = [tuple(headers), *(tuple(row) for row in rows)]
    widths = [max(len(row[i]) for row in everything) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(row) for row in rows)]


def log_to_stderr() -> None:
    """Shows the project's log lines (INFO and up); Sanic and Rasa configure their own."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.getLogger("bot").addHandler(handler)
    logging.getLogger("bot").setLevel(logging.INFO)
