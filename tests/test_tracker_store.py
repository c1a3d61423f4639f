"""Conversations are stored in SQL and old ones can be purged."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.conversations import ConversationRepository, cli
from bot.rasa.tracker_store import UrlTrackerStore, tracker_store_url
from bot.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"),
        ("sqlite:///var/other.db", f"sqlite:///{PROJECT_ROOT / 'var' / 'other.db'}"),
        ("postgresql://rasa:hemmelig@db:5432/rasa", "postgresql://rasa:hemmelig@db:5432/rasa"),
    ],
)
def test_url(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: str) -> None:
    monkeypatch.delenv("BOT_DATA_DIR", raising=False)
    if value is None:
        monkeypatch.delenv("TRACKER_STORE_URL", raising=False)
    else:
        monkeypatch.setenv("TRACKER_STORE_URL", value)
    assert tracker_store_url() == expected


def store_at(monkeypatch: pytest.MonkeyPatch, path: Path) -> UrlTrackerStore:
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{path}")
    return UrlTrackerStore(Domain.empty())


async def test_conversation_survives_a_new_store(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    tracker = DialogueStateTracker("borger", [])
    tracker.update(UserUttered("hvad koster bostøtte?"))
    await store_at(monkeypatch, path).save(tracker)
    # A restarted server opens the same file and finds the conversation.
    again = await store_at(monkeypatch, path).retrieve("borger")
    assert again is not None and again.latest_message.text == "hvad koster bostøtte?"


async def test_purge_deletes_only_idle_conversations(monkeypatch, tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    store = store_at(monkeypatch, path)
    for sender, age_days in [("gammel", 40), ("ny", 1)]:
        tracker = DialogueStateTracker(sender, [])
        tracker.update(UserUttered("hej", timestamp=time.time() - age_days * 86_400))
        await store.save(tracker)
    repository = ConversationRepository(f"sqlite:///{path}")
    assert repository.count() == 2
    result = CliRunner().invoke(cli, ["purge", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 conversation(s)" in result.output
    assert repository.count() == 1
    assert await store.retrieve("gammel") is None
    assert await store.retrieve("ny") is not None
