"""The ``rasa`` command, started so that the Rasa server loads its model in half the time.

    python -m bot.rasa.run run --model models/assistant.tar.gz ...   # = rasa run ...

Rasa loads the logistic-regression intent classifier with skops. When skops is first
imported it lists the numpy and scipy functions it trusts, and for each one searches every
loaded module for where it lives. Rasa imports TensorFlow before it loads the model, so that
search ran over about 6,000 modules: 6 of the server's 13 s of start-up on this project's
machine. Imported first, skops does the same work over 1,500 modules in 1 s, and finds the
same answers (numpy's and scipy's own modules come first either way).

It is also the one place that installs the speed-ups of ``bot/rasa/compat.py``, before Rasa
builds the server, and only for the commands that serve a model (``run``, ``shell``).

The ``Procfile`` passes ``--cors "$CORS_ORIGINS"`` quoted, so that the shell never expands a
``*`` into file names; the space-separated origins are split into words here, and ``*`` is
dropped, as the web app does (bot/web/settings.py).
"""

from __future__ import annotations

import logging
import sys
from typing import List

from bot.rasa import compat
from bot.settings import RasaSettings

logger = logging.getLogger(__name__)
# The commands that load a model and answer messages: those the speed-ups are for.
SERVING_COMMANDS = ("run", "shell")


def cors_arguments(argv: List[str]) -> List[str]:
    """The command line with each value after ``--cors`` split into origins.

    Args:
        argv: Rasa's arguments, e.g. ``["run", "--cors", "https://a.dk https://b.dk"]``.

    Returns:
        The same arguments, with one word per origin after ``--cors`` and no ``*``.

    """
    result: List[str] = []
    in_cors = False
    for argument in argv:
        if argument == "--cors":
            in_cors = True
            result.append(argument)
        elif in_cors and not argument.startswith("-"):
            for origin in argument.split():
                if origin == "*":
                    logger.warning("CORS_ORIGINS contains '*', which is ignored.")
                else:
                    result.append(origin)
        else:
            in_cors = False
            result.append(argument)
    return result


def main() -> None:
    """Imports skops, installs the speed-ups, then hands the command line to Rasa's own."""
    import skops.io  # noqa: F401  (before TensorFlow; see the module docstring)
    from rasa.__main__ import main as rasa_main

    argv = cors_arguments(sys.argv[1:])
    if argv and argv[0] in SERVING_COMMANDS:
        compat.install(RasaSettings.from_env().speedups_disabled)
    sys.argv = ["rasa", *argv]
    rasa_main()


if __name__ == "__main__":
    main()
