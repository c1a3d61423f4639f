"""Loads the validated knowledge into SQLite with full-text search."""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from bot.knowledge.schema import Knowledge, load_knowledge
from bot.knowledge.text import fold


def build_database(knowledge: Knowledge, db: sqlite_utils.Database) -> sqlite_utils.Database:
    """Writes the knowledge into a database, replacing what was there.

    Args:
        knowledge: Validated knowledge.
        db: The database to write, e.g. ``sqlite_utils.Database(memory=True)``.

    Returns:
        The same database, for chaining.

    """
    labels = {t.id: t.label for t in knowledge.topics}
    for name in ("facts_fts", "facts", "paragraphs", "services", "contacts", "topics", "documents"):
        if name in db.table_names():
            db[name].drop()
    db["documents"].insert_all(
        (
            {"file": d.file, "municipality": d.municipality, "title": d.title, "rank": d.rank}
            for d in knowledge.documents
        ),
        pk="file",
    )
    db["topics"].insert_all(
        ({"id": t.id, "label": t.label, "position": i} for i, t in enumerate(knowledge.topics)),
        pk="id",
    )
    db["contacts"].insert_all(
        (
            {
                "id": c.id,
                "municipality": c.municipality,
                "name": c.name,
                "address": c.address,
                "phone": c.phone,
                "email": c.email,
                "document": c.source.document,
                "section": c.source.section,
            }
            for c in knowledge.contacts
        ),
        pk=("municipality", "id"),
    )
    db["services"].insert_all(
        (
            {
                "id": s.id,
                "municipality": s.municipality,
                "name": s.name,
                "paragraphs": json.dumps(list(s.paragraphs)),
                "aliases": json.dumps(list(s.aliases), ensure_ascii=False),
                "file": s.path.name,
            }
            for s in knowledge.services
        ),
        pk="id",
    )
    db["paragraphs"].insert_all(
        (
            {"paragraph": p, "service_id": s.id, "municipality": s.municipality}
            for s in knowledge.services
            for p in s.paragraphs
        ),
        pk=("municipality", "paragraph", "service_id"),
        foreign_keys=[("service_id", "services", "id")],
    )
    db["facts"].insert_all(
        (
            {
                "service_id": s.id,
                "municipality": s.municipality,
                "topic": f.topic,
                "position": i,
                "text": f.text,
                "document": f.source.document,
                "section": f.source.section,
                "note": f.note,
                # Folded copy for search: citizens type "bostoette" as often as "bostøtte".
                "search_text": fold(" ".join([f.text, s.name, *s.aliases, labels[f.topic]])),
            }
            for s in knowledge.services
            for i, f in enumerate(s.facts)
        ),
        pk="id",
        foreign_keys=[
            ("service_id", "services", "id"),
            ("topic", "topics", "id"),
            ("document", "documents", "file"),
        ],
    )
    db["facts"].create_index(["municipality", "service_id", "topic"])
    db["facts"].enable_fts(["search_text"], create_triggers=False, tokenize="unicode61")
    return db


def build(folder: Path, target: Path) -> Knowledge:
    """Validates a knowledge folder and writes it to a SQLite file atomically.

    The file is written next to the target and renamed over it, so a running assistant
    never reads a half-built database.

    Args:
        folder: The knowledge folder.
        target: Path of the SQLite file.

    Returns:
        The knowledge that was written.

    Raises:
        KnowledgeError: A knowledge file is malformed; nothing is written.

    """
    knowledge = load_knowledge(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    db = sqlite_utils.Database(temporary)
    build_database(knowledge, db)
    db.conn.commit()
    db.close()
    temporary.replace(target)
    return knowledge
