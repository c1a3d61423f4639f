"""The chat widget for municipal websites: its script, a demo page and the ratings route."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sanic import Blueprint, HTTPResponse, Request
from sanic.exceptions import NotFound
from sanic.response import empty, raw
from sanic.response import json as json_response

from bot.danish.cpr import redact_cpr
from bot.insights import RATINGS
from bot.knowledge import KnowledgeRepository
from bot.web.auth import client_address
from bot.web.context import web_context
from bot.web.templates import TEMPLATES, render
from bot.web.texts import error_text

STATIC = Path(__file__).resolve().parent / "static"
# Only these files are served: no path from a request ever reaches the file system.
ASSETS = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "base.css": "text/css; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
    "staff.css": "text/css; charset=utf-8",
}
ASSET_CACHE = "public, max-age=300"
# The widget's Danish labels, put into widget.js in place of the placeholder when served.
WIDGET_TEXTS = TEMPLATES / "widget_texts.yml"
TEXTS_PLACEHOLDER = b"/* texts */ {}"
WIDGET_COLOR = "#00566f"

# Ratings: sizes are bounded before anything is parsed or stored.
MAX_BODY = 16 * 1024
MAX_QUESTION = 2000
MAX_ANSWER = 5000
_ID = re.compile(r"[A-Za-z0-9_-]{8,64}", re.ASCII)


@dataclass(frozen=True)
class Rating:
    """A validated rating from the widget, CPR numbers already removed."""

    sender: str
    message_id: str
    rating: str
    question: str
    answer: str


def widget_blueprint() -> Blueprint:
    """A fresh blueprint per app: Sanic ties a blueprint's routes to the apps it joins."""
    blueprint = Blueprint("widget")
    blueprint.add_route(demo_page, "/", methods=["GET"])
    blueprint.add_route(widget_script, "/widget.js", methods=["GET"])
    blueprint.add_route(widget_style, "/widget.css", methods=["GET"])
    blueprint.add_route(widget_contact, "/widget/contact.json", methods=["GET"])
    blueprint.add_route(static_asset, "/static/<name:str>", methods=["GET"])
    blueprint.add_route(feedback, "/feedback", methods=["POST"])
    blueprint.add_route(feedback_preflight, "/feedback", methods=["OPTIONS"])
    return blueprint


async def demo_page(request: Request) -> HTTPResponse:
    """A plain municipal page with the widget embedded by its one script tag."""
    settings = web_context(request).settings
    return render("demo.html", bot_url=settings.bot_public_url, color=WIDGET_COLOR)


async def widget_script(request: Request) -> HTTPResponse:
    """``/widget.js``, the one script a municipality embeds, with its texts put in."""
    return _asset("widget.js")


async def widget_style(request: Request) -> HTTPResponse:
    """``/widget.css``, which the widget loads next to its script."""
    return _asset("widget.css")


async def widget_contact(request: Request) -> HTTPResponse:
    """``/widget/contact.json``: who the widget tells citizens to call, from the knowledge base.

    Public facts that every site embedding the widget may read, so any origin is allowed
    (no cookies are sent or set).

    Raises:
        NotFound: The configured municipality has no contact point; the widget then leaves
            the phone number out of its messages.

    """
    found = contact_details(web_context(request).knowledge)
    if found is None:
        raise NotFound("no contact point")
    headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": ASSET_CACHE}
    return json_response(found, headers=headers)


def contact_details(knowledge: KnowledgeRepository) -> dict[str, str] | None:
    """The widget's contact point: name, phone, e-mail, address and source.

    Args:
        knowledge: The knowledge base of the configured municipality.

    Returns:
        The details, or None when the municipality has no contact point citizens are sent
        to (:meth:`KnowledgeRepository.office_contact`, as the booking and SMS texts).

    """
    contact = knowledge.office_contact()
    if contact is None:
        return None
    return {
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "address": contact.address,
        "source": contact.document_title,
        "section": contact.section,
    }


async def static_asset(request: Request, name: str) -> HTTPResponse:
    """The demo page's and the staff pages' style sheets."""
    return _asset(name)


