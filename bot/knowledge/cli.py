"""Command line for the knowledge base: a thin layer over the Python API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from bot.knowledge.build import build
from bot.knowledge.coverage import coverage, load_sections, problems, report, with_left_out
from bot.knowledge.nlu import lookup_document
from bot.knowledge.repository import KnowledgeRepository
from bot.knowledge.schema import KnowledgeError, load_knowledge
from bot.settings import Settings

SETTINGS = Settings.from_env()
_Command = TypeVar("_Command", bound=Callable[..., Any])

# Options several commands take; their defaults come from the settings.
folder_option = click.option(
    "--folder", type=click.Path(path_type=Path), default=SETTINGS.knowledge_dir
)
db_option = click.option("--db", type=click.Path(path_type=Path), default=SETTINGS.knowledge_db)
municipality_option = click.option("--municipality", default=SETTINGS.municipality)


def optional_path_option(name: str, help_text: str) -> Callable[[_Command], _Command]:
    """An option naming a file that a command writes or reads only when it is given.

    Args:
        name: The option, e.g. ``--lookups``.
        help_text: What the file is for.

    Returns:
        The decorator; the command receives a ``Path`` or None.

    """
    return click.option(name, type=click.Path(path_type=Path), default=None, help=help_text)


@click.group()
def cli() -> None:
    """Build and query the knowledge base of service levels."""


@cli.command("build")
@folder_option
@db_option
@optional_path_option(
    "--lookups",
    "Also write the NLU lookup table for services to this file (only if it changed).",
)
@municipality_option
def build_command(folder: Path, db: Path, lookups: Path | None, municipality: str) -> None:
    """Validate the knowledge files and build the SQLite database."""
    try:
        knowledge = build(folder, db)
    except KnowledgeError as error:
        click.echo(f"Knowledge base not built: {error}", err=True)
        sys.exit(1)
    facts = sum(len(s.facts) for s in knowledge.services)
    click.echo(f"Built {db}: {len(knowledge.services)} services, {facts} facts.")
    if lookups is not None:
        text = lookup_document(knowledge, municipality)
        if not lookups.exists() or lookups.read_text(encoding="utf-8") != text:
            lookups.write_text(text, encoding="utf-8")
            click.echo(f"Wrote {lookups}.")


@cli.command("check")
@folder_option
def check_command(folder: Path) -> None:
    """Validate the knowledge files without writing anything."""
    try:
        knowledge = load_knowledge(folder)
    except KnowledgeError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"OK: {len(knowledge.services)} services.")


@cli.command("search")
@click.argument("text")
@db_option
@municipality_option
@click.option("--limit", default=5)
def search_command(text: str, db: Path, municipality: str, limit: int) -> None:
    """The facts that best answer a question, ranked as the assistant ranks them."""
    repository = KnowledgeRepository.open(db, municipality)
    for answer in repository.search(text, limit=limit):
        click.echo(f"{answer.service_id}\t{answer.topic}\t{answer.service_name}: {answer.text}")


@cli.command("answer")
@click.argument("service")
@click.argument("topic")
@db_option
@municipality_option
def answer_command(service: str, topic: str, db: Path, municipality: str) -> None:
    """Print the answer the assistant gives, with its source."""
    repository = KnowledgeRepository.open(db, municipality)
    answers = repository.answers(service, topic)
    if not answers:
        click.echo("No answer.", err=True)
        sys.exit(1)
    for answer in answers:
        click.echo(f"{answer.text}\n  [{answer.document}: {answer.section}]")


@cli.command("coverage")
@folder_option
@optional_path_option(
    "--seeds",
    "The seed documents; when given, every heading is also looked up in its document.",
)
@optional_path_option(
    "--readme",
    "Write the left-out sections into this README (only if they changed).",
)
def coverage_command(folder: Path, seeds: Path | None, readme: Path | None) -> None:
    """Print every section of every seed document with the facts that cite it."""
    try:
        knowledge = load_knowledge(folder)
        sections = load_sections(folder / "sections.yml")
    except KnowledgeError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    rows = coverage(knowledge, sections)
    click.echo(report(rows))
    covered = sum(1 for r in rows if r.facts)
    click.echo(f"\n{covered} of {len(rows)} sections cited by facts; the rest are left out.")
    if readme is not None:
        text = readme.read_text(encoding="utf-8")
        updated = with_left_out(text, sections)
        if updated != text:
            readme.write_text(updated, encoding="utf-8")
            click.echo(f"Wrote the left-out sections into {readme}.")
    found = problems(knowledge, sections, seeds if seeds and seeds.is_dir() else None)
    for problem in found:
        click.echo(f"PROBLEM: {problem}", err=True)
    sys.exit(1 if found else 0)
