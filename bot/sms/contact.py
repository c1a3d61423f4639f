"""Fronten's contact details for SMS texts, from the knowledge base."""

from __future__ import annotations

import logging
from typing import Callable, Dict, Optional

from bot.knowledge import KnowledgeRepository, contact_fields
from bot.services import open_knowledge
from bot.shared import Shared

logger = logging.getLogger(__name__)

Contact = Dict[str, str]


class ContactBook:
    """Reads Fronten's (or else the municipality's) details once, on first use.

    Args:
        open_repository: Opens the knowledge base; defaults to the one from the
            environment. Tests pass an in-memory one.

    """

    def __init__(self, open_repository: Optional[Callable[[], KnowledgeRepository]] = None) -> None:
        self._open = open_repository or open_knowledge
        self._contact: Shared[Contact] = Shared(self._read)

    def contact(self) -> Contact:
        """``contact_name``, ``contact_address`` and ``contact_phone``; empty when unknown."""
        return self._contact()

    def _read(self) -> Contact:
        try:
            found = self._open().office_contact()
        except Exception:  # noqa: BLE001 - a missing knowledge base must not stop SMS
            logger.exception("knowledge base unavailable; SMS texts go without a phone number")
            found = None
        return contact_fields(found)
