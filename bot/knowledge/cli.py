"""Command line for the knowledge base: a thin layer over the Python API."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.knowledge.build import build
from bot.knowledge.nlu import lookup_document
from bot.knowledge.repository import KnowledgeRepository
from bot.knowledge.schema import KnowledgeError, load_knowledge
from bot.settings import Settings

SETTINGS = Settings.from_env()


@click.group()
def cli() -> None:
    """Build and query the knowledge base of service levels."""


@cli.command("build")
@click.option("--folder", type=click.Path(path_type=Path), default=SETTINGS.knowledge_dir)
@click.option("--db", type=click.Path(path_type=Path), default=SETTINGS.knowledge_db)
@click.option(
    "--lookups",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the NLU lookup table for services to this file (only if it changed).",
)
@click.option("--municipality", default=SETTINGS.municipality)
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
@click.option("--folder", type=click.Path(path_type=Path), default=SETTINGS.knowledge_dir)
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
@click.option("--db", type=click.Path(path_type=Path), default=SETTINGS.knowledge_db)
@click.option("--municipality", default=SETTINGS.municipality)
@click.option("--limit", default=5)
def search_command(text: str, db: Path, municipality: str, limit: int) -> None:
    """Full-text search, as the assistant does when it is unsure."""
    repository = KnowledgeRepository.open(db, municipality)
    for hit in repository.search(text, limit=limit):
        click.echo(f"{hit.service_id}\t{hit.topic}\t{hit.service_name}: {hit.topic_label}")


@cli.command("answer")
@click.argument("service")
@click.argument("topic")
@click.option("--db", type=click.Path(path_type=Path), default=SETTINGS.knowledge_db)
@click.option("--municipality", default=SETTINGS.municipality)
def answer_command(service: str, topic: str, db: Path, municipality: str) -> None:
    """Print the answer the assistant gives, with its source."""
    repository = KnowledgeRepository.open(db, municipality)
    answers = repository.answers(service, topic)
    if not answers:
        click.echo("No answer.", err=True)
        sys.exit(1)
    for answer in answers:
        click.echo(f"{answer.text}\n  [{answer.document}: {answer.section}]")
