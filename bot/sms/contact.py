"""Fronten's contact details for SMS texts, from the knowledge base."""

from __future__ import annotations

import logging
import threading
from typing import Callable, Dict, Optional

from bot.knowledge import KnowledgeRepository
from bot.services import open_knowledge

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
        self._contact: Optional[Contact] = None
        self._lock = threading.Lock()

    def contact(self) -> Contact:
        """``contact_name``, ``contact_address`` and ``contact_phone``; empty when unknown."""
        with self._lock:
            if self._contact is None:
                self._contact = self._read()
            return self._contact

    def _read(self) -> Contact:
        try:
            repository = self._open()
            found = repository.contact("fronten") or repository.contact("general")
        except Exception:  # noqa: BLE001 - a missing knowledge base must not stop SMS
            logger.exception("knowledge base unavailable; SMS texts go without a phone number")
            found = None
        if found is None:
            return {"contact_name": "", "contact_address": "", "contact_phone": ""}
        return {
            "contact_name": found.name,
            "contact_address": found.address,
            "contact_phone": found.phone,
        }
