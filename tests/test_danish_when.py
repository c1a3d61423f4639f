"""Danish free text about when to meet, read into a wish (bot/danish/when.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import dateparser
import pytest

from bot.danish.when import MAX_CHARS, Wish, parse_wish

CPH = ZoneInfo("Europe/Copenhagen")
SUNDAY = dt.datetime(2026, 11, 22, 12, 0, tzinfo=CPH)  # today in most examples
WEDNESDAY = dt.datetime(2026, 11, 25, 10, 0, tzinfo=CPH)


def d(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def t(hour: int, minute: int = 0) -> dt.time:
    return dt.time(hour, minute)


def wished_date(text: str, now: dt.datetime) -> dt.date:
    """The day ``text`` asks for, seen from ``now``; a text with no wish fails the test."""
    wish = parse_wish(text, now)
    assert wish is not None
    return wish.date


@pytest.mark.parametrize(
    "text,date",
    [
        # What dateparser 1.2.0 already gets right
        ("i morgen", d(11, 23)),
        ("tirsdag", d(11, 24)),
        ("3/12", d(12, 3)),
        ("i går", d(11, 21)),  # the past is the caller's business
        ("om en uge", d(11, 29)),
        ("25. december", d(12, 25)),
        ("i dag", d(11, 22)),
        ("torsdag den 26. november", d(11, 26)),
        # What it gets wrong, fixed by the Danish layer
        ("i overmorgen", d(11, 24)),
        ("overmorgen", d(11, 24)),
        ("i forgårs", d(11, 20)),
        ("på tirsdag", d(11, 24)),
        ("den 3. december", d(12, 3)),
        ("om to dage", d(11, 24)),
        ("om 3 dage", d(11, 25)),
        ("om fjorten dage", d(12, 6)),
        ("om 2 uger", d(12, 6)),
        ("om et par dage", d(11, 24)),
        ("mandag d. 30/11", d(11, 30)),
        ("den 3.12", d(12, 3)),
        ("næste uge", d(11, 30)),  # Monday of next week, not dateparser's +7 days
        ("i næste uge", d(11, 30)),
        ("ugen efter", d(11, 30)),
        ("i denne uge", d(11, 22)),
        ("i ugen", d(11, 22)),
        ("senere i ugen", d(11, 22)),
        ("næste måned", d(12, 1)),
        ("i januar", d(1, 1, 2027)),
        # Weekday forms
        ("tirsdagen", d(11, 24)),
        ("tirs", d(11, 24)),
        ("tors", d(11, 26)),
        ("ons", d(11, 25)),
        ("man", d(11, 23)),
        ("fre", d(11, 27)),
        ("søndag", d(11, 29)),  # strictly after today
        ("næste tirsdag", d(12, 1)),  # on a Sunday the coming week is "denne uge"
        ("tirsdag i næste uge", d(12, 1)),
        # Written dates
        ("3. december", d(12, 3)),
        ("3 dec", d(12, 3)),
        ("3.12", d(12, 3)),
        ("3.12.", d(12, 3)),
        ("d. 3/12", d(12, 3)),
        ("d.3/12", d(12, 3)),
        ("30-11", d(11, 30)),
        ("3. december 2026", d(12, 3)),
        ("3/12-2026", d(12, 3)),
        ("3/12/26", d(12, 3)),
        ("2026-12-03", d(12, 3)),  # dateparser with DMY reads 12 March
        ("den 3.", d(12, 3)),
        ("22/11", d(11, 22)),  # today, not next year as dateparser says
        ("21/11", d(11, 21, 2027)),  # a year-less date is the next occurrence
        ("29. februar", d(2, 29, 2028)),
        ("3/12/2025", d(12, 3, 2025)),  # an explicit past year is kept
        # Spelling, case, filler and punctuation
        ("I MORGEN!!", d(11, 23)),
        ("imorgen", d(11, 23)),
        ("idag", d(11, 22)),
        ("i gaar", d(11, 21)),
        ("naeste uge", d(11, 30)),
        ("Jeg vil gerne komme på tirsdag.", d(11, 24)),
        ("hvad med næste uge?", d(11, 30)),
        ("det passer mig fint om to dage", d(11, 24)),
        ("kan man komme i morgen", d(11, 23)),  # "man" is a pronoun here
        ("<b>i morgen</b>", d(11, 23)),  # HTML is stripped, not refused
        ("🙂 i morgen 🙂", d(11, 23)),
        ("i morgen " + "x" * 10_000, d(11, 23)),
    ],
)
def test_date(text: str, date: dt.date) -> None:
    assert wished_date(text, SUNDAY) == date


@pytest.mark.parametrize(
    "text,expected",
    [
        ("næste uge om formiddagen", Wish(d(11, 30), part_of_day="formiddag")),
        ("i morgen kl. 10", Wish(d(11, 23), t(10))),
        ("i morgen klokken 14", Wish(d(11, 23), t(14))),
        ("onsdag eftermiddag", Wish(d(11, 25), part_of_day="eftermiddag")),
        ("fredag kl 9.30", Wish(d(11, 27), t(9, 30))),
        ("3. december kl. 10", Wish(d(12, 3), t(10))),  # dateparser: year 2110
        ("den 3. december kl. 10", Wish(d(12, 3), t(10))),
        ("kl. 10 den 3/12", Wish(d(12, 3), t(10))),
        ("1. december 2026 10:00", Wish(d(12, 1), t(10))),
        ("i morgen 14.30", Wish(d(11, 23), t(14, 30))),
        ("i morgen formiddag", Wish(d(11, 23), part_of_day="formiddag")),
        ("i morgen tidlig", Wish(d(11, 23), part_of_day="morgen")),
        ("tirsdag formiddag", Wish(d(11, 24), part_of_day="formiddag")),
        ("tirsdag morgen", Wish(d(11, 24), part_of_day="morgen")),
        (
            "Jeg vil helst komme på tirsdag, om formiddagen!",
            Wish(d(11, 24), part_of_day="formiddag"),
        ),
        ("Kan jeg komme i morgen kl. 10?", Wish(d(11, 23), t(10))),
        ("hvad med onsdag d. 25/11 kl 13.30", Wish(d(11, 25), t(13, 30))),
        ("mandag den 30. november om eftermiddagen", Wish(d(11, 30), part_of_day="eftermiddag")),
        ("i morgen kl. 3 om eftermiddagen", Wish(d(11, 23), t(15), "eftermiddag")),
        ("i morgen kl. 25", Wish(d(11, 23))),  # an impossible time is dropped, the day kept
        ("2026-11-24T09:00:00+01:00", Wish(d(11, 24), t(9))),
        ("2026-11-24T08:00:00Z", Wish(d(11, 24), t(9))),  # converted to now's zone
        ("2026-11-24 13:30", Wish(d(11, 24), t(13, 30))),
    ],
)
def test_combined(text: str, expected: Wish) -> None:
    assert parse_wish(text, SUNDAY) == expected


@pytest.mark.parametrize(
    "text,clock",
    [
        ("kl. 10", t(10)),
        ("kl 10", t(10)),
        ("kl.10", t(10)),
        ("klokken 14", t(14)),
        ("klokken ti", t(10)),
        ("kl. 9.30", t(9, 30)),
        ("kl 9:30", t(9, 30)),
        ("kl. 9,30", t(9, 30)),
        ("kl 1030", t(10, 30)),
        ("kl. 10-12", t(10)),
        ("mellem kl. 10 og 12", t(10)),
        ("14:30", t(14, 30)),
        ("14.30", t(14, 30)),  # no month 30, so a time
        ("kvart over 10", t(10, 15)),
        ("halv 11", t(10, 30)),
        ("kl. halv 11", t(10, 30)),
        ("kvart i 11", t(10, 45)),
        ("kl. 0", t(0)),
        ("kl. 23.59", t(23, 59)),
    ],
)
def test_clock_time(text: str, clock: dt.time) -> None:
    wish = parse_wish(f"i morgen {text}", SUNDAY)
    assert wish == Wish(d(11, 23), clock)


@pytest.mark.parametrize(
    "text,part",
    [
        ("om formiddagen", "formiddag"),
        ("formiddag", "formiddag"),
        ("om eftermiddagen", "eftermiddag"),
        ("eftermiddag", "eftermiddag"),
        ("sidst på dagen", "eftermiddag"),
        ("om morgenen", "morgen"),
        ("tidlig morgen", "morgen"),
        ("tidligt", "morgen"),
    ],
)
def test_part_of_day(text: str, part: str) -> None:
    wish = parse_wish(f"tirsdag {text}", SUNDAY)
    assert wish == Wish(d(11, 24), part_of_day=part)


@pytest.mark.parametrize(
    "text,now,expected",
    [
        # A time or part of day without a day: today if still ahead, else tomorrow
        ("kl. 10", SUNDAY, Wish(d(11, 23), t(10))),
        ("kl. 14", SUNDAY, Wish(d(11, 22), t(14))),
        ("kl. 12", SUNDAY, Wish(d(11, 23), t(12))),  # exactly now is not ahead
        ("kl. 11", WEDNESDAY, Wish(d(11, 25), t(11))),
        ("om eftermiddagen", SUNDAY, Wish(d(11, 22), part_of_day="eftermiddag")),
        ("om formiddagen", SUNDAY, Wish(d(11, 23), part_of_day="formiddag")),
    ],
)
def test_time_without_day(text: str, now: dt.datetime, expected: Wish) -> None:
    assert parse_wish(text, now) == expected


@pytest.mark.parametrize(
    "text",
    [
        "hurtigst muligt",
        "snarest",
        "snarest muligt",
        "først mulige",
        "første ledige tid",
        "så hurtigt som muligt",
        "lige meget",
        "Det er lige meget!",
        "når som helst",
    ],
)
def test_soonest(text: str) -> None:
    assert parse_wish(text, SUNDAY) == Wish(d(11, 22), soonest=True)


def test_soonest_keeps_part_of_day() -> None:
    wish = parse_wish("hurtigst muligt om formiddagen", SUNDAY)
    assert wish == Wish(d(11, 23), part_of_day="formiddag", soonest=True)


@pytest.mark.parametrize(
    "text,date",
    [
        ("tirsdag", d(12, 1)),
        ("næste tirsdag", d(12, 1)),
        ("fredag", d(11, 27)),
        ("næste fredag", d(12, 4)),  # Friday of next week, not this one
        ("onsdag", d(12, 2)),  # today's weekday means next week's
        ("næste mandag", d(11, 30)),
        ("tirsdag i denne uge", d(11, 24)),  # past; the caller says so
        ("næste uge", d(11, 30)),
        ("i denne uge", d(11, 25)),
        ("i dag", d(11, 25)),
        ("om en uge", d(12, 2)),
    ],
)
def test_weekdays_from_a_wednesday(text: str, date: dt.date) -> None:
    assert wished_date(text, WEDNESDAY) == date


@pytest.mark.parametrize(
    "text,date",
    [
        ("3/1", d(1, 3, 2027)),
        ("3. januar", d(1, 3, 2027)),
        ("30/12", d(12, 30)),
        ("i januar", d(1, 1, 2027)),
    ],
)
def test_year_rollover(text: str, date: dt.date) -> None:
    assert wished_date(text, dt.datetime(2026, 12, 28, 12, 0, tzinfo=CPH)) == date


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "asdfgh",
        "hvad koster det?",
        "😀😀😀",
        "x" * 500,
        "x" * 10_000 + " i morgen",  # beyond the characters that are read
        "kl. 25",
        "kl 24",
        "25:00",
        "kvart over 25",
        "31/2",
        "31/11",
        "mandag d. 31/2",  # a meant but impossible date is not replaced by the weekday
        "den 45.",
        "2026-13-45",
        "god morgen, kan jeg få en tid?",  # a greeting, not a morning
        "min søn skal med",  # "søn" is a son
        "kan man få en tid",
        "10",
        "1700000000",
        "dec",
        "fra 10 til 12",
        "i weekenden",
        "<script>alert(1)</script>",
    ],
)
def test_none(text: str) -> None:
    assert parse_wish(text, SUNDAY) is None


# Control characters, other scripts' digits, lone keywords, impossible or out-of-range
# dates, code and floods: none of them is a wish, and none makes the parser raise.
NOT_WISHES = [
    "\x00",
    "\u202e",
    "İ",
    "٣/١٢",
    "１０:３０",
    "kl.",
    "klokken",
    "den",
    "d.",
    "om",
    "halv",
    "kvart i",
    "næste",
    "....",
    "///",
    ":::",
    "3/",
    "/3",
    "0/0",
    "00/00/0000",
    "om 999999 dage",  # past year 9999
    "9999-12-31T23:59:59-12:00",  # past year 9999 once converted to Copenhagen time
    "0001-01-01T00:00:00+14:00",  # before year 1 once converted
    "2026-11-24T09:00:00.1234+01:00",  # four decimals: not an ISO time Python 3.10 reads
    "'; DROP TABLE bookings; --",
    "{}",
    "[1,2]",
    "<<<>>>",
    "&amp;&lt;&#0;",
    "kl " * 500,
    "\n\t\r" * 100,
]


@pytest.mark.parametrize("text", NOT_WISHES)
def test_odd_text_is_no_wish(text: str) -> None:
    assert parse_wish(text, SUNDAY) is None


@pytest.mark.parametrize(
    "text,date",
    [
        ("31/12/9999", d(12, 31, 9999)),  # the last day there is
        ("om 999 måneder", d(2, 22, 2110)),
        ("i morgen " * 2_000, d(11, 23)),
        ("3/12 " * 2_000, d(12, 3)),
    ],
)
def test_extreme_dates_and_floods(text: str, date: dt.date) -> None:
    assert wished_date(text, SUNDAY) == date


def test_reads_only_the_start() -> None:
    start = " " * (MAX_CHARS - len("i morgen")) + "i morgen"
    assert parse_wish(start, SUNDAY) == Wish(d(11, 23))
    # What follows the first MAX_CHARS characters changes nothing, and is never read alone.
    assert parse_wish(start + " kl. 10 om eftermiddagen", SUNDAY) == Wish(d(11, 23))
    assert parse_wish(" " * MAX_CHARS + "i morgen", SUNDAY) is None


@pytest.fixture
def dateparser_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts handed to dateparser, the slow part of parsing, in order."""
    calls: list[str] = []
    parse = dateparser.parse

    def counting(text: str, **kwargs: Any) -> Any:
        calls.append(text)
        return parse(text, **kwargs)

    monkeypatch.setattr(dateparser, "parse", counting)
    return calls


