"""Server-rendered HTML: Jinja2 templates from ``bot/web/templates``, always autoescaped."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import jinja2
from sanic import HTTPResponse
from sanic.response import html

TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment, built on first use (nothing is read at import time)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # Every value is escaped, also in templates whose name does not end in .html.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = clock
    env.filters["stamp"] = stamp
    return env


def render(
    template: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTTPResponse:
    """Renders a template to an HTML response.

    Args:
        template: The file name under ``bot/web/templates``.
        status: The HTTP status.
        headers: Extra headers.
        **context: The template's variables.

    Returns:
        The response, ``text/html; charset=utf-8``.

    """
    body = environment().get_template(template).render(**context)
    return html(body, status=status, headers=dict(headers or {}))


def clock(value: dt.datetime) -> str:
    """``kl. 9.45``-style time as Danes write it, for staff tables."""
    return f"{value.hour}.{value.minute:02d}"


def stamp(value: dt.datetime) -> str:
    """``24-11-2026 9.45`` for when something happened."""
    return f"{value:%d-%m-%Y} {clock(value)}"
