"""The rules every channel applies before a message reaches Rasa, and after it answers.

Before: new conversations limited per client address, the rate limit per conversation,
over-long messages cut, CPR numbers removed (also from the entities of ``/intent{…}``).
After: a conversation that got no reply (the action server down, slow or failing) gets a
Danish message with Fronten's phone number instead of silence.

Rasa Open Source stores every message as written (masking is a Rasa Pro feature), so the
redaction has to happen here, at the entrance, before NLU, the tracker store and logs. The
REST channel prepares the text even earlier, before Rasa's own handler (bot/rasa/channels/rest.py).

For the action server: ``tracker.latest_message["metadata"]["client_key"]`` is a keyed hash
(HMAC-SHA256, 32 hex characters) of the citizen's address, for limits per address. It is
absent for SMS and for exempt addresses (loopback by default): no key, no limit per address.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Collection, Deque, Dict, FrozenSet, Optional

import yaml
from rasa.core.channels.channel import UserMessage

from bot.danish.cpr import redact_cpr, redact_intent_message
from bot.settings import PROJECT_ROOT, RasaSettings
from bot.sms.contact import ContactBook

logger = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]
# How many conversations the limiter and the "told once" memory keep; oldest forgotten.
MAX_TRACKED = 50_000
# Message metadata: a keyed hash of the client address, set by the REST channel (see
# bot/rasa/channels/rest.py); absent for SMS and for exempt addresses.
CLIENT_KEY = "client_key"
# Message metadata a channel sets when it has prepared the text itself; the guard removes it
# before Rasa stores the message.
PREPARED_KEY = "_guard_prepared"
# Raw characters read before anything else is done with a message: redaction and decoding
# then cost the same whatever was sent.
READ_FACTOR = 2
# Texts that name the contact point, and their variants for a municipality without one.
CONTACT_TEXTS = {
    "utter_guard_technical_problem": "utter_guard_technical_problem_no_contact",
    "utter_guard_too_many_conversations": "utter_guard_too_many_conversations_no_contact",
}


@dataclass(frozen=True)
class GuardSettings:
    """Limits read from the environment.

    Attributes:
        max_length: Characters kept of one message. ``MAX_MESSAGE_LENGTH``.
        per_minute: Messages one conversation may send a minute. ``RATE_LIMIT_PER_MINUTE``.
        reply_timeout: Seconds to wait for the assistant before apologising.
            ``REPLY_TIMEOUT_SECONDS``.
        new_conversations_per_hour: New conversations one client address may start in any
            hour; 0 means no limit. ``NEW_CONVERSATIONS_PER_HOUR``.

    """

    max_length: int = 1000
    per_minute: int = 30
    reply_timeout: float = 10.0
    new_conversations_per_hour: int = 30

    @classmethod
    def from_env(cls) -> GuardSettings:
        """Reads the limits, falling back to the defaults."""
        values = RasaSettings.from_env()
        return cls(
            max_length=values.max_message_length,
            per_minute=values.rate_limit_per_minute,
            reply_timeout=values.reply_timeout,
            new_conversations_per_hour=values.new_conversations_per_hour,
        )


@dataclass(frozen=True)
class Prepared:
    """A message as Rasa may see it.

    Attributes:
        text: Cut, CPR numbers removed, ``/intent{…}`` entities checked.
        cpr_removed: How many CPR numbers were removed.
        cut: Whether the message was longer than the limit.

    """

    text: str
    cpr_removed: int = 0
    cut: bool = False

    def as_metadata(self) -> Dict[str, Any]:
        """The form a channel passes it on in (:data:`PREPARED_KEY`)."""
        return {"text": self.text, "cpr_removed": self.cpr_removed, "cut": self.cut}


def load_texts(
    domain_path: Optional[Path] = None, contact: Optional[Dict[str, str]] = None
) -> Dict[str, str]:
    """The guard's Danish texts, taken from the domain's responses.

    Args:
        domain_path: The domain file; defaults to the project's ``domain.yml``.
        contact: ``contact_name`` and ``contact_phone`` for the texts that name them;
            defaults to Fronten's (or the municipality's) from the knowledge base.

    Returns:
        The first text of each ``utter_guard_*`` response, the contact point filled in, or
        its ``_no_contact`` variant when the municipality has none.

    """
    path = domain_path or PROJECT_ROOT / "domain.yml"
    responses = yaml.safe_load(path.read_text(encoding="utf-8")).get("responses", {})
    contact = contact if contact is not None else ContactBook().contact()
    texts = {}
    for name, variants in responses.items():
        if not name.startswith("utter_guard_") or name in CONTACT_TEXTS.values():
            continue
        text = variants[0]["text"]
        if name in CONTACT_TEXTS and not contact.get("contact_phone"):
            text = responses[CONTACT_TEXTS[name]][0]["text"]
        elif name in CONTACT_TEXTS:
            text = text.replace("{contact_name}", contact.get("contact_name", ""))
            text = text.replace("{contact_phone}", contact["contact_phone"])
        texts[name] = text
    return texts


def load_entity_names(domain_path: Optional[Path] = None) -> FrozenSet[str]:
    """The domain's entity names: the only ones a ``/intent{…}`` message may carry.

    Args:
        domain_path: The domain file; defaults to the project's ``domain.yml``.

    Returns:
        The names under ``entities``.

    """
    path = domain_path or PROJECT_ROOT / "domain.yml"
    entities = yaml.safe_load(path.read_text(encoding="utf-8")).get("entities") or []
    return frozenset(e if isinstance(e, str) else next(iter(e)) for e in entities)


def prepare(text: str, max_length: int, entity_names: Collection[str]) -> Prepared:
    """Cuts a message, checks its ``/intent{…}`` entities and removes CPR numbers.

    The raw text is cut first (to :data:`READ_FACTOR` times the limit), so a huge message
    costs no more than a long one; the final cut comes after the redaction, so a number
    across the limit is still removed.

    Args:
        text: The message as the channel received it.
        max_length: Characters kept.
        entity_names: The domain's entity names.

    Returns:
        The message as Rasa may see it.

    """
    text = text[: READ_FACTOR * max_length + 64]
    entities = redact_intent_message(text, entity_names)
    redacted = redact_cpr(entities.text)
    text = redacted.text
    cut = len(text) > max_length
    return Prepared(text[:max_length], entities.count + redacted.count, cut)


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


class NewConversationLimiter:
    """New conversations per client in a sliding hour.

    A conversation is new the first time its sender id is seen (in this process; the
    oldest are forgotten after :data:`MAX_TRACKED`).

    Args:
        per_hour: New conversations one client may start in any 3600 seconds; 0 is no limit.
        clock: Returns seconds; tests pass a fake one.

    """

    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_hour = per_hour
        self._clock = clock
        self._known: OrderedDict[str, None] = OrderedDict()
        self._started: OrderedDict[str, Deque[float]] = OrderedDict()

    def allow(self, client: str, sender_id: str) -> bool:
        """Whether the sender's message may go on; False for a new one over the limit."""
        if sender_id in self._known:
            self._known.move_to_end(sender_id)
            return True
        if self.per_hour > 0:
            now = self._clock()
            window = self._started.pop(client, None) or deque()
            while window and now - window[0] >= 3600:
                window.popleft()
            self._started[client] = window
            while len(self._started) > MAX_TRACKED:
                self._started.popitem(last=False)
            if len(window) >= self.per_hour:
                return False
            window.append(now)
        self._known[sender_id] = None
        while len(self._known) > MAX_TRACKED:
            self._known.popitem(last=False)
        return True


