"""SMS settings from the environment, the worker process and the send command."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.settings import PROJECT_ROOT
from bot.sms.cli import cli
from bot.sms.repository import Outbox, SmsDatabase
from bot.sms.settings import SmsSettings
from tests.fake_gateway import FakeGateway
from tests.servers import ROOT, procfile_command, shell
from tests.sms_support import SENDER_SECRET, TOKEN

VARIABLES = (
    "GATEWAYAPI_URL", "GATEWAYAPI_TOKEN", "GATEWAYAPI_WEBHOOK_SECRET", "SMS_SENDER_SECRET",
    "GATEWAYAPI_SENDER", "SMS_DB", "SMS_MAX_PARTS", "SMS_REMINDER_HOUR", "SMS_OUTBOX_INTERVAL",
    "SMS_OUTBOX_MAX_ATTEMPTS", "GATEWAYAPI_TIMEOUT", "GATEWAYAPI_RETRIES", "SMS_MAX_BODY_BYTES",
    "GATEWAYAPI_WEBHOOK_MAX_AGE", "GATEWAYAPI_WEBHOOK_LEEWAY",
)  # fmt: skip


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*VARIABLES, "BOT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_without_secrets(clean_env: pytest.MonkeyPatch) -> None:
    settings = SmsSettings.from_env()
    assert settings.gateway_url == "https://gatewayapi.com"
    assert settings.token is settings.webhook_secret is settings.sender_secret is None
    assert settings.db_path == PROJECT_ROOT / "var" / "sms.db"
    assert (settings.max_parts, settings.reminder_hour) == (5, 12)


def test_values_from_the_environment(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("GATEWAYAPI_URL", "https://gatewayapi.eu/")
    clean_env.setenv("GATEWAYAPI_TOKEN", " tok ")
    clean_env.setenv("GATEWAYAPI_WEBHOOK_SECRET", "   ")  # blank counts as unset
    clean_env.setenv("BOT_DATA_DIR", str(tmp_path))
    clean_env.setenv("SMS_MAX_PARTS", "0")
    clean_env.setenv("SMS_REMINDER_HOUR", "9")
    settings = SmsSettings.from_env()
    assert settings.gateway_url == "https://gatewayapi.eu"
    assert (settings.token, settings.webhook_secret) == ("tok", None)
    assert settings.db_path == tmp_path / "sms.db"
    assert (settings.max_parts, settings.reminder_hour) == (1, 9)


@pytest.mark.parametrize("hour", ["24", "-1"])
def test_a_reminder_hour_out_of_range_is_refused(clean_env: pytest.MonkeyPatch, hour: str) -> None:
    clean_env.setenv("SMS_REMINDER_HOUR", hour)
    with pytest.raises(ValueError, match="SMS_REMINDER_HOUR"):
        SmsSettings.from_env()


def test_webhook_freshness_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    assert (SmsSettings.from_env().webhook_max_age, SmsSettings.from_env().webhook_leeway) == (
        300,
        30,
    )
    clean_env.setenv("GATEWAYAPI_WEBHOOK_MAX_AGE", "120")
    clean_env.setenv("GATEWAYAPI_WEBHOOK_LEEWAY", "5")
    settings = SmsSettings.from_env()
    assert (settings.webhook_max_age, settings.webhook_leeway) == (120, 5)
    clean_env.setenv("GATEWAYAPI_WEBHOOK_LEEWAY", "-1")
    with pytest.raises(ValueError, match="GATEWAYAPI_WEBHOOK_LEEWAY"):
        SmsSettings.from_env()


def test_the_send_command_sends_what_is_due(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, gateway: FakeGateway
) -> None:
    gateway.reset()
    for name, value in {
        "SMS_DB": str(tmp_path / "sms.db"),
        "BOOKING_DB": str(tmp_path / "bookings.db"),
        "GATEWAYAPI_URL": gateway.url,
        "GATEWAYAPI_TOKEN": TOKEN,
        "SMS_SENDER_SECRET": SENDER_SECRET,
    }.items():
        clean_env.setenv(name, value)
    database = SmsDatabase(tmp_path / "sms.db")
    Outbox(database).enqueue(
        "confirmation", "20123456", "Din tid", dt.datetime.now(dt.timezone.utc)
    )
    database.close()
    result = CliRunner().invoke(cli, ["send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1" in result.output
    assert gateway.texts_to(4520123456) == ["Din tid"]


def test_the_send_command_says_what_is_missing(clean_env: pytest.MonkeyPatch, tmp_path) -> None:
    clean_env.setenv("SMS_DB", str(tmp_path / "sms.db"))
    clean_env.setenv("BOOKING_DB", str(tmp_path / "bookings.db"))
    result = CliRunner().invoke(cli, ["send"])
    assert result.exit_code != 0 and "GATEWAYAPI_TOKEN" in result.output


def test_an_unconfigured_worker_idles_instead_of_stopping_the_others(tmp_path: Path) -> None:
    # honcho stops every process of the Procfile when one exits.
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(SMS_DB=str(tmp_path / "sms.db"), BOOKING_DB=str(tmp_path / "bookings.db"))
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            shell(procfile_command("sms")),
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while "SMS worker started" not in log.read_text() and time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                time.sleep(0.2)
            time.sleep(0.5)
            assert process.poll() is None
            assert "SMS worker idle" in log.read_text()
        finally:
            process.terminate()
            process.wait(timeout=10)
