"""Runs the staff web app: ``python -m bot.web`` (``WEB_HOST``, ``WEB_PORT``)."""

from __future__ import annotations

import logging
import os

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
    app = create_app()
    app.run(
        host=os.environ.get("WEB_HOST", "127.0.0.1"),
        port=int(os.environ.get("WEB_PORT", "8000")),
        workers=1,
        debug=False,
        access_log=False,
        auto_reload=False,
        motd=False,
    )


if __name__ == "__main__":
    main()
