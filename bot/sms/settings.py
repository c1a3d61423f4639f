"""SMS settings read from the environment; secrets never have defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from bot.settings import PROJECT_ROOT, Settings
from bot.sms.signature import LEEWAY_SECONDS, MAX_AGE_SECONDS

# A concatenated SMS carries 153 GSM-7 characters per part (160 minus the joining header).
PART_LIMIT = 153


@dataclass(frozen=True)
class SmsSettings:
    """Everything the SMS channel, the notifier and the worker need.

    Attributes:
        gateway_url: GatewayAPI's base URL. ``GATEWAYAPI_URL``.
        token: API token for sending. ``GATEWAYAPI_TOKEN``; None disables sending.
        webhook_secret: Shared secret of the webhook's JWT. ``GATEWAYAPI_WEBHOOK_SECRET``;
            None makes the channel refuse every message.
        sender_secret: Key of the HMAC that turns a number into a conversation id.
            ``SMS_SENDER_SECRET``; None makes the channel refuse every message.
        sender_name: The sender shown on notifications (the virtual number for two-way
            SMS, or up to 11 letters). ``GATEWAYAPI_SENDER``.
        db_path: The SQLite file for seen ids, opt-outs, choices and the outbox. ``SMS_DB``.
        max_parts: The most SMS parts one reply may use. ``SMS_MAX_PARTS``.
        reminder_hour: Local hour, the day before, at which reminders go out.
            ``SMS_REMINDER_HOUR``.
        outbox_interval: Seconds between the worker's outbox runs. ``SMS_OUTBOX_INTERVAL``.
        max_attempts: Outbox attempts before a message is marked failed.
            ``SMS_OUTBOX_MAX_ATTEMPTS``.
        timeout: Seconds one request to the gateway may take. ``GATEWAYAPI_TIMEOUT``.
        retries: Quick retries of one request after a 5xx or a timeout.
            ``GATEWAYAPI_RETRIES``.
        max_body_bytes: Largest webhook body accepted. ``SMS_MAX_BODY_BYTES``.
        webhook_max_age: Seconds a webhook's signature stays usable after it was issued
            (``iat``); its ``exp`` may lie no further ahead. ``GATEWAYAPI_WEBHOOK_MAX_AGE``.
        webhook_leeway: Seconds of clock difference tolerated between GatewayAPI and this
            server when checking ``iat`` and ``exp``. ``GATEWAYAPI_WEBHOOK_LEEWAY``.

    """

    gateway_url: str = "https://gatewayapi.com"
    token: Optional[str] = None
    webhook_secret: Optional[str] = None
    sender_secret: Optional[str] = None
    sender_name: str = "Fronten"
    db_path: Path = PROJECT_ROOT / "var" / "sms.db"
    max_parts: int = 5
    reminder_hour: int = 12
    outbox_interval: float = 10.0
    max_attempts: int = 5
    timeout: float = 10.0
    retries: int = 3
    max_body_bytes: int = 65_536
    webhook_max_age: float = float(MAX_AGE_SECONDS)
    webhook_leeway: float = float(LEEWAY_SECONDS)

    @classmethod
    def from_env(cls) -> SmsSettings:
        """Reads the settings; blank secrets count as unset."""
        default_db = Settings.from_env().data_dir / "sms.db"
        db_path = Path(os.environ.get("SMS_DB") or str(default_db))
        return cls(
            gateway_url=(os.environ.get("GATEWAYAPI_URL") or "https://gatewayapi.com").rstrip("/"),
            token=_secret(os.environ.get("GATEWAYAPI_TOKEN")),
            webhook_secret=_secret(os.environ.get("GATEWAYAPI_WEBHOOK_SECRET")),
            sender_secret=_secret(os.environ.get("SMS_SENDER_SECRET")),
            sender_name=os.environ.get("GATEWAYAPI_SENDER") or "Fronten",
            db_path=db_path if db_path.is_absolute() else PROJECT_ROOT / db_path,
            max_parts=max(1, int(os.environ.get("SMS_MAX_PARTS", "5"))),
            reminder_hour=_hour(os.environ.get("SMS_REMINDER_HOUR", "12")),
            outbox_interval=float(os.environ.get("SMS_OUTBOX_INTERVAL", "10")),
            max_attempts=max(1, int(os.environ.get("SMS_OUTBOX_MAX_ATTEMPTS", "5"))),
            timeout=float(os.environ.get("GATEWAYAPI_TIMEOUT", "10")),
            retries=max(0, int(os.environ.get("GATEWAYAPI_RETRIES", "3"))),
            max_body_bytes=int(os.environ.get("SMS_MAX_BODY_BYTES", "65536")),
            webhook_max_age=_seconds("GATEWAYAPI_WEBHOOK_MAX_AGE", MAX_AGE_SECONDS),
            webhook_leeway=_seconds("GATEWAYAPI_WEBHOOK_LEEWAY", LEEWAY_SECONDS),
        )


def _secret(value: Optional[str]) -> Optional[str]:
    return value.strip() if value and value.strip() else None


def _seconds(name: str, default: float) -> float:
    value = float(os.environ.get(name) or default)
    if not 0 <= value <= 3600:
        raise ValueError(f"{name} must be a number of seconds from 0 to 3600")
    return value


def _hour(value: str) -> int:
    hour = int(value)
    if not 0 <= hour <= 23:
        raise ValueError("SMS_REMINDER_HOUR must be a whole hour from 0 to 23")
    return hour
