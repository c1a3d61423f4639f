"""Command line for the SMS worker and for staff: ``python -m bot.sms``."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Optional, Sequence

import click

from bot.booking.config import BookingConfig
from bot.sms.identity import mask
from bot.sms.repository import STATUSES, Outbox, OutboxMessage, SmsDatabase, parse_utc

HEADERS = ("Id", "Queued", "Kind", "Reference", "Number", "Status", "Tries", "Last error")


def _logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s] [%(levelname)s] %(name)s: %(message)s"))
    logging.getLogger("bot").addHandler(handler)
    logging.getLogger("bot").setLevel(logging.INFO)


@click.group()
def cli() -> None:
    """SMS notifications: the worker, and the outbox for staff (database from SMS_DB)."""


@cli.command("worker")
def worker_command() -> None:
    """Send queued SMS and reminders until stopped (one worker per SMS database)."""
    from bot.sms.worker import Worker

    _logging()
    Worker.from_env().run_forever()


@cli.command("send")
def send_command() -> None:
    """Queue due reminders and send what is due, once."""
    from bot.sms.worker import Worker

    _logging()
    worker = Worker.from_env()
    if not worker.can_send:
        raise click.ClickException("GATEWAYAPI_TOKEN or SMS_SENDER_SECRET is not set")
    queued = worker.queue_reminders()
    result = asyncio.run(worker.send_due())
    click.echo(
        f"Queued {queued} reminder(s). Sent {result.sent}, retrying {result.retried}, "
        f"failed {result.failed}, skipped {result.skipped}."
    )


@cli.command("outbox")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def outbox_command(status: Optional[str], limit: int) -> None:
    """List notification SMS, newest first; failed ones need a call from staff."""
    database = SmsDatabase.from_env()
    try:
        messages = Outbox(database).recent(status, limit)
    finally:
        database.close()
    if not messages:
        click.echo("No messages.")
        return
    for line in format_table(messages, BookingConfig.from_env().timezone):
        click.echo(line)


@cli.command("retry")
@click.argument("message_id", type=int)
def retry_command(message_id: int) -> None:
    """Queue a failed message again (after fixing the cause, e.g. the token)."""
    database = SmsDatabase.from_env()
    try:
        retried = Outbox(database).retry_failed(message_id, dt.datetime.now(dt.timezone.utc))
    finally:
        database.close()
    if not retried:
        raise click.ClickException(f"message {message_id} is not a failed message")
    click.echo(f"Message {message_id} is queued again.")


def format_table(messages: Sequence[OutboxMessage], zone: dt.tzinfo) -> list[str]:
    """Aligned columns, one line per message; numbers masked, times local.

    Args:
        messages: Outbox rows.
        zone: The time zone to show times in (Fronten's).

    Returns:
        The header line, a rule and one line per message.

    """
    rows = [HEADERS] + [
        (
            str(m.id),
            parse_utc(m.created_at).astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            m.kind,
            m.reference or "",
            mask(m.phone),
            m.status,
            str(m.attempts),
            (m.last_error or "")[:60],
        )
        for m in messages
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return [line(rows[0]), line(["-" * w for w in widths]), *(line(row) for row in rows[1:])]
