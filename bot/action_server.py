"""Starts the action server on loopback unless told otherwise.

rasa_sdk listens on every interface by default; the action server has no authentication,
so it should only be reachable from the Rasa server.
"""

from __future__ import annotations

import os

from rasa_sdk import endpoint


def main() -> None:
    """Runs the action server for ``bot.actions`` (``ACTION_HOST``, ``ACTION_PORT``)."""
    os.environ["SANIC_HOST"] = os.environ.get("ACTION_HOST", "127.0.0.1")
    endpoint.run(
        action_package_name="bot.actions",
        port=int(os.environ.get("ACTION_PORT", "5055")),
        # Only the Rasa server calls the action server; browsers never do.
        cors_origins=[],
    )


if __name__ == "__main__":
    main()
