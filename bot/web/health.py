"""The health check used by the process manager and monitoring."""

from __future__ import annotations

import logging

from sanic import Blueprint, HTTPResponse, Request
from sanic.response import json

from bot.web.context import web_context

logger = logging.getLogger(__name__)


def health_blueprint() -> Blueprint:
    """A fresh blueprint per app: Sanic ties a blueprint's routes to the apps it joins."""
    blueprint = Blueprint("health")
    blueprint.add_route(health, "/health", methods=["GET"])
    return blueprint


async def health(request: Request) -> HTTPResponse:
    """200 when the booking database answers a query, else 503 without details."""
    try:
        if not web_context(request).repository.columns():
            raise RuntimeError("the bookings table is missing")
    except Exception:  # any failure means "not healthy"; details go to the log only
        logger.exception("Health check failed")
        return json({"status": "error"}, status=503)
    return json({"status": "ok"})
