"""The ``rasa`` command, started so that the Rasa server loads its model in half the time.

    python -m bot.rasa.run run --model models/assistant.tar.gz ...   # = rasa run ...

Rasa loads the logistic-regression intent classifier with skops. When skops is first
imported it lists the numpy and scipy functions it trusts, and for each one searches every
loaded module for where it lives. Rasa imports TensorFlow before it loads the model, so that
search ran over about 6,000 modules: 6 of the server's 13 s of start-up on this project's
machine. Imported first, skops does the same work over 1,500 modules in 1 s, and finds the
same answers (numpy's and scipy's own modules come first either way).

It is also the one place that installs the speed-ups of ``bot/rasa/compat.py``, before Rasa
builds the server, and only for the commands that serve a model (``run``, ``shell``). Before
anything imports TensorFlow, it puts placeholders in its place
(``bot/rasa/without_tensorflow.py``): no component of this project's model uses it, and it
held 500 of the server's 860 MB. ``FRONTEN_SPEEDUPS_DISABLE`` switches either off by name
(``without_tensorflow``, or a speed-up's), or ``all``.

The ``Procfile`` passes ``--cors "$CORS_ORIGINS"`` quoted, so that the shell never expands a
``*`` into file names; the space-separated origins are split into words here, and ``*`` is
dropped, as the web app does (bot/web/settings.py).
"""

from __future__ import annotations

import logging
import sys
from typing import List

from bot.rasa import compat, without_tensorflow
from bot.settings import RasaSettings

logger = logging.getLogger(__name__)
# The commands that load a model and answer messages: those the speed-ups are for.
SERVING_COMMANDS = ("run", "shell")
# The name that keeps TensorFlow in (FRONTEN_SPEEDUPS_DISABLE), beside compat's speed-ups.
WITHOUT_TENSORFLOW = "without_tensorflow"


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
    """Leaves TensorFlow out, installs the speed-ups, then runs Rasa's command line."""
    argv = cors_arguments(sys.argv[1:])
    serving = bool(argv) and argv[0] in SERVING_COMMANDS
    disabled = RasaSettings.from_env().speedups_disabled if serving else frozenset()
    if serving and not {WITHOUT_TENSORFLOW, "all"} & disabled:
        without_tensorflow.install()
    import skops.io  # noqa: F401  (before TensorFlow; see the module docstring)
    from rasa.__main__ import main as rasa_main

    if serving:
        compat.install(disabled)
    sys.argv = ["rasa", *argv]
    rasa_main()


if __name__ == "__main__":
    main()
