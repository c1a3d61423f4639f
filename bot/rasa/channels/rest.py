"""Rasa's REST channel (used by the web widget) behind the guard.

Every request to the webhook is checked and prepared in a Sanic request middleware, before
Rasa's own handler runs: Rasa's handler, its logs (``rest.message.received.timeout`` when
the browser hangs up) and everything after it see only the prepared message.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.rasa import compat
from bot.rasa.channels.guard import CLIENT_KEY, PREPARED_KEY, Guard
from bot.settings import DEFAULT_EXEMPT, RasaSettings

logger = logging.getLogger(__name__)
MAX_SENDER_LENGTH = 128

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ClientSettings:
    """How the channel names a client address.

    Attributes:
        key_secret: HMAC key for :data:`~bot.rasa.channels.guard.CLIENT_KEY`. ``CLIENT_KEY_SECRET``;
            unset, a random key per process (counts then start afresh at a restart).
        exempt: Addresses never limited per client and given no key.
            ``CLIENT_LIMIT_EXEMPT`` (space-separated addresses or networks), default
            loopback: the load test, or a proxy on this machine not yet configured as
            trusted, where every citizen would otherwise share one address.

    """

    key_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    exempt: Tuple[Network, ...] = tuple(ipaddress.ip_network(n) for n in DEFAULT_EXEMPT.split())

    @classmethod
    def from_env(cls) -> ClientSettings:
        """Reads the settings, falling back to the defaults."""
        values = RasaSettings.from_env()
        secret = values.client_key_secret
        return cls(
            key_secret=secret.encode("utf-8") if secret else secrets.token_bytes(32),
            exempt=tuple(ipaddress.ip_network(n, strict=False) for n in values.client_limit_exempt),
        )

    def key(self, address: str) -> Optional[str]:
        """The client key of an address, or None for an exempt one.

        Args:
            address: ``request.remote_addr or request.ip`` (IPv6 may be bracketed).

        Returns:
            A hex HMAC-SHA256 of the address, never the address itself.

        """
        try:
            parsed = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            parsed = None
        if parsed is not None and any(parsed in network for network in self.exempt):
            return None
        digest = hmac.new(self.key_secret, address.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:32]


class GuardedRestInput(RestInput):
    """``POST /webhooks/rest/webhook``, with CPR redaction, limits and no silence.

    Registered in ``credentials.yml`` under its class path; it keeps the name ``rest`` so the
    URL is Rasa's usual one.

    Args:
        guard: The entrance rules; default built from the environment at start.
        clients: How client addresses are named; default from the environment at start.

    """

    def __init__(
        self, guard: Optional[Guard] = None, clients: Optional[ClientSettings] = None
    ) -> None:
        self._guard = guard
        self._clients = clients

    @classmethod
    def name(cls) -> str:
        """The channel's URL name."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> GuardedRestInput:
        """Builds the channel; it has no credentials of its own."""
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's REST blueprint, with every request checked and prepared first."""
        # Built when the server starts, so the domain is read then and not at import.
        guard = self._guard = self._guard or Guard()
        self._clients = self._clients or ClientSettings.from_env()
        blueprint = super().blueprint(guard.wrap(on_new_message))
        # Decorator form: Sanic 21.12's Blueprint.middleware(handler, ...) form drops a bound
        # method, and a plain function switches the decorator form off for every blueprint.
        blueprint.middleware("request")(self._admit)
        # The body limit and the trusted proxies are the Sanic app's; this is the one place
        # both `rasa run` and `python -m bot.rasa.run` pass before the server starts.
        blueprint.listener("before_server_start")(_configure_server)
        return blueprint

    async def _admit(self, request: Request) -> Optional[HTTPResponse]:
        """Refuses API misuse with 400 and replaces the body by the prepared message."""
        if request.method != "POST":
            return None
        try:
            body = request.json
        except InvalidUsage:
            return _bad_request("The body must be JSON.")
        if not isinstance(body, dict):
            return _bad_request("The body must be a JSON object.")
        sender = body.get("sender")
        if isinstance(sender, int) and not isinstance(sender, bool):
            sender = str(sender)
        if not isinstance(sender, str) or not sender.strip():
            # Rasa would put it in the one conversation "default", shared by everyone.
            return _bad_request("'sender' is required: a text of 1 to 128 characters.")
        if len(sender) > MAX_SENDER_LENGTH:
            # Rasa would cut it, and two long senders could share one conversation.
            return _bad_request("'sender' must be at most 128 characters.")
        message = body.get("message")
        assert self._guard is not None  # set in blueprint()
        prepared = self._guard.prepare(message if isinstance(message, str) else "")
        metadata: Dict[str, Any] = {PREPARED_KEY: prepared.as_metadata()}
        assert self._clients is not None
        client = self._clients.key(request.remote_addr or request.ip or "")
        if client is not None:
            metadata[CLIENT_KEY] = client
        # Rasa's handler reads only these; the raw body is gone before it runs.
        request.parsed_json = {"sender": sender, "message": prepared.text}
        request.body = b""
        request.ctx.metadata = metadata
        return None

    async def _extract_sender(self, req: Request) -> Optional[str]:
        return req.json["sender"]

    def _extract_message(self, req: Request) -> Optional[str]:
        return req.json["message"]

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[str, Any]]:
        """The channel's own metadata; a client's is ignored (it could claim to be SMS)."""
        return dict(getattr(request.ctx, "metadata", {})) or None


def _bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


async def _configure_server(app: Any, _loop: Any) -> None:
    compat.configure_server(app.config)
