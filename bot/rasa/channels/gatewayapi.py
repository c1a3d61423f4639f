"""A Rasa input channel for SMS through GatewayAPI.

``POST /webhooks/gatewayapi/webhook`` receives GatewayAPI's MO webhook. The request is
checked (size, HS256 signature, fields, seen before?) and answered at once; the message is
then handled in the background, and the answer goes back through GatewayAPI's REST API as
GSM-7 parts of at most 153 characters.

The conversation id is a keyed hash of the number. The number itself is used only to
reply, and for the booking form it waits briefly in the SMS database (see
``bot.sms.repository.Numbers``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import weakref
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.rasa.channels.guard import Guard
from bot.settings import Retention
from bot.sms.compose import Composer, chosen_payload
from bot.sms.contact import ContactBook
from bot.sms.gateway import GatewayClient, GatewayError
from bot.sms.identity import danish_number, log_ref, msisdn_digits, sender_key
from bot.sms.optout import handle_stop
from bot.sms.repository import Choices, Numbers, OptOuts, SeenMessages, SmsDatabase
from bot.sms.settings import SmsSettings
from bot.sms.signature import HEADER, SignatureError, check_secret, verify
from bot.sms.templates import Templates, default_templates

logger = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]
CHANNEL = "gatewayapi"
# "STOP" alone, in any case, ends SMS contact; "stop det" is an ordinary message.
# GatewayAPI redelivers for about half a day; ids are remembered well beyond that.
SEEN_RETENTION = Retention().sms_seen
CHOICES_RETENTION = Retention().sms_choices
NUMBERS_RETENTION = Retention().sms_numbers
HOUSEKEEPING_EVERY = dt.timedelta(hours=1)
MAX_ID_LENGTH = 100


@dataclass(frozen=True)
class Inbound:
    """One SMS from a citizen, as the webhook delivered it.

    Attributes:
        id: GatewayAPI's message id.
        msisdn: The sender's number, digits only (``4520123456``).
        text: The message.
        receiver: The number the citizen wrote to, used as the reply's sender.

    """

    id: str
    msisdn: str
    text: str
    receiver: Optional[str]


def parse_inbound(body: Dict[str, Any]) -> Optional[Inbound]:
    """The webhook's fields, or None when the id or the number is unusable."""
    message_id = body.get("id")
    msisdn = msisdn_digits(body.get("msisdn"))
    if isinstance(message_id, bool) or not isinstance(message_id, int | str) or msisdn is None:
        return None
    message_id = str(message_id).strip()
    if not message_id or len(message_id) > MAX_ID_LENGTH:
        return None
    text = body.get("message")
    return Inbound(
        id=message_id,
        msisdn=msisdn,
        text=text if isinstance(text, str) else "",
        receiver=msisdn_digits(body.get("receiver")),
    )


class SmsCollector(CollectingOutputChannel):
    """Collects one turn's answers; the channel sends them as SMS when the turn is over."""

    @classmethod
    def name(cls) -> str:
        """The output channel's name."""
        return CHANNEL


class SmsServices:
    """The channel's database tables, gateway client and texts, created on first use.

    Args:
        settings: SMS settings.
        database: The SMS database; default ``SMS_DB``.
        client: The gateway client; default from ``GATEWAYAPI_*`` (None without a token).
        contacts: Fronten's details; default from the knowledge base.
        templates: The domain's texts.

    """

    def __init__(
        self,
        settings: SmsSettings,
        database: Optional[SmsDatabase] = None,
        client: Optional[GatewayClient] = None,
        contacts: Optional[ContactBook] = None,
        templates: Optional[Templates] = None,
    ) -> None:
        self.settings = settings
        self.database = database or SmsDatabase.from_env(settings)
        self.client = client if client is not None else GatewayClient.from_settings(settings)
        self.contacts = contacts or ContactBook()
        self.composer = Composer(templates or default_templates(), settings.max_parts)
        self.seen = SeenMessages(self.database)
        self.opt_outs = OptOuts(self.database)
        self.choices = Choices(self.database)
        self.numbers = Numbers(self.database)


