from __future__ import annotations

import pytest

from bot.danish.phone import normalise_danish_mobile


@pytest.mark.parametrize(
    "text",
    [
        "20123456",
        "+45 20 12 34 56",
        "2012 3456",
        "0045 20123456",
        "+4520123456",
        "20-12-34-56",
        " 20 12 34 56 ",
        "98765432",
    ],
)
def test_valid(text: str) -> None:
    assert normalise_danish_mobile(text) in {"20123456", "98765432"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2012345",
        "201234567",
        "20x23456",
        "12345678",  # Danish subscriber numbers never start with 1 (service numbers)
        "02012345",
        "+46 20123456",
        "45 20123456",
        "+45",
        "tyve tolv",
    ],
)
def test_invalid(text: str) -> None:
    assert normalise_danish_mobile(text) is None