async def feedback(request: Request) -> HTTPResponse:
    """Stores a thumbs up or down on one answer, from an allowed origin only."""
    context = web_context(request)
    origin = request.headers.get("origin")
    headers = cors_headers(origin, context.settings.cors_origins)
    # Browsers always send Origin on a cross-site POST; a foreign one is refused here too.
    if origin is not None and not headers:
        return json_response({"error": error_text("rating_foreign_origin")}, status=403)
    key = f"ip:{client_address(request)}"
    if context.state.feedback_throttle.blocked(key):
        return json_response({"error": error_text("rating_too_many")}, status=429, headers=headers)
    context.state.feedback_throttle.record(key)
    rating = parse_rating(request.body)
    if rating is None:
        return json_response({"error": error_text("rating_invalid")}, status=400, headers=headers)
    context.insights.record_feedback(
        rating.sender, rating.message_id, rating.rating, rating.question, rating.answer
    )
    return json_response({"status": "ok"}, status=201, headers=headers)


async def feedback_preflight(request: Request) -> HTTPResponse:
    """Answers the browser's CORS preflight for ``POST /feedback``."""
    headers = cors_headers(
        request.headers.get("origin"), web_context(request).settings.cors_origins
    )
    if not headers:
        return empty(status=403)
    headers.update(
        {
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        }
    )
    return empty(status=204, headers=headers)


def cors_headers(origin: str | None, allowed: tuple[str, ...]) -> dict[str, str]:
    """The CORS headers for an allowed origin; empty for any other (never ``*``).

    Args:
        origin: The request's ``Origin`` header.
        allowed: The configured origins.

    Returns:
        Headers naming the origin, or an empty dict.

    """
    if not origin or origin.rstrip("/") not in allowed:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def parse_rating(body: bytes | None) -> Rating | None:
    """Validates a rating's JSON body.

    Args:
        body: ``{"sender", "message_id", "rating", "question", "message"}`` as UTF-8 JSON.

    Returns:
        The rating with CPR numbers removed, or None when anything is missing, of the wrong
        type or too long.

    """
    if not body or len(body) > MAX_BODY:
        return None
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    sender, message_id = data.get("sender"), data.get("message_id")
    rating, question, answer = data.get("rating"), data.get("question"), data.get("message")
    if not (isinstance(sender, str) and _ID.fullmatch(sender)):
        return None
    if not (isinstance(message_id, str) and _ID.fullmatch(message_id)):
        return None
    if rating not in RATINGS:
        return None
    if not isinstance(question, str) or len(question) > MAX_QUESTION:
        return None
    if not isinstance(answer, str) or not answer.strip() or len(answer) > MAX_ANSWER:
        return None
    # The widget sends what the citizen typed: it has not passed the chat channel's redaction.
    return Rating(
        sender,
        message_id,
        rating,
        redact_cpr(question.strip()).text,
        redact_cpr(answer.strip()).text,
    )


@lru_cache(maxsize=1)
def widget_source() -> bytes:
    """``widget.js`` with its texts from :data:`WIDGET_TEXTS`, built once per process.

    Raises:
        ValueError: The script lost its placeholder, or the texts are not a mapping of
            strings.

    """
    script = (STATIC / "widget.js").read_bytes()
    texts = yaml.safe_load(WIDGET_TEXTS.read_text(encoding="utf-8"))
    if script.count(TEXTS_PLACEHOLDER) != 1:
        raise ValueError("widget.js must hold the texts placeholder exactly once")
    if not isinstance(texts, dict) or not all(isinstance(v, str) for v in texts.values()):
        raise ValueError(f"{WIDGET_TEXTS.name} must map names to texts")
    return script.replace(TEXTS_PLACEHOLDER, json.dumps(texts, ensure_ascii=False).encode())


def _asset(name: str) -> HTTPResponse:
    content_type = ASSETS.get(name)
    if content_type is None:
        raise NotFound("unknown asset")
    body = widget_source() if name == "widget.js" else (STATIC / name).read_bytes()
    return raw(body, content_type=content_type, headers={"Cache-Control": ASSET_CACHE})
