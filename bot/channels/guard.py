"""The rules every channel applies before a message reaches Rasa, and after it answers.

Before: the rate limit per conversation, CPR numbers removed, over-long messages cut.
After: a conversation that got no reply (the action server down, slow or failing) gets a
Danish message with Fronten's phone number instead of silence.

Rasa Open Source stores every message as written (masking is a Rasa Pro feature), so the
redaction has to happen here, at the entrance, before NLU, the tracker store and logs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Deque, Dict, Optional

import yaml
from rasa.core.channels.channel import UserMessage

from bot import server_tuning
from bot.privacy import redact_cpr
from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]
# How many conversations the limiter and the "told once" memory keep; oldest forgotten.
MAX_TRACKED = 50_000


@dataclass(frozen=True)
class GuardSettings:
    """Limits read from the environment.

    Attributes:
        max_length: Characters kept of one message. ``MAX_MESSAGE_LENGTH``.
        per_minute: Messages one conversation may send a minute. ``RATE_LIMIT_PER_MINUTE``.
        reply_timeout: Seconds to wait for the assistant before apologising.
            ``REPLY_TIMEOUT_SECONDS``.

    """

    max_length: int = 1000
    per_minute: int = 30
    reply_timeout: float = 10.0

    @classmethod
    def from_env(cls) -> GuardSettings:
        """Reads the limits, falling back to the defaults."""
        return cls(
            max_length=int(os.environ.get("MAX_MESSAGE_LENGTH", "1000")),
            per_minute=int(os.environ.get("RATE_LIMIT_PER_MINUTE", "30")),
            reply_timeout=float(os.environ.get("REPLY_TIMEOUT_SECONDS", "10")),
        )


def load_texts(domain_path: Optional[Path] = None) -> Dict[str, str]:
    """The guard's Danish texts, taken from the domain's responses.

    Args:
        domain_path: The domain file; defaults to the project's ``domain.yml``.

    Returns:
        The first text of each ``utter_guard_*`` response.

    """
    path = domain_path or PROJECT_ROOT / "domain.yml"
    responses = yaml.safe_load(path.read_text(encoding="utf-8")).get("responses", {})
    return {
        name: variants[0]["text"]
        for name, variants in responses.items()
        if name.startswith("utter_guard_")
    }


def conversation_key(sender_id: str) -> str:
    """A short pseudonym for logs, so they never name a conversation or a number."""
    return hashlib.sha256(sender_id.encode("utf-8")).hexdigest()[:12]


class RateLimiter:
    """A sliding one-minute window per conversation.

    Args:
        per_minute: Messages allowed in any 60 seconds.
        clock: Returns seconds; tests pass a fake one.

    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: OrderedDict[str, Deque[float]] = OrderedDict()

    def allow(self, sender_id: str) -> bool:
        """Counts a message; False when the conversation is over its limit."""
        now = self._clock()
        window = self._seen.pop(sender_id, None) or deque()
        while window and now - window[0] >= 60:
            window.popleft()
        allowed = len(window) < self.per_minute
        if allowed:
            window.append(now)
        self._seen[sender_id] = window
        while len(self._seen) > MAX_TRACKED:
            self._seen.popitem(last=False)
        return allowed


class Guard:
    """Wraps a channel's ``on_new_message`` with the rules above.

    Args:
        settings: The limits.
        texts: The Danish texts (``utter_guard_*`` responses).

    """

    def __init__(
        self, settings: Optional[GuardSettings] = None, texts: Optional[Dict[str, str]] = None
    ) -> None:
        # Every channel builds its guard when the server starts, before the tracker store
        # and the model are loaded: the place to tune the Rasa process.
        server_tuning.install()
        self.settings = settings or GuardSettings.from_env()
        self.texts = texts if texts is not None else load_texts()
        self.limiter = RateLimiter(self.settings.per_minute)
        self._warned: OrderedDict[str, None] = OrderedDict()

    def wrap(self, handler: Handler) -> Handler:
        """Returns a handler that applies the rules and then calls ``handler``."""

        async def guarded(message: UserMessage) -> None:
            await self.handle(message, handler)

        return guarded

    async def handle(self, message: UserMessage, handler: Handler) -> None:
        """Applies the rules to one message and makes sure the citizen gets an answer."""
        sender = message.sender_id or "default"
        out = message.output_channel
        if not self.limiter.allow(sender):
            await out.send_text_message(sender, self.texts["utter_guard_slow_down"])
            return
        text = message.text or ""
        redacted = redact_cpr(text)
        if redacted.count and sender not in self._warned:
            # Told once per conversation; the question around the number is still answered.
            self._remember_warning(sender)
            await out.send_text_message(sender, self.texts["utter_guard_cpr_removed"])
        text = redacted.text
        if len(text) > self.settings.max_length:
            text = text[: self.settings.max_length]
            await out.send_text_message(
                sender,
                self.texts["utter_guard_message_cut"].format(max_length=self.settings.max_length),
            )
        message.text = text
        before = _count(out)
        task = asyncio.ensure_future(handler(message))
        # shield: a slow turn still finishes and is stored; only the wait is cut short.
        done, _ = await asyncio.wait({asyncio.shield(task)}, timeout=self.settings.reply_timeout)
        failed = not done
        if done:
            error = next(iter(done)).exception()
            if error is not None:
                logger.error(
                    "conversation %s: %s while answering (message withheld)",
                    conversation_key(sender),
                    type(error).__name__,
                )
                failed = True
        else:
            logger.error("conversation %s: no reply in time", conversation_key(sender))
        if failed or (before is not None and _count(out) == before):
            # Rasa drops a failed custom action's messages and carries on in silence.
            await out.send_text_message(sender, self.texts["utter_guard_technical_problem"])

    def _remember_warning(self, sender: str) -> None:
        self._warned[sender] = None
        while len(self._warned) > MAX_TRACKED:
            self._warned.popitem(last=False)


def _count(output_channel: Any) -> Optional[int]:
    # Collecting channels keep their messages; others (streams, SMS) are checked by the
    # channel itself.
    messages = getattr(output_channel, "messages", None)
    return len(messages) if isinstance(messages, list) else None
