"""CPR numbers never survive redaction, in any common spelling, inside any text."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.privacy import PLACEHOLDER, redact_cpr


@pytest.mark.parametrize(
    "cpr",
    ["010190-1234", "0101901234", "010190 1234", "01 01 90 1234", "01 01 90-1234", "311299–4321"],
)
def test_formats(cpr: str) -> None:
    result = redact_cpr(f"mit cpr er {cpr}, hvad koster bostøtte?")
    assert result.text == f"mit cpr er {PLACEHOLDER}, hvad koster bostøtte?"
    assert result.count == 1


@pytest.mark.parametrize(
    "text",
    [
        "ring på 20 12 34 56",  # a phone number
        "+45 20123456",
        "320190-1234",  # day 32 is no date
        "011390-1234",  # month 13
        "12345678901234",  # part of a longer number
        "bookingnummer K7QX2M",
        "44 77 34 43",
    ],
)
def test_other_numbers_are_kept(text: str) -> None:
    assert redact_cpr(text).text == text


# A CPR number is a real date (DDMMYY) and a four-digit serial, spelt as citizens do.
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31))
serials = st.integers(min_value=0, max_value=9999).map(lambda n: f"{n:04d}")
separators = st.sampled_from(["-", "", " ", " - ", "–"])
group_gaps = st.sampled_from(["", " "])
danish = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzæøåÆØÅ ,.?!")), max_size=40
)


@st.composite
def cpr_numbers(draw: st.DrawFn) -> tuple[str, str]:
    date, serial = draw(dates), draw(serials)
    gap = draw(group_gaps)
    spelt = f"{date:%d}{gap}{date:%m}{gap}{date:%y}{draw(separators)}{serial}"
    return spelt, f"{date:%d%m%y}{serial}"


@given(before=danish, number=cpr_numbers(), after=danish)
def test_no_cpr_survives(before: str, number: tuple[str, str], after: str) -> None:
    spelt, digits = number
    result = redact_cpr(f"{before} {spelt} {after}")
    assert result.count == 1
    assert digits not in re.sub(r"\D", "", result.text)
    # The words around the number are kept, so the question can still be answered.
    assert result.text.startswith(before) and result.text.endswith(after)
