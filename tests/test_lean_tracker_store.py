"""The lean tracker store writes and reads exactly what Rasa's SQL tracker store does."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.lean_tracker_store import LeanUrlTrackerStore
from bot.rasa.tracker_store import UrlTrackerStore

DOMAIN = Domain.from_dict({"slots": {"service": {"type": "text", "mappings": []}}})
NOW = 1_790_000_000.0  # fixed, so that two runs write identical rows


def store(monkeypatch: pytest.MonkeyPatch, path: Path, lean: bool = True) -> UrlTrackerStore:
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{path}")
    return (LeanUrlTrackerStore if lean else UrlTrackerStore)(DOMAIN)


def turn(tracker: DialogueStateTracker, text: str, service: str, at: float) -> None:
    tracker.update(UserUttered(text, {"name": "ask_cost", "confidence": 0.9}, timestamp=at))
    tracker.update(ActionExecuted("action_answer_question", timestamp=at + 0.1))
    tracker.update(BotUttered(f"Svar om {service}. Kilde: …", timestamp=at + 0.2))
    tracker.update(SlotSet("service", service, timestamp=at + 0.3))
    tracker.update(ActionExecuted("action_listen", timestamp=at + 0.4))


def conversation(sender: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    now = NOW
    tracker.update(ActionExecuted("action_session_start", timestamp=now))
    tracker.update(SessionStarted(timestamp=now))
    tracker.update(ActionExecuted("action_listen", timestamp=now))
    turn(tracker, "hvad koster bostøtte?", "bostoette", now + 1)
    return tracker


def rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "select sender_id, type_name, timestamp, intent_name, action_name, data "
            "from events order by id"
        ).fetchall()


async def test_the_same_rows_as_rasa(monkeypatch, tmp_path: Path) -> None:
    for lean in (False, True):
        path = tmp_path / f"{lean}.db"
        tracker = conversation("borger")
        await store(monkeypatch, path, lean).save(tracker)
        turn(tracker, "og hvad med BPA?", "bpa", NOW + 50)
        await store(monkeypatch, path, lean).save(tracker)
    assert rows(tmp_path / "True.db") == rows(tmp_path / "False.db")
    assert len(rows(tmp_path / "True.db")) == 13


@pytest.mark.parametrize(("writer", "reader"), [(False, True), (True, False), (True, True)])
async def test_reads_what_either_store_wrote(monkeypatch, tmp_path, writer, reader) -> None:
    path = tmp_path / "tracker.db"
    await store(monkeypatch, path, writer).save(conversation("borger"))
    read = await store(monkeypatch, path, reader).retrieve("borger")
    assert read is not None
    assert [e.as_dict() for e in read.events] == [
        e.as_dict() for e in conversation("borger").events
    ]
    assert read.get_slot("service") == "bostoette"


async def test_only_the_latest_session_is_read(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    tracker = conversation("borger")
    later = NOW + 3600
    tracker.update(ActionExecuted("action_session_start", timestamp=later))
    tracker.update(SessionStarted(timestamp=later))
    tracker.update(ActionExecuted("action_listen", timestamp=later))
    turn(tracker, "hvem kan få BPA?", "bpa", later + 1)
    await store(monkeypatch, path).save(tracker)
    lean = await store(monkeypatch, path).retrieve("borger")
    rasa = await store(monkeypatch, path, lean=False).retrieve("borger")
    assert [e.as_dict() for e in lean.events] == [e.as_dict() for e in rasa.events]
    assert [e.text for e in lean.events if isinstance(e, UserUttered)] == ["hvem kan få BPA?"]


async def test_saving_twice_stores_each_event_once(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    lean = store(monkeypatch, path)
    tracker = conversation("borger")
    await lean.save(tracker)
    await lean.save(tracker)
    turn(tracker, "hvor lang tid tager det?", "bostoette", NOW + 50)
    await lean.save(tracker)
    assert len(rows(path)) == 13
    assert await lean.retrieve("nobody") is None


async def test_sqlite_is_durable_and_in_wal_mode(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    lean = store(monkeypatch, path)
    await lean.save(conversation("borger"))
    with lean.engine.connect() as connection:
        assert connection.exec_driver_sql("pragma journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("pragma synchronous").scalar() == 2  # FULL
    # Another connection, as after a restart, sees the committed conversation.
    assert len(rows(path)) == 8


async def test_synchronous_can_be_relaxed(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRACKER_SQLITE_SYNCHRONOUS", "normal")
    lean = store(monkeypatch, tmp_path / "tracker.db")
    with lean.engine.connect() as connection:
        assert connection.exec_driver_sql("pragma synchronous").scalar() == 1  # NORMAL


async def test_a_read_tracker_saves_only_its_new_events(monkeypatch, tmp_path: Path) -> None:
    for lean in (False, True):
        path = tmp_path / f"{lean}.db"
        await store(monkeypatch, path, lean).save(conversation("borger"))
        # As the server does in one turn: read, add the turn, save.
        server = store(monkeypatch, path, lean)
        tracker = await server.retrieve("borger")
        turn(tracker, "og hvad med BPA?", "bpa", NOW + 50)
        await server.save(tracker)
    assert rows(tmp_path / "True.db") == rows(tmp_path / "False.db")
    assert len(rows(tmp_path / "True.db")) == 13
