"""Read-only queries over the knowledge database: the only place actions get facts from."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.knowledge.text import search_terms


@dataclass(frozen=True)
class ServiceInfo:
    """A service as the assistant names it."""

    id: str
    name: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    """A fact ready to be shown, with its source."""

    service_id: str
    service_name: str
    topic: str
    topic_label: str
    text: str
    document: str
    document_title: str
    section: str
    note: str | None


@dataclass(frozen=True)
class ContactInfo:
    """A contact point with its source."""

    name: str
    address: str
    phone: str
    email: str
    document_title: str
    section: str


@dataclass(frozen=True)
class SearchHit:
    """A (service, topic) pair that matched a free-text search."""

    service_id: str
    service_name: str
    topic: str
    topic_label: str


_ANSWER_SQL = """
select f.service_id, s.name as service_name, f.topic, t.label as topic_label, f.text,
       f.document, d.title as document_title, f.section, f.note
from facts f
join services s on s.id = f.service_id
join topics t on t.id = f.topic
join documents d on d.file = f.document
where f.municipality = :municipality and f.service_id = :service and f.topic = :topic
order by f.position
"""

_SEARCH_SQL = """
select f.service_id, s.name as service_name, f.topic, t.label as topic_label
from facts_fts
join facts f on f.rowid = facts_fts.rowid
join services s on s.id = f.service_id
join topics t on t.id = f.topic
where facts_fts match :query and f.municipality = :municipality
order by bm25(facts_fts)
limit :limit
"""

_PARAGRAPH = re.compile(r"(\d{2,3})\s*([a-b]{0,2})", re.IGNORECASE)


class KnowledgeRepository:
    """Queries the knowledge base for one municipality.

    One instance holds one read-only connection for the life of the process; queries are
    parameterised and cached by sqlite3's statement cache.

    Args:
        db: An open database (tests pass an in-memory one).
        municipality: Only this municipality's records are returned.

    """

    def __init__(self, db: sqlite_utils.Database, municipality: str) -> None:
        self._db = db
        self.municipality = municipality

    @classmethod
    def open(cls, path: Path, municipality: str) -> KnowledgeRepository:
        """Opens a built knowledge file read-only.

        Args:
            path: The SQLite file written by ``make knowledge``.
            municipality: The municipality to answer for.

        Returns:
            A repository.

        Raises:
            FileNotFoundError: The knowledge base has not been built.

        """
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist; run 'make knowledge'")
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        return cls(sqlite_utils.Database(conn), municipality)

    def services(self) -> list[ServiceInfo]:
        """Lists the municipality's services in the order of their paragraphs."""
        rows = self._db.query(
            "select id, name, paragraphs from services where municipality = ?",
            [self.municipality],
        )
        services = [
            ServiceInfo(r["id"], r["name"], tuple(json.loads(r["paragraphs"]))) for r in rows
        ]
        return sorted(services, key=lambda s: (_paragraph_number(s.paragraphs), s.name))

    def service(self, service_id: str) -> ServiceInfo | None:
        """Finds one of the municipality's services by id."""
        rows = list(
            self._db.query(
                "select id, name, paragraphs from services where id = ? and municipality = ?",
                [service_id, self.municipality],
            )
        )
        if not rows:
            return None
        return ServiceInfo(rows[0]["id"], rows[0]["name"], tuple(json.loads(rows[0]["paragraphs"])))

    def service_by_paragraph(self, text: str) -> ServiceInfo | None:
        """Finds the service for a paragraph reference such as "§ 85" or "paragraf 82 a".

        Args:
            text: The reference as the citizen wrote it.

        Returns:
            The service, or None when the municipality has no service under it.

        """
        match = _PARAGRAPH.search(text)
        if not match:
            return None
        number, letters = match.group(1), match.group(2).lower()
        for candidate in (number + letters, number):
            rows = list(
                self._db.query(
                    "select service_id from paragraphs where municipality = ? and paragraph = ? "
                    "order by service_id limit 1",
                    [self.municipality, candidate],
                )
            )
            if rows:
                return self.service(rows[0]["service_id"])
        return None

    def answers(self, service_id: str, topic: str) -> list[Answer]:
        """The facts that answer one kind of question about one service, in file order."""
        rows = self._db.query(
            _ANSWER_SQL,
            {"municipality": self.municipality, "service": service_id, "topic": topic},
        )
        return [Answer(**row) for row in rows]

    def topic_label(self, topic: str) -> str | None:
        """The Danish label of a topic, e.g. "Hvad koster det?"."""
        rows = list(self._db.query("select label from topics where id = ?", [topic]))
        return rows[0]["label"] if rows else None

    def contact(self, contact_id: str) -> ContactInfo | None:
        """A contact point of the municipality, e.g. ``fronten`` or ``general``."""
        rows = list(
            self._db.query(
                "select c.name, c.address, c.phone, c.email, d.title as document_title, c.section "
                "from contacts c join documents d on d.file = c.document "
                "where c.municipality = ? and c.id = ?",
                [self.municipality, contact_id],
            )
        )
        return ContactInfo(**rows[0]) if rows else None

    def search(self, text: str, limit: int = 3) -> list[SearchHit]:
        """Searches the facts' full text and returns the best distinct (service, topic) pairs.

        Args:
            text: Free text from a citizen; any FTS syntax in it is dropped.
            limit: The most pairs to return.

        Returns:
            Matches, best first; empty when nothing matched.

        """
        terms = search_terms(text)
        if not terms:
            return []
        query = " OR ".join(f'"{term}"*' for term in terms)
        hits: list[SearchHit] = []
        for row in self._db.query(
            _SEARCH_SQL, {"query": query, "municipality": self.municipality, "limit": limit * 4}
        ):
            hit = SearchHit(**row)
            if hit not in hits:
                hits.append(hit)
            if len(hits) == limit:
                break
        return hits


def _paragraph_number(paragraphs: tuple[str, ...]) -> int:
    digits = re.match(r"\d+", paragraphs[0]) if paragraphs else None
    return int(digits.group()) if digits else 0
