"""Numbers citizens type are read as ASCII digits only, and extreme slot times are refused.

Python's ``\\d`` and ``str.isdigit`` also match Arabic-Indic, Devanagari, fullwidth and other
digits. A phone number written with them was stored, and the SMS worker then failed on it
every run, so that every notification queued behind it was never sent.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms.booking import ValidateBookingForm
from bot.booking.slots import candidate_slots, parse_slot_time
from bot.danish.phone import normalise_danish_mobile
from bot.danish.when import parse_wish
from bot.sms.identity import mask, msisdn_digits
from tests.conftest import CPH, NOW, ROOT, responses

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def _is_foreign_digit(char: str) -> bool:
    folded = unicodedata.normalize("NFKC", char)
    return char.isdigit() or char.isdecimal() or any("0" <= f <= "9" for f in folded)


# Every character that is a digit (or folds to one under NFKC) but is not 0-9: several
# hundred, from Arabic-Indic and Devanagari to fullwidth, superscript and circled digits.
FOREIGN_DIGITS = st.sampled_from(
    [c for c in map(chr, range(0x80, 0x110000)) if _is_foreign_digit(c)]
)


def _swap_one_digit(number: str, index: int, foreign: str) -> str:
    return number[:index] + foreign + number[index + 1 :]


# --- phone numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2١٢٣٤٥٦٧",  # Arabic-Indic
        "٢٠١٢٣٤٥٦",
        "+45 ２０ １２ ３４ ５６",  # fullwidth
        "२०१२३४५६",  # Devanagari
        "20 12 34 5𝟔",  # mathematical bold six
    ],
)
def test_a_phone_number_in_other_digits_is_refused(text: str) -> None:
    assert normalise_danish_mobile(text) is None


@settings(max_examples=300, deadline=None)
@given(
    number=st.from_regex(r"[2-9][0-9]{7}", fullmatch=True),
    index=st.integers(0, 7),
    foreign=FOREIGN_DIGITS,
    prefix=st.sampled_from(["", "+45 ", "0045"]),
)
def test_any_non_ascii_digit_makes_a_phone_number_invalid(
    number: str, index: int, foreign: str, prefix: str
) -> None:
    assert normalise_danish_mobile(prefix + number) == number  # the control
    assert normalise_danish_mobile(prefix + _swap_one_digit(number, index, foreign)) is None


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=30))
def test_an_accepted_phone_number_is_always_ascii(text: str) -> None:
    number = normalise_danish_mobile(text)
    assert number is None or (number.isascii() and len(number) == 8)


async def test_the_booking_form_asks_again_for_an_arabic_indic_number(
    desk, real_repository, make_tracker
) -> None:
    validator = ValidateBookingForm(desk, real_repository)
    text = "mit nummer er 2١٢٣٤٥٦٧"
    tracker = make_tracker(text, intent="inform", active_loop="booking_form")
    dispatcher = CollectingDispatcher()
    result = await validator.validate_booking_phone(text, dispatcher, tracker, DOMAIN)
    assert result == {"booking_phone": None}
    assert responses(dispatcher) == ["utter_booking_invalid_phone"]


@pytest.mark.parametrize("value", ["45٢٠١٢٣٤٥٦", "4520١23456", "٤٥20123456", "4520１23456"])
def test_a_webhook_msisdn_in_other_digits_is_refused(value: str) -> None:
    assert msisdn_digits(value) is None
    assert msisdn_digits("4520123456") == "4520123456"


def test_masking_keeps_only_ascii_digits() -> None:
    assert mask("2012345٦") == "•• •• •• 45"


# --- dates and times ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "i morgen kl. ١٠",  # Arabic-Indic ten: not read as ten, and not dropped silently
        "i morgen kl. １０",  # fullwidth, which NFKC would turn into "10"
        "den ٣. december",
        "٣/١٢",
        "kl. ९.३०",
        "&#1633;&#1632;/12",  # HTML-escaped Arabic-Indic digits
    ],
)
def test_a_wish_written_with_other_digits_is_not_understood(text: str) -> None:
    assert parse_wish(text, NOW) is None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    template=st.sampled_from(["i morgen kl. 1{}", "den {}. december", "{}/12", "kl. {}"]),
    foreign=FOREIGN_DIGITS,
)
def test_any_non_ascii_digit_in_a_wish_is_refused(template: str, foreign: str) -> None:
    assert parse_wish(template.format("3"), NOW) is not None  # the control
    assert parse_wish(template.format(foreign), NOW) is None


# --- extreme slot times ------------------------------------------------------------------

EXTREME = [
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59.999999-23:59",
    "0001-01-01T00:00:00+23:59",
]


@pytest.mark.parametrize("text", EXTREME)
def test_an_extreme_slot_time_is_not_a_slot(text: str) -> None:
    assert parse_slot_time(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-24T09:00:00+01:00", dt.datetime(2026, 11, 24, 9, tzinfo=CPH)),
        ("2026-11-24T08:00:00+00:00", dt.datetime(2026, 11, 24, 9, tzinfo=CPH)),
        ("2026-11-24T09:00:00", None),  # naive: ambiguous around daylight saving changes
        ("i morgen", None),
    ],
)
def test_ordinary_slot_times_are_read(text: str, expected: dt.datetime | None) -> None:
    assert parse_slot_time(text) == expected


@pytest.mark.parametrize("text", EXTREME)
def test_candidate_slots_from_an_extreme_time_are_none(booking_config, text: str) -> None:
    start = dt.datetime.fromisoformat(text)
    assert candidate_slots(booking_config, NOW, start_from=start) == []


@pytest.mark.parametrize("text", EXTREME)
async def test_an_extreme_slot_payload_gets_the_normal_choose_again_reply(
    desk, real_repository, make_tracker, text: str
) -> None:
    offers = [dt.datetime(2026, 11, 24, 9, tzinfo=CPH).isoformat()]
    validator = ValidateBookingForm(desk, real_repository)
    tracker = make_tracker(
        text, active_loop="booking_form", slots={"booking_offers": offers}, intent="inform"
    )
    dispatcher = CollectingDispatcher()
    result = await validator.validate_booking_slot(text, dispatcher, tracker, DOMAIN)
    assert result == {"booking_slot": None}
    assert responses(dispatcher) == ["utter_booking_invalid_slot"]


@pytest.mark.parametrize("text", EXTREME)
def test_an_extreme_iso_time_typed_as_a_wish_is_not_understood(text: str) -> None:
    assert parse_wish(text, NOW) is None
