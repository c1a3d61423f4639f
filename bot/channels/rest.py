"""Rasa's REST channel (used by the web widget) behind the guard."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.request import Request

from bot.channels.guard import Guard

logger = logging.getLogger(__name__)
MAX_SENDER_LENGTH = 128


class GuardedRestInput(RestInput):
    """``POST /webhooks/rest/webhook``, with CPR redaction, limits and no silence.

    Registered in ``credentials.yml`` under its class path; it keeps the name ``rest`` so the
    URL is Rasa's usual one.
    """

    def __init__(self, guard: Optional[Guard] = None) -> None:
        self._guard = guard

    @classmethod
    def name(cls) -> str:
        """The channel's URL name."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> GuardedRestInput:
        """Builds the channel; it has no credentials of its own."""
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST blueprint, with every message passed through the guard first."""
        # Built when the server starts, so the domain is read then and not at import.
        guard = self._guard or Guard()
        return super().blueprint(guard.wrap(on_new_message))

    async def _extract_sender(self, req: Request) -> Optional[str]:
        body = req.json if isinstance(req.json, dict) else {}
        sender = body.get("sender")
        return str(sender)[:MAX_SENDER_LENGTH] if sender not in (None, "") else None

    def _extract_message(self, req: Request) -> Optional[str]:
        body = req.json if isinstance(req.json, dict) else {}
        message = body.get("message")
        return message if isinstance(message, str) else ""

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[str, Any]]:
        """Ignores client metadata: a browser must not claim to be the SMS channel."""
        return None
