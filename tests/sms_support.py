"""Helpers shared by the SMS tests: signed webhook bodies and a stand-in for Rasa."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any, Callable, Dict, List, Optional

import jwt
from rasa.core.channels.channel import UserMessage

WEBHOOK_SECRET = "test-webhook-secret-of-at-least-32-bytes"
SENDER_SECRET = "test-sender-secret-of-at-least-32-bytes"
TOKEN = "test-gateway-token"
CITIZEN = 4520123456
RECEIVER = 4512345678
_ids = itertools.count(int(time.time() * 1000))


def webhook_body(message: str, msisdn: Any = CITIZEN, **fields: Any) -> Dict[str, Any]:
    """A GatewayAPI MO webhook body with a fresh id."""
    return {
        "id": next(_ids),
        "msisdn": msisdn,
        "receiver": RECEIVER,
        "message": message,
        "senttime": int(time.time()),
        "webhook_label": "fronten",
        **fields,
    }


def sign(
    body: Dict[str, Any],
    secret: str = WEBHOOK_SECRET,
    expires_in: Optional[int] = 300,
    issued_ago: Optional[int] = 0,
    now: Optional[float] = None,
    **extra: Any,
) -> str:
    """The ``X-Gwapi-Signature`` GatewayAPI would send: the body's fields as HS256 claims.

    ``expires_in`` and ``issued_ago`` set ``exp`` and ``iat`` relative to ``now`` (default
    the real time); None leaves the claim out.
    """
    at = int(time.time() if now is None else now)
    claims = dict(body)
    if issued_ago is not None:
        claims["iat"] = at - issued_ago
    if expires_in is not None:
        claims["exp"] = at + expires_in
    claims.update(extra)
    return jwt.encode(claims, secret, algorithm="HS256")


class Bot:
    """A stand-in for Rasa's message handler that records what reached it.

    Args:
        replies: Each turn's messages (``text`` and optional ``buttons``); a callable gets
            the user's text.
        delay: Seconds each turn takes.

    """

    def __init__(
        self,
        replies: Optional[Callable[[str], List[Dict[str, Any]]]] = None,
        delay: float = 0.0,
    ) -> None:
        self.messages: List[UserMessage] = []
        self.replies = replies or (lambda text: [{"text": f"Svar på: {text}"}])
        self.delay = delay

    @property
    def seen(self) -> List[str]:
        """The texts that reached the bot."""
        return [m.text or "" for m in self.messages]

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        await asyncio.sleep(self.delay)
        for reply in self.replies(message.text or ""):
            if reply.get("buttons"):
                await message.output_channel.send_text_with_buttons(
                    message.sender_id, reply["text"], reply["buttons"]
                )
            else:
                await message.output_channel.send_text_message(message.sender_id, reply["text"])


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Waits, letting background tasks run, until ``check`` is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out waiting for the background task")
