"""Fixtures of the SMS tests: a fake GatewayAPI and an empty SMS database.

Registered for the whole suite in ``tests/conftest.py``; a test asks for them by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bot.sms.repository import SmsDatabase
from tests.fake_gateway import FakeGateway, fake_gateway


@pytest.fixture(scope="session")
def gateway_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGateway]:
    """One fake GatewayAPI subprocess for the whole run; tests take it as ``gateway``."""
    with fake_gateway(tmp_path_factory.mktemp("gateway")) as fake:
        yield fake


@pytest.fixture
def gateway(gateway_process: FakeGateway) -> FakeGateway:
    """The fake GatewayAPI, with no requests seen and no failures queued."""
    gateway_process.reset()
    return gateway_process


@pytest.fixture
def database(tmp_path: Path) -> Iterator[SmsDatabase]:
    """An empty SMS database in a temporary file."""
    database = SmsDatabase(tmp_path / "sms.db")
    yield database
    database.close()
