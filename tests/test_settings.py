"""Settings read once from one environment, and the services built from them."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from bot import services
from bot.settings import PROJECT_ROOT, Config, Environment, RasaSettings, variable_names
from bot.shared import Shared
from tests.conftest import ROOT


def test_one_environment_fills_every_section(tmp_path: Path) -> None:
    env = Environment(
        {
            "BOT_DATA_DIR": str(tmp_path),
            "MUNICIPALITY": "Gladsaxe",
            "ACTION_PORT": "6055",
            "INSIGHTS_RETENTION_DAYS": "10",
            "STAFF_TOKEN": " hemmelig\n",
            "CALENDAR_TOKEN": "   ",
            "GATEWAYAPI_SENDER": "4512345678",
            "TRACKER_SQLITE_SYNCHRONOUS": "normal",
            "FRONTEN_SPEEDUPS_DISABLE": "graph_runs,event_classes",
        }
    )
    config = Config.from_env(env)
    assert config.paths.municipality == "Gladsaxe"
    # Every database follows the data folder unless named on its own.
    assert {config.paths.knowledge_db, config.paths.booking_db, config.paths.insights_db} == {
        tmp_path / "knowledge.db",
        tmp_path / "bookings.db",
        tmp_path / "insights.db",
    }
    assert (
        config.web.staff_db == tmp_path / "staff.db" and config.sms.db_path == tmp_path / "sms.db"
    )
    assert (config.servers.action_host, config.servers.action_port) == ("127.0.0.1", 6055)
    assert (config.retention.insights_days, config.retention.conversation_days) == (10, 30)
    assert (config.tokens.staff, config.tokens.calendar) == ("hemmelig", None)
    assert config.limits.reply_number == "4512345678"
    assert config.rasa.tracker_sqlite_synchronous == "NORMAL"
    assert config.rasa.speedups_disabled == {"graph_runs", "event_classes"}
    assert config.rasa.tracker_store_url == f"sqlite:///{tmp_path / 'tracker.db'}"


def test_defaults_need_no_environment() -> None:
    config = Config.from_env(Environment({}))
    assert config.paths.knowledge_db == PROJECT_ROOT / "var" / "knowledge.db"
    assert config.paths.booking_config == PROJECT_ROOT / "config" / "fronten_slots.yml"
    assert (config.servers.web_host, config.servers.web_port) == ("127.0.0.1", 8000)
    assert config.sms.token is None and config.web.session_secret is None


def test_an_unknown_sqlite_level_falls_back_to_full() -> None:
    settings = RasaSettings.from_env(Environment({"TRACKER_SQLITE_SYNCHRONOUS": "sometimes"}))
    assert settings.tracker_sqlite_synchronous == "FULL"


@pytest.mark.parametrize(
    "name", ["TRACKER_SQLITE_SYNCHRONOUS", "FRONTEN_SPEEDUPS_DISABLE", "MUNICIPALITY", "SMS_DB"]
)
def test_variable_names_come_from_the_sections(name: str) -> None:
    assert name in variable_names()


def test_only_the_settings_module_defaults_the_data_files() -> None:
    # The Makefile sets no variable the code already defaults.
    exported = {
        line.split()[1]
        for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
        if line.startswith("export ")
    }
    assert exported.isdisjoint({"BOT_DATA_DIR", "KNOWLEDGE_DB", "BOOKING_DB", "MUNICIPALITY"})


def test_shared_builds_one_value_for_every_thread() -> None:
    built = []

    def build() -> object:
        built.append(1)
        return object()

    shared = Shared(build)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(shared())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and len({id(value) for value in seen}) == 1


def test_services_open_the_files_the_settings_name(tmp_path: Path) -> None:
    config = Config.from_env(Environment({"BOT_DATA_DIR": str(tmp_path / "data")}))
    bookings = services.open_bookings(config.paths)
    insights = services.open_insights(config.paths)
    sms = services.open_sms(config.sms)
    try:
        assert bookings.path == tmp_path / "data" / "bookings.db"
        assert insights.path == tmp_path / "data" / "insights.db"
        assert (tmp_path / "data" / "sms.db").exists()
        insights.record_unanswered("hvornår har I åbent?", 0)
        assert [q.text for q in insights.unanswered()] == ["hvornår har I åbent?"]
    finally:
        bookings.close(), insights.close(), sms.close()


def test_the_worker_keeps_sms_data_as_long_as_the_retention_says(tmp_path: Path) -> None:
    config = Config.from_env(Environment({"BOT_DATA_DIR": str(tmp_path)}))
    worker = services.sms_worker(config)
    try:
        assert worker.retention.sms_outbox == dt.timedelta(days=30)
        assert worker.retention.sms_numbers == dt.timedelta(hours=24)
        assert worker.database.path == tmp_path / "sms.db"
    finally:
        worker.database.close(), worker.bookings.close()