@pytest.mark.parametrize("text", ["x" * 10_000, "kl " * 500, "😀" * 5_000])
def test_pasted_junk_never_reaches_dateparser(text: str, dateparser_calls: list[str]) -> None:
    assert parse_wish(text, SUNDAY) is None
    assert dateparser_calls == []


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("den 3. december kl. 10 om formiddagen", "3 december 2026"),
        ("i morgen " * 2_000, "i morgen"),
        ("3/12 " * 2_000, "3/12/2026"),
        ("Jeg vil gerne komme på tirsdag.", "tirsdag"),
    ],
)
def test_dateparser_reads_one_short_fragment(
    text: str, fragment: str, dateparser_calls: list[str]
) -> None:
    """However long the message, dateparser gets one fragment, not the citizen's text."""
    assert parse_wish(text, SUNDAY) is not None
    assert dateparser_calls == [fragment]


@pytest.mark.parametrize(
    "wish,start",
    [
        (Wish(d(11, 24)), dt.datetime(2026, 11, 24, 9, 0, tzinfo=CPH)),
        (Wish(d(11, 24), part_of_day="morgen"), dt.datetime(2026, 11, 24, 9, 0, tzinfo=CPH)),
        (Wish(d(11, 24), part_of_day="formiddag"), dt.datetime(2026, 11, 24, 10, 0, tzinfo=CPH)),
        (Wish(d(11, 24), part_of_day="eftermiddag"), dt.datetime(2026, 11, 24, 13, 0, tzinfo=CPH)),
        (Wish(d(11, 24), t(14, 30), "formiddag"), dt.datetime(2026, 11, 24, 14, 30, tzinfo=CPH)),
        (Wish(d(11, 22), soonest=True), dt.datetime(2026, 11, 22, 9, 0, tzinfo=CPH)),
    ],
)
def test_start(wish: Wish, start: dt.datetime) -> None:
    assert wish.start(CPH) == start
    assert wish.start(CPH).utcoffset() == dt.timedelta(hours=1)
