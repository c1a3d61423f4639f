"""Read-only queries over the knowledge database: the only place actions get facts from."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from bot.knowledge.answering import ANSWER, CONTACT_PREFIX, Answerer
from bot.knowledge.ranker import Candidate
from bot.knowledge.service_names import NamedService, ServiceNames
from bot.knowledge.words import Lemmatiser


@dataclass(frozen=True)
class ServiceInfo:
    """A service as the assistant names it."""

    id: str
    name: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    """A fact ready to be shown, with its source."""

    uid: str
    question: str
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
    about: str = ""


# Where citizens are sent: Fronten's own contact point, else the municipality's general one.
OFFICE_CONTACT_IDS = ("fronten", "general")


def contact_fields(contact: ContactInfo | None) -> dict[str, str]:
    """A contact point as the response templates' variables.

    Args:
        contact: The contact point, or None when the municipality has none.

    Returns:
        ``contact_name``, ``contact_address`` and ``contact_phone``; empty when unknown.

    """
    if contact is None:
        return {"contact_name": "", "contact_address": "", "contact_phone": ""}
    return {
        "contact_name": contact.name,
        "contact_address": contact.address,
        "contact_phone": contact.phone,
    }


_FACT_COLUMNS = """
select f.uid, coalesce(json_extract(f.questions, '$[0]'), '') as question, f.service_id,
       s.name as service_name, f.topic, t.label as topic_label, f.text, f.document,
       d.title as document_title, f.section, f.note
from facts f
join services s on s.id = f.service_id
join topics t on t.id = f.topic
join documents d on d.file = f.document
"""
_ANSWER_SQL = (
    _FACT_COLUMNS
    + """where f.municipality = :municipality and f.service_id = :service and f.topic = :topic
order by f.position"""
)
_FACT_SQL = _FACT_COLUMNS + "where f.municipality = :municipality and f.uid = :uid"

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
        self._answerer: Answerer | None = None
        self._answerer_lock = threading.Lock()

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

    def fact(self, uid: str) -> Answer | None:
        """One fact by its uid (``<service id>.<fact id>``), with its source."""
        rows = list(self._db.query(_FACT_SQL, {"municipality": self.municipality, "uid": uid}))
        return Answer(**rows[0]) if rows else None

    def candidates(self) -> list[Candidate]:
        """The municipality's facts, and the gaps in its standards, as the ranker sees them."""
        facts = [
            Candidate(
                uid=r["uid"],
                service_id=r["service_id"],
                topic=r["topic"],
                questions=tuple(json.loads(r["questions"])),
                text=r["text"],
                section=r["section"],
            )
            for r in self._db.query(
                "select uid, service_id, topic, questions, text, section from facts "
                "where municipality = ? order by service_id, position",
                [self.municipality],
            )
        ]
        gaps = (
            [
                Candidate(
                    uid=f"gap.{r['id']}",
                    service_id=None,
                    topic=None,
                    questions=tuple(json.loads(r["questions"])),
                )
                for r in self._db.query(
                    "select id, questions from gaps where municipality is null or municipality = ?",
                    [self.municipality],
                )
            ]
            if "gaps" in self._db.table_names()
            else []
        )
        contacts = [
            Candidate(uid=f"{CONTACT_PREFIX}{r['id']}", service_id=None, topic=None, questions=q)
            for r in self._db.query(
                "select * from contacts where municipality = ?", [self.municipality]
            )
            if (q := tuple(json.loads(r.get("questions") or "[]")))
        ]
        return facts + gaps + contacts

    def named_services(self) -> list[NamedService]:
        """The municipality's services with every name citizens use for them."""
        rows = self._db.query(
            "select * from services where municipality = ?",
            [self.municipality],
        )
        return [
            NamedService(
                id=r["id"],
                names=(re.sub(r"\(.*?\)", "", r["name"]).strip(), *json.loads(r["aliases"])),
                paragraphs=tuple(json.loads(r["paragraphs"])),
                hints=tuple(json.loads(r["hints"] or "[]")),
                parts=tuple(
                    (part, f"{r['id']}.{fact_id}")
                    for part, fact_id in json.loads(r.get("parts") or "{}").items()
                ),
            )
            for r in rows
        ]

    def lemmatiser(self) -> Lemmatiser:
        """Word forms of the knowledge base's vocabulary mapped to their lemmas."""
        forms = {}
        if "lemma_forms" in self._db.table_names():
            forms = {
                r["form"]: r["lemma"] for r in self._db.query("select form, lemma from lemma_forms")
            }
        return Lemmatiser(forms)

    def answerer(self) -> Answerer:
        """The answerer over this municipality's facts, built on first use.

        About 1.6 s for Ballerup and 1.8 s for Gladsaxe on this project's 2-core machine
        (measured 2026-12-01; 10.8 s and 14.4 s before service names were looked for only
        where a word starts like them); finding names in every question and text is still
        about half of it, building the ranker's matrices most of the rest.
        """
        with self._answerer_lock:
            if self._answerer is None:
                lemmatiser = self.lemmatiser()
                topics = list(self._db.query("select * from topics"))
                self._answerer = Answerer(
                    self.candidates(),
                    ServiceNames(self.named_services(), lemmatiser),
                    lemmatiser,
                    [r["id"] for r in topics],
                    self.municipality,
                    {r["id"]: tuple(json.loads(r.get("cues") or "[]")) for r in topics},
                )
            return self._answerer

    def topic_label(self, topic: str) -> str | None:
        """The Danish label of a topic, e.g. "Hvad koster det?"."""
        rows = list(self._db.query("select label from topics where id = ?", [topic]))
        return rows[0]["label"] if rows else None

    def contact(self, contact_id: str) -> ContactInfo | None:
        """A contact point of the municipality, e.g. ``fronten`` or ``general``."""
        rows = list(
            self._db.query(
                "select c.*, d.title as document_title "
                "from contacts c join documents d on d.file = c.document "
                "where c.municipality = ? and c.id = ?",
                [self.municipality, contact_id],
            )
        )
        if not rows:
            return None
        row = rows[0]
        fields = ("name", "address", "phone", "email", "document_title", "section")
        return ContactInfo(**{f: row[f] for f in fields}, about=row.get("about") or "")

    def office_contact(self) -> ContactInfo | None:
        """The contact point citizens are sent to: the first of :data:`OFFICE_CONTACT_IDS`."""
        for contact_id in OFFICE_CONTACT_IDS:
            contact = self.contact(contact_id)
            if contact is not None:
                return contact
        return None

    def answers_with_a_fact(self, text: str) -> bool:
        """Whether a message, read on its own, is clearly answered by a fact.

        A form uses it to tell a question that only mentions an answer ("kan Fronten hjælpe
        ham med at søge en bolig?") from an answer put as a question ("kan vi mødes i
        Fronten?", which no fact answers).
        """
        return self.answerer().decide(text).kind == ANSWER

    def search(self, text: str, limit: int = 5) -> list[Answer]:
        """The facts that best answer a whole question, best first, with their sources.

        Staff search with the same ranker that answers citizens. Any text is safe: it is
        only split into words, never passed to SQL.
        """
        found = [self.fact(s.candidate.uid) for s in self.answerer().search(text, limit)]
        return [answer for answer in found if answer is not None]


def _paragraph_number(paragraphs: tuple[str, ...]) -> int:
    digits = re.match(r"\d+", paragraphs[0]) if paragraphs else None
    return int(digits.group()) if digits else 0
