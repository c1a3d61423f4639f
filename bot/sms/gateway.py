"""Sending SMS through GatewayAPI's REST API, retrying 5xx answers and timeouts."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any, Awaitable, Callable, Dict, List, Optional

import aiohttp

from bot.sms.settings import SmsSettings

logger = logging.getLogger(__name__)

SEND_PATH = "/rest/mtsms"


class GatewayError(Exception):
    """Sending failed.

    Attributes:
        permanent: True when trying again cannot help (e.g. the gateway refused the
            message with a 4xx); False after 5xx answers, timeouts or network errors.

    """

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class GatewayClient:
    """Posts messages to ``{base_url}/rest/mtsms``.

    One reply's parts go in one request, as a list, so they are accepted or retried
    together. Nothing here logs or raises with the number in it.

    Args:
        base_url: E.g. ``https://gatewayapi.com`` (tests: a fake on loopback).
        token: The API token.
        sender: The sender shown when a call gives none.
        timeout: Seconds one request may take.
        retries: Extra attempts after a 5xx, a 429, a timeout or a network error.
        backoff: Seconds before the first retry; doubled each time, with jitter.
        sleep: Waits between attempts; tests pass a fast one.

    """

    def __init__(
        self,
        base_url: str,
        token: str,
        sender: str = "Fronten",
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = base_url.rstrip("/") + SEND_PATH
        self._token = token
        self.sender = sender
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep

    @classmethod
    def from_settings(cls, settings: SmsSettings) -> Optional[GatewayClient]:
        """A client from ``GATEWAYAPI_*``; None when no token is configured."""
        if not settings.token:
            return None
        return cls(
            settings.gateway_url,
            settings.token,
            sender=settings.sender_name,
            timeout=settings.timeout,
            retries=settings.retries,
        )

    async def send(self, msisdn: str, parts: List[str], sender: Optional[str] = None) -> None:
        """Sends the parts, in order, to one number.

        Args:
            msisdn: The recipient's MSISDN digits (``4520123456``).
            parts: The SMS parts, each already GSM-7 and at most 153 characters.
            sender: The sender shown (e.g. the virtual number the citizen wrote to).

        Raises:
            GatewayError: The gateway refused the message, or every attempt failed.

        """
        if not parts:
            return
        payload = [
            {
                "sender": sender or self.sender,
                "message": part,
                "recipients": [{"msisdn": int(msisdn)}],
            }
            for part in parts
        ]
        delay = self.backoff
        for attempt in range(self.retries + 1):
            error = await self._post(payload)
            if error is None:
                return
            if error.permanent or attempt == self.retries:
                raise error
            logger.warning("SMS gateway: %s; trying again (%d)", error, attempt + 1)
            await self._sleep(delay * (1 + random.random() / 4))
            delay *= 2

    async def _post(self, payload: List[Dict[str, Any]]) -> Optional[GatewayError]:
        headers = {"Authorization": f"Token {self._token}", "Accept": "application/json"}
        try:
            async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout)
            ) as session:
                async with session.post(self.url, json=payload, headers=headers) as response:
                    if response.status < 300:
                        return None
                    # 429 (too many requests) and 5xx pass; other 4xx need a person.
                    transient = response.status >= 500 or response.status == 429
                    return GatewayError(f"HTTP {response.status}", permanent=not transient)
        except asyncio.TimeoutError:
            return GatewayError("timeout", permanent=False)
        except aiohttp.ClientError as error:
            return GatewayError(type(error).__name__, permanent=False)
