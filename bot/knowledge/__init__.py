"""The knowledge base of service levels: files in ``knowledge/``, queried through SQLite."""

from bot.knowledge.repository import (
    Answer,
    ContactInfo,
    KnowledgeRepository,
    ServiceInfo,
)
from bot.knowledge.schema import KnowledgeError, load_knowledge

__all__ = [
    "Answer",
    "ContactInfo",
    "KnowledgeError",
    "KnowledgeRepository",
    "ServiceInfo",
    "load_knowledge",
]
