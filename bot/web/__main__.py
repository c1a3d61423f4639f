"""Runs the staff web app: ``python -m bot.web`` (``WEB_HOST``, ``WEB_PORT``)."""

from __future__ import annotations

import logging

from bot.settings import Servers
from bot.web.app import create_app


def main() -> None:
    """Serves on loopback by default, one worker, no debug output, no access log.

    The access log stays off because the calendar token travels in the query string.
    """
    # Only the project's loggers: Sanic configures its own, and a root handler would print
    # every Sanic line twice.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s] [%(levelname)s] %(name)s: %(message)s"))
    logging.getLogger("bot").addHandler(handler)
    logging.getLogger("bot").setLevel(logging.INFO)
    servers = Servers.from_env()
    # The app reads the rest of its settings when the server starts (bot.web.context).
    app = create_app()
    app.run(
        host=servers.web_host,
        port=servers.web_port,
        workers=1,
        debug=False,
        access_log=False,
        auto_reload=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
