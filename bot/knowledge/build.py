"""Loads the validated knowledge into SQLite, with the lemma forms the ranker needs."""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from bot.knowledge.schema import Knowledge, load_knowledge
from bot.knowledge.words import danish_lemma_table, lemma_forms, words


def build_database(knowledge: Knowledge, db: sqlite_utils.Database) -> sqlite_utils.Database:
    """Writes the knowledge into a database, replacing what was there.

    Args:
        knowledge: Validated knowledge.
        db: The database to write, e.g. ``sqlite_utils.Database(memory=True)``.

    Returns:
        The same database, for chaining.

    """
    tables = (
        "facts_fts", "facts", "paragraphs", "services", "contacts", "topics", "documents",
        "gaps", "lemma_forms",
    )  # fmt: skip
    for name in tables:
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
        (
            {"id": t.id, "label": t.label, "cues": json.dumps(t.cues), "position": i}
            for i, t in enumerate(knowledge.topics)
        ),
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
                "questions": json.dumps(c.questions, ensure_ascii=False),
                "about": c.about,
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
                "hints": json.dumps(list(s.hints), ensure_ascii=False),
                "parts": json.dumps(dict(s.parts), ensure_ascii=False),
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
                "fact_id": f.id,
                "uid": f"{s.id}.{f.id}",
                "text": f.text,
                "questions": json.dumps(list(f.questions), ensure_ascii=False),
                "document": f.source.document,
                "section": f.source.section,
                "note": f.note,
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
    db["gaps"].insert_all(
        (
            {
                "id": g.id,
                "municipality": g.municipality,
                "questions": json.dumps(list(g.questions), ensure_ascii=False),
            }
            for g in knowledge.gaps
        ),
        pk="id",
    )
    db["lemma_forms"].insert_all(
        ({"form": form, "lemma": lemma} for form, lemma in _forms(knowledge).items()),
        pk="form",
    )
    return db


def vocabulary(knowledge: Knowledge) -> set[str]:
    """Every word of the knowledge base's texts, questions, names and aliases."""
    texts = [t.label for t in knowledge.topics]
    for s in knowledge.services:
        texts += [s.name, *s.aliases]
        for f in s.facts:
            texts += [f.text, f.source.section, *f.questions]
    for g in knowledge.gaps:
        texts += list(g.questions)
    return {w for text in texts for w in words(text)}


_FORMS_CACHE: dict[frozenset[str], dict[str, str]] = {}


def _forms(knowledge: Knowledge) -> dict[str, str]:
    # Reading the full table takes a second; tests build the same knowledge many times.
    wanted = frozenset(vocabulary(knowledge))
    if wanted not in _FORMS_CACHE:
        _FORMS_CACHE[wanted] = lemma_forms(wanted, danish_lemma_table())
    return _FORMS_CACHE[wanted]


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
