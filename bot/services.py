"""Builds the services the processes share, from the settings: repositories, desk, outbox.

Entry points read :class:`~bot.settings.Config` once and pass its sections here; the
``from_env`` shortcuts of the repositories come here too. Importing this module opens
nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional
from zoneinfo import ZoneInfo

from bot.booking.config import BookingConfig, load_config
from bot.booking.desk import BookingDesk
from bot.booking.repository import BookingRepository
from bot.insights.repository import InsightsRepository
from bot.knowledge import KnowledgeRepository
from bot.settings import Config, Limits, Settings, SmsSettings
from bot.sms.repository import SmsDatabase

if TYPE_CHECKING:
    from bot.sms.worker import Worker


def open_knowledge(paths: Optional[Settings] = None) -> KnowledgeRepository:
    """The built knowledge base (read-only), for the settings' municipality.

    Args:
        paths: Default from the environment.

    """
    paths = paths or Settings.from_env()
    return KnowledgeRepository.open(paths.knowledge_db, paths.municipality)


def booking_config(paths: Optional[Settings] = None) -> BookingConfig:
    """Fronten's booking rules from ``BOOKING_CONFIG``.

    Raises:
        ValueError: The file is malformed; the message names the field.

    """
    return load_config((paths or Settings.from_env()).booking_config)


def open_bookings(
    paths: Optional[Settings] = None, timezone: Optional[ZoneInfo] = None
) -> BookingRepository:
    """The booking database; its folder is created if needed.

    Args:
        paths: Default from the environment.
        timezone: Fronten's zone; default Europe/Copenhagen.

    """
    path = (paths or Settings.from_env()).booking_db
    path.parent.mkdir(parents=True, exist_ok=True)
    return BookingRepository(path, timezone)


def open_insights(paths: Optional[Settings] = None) -> InsightsRepository:
    """Ratings and missed questions; the folder is created if needed."""
    path = (paths or Settings.from_env()).insights_db
    path.parent.mkdir(parents=True, exist_ok=True)
    return InsightsRepository(path)


def open_sms(sms: Optional[SmsSettings] = None) -> SmsDatabase:
    """The SMS database (seen ids, opt-outs, choices, numbers and the outbox)."""
    sms = sms or SmsSettings.from_env()
    sms.db_path.parent.mkdir(parents=True, exist_ok=True)
    return SmsDatabase(sms.db_path)


def booking_desk(paths: Optional[Settings] = None, limits: Optional[Limits] = None) -> BookingDesk:
    """The booking desk over the configured rules and database."""
    paths = paths or Settings.from_env()
    config = booking_config(paths)
    return BookingDesk(open_bookings(paths, config.timezone), config, limits=limits)


def sms_worker(config: Optional[Config] = None) -> Worker:
    """The SMS worker with every database and setting it needs."""
    from bot.sms.gateway import GatewayClient
    from bot.sms.worker import Worker

    config = config or Config.from_env()
    rules = booking_config(config.paths)
    return Worker(
        config.sms,
        open_sms(config.sms),
        open_bookings(config.paths, rules.timezone),
        rules,
        GatewayClient.from_settings(config.sms),
        retention=config.retention,
    )
