"""The knowledge base of service levels: files in ``knowledge/``, queried through SQLite."""

from bot.knowledge.repository import (
    Answer,
    ContactInfo,
    KnowledgeRepository,
    ServiceInfo,
    contact_fields,
)
from bot.knowledge.schema import KnowledgeError, load_knowledge

__all__ = [
    "Answer",
    "ContactInfo",
    "KnowledgeError",
    "KnowledgeRepository",
    "ServiceInfo",
    "contact_fields",
    "load_knowledge",
]
