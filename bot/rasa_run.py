"""The ``rasa`` command, started so that the Rasa server loads its model in half the time.

    python -m bot.rasa_run run --model models/assistant.tar.gz ...   # = rasa run ...

Rasa loads the logistic-regression intent classifier with skops. When skops is first
imported it lists the numpy and scipy functions it trusts, and for each one searches every
loaded module for where it lives. Rasa imports TensorFlow before it loads the model, so that
search ran over about 6,000 modules: 6 of the server's 13 s of start-up on this project's
machine. Imported first, skops does the same work over 1,500 modules in 1 s, and finds the
same answers (numpy's and scipy's own modules come first either way).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Imports skops, then hands the command line to Rasa's own entry point."""
    import skops.io  # noqa: F401  (before TensorFlow; see the module docstring)
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