class Guard:
    """Wraps a channel's ``on_new_message`` with the rules above.

    Args:
        settings: The limits.
        texts: The Danish texts (``utter_guard_*`` responses).
        entity_names: The entities a ``/intent{…}`` message may carry; default the domain's.

    """

    def __init__(
        self,
        settings: Optional[GuardSettings] = None,
        texts: Optional[Dict[str, str]] = None,
        entity_names: Optional[Collection[str]] = None,
    ) -> None:
        self.settings = settings or GuardSettings.from_env()
        self.texts = texts if texts is not None else load_texts()
        self.entity_names = entity_names if entity_names is not None else load_entity_names()
        self.limiter = RateLimiter(self.settings.per_minute)
        self.conversations = NewConversationLimiter(self.settings.new_conversations_per_hour)
        self._warned: OrderedDict[str, None] = OrderedDict()

    def wrap(self, handler: Handler) -> Handler:
        """Returns a handler that applies the rules and then calls ``handler``."""

        async def guarded(message: UserMessage) -> None:
            await self.handle(message, handler)

        return guarded

    def prepare(self, text: str) -> Prepared:
        """The message text as Rasa may see it (see :func:`prepare`)."""
        return prepare(text, self.settings.max_length, self.entity_names)

    async def handle(self, message: UserMessage, handler: Handler) -> None:
        """Applies the rules to one message and makes sure the citizen gets an answer."""
        sender = message.sender_id or "default"
        out = message.output_channel
        metadata = message.metadata if isinstance(message.metadata, dict) else {}
        prepared = _prepared_by_channel(metadata.pop(PREPARED_KEY, None))
        if not metadata:
            message.metadata = None
        client = metadata.get(CLIENT_KEY)
        if isinstance(client, str) and not self.conversations.allow(client, sender):
            await out.send_text_message(sender, self.texts["utter_guard_too_many_conversations"])
            return
        if not self.limiter.allow(sender):
            await out.send_text_message(sender, self.texts["utter_guard_slow_down"])
            return
        if prepared is None or prepared.text != message.text:
            prepared = self.prepare(message.text or "")
        if prepared.cpr_removed and sender not in self._warned:
            # Told once per conversation; the question around the number is still answered.
            self._remember_warning(sender)
            await out.send_text_message(sender, self.texts["utter_guard_cpr_removed"])
        if prepared.cut:
            await out.send_text_message(
                sender,
                self.texts["utter_guard_message_cut"].format(max_length=self.settings.max_length),
            )
        message.text = prepared.text
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


def _prepared_by_channel(value: Any) -> Optional[Prepared]:
    if not isinstance(value, dict):
        return None
    return Prepared(
        str(value.get("text", "")), int(value.get("cpr_removed", 0)), bool(value.get("cut"))
    )


def _count(output_channel: Any) -> Optional[int]:
    # Collecting channels keep their messages; others (streams, SMS) are checked by the
    # channel itself.
    messages = getattr(output_channel, "messages", None)
    return len(messages) if isinstance(messages, list) else None
