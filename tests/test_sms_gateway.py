"""The GatewayAPI client against a fake gateway: retries, backoff and give-up."""

from __future__ import annotations

from typing import List

import pytest

from bot.sms.gateway import GatewayClient, GatewayError
from bot.sms.settings import SmsSettings
from tests.fake_gateway import FakeGateway
from tests.servers import free_port
from tests.sms_support import TOKEN

MSISDN = "4520123456"


class Sleeps:
    def __init__(self) -> None:
        self.waited: List[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)


def client(url: str, sleeps: Sleeps, retries: int = 3, timeout: float = 2) -> GatewayClient:
    return GatewayClient(url, TOKEN, "Fronten", timeout=timeout, retries=retries, sleep=sleeps)


async def test_parts_go_in_one_request_in_order(gateway: FakeGateway) -> None:
    await client(gateway.url, Sleeps()).send(MSISDN, ["første del", "anden del"], sender="4512")
    [request] = gateway.requests()
    assert [m["message"] for m in request["json"]] == ["første del", "anden del"]
    assert all(m["sender"] == "4512" for m in request["json"])
    assert request["authorization"] == f"Token {TOKEN}"


async def test_500_then_200_is_retried_with_backoff(gateway: FakeGateway) -> None:
    gateway.fail(500, 502)
    sleeps = Sleeps()
    await client(gateway.url, sleeps).send(MSISDN, ["hej"])
    assert [r["answered"] for r in gateway.requests()] == [500, 502, 200]
    assert len(sleeps.waited) == 2 and sleeps.waited[1] > sleeps.waited[0]


async def test_a_timeout_is_retried(gateway: FakeGateway) -> None:
    gateway.fail("timeout")
    await client(gateway.url, Sleeps(), timeout=1).send(MSISDN, ["hej"])
    assert len(gateway.requests()) == 2


async def test_every_attempt_failing_raises_a_transient_error(gateway: FakeGateway) -> None:
    gateway.fail(503, 503, 503, 503)
    with pytest.raises(GatewayError) as error:
        await client(gateway.url, Sleeps()).send(MSISDN, ["hej"])
    assert not error.value.permanent and len(gateway.requests()) == 4
    assert MSISDN not in str(error.value)


@pytest.mark.parametrize("status", [400, 401, 403, 422])
async def test_a_refusal_is_not_retried(gateway: FakeGateway, status: int) -> None:
    gateway.fail(status)
    with pytest.raises(GatewayError) as error:
        await client(gateway.url, Sleeps()).send(MSISDN, ["hej"])
    assert error.value.permanent and len(gateway.requests()) == 1


async def test_429_is_retried(gateway: FakeGateway) -> None:
    gateway.fail(429)
    await client(gateway.url, Sleeps()).send(MSISDN, ["hej"])
    assert len(gateway.requests()) == 2


async def test_a_gateway_that_is_down_is_a_transient_error() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(GatewayError) as error:
        await client(nobody, Sleeps(), retries=1).send(MSISDN, ["hej"])
    assert not error.value.permanent


async def test_nothing_to_send_sends_nothing(gateway: FakeGateway) -> None:
    await client(gateway.url, Sleeps()).send(MSISDN, [])
    assert gateway.requests() == []


def test_no_token_no_client() -> None:
    assert GatewayClient.from_settings(SmsSettings(token=None)) is None
    made = GatewayClient.from_settings(SmsSettings(token="t", gateway_url="https://x.example/"))
    assert made is not None and made.url == "https://x.example/rest/mtsms"
