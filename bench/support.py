"""Everything the benchmark takes from the tests' helpers, in one place.

The benchmark starts the servers exactly as the end-to-end tests do (``tests/servers.py``,
which runs the ``Procfile``'s commands) and uses the same throwaway Redis and PostgreSQL
(``tests/services.py``). Only this module imports from ``tests``; no test imports ``bench``
except ``tests/test_bench.py``, which tests it.
"""

from __future__ import annotations

from tests.servers import (
    ROOT,
    Ports,
    action_server,
    assistant,
    assistant_ports,
    procfile_command,
    rasa_server,
    running,
    shell,
)
from tests.services import ServiceError, postgresql, redis

__all__ = [
    "ROOT",
    "Ports",
    "ServiceError",
    "action_server",
    "assistant",
    "assistant_ports",
    "postgresql",
    "procfile_command",
    "rasa_server",
    "redis",
    "running",
    "shell",
]
