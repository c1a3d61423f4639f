"""``fronten``: the project's one command line, for staff, cron and measuring.

Each group lives next to the code it drives (``bot/booking/cli.py`` and so on); this module
only mounts them. Commands that need Rasa import it when they run, so ``fronten --help``
stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from bot.booking.cli import cli as booking
from bot.insights.cli import cli as insights
from bot.knowledge.cli import cli as knowledge
from bot.rasa.conversations import cli as conversations
from bot.sms.cli import cli as sms

DEFAULT_NLU_DATA = "tests/data/nlu_heldout.yml"
DEFAULT_MODEL = "models/assistant.tar.gz"


@click.group()
def cli() -> None:
    """Fronten's assistant: the knowledge base, bookings, SMS, housekeeping and measuring.

    Settings come from the environment (see the README's Configuration).
    """


cli.add_command(knowledge, "knowledge")
cli.add_command(booking, "booking")
cli.add_command(sms, "sms")
cli.add_command(insights, "insights")
cli.add_command(conversations, "conversations")


@cli.command("purge")
@click.pass_context
def purge_command(context: click.Context) -> None:
    """Delete everything older than its retention period (schedule it daily).

    Bookings that ended more than retention_days ago, conversations idle for
    CONVERSATION_RETENTION_DAYS, and ratings and missed questions older than
    INSIGHTS_RETENTION_DAYS.
    """
    for group in (booking, conversations, insights):
        assert isinstance(group, click.Group)
        context.invoke(group.commands["purge"])


@cli.command("hash-password")
def hash_password_command() -> None:
    """Print an scrypt hash for STAFF_PASSWORD_HASH (asks twice, or reads one line)."""
    from bot.web.hash_password import main

    main()


@cli.command("evaluate")
@click.argument("data", type=click.Path(path_type=Path), default=DEFAULT_NLU_DATA)
@click.argument("model", type=click.Path(path_type=Path), default=DEFAULT_MODEL)
def evaluate_command(data: Path, model: Path) -> None:
    """Intent F1 of the trained model on a held-out NLU file, with every misclassified example."""
    from bot.quality.evaluation import main

    main(data, model)


@cli.command("answer-check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--project", type=click.Path(path_type=Path), default=None)
@click.option("--failures", is_flag=True, help="Print every miss.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write the totals.")
def answer_check_command(
    paths: tuple[Path, ...], project: Optional[Path], failures: bool, json_path: Optional[Path]
) -> None:
    """Right, wrong with a source, and abstained, per service, on written answer sets."""
    from bot.quality.answer_check import main

    argv = [str(p) for p in paths]
    argv += ["--project", str(project)] if project else []
    argv += ["--failures"] if failures else []
    argv += ["--json", str(json_path)] if json_path else []
    sys.exit(main(argv))


if __name__ == "__main__":
    cli()
