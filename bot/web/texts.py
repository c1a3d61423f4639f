"""The web app's JSON error messages, read once from ``templates/error_texts.yml``."""

from __future__ import annotations

from functools import lru_cache

import yaml

from bot.web.templates import TEMPLATES

ERROR_TEXTS = TEMPLATES / "error_texts.yml"


@lru_cache(maxsize=1)
def _texts() -> dict[str, str]:
    texts = yaml.safe_load(ERROR_TEXTS.read_text(encoding="utf-8"))
    if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
        raise ValueError(f"{ERROR_TEXTS.name} must map names to texts")
    return texts


def error_text(name: str) -> str:
    """The Danish message for an error, e.g. ``error_text("not_found")``."""
    return _texts()[name]
