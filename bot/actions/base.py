"""What every action that reads the knowledge base shares."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action

from bot.knowledge import KnowledgeRepository
from bot.services import open_knowledge
from bot.shared import Shared

# The action server's repository, opened on first use (never at import time); the server's
# entry point sets it from the settings it read.
default_repository: Shared[KnowledgeRepository] = Shared(open_knowledge)


class KnowledgeAction(Action, ABC):
    """An action that reads the knowledge base (abstract, so rasa_sdk does not register it).

    Args:
        repository: The repository to use; tests pass an in-memory one. Defaults to the
            process-wide repository from the environment.

    """

    def __init__(self, repository: KnowledgeRepository | None = None) -> None:
        self._repository = repository

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    @property
    def repository(self) -> KnowledgeRepository:
        """The knowledge repository."""
        return self._repository or default_repository()


def intent_payload(intent: str, **entities: Any) -> str:
    """A button payload that sends an intent with entities, e.g. ``/ask_cost{"service":"bpa"}``."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False, separators=(',', ':'))}"
