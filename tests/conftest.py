"""Shared fixtures: tiny in-memory knowledge bases, trackers and a dispatcher."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sanic import Sanic

from bot.booking import BookingConfig, BookingRepository, load_config, parse_config
from bot.booking.desk import BookingDesk
from bot.knowledge import KnowledgeRepository, load_knowledge
from bot.knowledge.build import build_database
from bot.rasa import compat

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = ROOT.parent / "shared" / "seeds"

# The SMS tests' fixtures; the STRICT_SKIPS=1 check CI runs with; pytester, to test that check.
pytest_plugins = ("tests.sms_fixtures", "tests.strict_skips", "pytester")


def _memory_db(folder: Path) -> sqlite_utils.Database:
    # Actions read the knowledge base from worker threads (asyncio.to_thread).
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    return build_database(load_knowledge(folder), sqlite_utils.Database(conn))


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
def forget_apps() -> Iterator[None]:
    """Drops the Sanic apps a test built from Sanic's process-wide registry of names.

    Modules that build an app per test use it with ``pytest.mark.usefixtures("forget_apps")``.
    """
    before = set(Sanic._app_registry)
    yield
    for name in set(Sanic._app_registry) - before:
        del Sanic._app_registry[name]


def build_tracker(
    text: str = "",
    intent: str | None = None,
    entities: dict[str, str] | None = None,
    slots: dict[str, Any] | None = None,
    confidence: float = 0.9,
    active_loop: str | None = None,
) -> Tracker:
    """A tracker whose latest message has the given intent, entities and slots."""
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
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """Builds a tracker whose latest message has the given intent, entities and slots."""
    return build_tracker


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    """The response names the dispatcher collected, in order."""
    return [m.get("response") for m in dispatcher.messages]


CPH = ZoneInfo("Europe/Copenhagen")
# A Monday morning before Fronten opens; the tests' "now".
NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=CPH)


# Booking rules small enough to read in a test: Mondays 9-15 only, two counsellors,
# 45-minute slots. The web and booking CLI tests share them.
MONDAY_RULES = {
    "timezone": "Europe/Copenhagen",
    "slot_minutes": 45,
    "capacity": 2,
    "opening_hours": {"monday": {"open": "09:00", "close": "15:00"}},
    "notice_hours": 2,
    "horizon_days": 28,
    "retention_days": 30,
}
MONDAY_CONFIG = parse_config(MONDAY_RULES)


@pytest.fixture
def monday_rules_file(tmp_path: Path) -> Path:
    """``MONDAY_RULES`` as a YAML file, for code that reads the ``BOOKING_CONFIG`` path."""
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(MONDAY_RULES), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def booking_config() -> BookingConfig:
    """The project's booking configuration (hours, capacity 2, 45-minute slots)."""
    return load_config(ROOT / "config" / "fronten_slots.yml")


@pytest.fixture
def booking_repository(tmp_path: Path) -> Iterator[BookingRepository]:
    """An empty booking database in a temporary file."""
    repository = BookingRepository(tmp_path / "bookings.db", CPH)
    yield repository
    repository.close()


@pytest.fixture
def desk(booking_repository: BookingRepository, booking_config: BookingConfig) -> BookingDesk:
    """A booking desk whose clock stands still at ``NOW``."""
    return BookingDesk(booking_repository, booking_config, clock=lambda: NOW)


@pytest.fixture(scope="session", autouse=True)
def insights_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Missed questions and ratings go to a temporary file, never to the developer's var/."""
    path = tmp_path_factory.mktemp("insights") / "insights.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INSIGHTS_DB", str(path))
        yield path


@pytest.fixture
def rasa_speedups() -> Iterator[list[str]]:
    """Rasa with the speed-ups of bot/rasa/compat.py for one test, then Rasa's own code again."""
    with compat.installed() as names:
        yield names
