"""The Danish texts of SMS messages, read from the domain's responses by name."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

from bot.settings import PROJECT_ROOT
from bot.shared import Shared


class Templates:
    """Response texts from ``domain.yml``, filled the way Rasa fills them.

    Read on first use, never at import time.

    Args:
        domain_path: The domain file; defaults to the project's ``domain.yml``.

    """

    def __init__(self, domain_path: Optional[Path] = None) -> None:
        self._path = domain_path or PROJECT_ROOT / "domain.yml"
        self._texts: Optional[Dict[str, str]] = None
        self._lock = threading.Lock()

    def text(self, name: str) -> str:
        """The first text variant of a response.

        Raises:
            KeyError: The domain has no such response.

        """
        with self._lock:
            if self._texts is None:
                responses = yaml.safe_load(self._path.read_text(encoding="utf-8"))["responses"]
                self._texts = {
                    key: variants[0]["text"]
                    for key, variants in responses.items()
                    if variants and "text" in variants[0]
                }
        return self._texts[name]

    def render(self, name: str, **variables: Any) -> str:
        """A response with its ``{variables}`` filled in."""
        return self.text(name).format(**variables)


# The process-wide templates from the project's domain.
default_templates: Shared[Templates] = Shared(Templates)
