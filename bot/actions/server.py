"""Starts the action server on loopback unless told otherwise.

rasa_sdk listens on every interface by default; the action server has no authentication,
so it should only be reachable from the Rasa server.
"""

from __future__ import annotations

import logging
import os

from rasa_sdk import endpoint

from bot.actions.base import default_repository

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Builds the answerer before the first citizen waits for it (about 2 s)."""
    try:
        default_repository().answerer()
    except Exception:  # noqa: BLE001 - the first question will say what is wrong
        logger.exception("Could not prepare the answerer; it is built on first use")


def main() -> None:
    """Runs the action server for ``bot.actions`` (``ACTION_HOST``, ``ACTION_PORT``)."""
    warm_up()
    os.environ["SANIC_HOST"] = os.environ.get("ACTION_HOST", "127.0.0.1")
    endpoint.run(
        action_package_name="bot.actions",
        port=int(os.environ.get("ACTION_PORT", "5055")),
        # Only the Rasa server calls the action server; browsers never do.
        cors_origins=[],
    )


if __name__ == "__main__":
    main()
