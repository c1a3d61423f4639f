"""The staff FAQ assistant: search the answers, today's bookings, missed questions, ratings."""

from __future__ import annotations

import datetime as dt
import logging

from sanic import Blueprint, HTTPResponse, Request

from bot.knowledge import Answer
from bot.web.context import web_context
from bot.web.login import STAFF_PATH, staff_page
from bot.web.sessions import Session
from bot.web.templates import render

logger = logging.getLogger(__name__)

MAX_QUERY = 200
SEARCH_HITS = 5
LIST_LIMIT = 200
NO_KNOWLEDGE = "Vidensbasen kan ikke læses lige nu. Kør »make knowledge«, eller kontakt driften."


def pages_blueprint() -> Blueprint:
    """A fresh blueprint per app: Sanic ties a blueprint's routes to the apps it joins."""
    blueprint = Blueprint("staff_pages", url_prefix=STAFF_PATH)
    blueprint.add_route(search_page, "/", methods=["GET"])
    blueprint.add_route(today_page, "/today", methods=["GET"])
    blueprint.add_route(unanswered_page, "/unanswered", methods=["GET"])
    blueprint.add_route(feedback_page, "/feedback", methods=["GET"])
    return blueprint


@staff_page
async def search_page(request: Request, session: Session) -> HTTPResponse:
    """Ranks the facts against a whole question, as the assistant does, with their sources."""
    query = (request.args.get("q") or "").strip()[:MAX_QUERY]
    results: list[Answer] = []
    error = None
    if query:
        try:
            results = web_context(request).knowledge.search(query, limit=SEARCH_HITS)
        except Exception:  # a missing or broken knowledge file: say so, do not crash
            logger.exception("Staff search failed")
            error = NO_KNOWLEDGE
    return render(
        "search.html", page="search", session=session, query=query, results=results, error=error
    )


@staff_page
async def today_page(request: Request, session: Session) -> HTTPResponse:
    """Today's booked appointments at Fronten, earliest first."""
    context = web_context(request)
    today = dt.datetime.now(context.config.timezone).date()
    bookings = context.repository.on_date(today)
    return render("today.html", page="today", session=session, today=today, bookings=bookings)


@staff_page
async def unanswered_page(request: Request, session: Session) -> HTTPResponse:
    """The newest messages the assistant could not answer."""
    context = web_context(request)
    zone = context.config.timezone
    questions = [
        (q.created_at.astimezone(zone), q) for q in context.insights.unanswered(LIST_LIMIT)
    ]
    return render("unanswered.html", page="unanswered", session=session, questions=questions)


@staff_page
async def feedback_page(request: Request, session: Session) -> HTTPResponse:
    """Answers citizens marked as unhelpful, newest first, and the totals."""
    context = web_context(request)
    zone = context.config.timezone
    insights = context.insights
    ratings = [(f.created_at.astimezone(zone), f) for f in insights.negative_feedback(LIST_LIMIT)]
    return render(
        "feedback.html",
        page="feedback",
        session=session,
        ratings=ratings,
        counts=insights.feedback_counts(),
    )