class GatewayAPIInput(InputChannel):
    """GatewayAPI's SMS webhook as a Rasa input channel.

    Registered in ``credentials.yml`` under its class path. It takes no credentials from
    the file: secrets come from the environment (``GATEWAYAPI_WEBHOOK_SECRET``,
    ``SMS_SENDER_SECRET``, ``GATEWAYAPI_TOKEN``).

    Args:
        settings: Default ``SmsSettings.from_env()``, read when the blueprint is built.
        services: Default built on the first webhook.
        guard: The entrance rules shared with the REST channel (CPR redaction, limits,
            never silence); default built with the blueprint.
        clock: Returns the current aware time.

    """

    def __init__(
        self,
        settings: Optional[SmsSettings] = None,
        services: Optional[SmsServices] = None,
        guard: Optional[Guard] = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ) -> None:
        self._settings = settings
        self._services = services
        self._guard = guard
        self._clock = clock
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._last_housekeeping: Optional[dt.datetime] = None

    @classmethod
    def name(cls) -> str:
        """The channel's URL name: ``/webhooks/gatewayapi/webhook``."""
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> GatewayAPIInput:
        """Builds the channel; its secrets come from the environment, not the file."""
        return cls()

    @property
    def settings(self) -> SmsSettings:
        """The SMS settings."""
        if self._settings is None:
            self._settings = SmsSettings.from_env()
        return self._settings

    @property
    def services(self) -> SmsServices:
        """Database, client and texts, created on first use."""
        if self._services is None:
            self._services = SmsServices(self.settings)
        return self._services

    def blueprint(self, on_new_message: Handler) -> Blueprint:
        """The webhook route; messages pass the shared guard on their way to Rasa.

        Raises:
            WeakSecretError: ``GATEWAYAPI_WEBHOOK_SECRET`` is set but shorter than 32
                characters; the Rasa server then refuses to start.

        """
        settings = self.settings
        check_secret(settings.webhook_secret)
        handler = (self._guard or Guard()).wrap(on_new_message)
        hook = Blueprint(f"gatewayapi_{id(self)}", url_prefix="/webhooks/gatewayapi")

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            raw = await _read_limited(request, settings.max_body_bytes)
            if raw is None:
                return _status(413, "body too large")
            if not settings.webhook_secret:
                logger.warning("SMS refused: GATEWAYAPI_WEBHOOK_SECRET is not set")
                return _status(401, "webhook secret not configured")
            token = request.headers.get(HEADER)
            if not token:
                return _status(401, "missing signature")
            try:
                body = json.loads(raw)
            except ValueError:
                return _status(400, "body is not JSON")
            if not isinstance(body, dict):
                return _status(400, "body is not a JSON object")
            try:
                verify(
                    token,
                    settings.webhook_secret,
                    body,
                    now=self._clock().timestamp(),
                    leeway=settings.webhook_leeway,
                    max_age=settings.webhook_max_age,
                )
            except SignatureError as error:
                logger.warning("SMS refused: %s", error)
                return _status(401, "invalid signature")
            inbound = parse_inbound(body)
            if inbound is None:
                return _status(400, "id or msisdn missing or malformed")
            if not settings.sender_secret:
                logger.error("SMS refused: SMS_SENDER_SECRET is not set")
                return _status(503, "sender secret not configured")
            now = self._clock()
            if not self.services.seen.first_time(inbound.id, now):
                return _status(200, "duplicate")
            self._housekeeping(now)
            # Answered now; GatewayAPI gives up after 5 s, and Rasa can take longer.
            request.app.add_task(self.process(inbound, handler))
            return _status(200, "accepted")

        return hook

    async def process(self, inbound: Inbound, handler: Handler) -> None:
        """Handles one accepted SMS and sends the answer; never raises."""
        secret = self.settings.sender_secret or ""
        key = sender_key(inbound.msisdn, secret)
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        try:
            # One turn at a time per number, so "2" always refers to the choices just sent.
            async with lock:
                await self._process(inbound, key, handler)
        except Exception:  # noqa: BLE001 - a background task has nobody to raise to
            logger.exception("SMS from %s could not be handled", log_ref(inbound.msisdn, secret))

    async def _process(self, inbound: Inbound, key: str, handler: Handler) -> None:
        services = self.services
        contact = services.contacts.contact()
        phone = danish_number(inbound.msisdn)
        if phone is None:
            name = (
                "utter_sms_not_danish"
                if contact.get("contact_phone")
                else "utter_sms_not_danish_no_contact"
            )
            await self._send(inbound, services.composer.text(name, contact))
            return
        now = self._clock()
        if await asyncio.to_thread(handle_stop, services.database, inbound.text, key, phone, now):
            services.choices.forget(key)
            # Ends a form in progress, so nothing is booked half-way; its reply is not sent.
            await handler(UserMessage("stop", SmsCollector(), key, input_channel=CHANNEL))
            await self._send(inbound, services.composer.text("utter_sms_opted_out", contact))
            return
        services.opt_outs.opt_in(key)
        services.numbers.remember(key, phone, now)
        text = chosen_payload(inbound.text, services.choices.get(key)) or inbound.text
        collector = SmsCollector()
        await handler(UserMessage(text, collector, key, input_channel=CHANNEL))
        reply = services.composer.reply(collector.messages, contact)
        if reply.payloads:
            services.choices.remember(key, reply.payloads, self._clock())
        else:
            services.choices.forget(key)
        await self._send(inbound, reply.parts)

    async def _send(self, inbound: Inbound, parts: List[str]) -> None:
        client = self.services.client
        who = log_ref(inbound.msisdn, self.settings.sender_secret)
        if client is None:
            logger.error("SMS reply to %s dropped: GATEWAYAPI_TOKEN is not set", who)
            return
        try:
            await client.send(inbound.msisdn, parts, sender=inbound.receiver)
        except GatewayError as error:
            logger.error("SMS reply to %s failed finally (%s)", who, error)

    def _housekeeping(self, now: dt.datetime) -> None:
        if self._last_housekeeping and now - self._last_housekeeping < HOUSEKEEPING_EVERY:
            return
        self._last_housekeeping = now
        services = self.services
        services.seen.prune(now - SEEN_RETENTION)
        services.choices.prune(now - CHOICES_RETENTION)
        services.numbers.prune(now - NUMBERS_RETENTION)


async def _read_limited(request: Request, limit: int) -> Optional[bytes]:
    """The body, or None as soon as it is longer than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks: List[bytes] = []
    size = 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _status(status: int, text: str) -> HTTPResponse:
    return response.json({"status": text}, status=status)
