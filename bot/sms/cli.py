"""``fronten sms``: the SMS worker, and the outbox for staff."""

from __future__ import annotations

import asyncio
import datetime as dt
from contextlib import closing
from typing import Optional, Sequence

import click

from bot.cli_tools import log_to_stderr, table
from bot.services import booking_config, open_sms, sms_worker
from bot.sms.identity import mask
from bot.sms.repository import STATUSES, Outbox, OutboxMessage, parse_utc

HEADERS = ("Id", "Queued", "Kind", "Reference", "Number", "Status", "Tries", "Last error")


@click.group()
def cli() -> None:
    """SMS notifications: the worker, and the outbox for staff (database from SMS_DB)."""


@cli.command("worker")
def worker_command() -> None:
    """Send queued SMS and reminders until stopped (one worker per SMS database)."""
    log_to_stderr()
    sms_worker().run_forever()


@cli.command("send")
def send_command() -> None:
    """Queue due reminders and send what is due, once."""
    log_to_stderr()
    worker = sms_worker()
    if not worker.can_send:
        raise click.ClickException("GATEWAYAPI_TOKEN or SMS_SENDER_SECRET is not set")
    result = asyncio.run(worker.run_once())
    click.echo(
        f"Queued {result.queued} reminder(s). Sent {result.sent}, retrying {result.retried}, "
        f"failed {result.failed}, skipped {result.skipped}."
    )


@cli.command("outbox")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only this status.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def outbox_command(status: Optional[str], limit: int) -> None:
    """List notification SMS, newest first; failed ones need a call from staff."""
    with closing(open_sms()) as database:
        messages = Outbox(database).recent(status, limit)
    if not messages:
        click.echo("No messages.")
        return
    for line in format_table(messages, booking_config().timezone):
        click.echo(line)


@cli.command("retry")
@click.argument("message_id", type=int)
def retry_command(message_id: int) -> None:
    """Queue a failed message again (after fixing the cause, e.g. the token)."""
    with closing(open_sms()) as database:
        retried = Outbox(database).retry_failed(message_id, dt.datetime.now(dt.timezone.utc))
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
    return table(
        HEADERS,
        [
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
        ],
    )
