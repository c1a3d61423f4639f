"""Reads and validates the knowledge YAML files.

Every error names the file and the field, so whoever edits a file can fix it without
reading code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ID_PATTERN = re.compile(r"^[a-z0-9_]+$")


class KnowledgeError(ValueError):
    """A knowledge file is malformed.

    Attributes:
        path: The file.
        field: Dotted path of the offending field, e.g. ``facts[2].source.section``.

    """

    def __init__(self, path: Path, field: str, message: str) -> None:
        self.path = path
        self.field = field
        super().__init__(f"{path}: field '{field}': {message}")


@dataclass(frozen=True)
class Document:
    """A source document that facts are written from."""

    file: str
    municipality: str
    title: str
    rank: int


@dataclass(frozen=True)
class Topic:
    """A kind of question, such as ``cost`` or ``complaint``.

    Attributes:
        cues: Word beginnings of which a question of this kind names at least one ("lov"
            for the legal basis); empty when any wording may ask it.
    """

    id: str
    label: str
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """Where a fact comes from: a document and the section heading in it."""

    document: str
    section: str


@dataclass(frozen=True)
class Contact:
    """A contact point the assistant refers citizens to."""

    id: str
    municipality: str
    name: str
    address: str
    phone: str
    email: str
    source: Source
    questions: tuple[str, ...] = ()
    # What the contact point is, from its source ("Fronten er kommunens indgang …").
    about: str = ""


@dataclass(frozen=True)
class Fact:
    """One short answer about one service, with the questions citizens ask about it.

    Attributes:
        id: Unique within its service; ``<service id>.<id>`` is unique everywhere.
        topic: The kind of question, one of ``topics.yml``.
        text: The answer in plain Danish.
        source: Where it stands in the seed documents.
        questions: How citizens ask for it, in their own registers; the ranker's main
            evidence.
        note: For staff, e.g. where two documents disagree.

    """

    id: str
    topic: str
    text: str
    source: Source
    questions: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Service:
    """A service (an ``indsats``) with its facts."""

    id: str
    municipality: str
    paragraphs: tuple[str, ...]
    name: str
    aliases: tuple[str, ...]
    facts: tuple[Fact, ...]
    path: Path = field(compare=False)
    hints: tuple[str, ...] = ()
    # A part of the service that citizens name on its own (an alias or a paragraph, such as
    # "social færdighedstræning" or "82b"), and the fact that says what that part is.
    parts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Gap:
    """Something citizens ask that the quality standards do not answer.

    Matching a gap lets the assistant say plainly that the standards do not say, instead
    of answering with the nearest fact.
    """

    id: str
    questions: tuple[str, ...]
    municipality: str | None = None


@dataclass(frozen=True)
class Knowledge:
    """Everything in the knowledge folder, validated."""

    documents: tuple[Document, ...]
    topics: tuple[Topic, ...]
    contacts: tuple[Contact, ...]
    services: tuple[Service, ...]
    gaps: tuple[Gap, ...] = ()


def load_knowledge(folder: Path) -> Knowledge:
    """Reads and validates every knowledge file in a folder.

    Args:
        folder: The knowledge folder (``sources.yml``, ``topics.yml``, ``contacts.yml``
            and ``services/**/*.yml``).

    Returns:
        The validated knowledge.

    Raises:
        KnowledgeError: A file is malformed; the message names the file and the field.

    """
    documents = _documents(folder / "sources.yml")
    topics = _topics(folder / "topics.yml")
    by_file = {d.file: d for d in documents}
    contacts = _contacts(folder / "contacts.yml", by_file)
    services = tuple(
        _service(path, by_file, {t.id for t in topics})
        for path in sorted((folder / "services").rglob("*.yml"))
    )
    _unique(folder / "services", "id", [(s.path, s.id) for s in services])
    gaps = _gaps(folder / "gaps.yml") if (folder / "gaps.yml").exists() else ()
    return Knowledge(documents, topics, contacts, services, gaps)


def _gaps(path: Path) -> tuple[Gap, ...]:
    gaps = []
    for i, raw in enumerate(_list(path, _read(path), "gaps")):
        where = f"gaps[{i}]."
        item = _mapping(path, raw, where[:-1])
        gaps.append(
            Gap(
                id=_id(path, item, where=where),
                questions=tuple(
                    _value(path, q, f"{where}questions[{j}]")
                    for j, q in enumerate(_list(path, item, "questions", where))
                ),
                municipality=(
                    _text(path, item, "municipality", where) if "municipality" in item else None
                ),
            )
        )
    _unique(path, "gaps[].id", [(path, g.id) for g in gaps])
    return tuple(gaps)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError(path, "(file)", "the file is missing") from None
    except yaml.YAMLError as error:
        raise KnowledgeError(path, "(file)", f"not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise KnowledgeError(path, "(file)", "expected a mapping at the top level")
    return data


def _text(path: Path, data: dict[str, Any], key: str, where: str = "") -> str:
    name = f"{where}{key}"
    if key not in data:
        raise KnowledgeError(path, name, "is required")
    return _value(path, data[key], name)


def _value(path: Path, value: Any, name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeError(path, name, "must be a non-empty text")
    if "{" in value or "}" in value:
        # Responses are filled with str.format-style templates.
        raise KnowledgeError(path, name, "must not contain { or }")
    return " ".join(value.split())


def _list(path: Path, data: dict[str, Any], key: str, where: str = "") -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise KnowledgeError(path, f"{where}{key}", "must be a non-empty list")
    return value


def _mapping(path: Path, value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KnowledgeError(path, name, "must be a mapping")
    return value


def _id(path: Path, data: dict[str, Any], key: str = "id", where: str = "") -> str:
    value = _text(path, data, key, where)
    if not ID_PATTERN.match(value):
        raise KnowledgeError(path, f"{where}{key}", "use only a-z, 0-9 and _")
    return value


def _unique(path: Path, name: str, items: list[tuple[Path, str]]) -> None:
    seen: dict[str, Path] = {}
    for item_path, value in items:
        if value in seen:
            raise KnowledgeError(item_path, name, f"'{value}' is also used in {seen[value]}")
        seen[value] = item_path


def _documents(path: Path) -> tuple[Document, ...]:
    documents = []
    for i, raw in enumerate(_list(path, _read(path), "documents")):
        where = f"documents[{i}]."
        item = _mapping(path, raw, where[:-1])
        rank = item.get("rank")
        if not isinstance(rank, int) or rank < 1:
            raise KnowledgeError(path, f"{where}rank", "must be a whole number from 1")
        documents.append(
            Document(
                file=_text(path, item, "file", where),
                municipality=_text(path, item, "municipality", where),
                title=_text(path, item, "title", where),
                rank=rank,
            )
        )
    _unique(path, "documents[].file", [(path, d.file) for d in documents])
    return tuple(documents)


def _topics(path: Path) -> tuple[Topic, ...]:
    topics = []
    for i, raw in enumerate(_list(path, _read(path), "topics")):
        where = f"topics[{i}]."
        item = _mapping(path, raw, where[:-1])
        topics.append(
            Topic(
                id=_id(path, item, where=where),
                label=_text(path, item, "label", where),
                cues=tuple(
                    _value(path, cue, f"{where}cues[{j}]").lower()
                    for j, cue in enumerate(item.get("cues") or [])
                ),
            )
        )
    _unique(path, "topics[].id", [(path, t.id) for t in topics])
    return tuple(topics)


def _source(
    path: Path, item: dict[str, Any], where: str, documents: dict[str, Document], municipality: str
) -> Source:
    raw = _mapping(path, item.get("source"), f"{where}source")
    document = _text(path, raw, "document", f"{where}source.")
    if document not in documents:
        raise KnowledgeError(path, f"{where}source.document", f"'{document}' is not in sources.yml")
    if documents[document].municipality != municipality:
        raise KnowledgeError(
            path,
            f"{where}source.document",
            f"'{document}' belongs to {documents[document].municipality}, not {municipality}",
        )
    return Source(document=document, section=_text(path, raw, "section", f"{where}source."))


def _contacts(path: Path, documents: dict[str, Document]) -> tuple[Contact, ...]:
    contacts = []
    for i, raw in enumerate(_list(path, _read(path), "contacts")):
        where = f"contacts[{i}]."
        item = _mapping(path, raw, where[:-1])
        municipality = _text(path, item, "municipality", where)
        contacts.append(
            Contact(
                id=_id(path, item, where=where),
                municipality=municipality,
                name=_text(path, item, "name", where),
                address=_text(path, item, "address", where),
                phone=_text(path, item, "phone", where),
                email=_text(path, item, "email", where),
                source=_source(path, item, where, documents, municipality),
                # How citizens ask for it ("hvad er jeres telefonnummer?"), so the ranker
                # tells it from the gaps and the facts.
                questions=tuple(
                    _value(path, q, f"{where}questions[{j}]")
                    for j, q in enumerate(item.get("questions") or [])
                ),
                about=_text(path, item, "about", where) if item.get("about") is not None else "",
            )
        )
    _unique(path, "contacts[].id", [(path, c.id) for c in contacts])
    return tuple(contacts)


def _service(path: Path, documents: dict[str, Document], topics: set[str]) -> Service:
    data = _read(path)
    municipality = _text(path, data, "municipality")
    if municipality not in {d.municipality for d in documents.values()}:
        raise KnowledgeError(
            path, "municipality", f"no document in sources.yml is from {municipality}"
        )
    paragraphs = tuple(
        _value(path, p, f"paragraphs[{i}]") for i, p in enumerate(_list(path, data, "paragraphs"))
    )
    aliases = data.get("aliases") or []
    if not isinstance(aliases, list):
        raise KnowledgeError(path, "aliases", "must be a list")
    hints = data.get("hints") or []
    if not isinstance(hints, list):
        raise KnowledgeError(path, "hints", "must be a list")
    facts = []
    for i, raw in enumerate(_list(path, data, "facts")):
        where = f"facts[{i}]."
        item = _mapping(path, raw, where[:-1])
        topic = _id(path, item, "topic", where)
        if topic not in topics:
            raise KnowledgeError(path, f"{where}topic", f"'{topic}' is not in topics.yml")
        note = _text(path, item, "note", where) if item.get("note") is not None else None
        questions = item.get("questions") or []
        if not isinstance(questions, list):
            raise KnowledgeError(path, f"{where}questions", "must be a list")
        facts.append(
            Fact(
                id=_id(path, item, where=where) if "id" in item else f"{topic}_{i}",
                topic=topic,
                text=_text(path, item, "text", where),
                source=_source(path, item, where, documents, municipality),
                questions=tuple(
                    _value(path, q, f"{where}questions[{j}]") for j, q in enumerate(questions)
                ),
                note=note,
            )
        )
    _unique(path, "facts[].id", [(path, f.id) for f in facts])
    parts = data.get("parts") or {}
    if not isinstance(parts, dict):
        raise KnowledgeError(path, "parts", "must map an alias or a paragraph to a fact id")
    for part, fact_id in parts.items():
        if str(part) not in {*aliases, *paragraphs}:
            raise KnowledgeError(path, f"parts.{part}", "is neither an alias nor a paragraph")
        if fact_id not in {f.id for f in facts}:
            raise KnowledgeError(path, f"parts.{part}", f"'{fact_id}' is not a fact of it")
    return Service(
        id=_id(path, data),
        municipality=municipality,
        paragraphs=paragraphs,
        name=_text(path, data, "name"),
        aliases=tuple(_value(path, a, f"aliases[{i}]") for i, a in enumerate(aliases)),
        facts=tuple(facts),
        path=path,
        hints=tuple(_value(path, h, f"hints[{i}]") for i, h in enumerate(hints)),
        parts=tuple((str(part), str(fact_id)) for part, fact_id in parts.items()),
    )
