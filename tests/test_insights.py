"""Ratings and missed questions: the repository, and the fallback action that fills it."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from bot.actions.knowledge import ActionAnswerQuestion
from bot.insights import ANSWER_LIMIT, QUESTION_LIMIT, InsightsRepository
from bot.insights.cli import cli
from tests.conftest import responses

T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=1)
        return self.now


@pytest.fixture
def insights(tmp_path: Path) -> Iterator[InsightsRepository]:
    repository = InsightsRepository(tmp_path / "insights.db", clock=Clock())
    yield repository
    repository.close()


def test_negative_feedback_newest_first(insights: InsightsRepository) -> None:
    insights.record_feedback("sender-aaaa", "message-1", "down", "hvad koster BPA?", "Svar 1")
    insights.record_feedback("sender-aaaa", "message-2", "up", "og bostøtte?", "Svar 2")
    insights.record_feedback("sender-bbbb", "message-1", "down", "hvem kan få?", "Svar 3")
    down = insights.negative_feedback()
    assert [(f.question, f.answer) for f in down] == [
        ("hvem kan få?", "Svar 3"),
        ("hvad koster BPA?", "Svar 1"),
    ]
    assert down[0].created_at > down[1].created_at and down[0].created_at.tzinfo
    assert insights.feedback_counts() == {"up": 1, "down": 2}


def test_rating_the_same_message_again_replaces_the_rating(insights) -> None:
    insights.record_feedback("sender-aaaa", "message-1", "down", "q", "a")
    insights.record_feedback("sender-aaaa", "message-1", "up", "q", "a")
    assert insights.negative_feedback() == []
    assert insights.feedback_counts() == {"up": 1, "down": 0}


def test_texts_are_bounded_and_ratings_checked(insights: InsightsRepository) -> None:
    insights.record_feedback("sender-aaaa", "message-1", "down", "q" * 5000, "a" * 9000)
    [stored] = insights.negative_feedback()
    assert (len(stored.question), len(stored.answer)) == (QUESTION_LIMIT, ANSWER_LIMIT)
    with pytest.raises(ValueError):
        insights.record_feedback("sender-aaaa", "message-2", "meh", "q", "a")


def test_unanswered_newest_first_and_bounded(insights: InsightsRepository) -> None:
    insights.record_unanswered("første", 0)
    insights.record_unanswered("anden " + "x" * 2000, 3)
    newest, oldest = insights.unanswered()
    assert (oldest.text, oldest.suggestions) == ("første", 0)
    assert len(newest.text) == QUESTION_LIMIT and newest.suggestions == 3
    assert insights.unanswered(limit=1) == [newest]


def test_two_connections_share_the_file(tmp_path: Path) -> None:
    # The action server writes missed questions while the web app reads them.
    writer, reader = InsightsRepository(tmp_path / "i.db"), InsightsRepository(tmp_path / "i.db")
    writer.record_unanswered("hej", 0)
    assert [q.text for q in reader.unanswered()] == ["hej"]
    mode = sqlite3.connect(tmp_path / "i.db").execute("pragma journal_mode").fetchone()[0]
    assert mode == "wal"
    writer.close(), reader.close()


def test_from_env_uses_insights_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSIGHTS_DB", str(tmp_path / "sub" / "x.db"))
    repository = InsightsRepository.from_env()
    assert repository.path == tmp_path / "sub" / "x.db" and repository.path.exists()
    repository.close()


async def test_fallback_remembers_the_missed_question(
    repository, insights, dispatcher, make_tracker
) -> None:
    action = ActionAnswerQuestion(repository, insights)
    await action.run(dispatcher, make_tracker("hvornår har I åbent", "nlu_fallback"), {})
    await action.run(dispatcher, make_tracker("blå banan", "nlu_fallback"), {})
    await action.run(dispatcher, make_tracker("   ", "nlu_fallback"), {})
    # Answered questions are not missed ones.
    await action.run(dispatcher, make_tracker("hvad koster bostøtte", "ask_cost"), {})
    assert [(q.text, q.suggestions) for q in insights.unanswered()] == [
        ("blå banan", 0),
        ("hvornår har I åbent", 0),
    ]


async def test_a_storage_failure_never_costs_the_citizen_an_answer(
    repository, insights, dispatcher, make_tracker
) -> None:
    insights.close()  # every write now fails
    action = ActionAnswerQuestion(repository, insights)
    await action.run(dispatcher, make_tracker("hvornår har I åbent", "nlu_fallback"), {})
    assert responses(dispatcher) == ["utter_not_in_standards"]


async def test_default_insights_come_from_the_environment(
    repository, dispatcher, make_tracker, insights_db: Path
) -> None:
    # conftest points INSIGHTS_DB at a temporary file for the whole session.
    await ActionAnswerQuestion(repository).run(dispatcher, make_tracker("zzz qqq", "x"), {})
    assert "zzz qqq" in [q.text for q in InsightsRepository(insights_db).unanswered()]


def test_purge_deletes_only_what_is_older(insights: InsightsRepository) -> None:
    insights.record_unanswered("gammel", 0)  # T0 + 1 min
    insights.record_feedback("sender-aaaa", "message-1", "down", "gammel", "svar")  # + 2 min
    insights.record_unanswered("ny", 0)  # + 3 min
    cutoff = T0 + dt.timedelta(minutes=2, seconds=30)
    assert insights.count_before(cutoff) == 2
    assert insights.purge(cutoff) == 2
    assert [q.text for q in insights.unanswered()] == ["ny"] and insights.negative_feedback() == []
    with pytest.raises(ValueError):
        insights.purge(dt.datetime(2026, 1, 1))


def test_purge_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSIGHTS_DB", str(tmp_path / "cli.db"))
    old = InsightsRepository(tmp_path / "cli.db", clock=lambda: T0 - dt.timedelta(days=400))
    old.record_unanswered("meget gammel", 0)
    old.close()
    InsightsRepository(tmp_path / "cli.db").record_unanswered("i dag", 0)
    runner = CliRunner()
    dry = runner.invoke(cli, ["purge", "--dry-run"])
    assert dry.exit_code == 0 and "Would delete 1 " in dry.output
    monkeypatch.setenv("INSIGHTS_RETENTION_DAYS", "1000")
    assert "Would delete 0 " in runner.invoke(cli, ["purge", "--dry-run"]).output
    result = runner.invoke(cli, ["purge", "--days", "30"])
    assert result.exit_code == 0 and "Deleted 1 " in result.output
    assert [q.text for q in InsightsRepository(tmp_path / "cli.db").unanswered()] == ["i dag"]
