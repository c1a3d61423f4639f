"""Shared fixtures: tiny in-memory knowledge bases, trackers and a dispatcher."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
import sqlite_utils
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge import KnowledgeRepository, load_knowledge
from bot.knowledge.build import build_database

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = ROOT.parent / "shared" / "seeds"


def _memory_db(folder: Path) -> sqlite_utils.Database:
    return build_database(load_knowledge(folder), sqlite_utils.Database(memory=True))


@pytest.fixture(scope="session")
def fixture_db() -> sqlite_utils.Database:
    """The tiny fixture knowledge base (two Ballerup services, one Gladsaxe)."""
    return _memory_db(FIXTURES / "knowledge")


@pytest.fixture(scope="session")
def real_db() -> sqlite_utils.Database:
    """The project's real knowledge base, built in memory."""
    return _memory_db(ROOT / "knowledge")


@pytest.fixture
def repository(fixture_db: sqlite_utils.Database) -> KnowledgeRepository:
    return KnowledgeRepository(fixture_db, "Ballerup")


@pytest.fixture
def real_repository(real_db: sqlite_utils.Database) -> KnowledgeRepository:
    return KnowledgeRepository(real_db, "Ballerup")


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """Builds a tracker whose latest message has the given intent, entities and slots."""

    def make(
        text: str = "",
        intent: str | None = None,
        entities: dict[str, str] | None = None,
        slots: dict[str, Any] | None = None,
        confidence: float = 0.9,
    ) -> Tracker:
        message = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence} if intent else {},
            "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
        }
        return Tracker(
            sender_id="test",
            slots={"service": None, "topic": None, **(slots or {})},
            latest_message=message,
            events=[{"event": "user", "text": text, "parse_data": message}],
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return make


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    """The response names the dispatcher collected, in order."""
    return [m.get("response") for m in dispatcher.messages]
