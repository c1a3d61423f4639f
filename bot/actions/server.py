"""Starts the action server on loopback unless told otherwise.

rasa_sdk listens on every interface by default; the action server has no authentication,
so it should only be reachable from the Rasa server.
"""

from __future__ import annotations

import logging
import os

from rasa_sdk import endpoint

from bot.actions.base import default_repository
from bot.booking.desk import default_desk
from bot.insights import shared_insights
from bot.services import booking_desk, open_insights, open_knowledge, open_sms
from bot.settings import Config
from bot.sms.hooks import SmsLink, default_sms_link

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Builds the answerer before the first citizen waits for it (about 1.6 s for Ballerup)."""
    try:
        default_repository().answerer()
    except Exception:  # noqa: BLE001 - the first question will say what is wrong
        logger.exception("Could not prepare the answerer; it is built on first use")


def share(config: Config) -> None:
    """Makes the actions' process-wide services use these settings (each opened on first use).

    rasa_sdk builds the actions itself, so they reach their services through these.
    """
    default_repository.build_with(lambda: open_knowledge(config.paths))
    default_desk.build_with(lambda: booking_desk(config.paths, config.limits))
    shared_insights.build_with(lambda: open_insights(config.paths))
    default_sms_link.build_with(
        lambda: SmsLink(lambda: open_sms(config.sms), notifications=bool(config.sms.token))
    )


def main() -> None:
    """Runs the action server for ``bot.actions`` (``ACTION_HOST``, ``ACTION_PORT``)."""
    config = Config.from_env()
    share(config)
    warm_up()
    # rasa_sdk takes its host only from this variable (a documented exception).
    os.environ["SANIC_HOST"] = config.servers.action_host
    endpoint.run(
        action_package_name="bot.actions",
        port=config.servers.action_port,
        # Only the Rasa server calls the action server; browsers never do.
        cors_origins=[],
    )


if __name__ == "__main__":
    main()
