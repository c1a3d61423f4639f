"""Turns a citizen's free Danish text about *when* to meet into a structured wish.

``dateparser`` (``languages=["da"]``) resolves the fragments it handles well: Danish month and
weekday names, numeric day/month/year and simple relative phrases ("i morgen", "om 2 dage").
A small Danish layer in front of it finds those fragments in free text, rewrites what
dateparser 1.2.0 gets wrong ("i overmorgen", "om to dage", "den 3. december", "3.12",
"2026-12-03") and handles clock times, parts of the day and weeks itself, because dateparser
drops or misreads them ("i morgen kl. 10", "kl. 10", "3. december kl. 10" -> year 2110).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import dateparser

# Wishes are short; reading only the start bounds the work on pasted junk.
MAX_CHARS = 200

PART_OF_DAY_STARTS: dict[str, dt.time] = {
    "morgen": dt.time(9),
    "formiddag": dt.time(10),
    "eftermiddag": dt.time(13),
}
DEFAULT_START = dt.time(9)

DATEPARSER_LANGUAGES = ["da"]

NUMBER_WORDS: dict[str, int] = {
    "en": 1,
    "et": 1,
    "to": 2,
    "tre": 3,
    "fire": 4,
    "fem": 5,
    "seks": 6,
    "syv": 7,
    "otte": 8,
    "ni": 9,
    "ti": 10,
    "elleve": 11,
    "tolv": 12,
    "tretten": 13,
    "fjorten": 14,
    "femten": 15,
    "tyve": 20,
}

MONTH_NAMES = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
MONTHS: dict[str, str] = {
    **{name: name for name in MONTH_NAMES},
    "jan": "januar",
    "feb": "februar",
    "mar": "marts",
    "apr": "april",
    "jun": "juni",
    "jul": "juli",
    "aug": "august",
    "sep": "september",
    "sept": "september",
    "okt": "oktober",
    "nov": "november",
    "dec": "december",
}
MONTH_NUMBERS: dict[str, int] = {name: number for number, name in enumerate(MONTH_NAMES, 1)}

WEEKDAY_NAMES = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
WEEKDAYS: dict[str, str] = {
    **{name: name for name in WEEKDAY_NAMES},
    "tirs": "tirsdag",
    "ons": "onsdag",
    "tors": "torsdag",
    "fre": "fredag",
    "lør": "lørdag",
}
# "man" (one/you) and "søn" (son) are ordinary Danish words; only trusted after "på"/"næste"
# or when they are all that is left of the message.
AMBIGUOUS_WEEKDAYS: dict[str, str] = {"man": "mandag", "søn": "søndag"}
WEEKDAY_INDEX: dict[str, int] = {name: index for index, name in enumerate(WEEKDAY_NAMES)}

# Citizens without a Danish keyboard write ae/oe/aa; only unambiguous words are respelled.
ASCII_SPELLINGS: dict[str, str] = {
    "naeste": "næste",
    "paa": "på",
    "gaar": "går",
    "igaar": "igår",
    "forgaars": "forgårs",
    "loerdag": "lørdag",
    "soendag": "søndag",
    "foerst": "først",
    "foerste": "første",
    "maaned": "måned",
    "maaneder": "måneder",
    "naar": "når",
    "saa": "så",
}

# The fragments dateparser resolves for each relative phrase; it fails on the Danish originals.
RELATIVE_FRAGMENTS: dict[str, str] = {
    "overmorgen": "om 2 dage",
    "forgaars": "for 2 dage siden",
    "morgen": "i morgen",
    "dag": "i dag",
    "gaar": "i går",
}


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of words, longest first so a prefix never wins ("tors"/"torsdag")."""
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_NUMBER = rf"[0-9]{{1,3}}|{_alternation(NUMBER_WORDS)}"
_MONTH = _alternation(MONTHS)
_KL = r"\b(?:kl\.?|klokken)\s*"

_TAG = re.compile(r"<[^>]*>")
_ASCII_DIGIT = re.compile(r"[0-9]")
_ASCII_SPELLING = re.compile(rf"\b(?:{_alternation(ASCII_SPELLINGS)})\b")
# "God morgen" greets; it does not ask for a morning.
_GREETING = re.compile(r"\bgod\s*(?:morgen|formiddag|eftermiddag|dag|aften)\b")
_PUNCTUATION = re.compile(r"[^\w\s./:-]")

_ISO = re.compile(
    r"(?<![0-9])(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[t ](?P<time>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)"
    r"(?P<zone>z|[+-][0-9]{2}:?[0-9]{2})?)?(?![0-9])"
)

_SOONEST = re.compile(
    r"\b(?:(?:så\s+)?(?:hurtigt|snart|tidligt)\s+som\s+muligt"
    r"|hurtigst(?:\s+muligt?)?|snarest(?:\s+muligt?)?|tidligst\s+muligt?"
    r"|først(?:e)?\s+(?:mulige?|ledige?)|lige\s*meget|ligegyldigt|når\s+som\s+helst|asap)\b"
)

_QUARTER_TIME = re.compile(
    rf"(?:{_KL})?\b(?P<kind>kvart\s+over|kvart\s+i|halv)\s+(?P<hour>{_NUMBER})\b(?![.:,][0-9])"
)
_KL_TIME = re.compile(
    rf"{_KL}(?:(?P<hhmm>[0-9]{{3,4}})|(?P<hour>{_NUMBER})(?:[.:,](?P<minute>[0-9]{{2}}))?)\b"
    # The end of a range ("kl. 10-12", "kl. 10 til 12") is swallowed, not read as a date.
    r"(?:\s*(?:-|til)\s*[0-9]{1,2}(?:[.:][0-9]{2})?\b)?"
)
_COLON_TIME = re.compile(r"(?<![0-9:])(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?![0-9:])")
_DOT_TIME = re.compile(
    r"(?<![0-9./:-])(?P<hour>[0-9]{1,2})\.(?P<minute>[0-9]{2})(?![0-9]|[./:-][0-9])"
)

_RELATIVE = re.compile(
    r"\b(?:(?P<overmorgen>(?:i\s*)?overmorgen)|(?P<forgaars>(?:i\s*)?forgårs)"
    r"|(?P<morgen>i\s*morgen)|(?P<dag>i\s*dag)|(?P<gaar>i\s*går)"
    rf"|om\s+(?P<count>et\s+par|{_NUMBER})\s+(?P<unit>dage?|døgn|uger?|uges|måned(?:er)?))\b"
)
_NEXT_MONTH = re.compile(r"\b(?:i\s+)?næste\s+måned\b")
_NEXT_WEEK = re.compile(r"\b(?:(?:i\s+)?næste\s+uge|(?:i\s+)?ugen\s+(?:efter|derefter))\b")
_THIS_WEEK = re.compile(
    r"\b(?:(?:i\s+)?denne\s+uge|senere\s+i\s+ugen|i\s+løbet\s+af\s+ugen|resten\s+af\s+ugen"
    r"|i\s+den\s+kommende\s+uge|i\s+ugen)\b"
)

_PARTS_OF_DAY: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("formiddag", re.compile(r"\bformiddag(?:en|s)?\b")),
    ("eftermiddag", re.compile(r"\b(?:eftermiddag(?:en|s)?|(?:sidst|sent)\s+på\s+dagen)\b")),
    ("morgen", re.compile(r"\b(?:morgen(?:en|s)?|tidlig(?:t)?)\b")),
)

_DAY_MONTH = re.compile(
    rf"(?<![0-9])(?P<day>[0-9]{{1,2}})\.?\s*(?P<month>{_MONTH})\b\.?(?:\s*(?P<year>[0-9]{{4}})\b)?"
)
_NUMERIC_DATE = re.compile(
    r"(?<![0-9/:-])(?<![0-9]\.)(?P<day>[0-9]{1,2})[./-](?P<month>[0-9]{1,2})"
    r"(?:[./-](?P<year>[0-9]{4}|[0-9]{2})|\s+(?P<year4>[0-9]{4}))?"
    r"(?![0-9]|[./:-][0-9])"
)
_DAY_ONLY = re.compile(r"\b(?:den|d\.)\s*(?P<day>[0-9]{1,2})\b\.?(?!\s*[./-]?\s*[0-9])")
# Full names only: "i jul" is Christmas, not July.
_MONTH_ONLY = re.compile(
    rf"\b(?:i|primo|start|starten\s+af|i\s+starten\s+af|først\s+i)\s+"
    rf"(?P<month>{_alternation(MONTH_NAMES)})\b"
)

_WEEKDAY = re.compile(
    rf"\b(?P<next>næste\s+)?(?P<name>{_alternation(WEEKDAYS)})(?:ene|en|e|s)?\b\.?"
)
_AMBIGUOUS_WEEKDAY = re.compile(
    rf"\b(?:på\s+|(?P<next>næste\s+))(?P<name>{_alternation(AMBIGUOUS_WEEKDAYS)})\b\.?"
)


@dataclass(frozen=True)
class Wish:
    """When the citizen would like to meet."""

    date: dt.date
    time: dt.time | None = None  # an explicit clock time ("kl. 10", "14:30")
    part_of_day: str | None = None  # "morgen" | "formiddag" | "eftermiddag" | None
    soonest: bool = False  # "hurtigst muligt", "snarest", "først mulige", "lige meget"

    def start(self, timezone: ZoneInfo) -> dt.datetime:
        """The wished time as an aware datetime.

        Args:
            timezone: The zone the wish is meant in (Fronten's, Europe/Copenhagen).

        Returns:
            The explicit time, else the start of the part of day (morgen 09:00, formiddag
            10:00, eftermiddag 13:00), else 09:00, on the wished date.

        """
        clock = self.time
        if clock is None:
            clock = PART_OF_DAY_STARTS.get(self.part_of_day or "", DEFAULT_START)
        return dt.datetime.combine(self.date, clock, tzinfo=timezone)


def parse_wish(text: str, now: dt.datetime) -> Wish | None:
    """Parses a citizen's Danish free text about when to meet.

    Past dates are returned as they are ("i går" is yesterday); the caller tells the citizen.
    Only the first ``MAX_CHARS`` characters are read, and no input makes it raise.

    Args:
        text: E.g. ``"i morgen kl. 10"``, ``"næste uge om formiddagen"``, ``"den 3/12"`` or an
            ISO datetime sent by a button.
        now: The current time, timezone-aware (Europe/Copenhagen in practice).

    Returns:
        The wish, or None when the text holds no (valid) date or time.

    """
    if _has_foreign_digit(text):
        return None  # "kl. ١٠": a number we must not read; asking again beats guessing
    text = _normalise(text)
    iso_date, iso_time, text = _take_iso(text, now)
    if iso_date is not None and iso_time is not None:
        return Wish(date=iso_date, time=iso_time)
    clock, text = _take_clock(text)  # before punctuation goes: "kl. 9,30"
    text = _PUNCTUATION.sub(" ", text)
    soonest, text = _take(_SOONEST, text)
    relative, text = _take_relative(text, now)
    next_week, text = _take(_NEXT_WEEK, text)
    this_week, text = _take(_THIS_WEEK, text)
    next_month, text = _take(_NEXT_MONTH, text)
    part_of_day, text = _take_part_of_day(text)
    clock = _afternoon(clock, part_of_day)

    explicit_claimed, explicit, text = _take_explicit_date(text, now)
    if explicit_claimed and explicit is None:
        return None  # "31/2": a date was meant but does not exist; better to ask again
    weekday, weekday_next, text = _take_weekday(text)

    # The most specific statement of the day wins: "mandag d. 30/11" is the 30th.
    date = (
        iso_date
        or explicit
        or relative
        or _calendar_date(weekday, weekday_next or bool(next_week), bool(this_week), now)
        or (_first_of_next_month(now.date()) if next_month else None)
        or _undated_day(clock, part_of_day, bool(soonest), now)
    )
    if date is None:
        return None
    return Wish(date=date, time=clock, part_of_day=part_of_day, soonest=bool(soonest))


def _has_foreign_digit(text: str) -> bool:
    """Whether the text holds a digit other than 0-9 (NFKC would turn "１０" into "10").

    Only ASCII digits are read anywhere a citizen types a number, so a wish written with
    other digits is not understood rather than half understood.
    """
    text = html.unescape(text[:MAX_CHARS])
    return any(
        not char.isascii()
        and (char.isdigit() or _ASCII_DIGIT.search(unicodedata.normalize("NFKC", char)))
        for char in text
    )


def _normalise(text: str) -> str:
    """Lower-cases, unescapes and strips HTML, respells ASCII Danish and drops greetings."""
    text = html.unescape(text[:MAX_CHARS])
    text = unicodedata.normalize("NFKC", text).lower()
    text = _TAG.sub(" ", text)
    text = _ASCII_SPELLING.sub(lambda match: ASCII_SPELLINGS[match.group(0)], text)
    text = _GREETING.sub(" ", text)
    return " ".join(text.split())


def _take(pattern: re.Pattern[str], text: str) -> tuple[re.Match[str] | None, str]:
    """The first match of ``pattern`` and the text with it blanked out."""
    match = pattern.search(text)
    return match, _cut(text, match)


def _cut(text: str, match: re.Match[str] | None) -> str:
    """The text with a match replaced by a space, so later patterns cannot reuse it."""
    if match is None:
        return text
    return f"{text[: match.start()]} {text[match.end() :]}"


def _take_iso(text: str, now: dt.datetime) -> tuple[dt.date | None, dt.time | None, str]:
    """An ISO date or datetime as sent by buttons; dateparser reads "2026-12-03" as 12 March."""
    match = _ISO.search(text)
    if match is None:
        return None, None, text
    try:
        if match["time"] is None:
            return dt.date.fromisoformat(match["date"]), None, _cut(text, match)
        zone = (match["zone"] or "").replace("z", "+00:00")
        if len(zone) == 5:  # "+0100": Python 3.10 only reads "+01:00"
            zone = f"{zone[:3]}:{zone[3:]}"
        moment = dt.datetime.fromisoformat(f"{match['date']}T{match['time']}{zone}")
        if moment.tzinfo is not None and now.tzinfo is not None:
            moment = moment.astimezone(now.tzinfo)
    except (ValueError, OverflowError):  # "2026-13-45", or year 9999 pushed past the end
        return None, None, _cut(text, match)
    return moment.date(), moment.time().replace(microsecond=0), _cut(text, match)


def _number(word: str) -> int:
    """A count or hour written with digits or as a Danish word."""
    # Only ASCII digits reach here (every pattern says [0-9]); isdigit() alone would be wider.
    return int(word) if word.isascii() and word.isdigit() else NUMBER_WORDS[word]


def _clock_time(hour: int, minute: int) -> dt.time | None:
    """A valid 24-hour clock time, or None ("kl. 25")."""
    if 0 <= hour <= 23 and 0 <= minute <= 59:
        return dt.time(hour, minute)
    return None


def _take_clock(text: str) -> tuple[dt.time | None, str]:
    """The first clock time; an invalid one ("kl. 25") is removed and yields None."""
    match = _QUARTER_TIME.search(text)
    if match:
        hour = _number(match["hour"])
        kind = " ".join(match["kind"].split())
        if kind == "kvart over":
            return _clock_time(hour, 15), _cut(text, match)
        # "halv 11" is 10:30 and "kvart i 11" is 10:45: both count towards the next hour.
        minute = 30 if kind == "halv" else 45
        return (_clock_time(hour - 1, minute) if hour else None), _cut(text, match)
    match = _KL_TIME.search(text)
    if match:
        if match["hhmm"]:
            hour, minute = divmod(int(match["hhmm"]), 100)
        else:
            hour, minute = _number(match["hour"]), int(match["minute"] or 0)
        return _clock_time(hour, minute), _cut(text, match)
    match = _COLON_TIME.search(text)
    if match:
        return _clock_time(int(match["hour"]), int(match["minute"])), _cut(text, match)
    for match in _DOT_TIME.finditer(text):
        # "3.12" is a date; "14.30" can only be a time because there is no month 30.
        hour, minute = int(match["hour"]), int(match["minute"])
        if minute > 12 and _clock_time(hour, minute):
            return dt.time(hour, minute), _cut(text, match)
    return None, text


def _afternoon(clock: dt.time | None, part_of_day: str | None) -> dt.time | None:
    """'kl. 3 om eftermiddagen' means 15:00; nobody means 03:00 in the afternoon."""
    if clock is not None and part_of_day == "eftermiddag" and 1 <= clock.hour <= 6:
        return clock.replace(hour=clock.hour + 12)
    return clock


def _take_relative(text: str, now: dt.datetime) -> tuple[dt.date | None, str]:
    """Relative days, rewritten into fragments dateparser resolves ("om to dage" -> "om 2 dage")."""
    match = _RELATIVE.search(text)
    if match is None:
        return None, text
    if match["unit"]:
        unit = match["unit"]
        canonical = (
            "måneder" if unit.startswith("måned") else "uger" if unit.startswith("u") else "dage"
        )
        count = 2 if match["count"].startswith("et ") else _number(match["count"])  # "et par"
        fragment = f"om {count} {canonical}"
    else:
        fragment = RELATIVE_FRAGMENTS[match.lastgroup or ""]
    return _dateparser_date(fragment, now), _cut(text, match)


def _take_part_of_day(text: str) -> tuple[str | None, str]:
    """Formiddag, eftermiddag or morgen; "i morgen" (tomorrow) must already be removed."""
    for name, pattern in _PARTS_OF_DAY:
        match = pattern.search(text)
        if match:
            return name, _cut(text, match)
    return None, text


def _take_explicit_date(text: str, now: dt.datetime) -> tuple[bool, dt.date | None, str]:
    """A written date; the flag says one was meant even when it does not exist ("31/2")."""
    match = _DAY_MONTH.search(text)
    if match:
        month = MONTHS[match["month"]]
        return True, _resolve(match["day"], month, " ", match["year"], now), _cut(text, match)
    for match in _NUMERIC_DATE.finditer(text):
        if 1 <= int(match["day"]) <= 31 and 1 <= int(match["month"]) <= 12:
            year = match["year"] or match["year4"]
            date = _resolve(match["day"], match["month"], "/", year, now)
            return True, date, _cut(text, match)
    match = _DAY_ONLY.search(text)
    if match:
        return True, _next_day_of_month(int(match["day"]), now.date()), _cut(text, match)
    match = _MONTH_ONLY.search(text)
    if match:
        month = MONTH_NUMBERS[MONTHS[match["month"]]]
        return True, _first_of_month(month, now.date()), _cut(text, match)
    return False, None, text


def _resolve(day: str, month: str, sep: str, year: str | None, now: dt.datetime) -> dt.date | None:
    """A day and month through dateparser; without a year, the next occurrence from today.

    dateparser's own year-less handling moves today's date to next year, so the year is
    always spelled out.
    """
    if year is not None:
        return _dateparser_date(sep.join((day, month, year)), now)
    today = now.date()
    for candidate_year in range(today.year, today.year + 5):  # 29 February needs up to four
        date = _dateparser_date(sep.join((day, month, str(candidate_year))), now)
        if date is not None and date >= today:
            return date
    return None


def _next_day_of_month(day: int, today: dt.date) -> dt.date | None:
    """The next date on or after today with this day of the month ("den 3.")."""
    year, month = today.year, today.month
    for _ in range(13):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _first_of_month(month: int, today: dt.date) -> dt.date:
    """Today if it is that month, else the 1st of its next occurrence ("i januar")."""
    if month == today.month:
        return today
    year = today.year if month > today.month else today.year + 1
    return dt.date(year, month, 1)


def _first_of_next_month(today: dt.date) -> dt.date:
    """The 1st of next month ("næste måned")."""
    if today.month == 12:
        return dt.date(today.year + 1, 1, 1)
    return today.replace(month=today.month + 1, day=1)


def _take_weekday(text: str) -> tuple[str | None, bool, str]:
    """A weekday's full name and whether "næste" came before it."""
    match = _WEEKDAY.search(text) or _AMBIGUOUS_WEEKDAY.search(text)
    if match:
        name = WEEKDAYS.get(match["name"]) or AMBIGUOUS_WEEKDAYS[match["name"]]
        return name, bool(match["next"]), _cut(text, match)
    rest = " ".join(text.replace(".", " ").split())
    if rest in AMBIGUOUS_WEEKDAYS:
        return AMBIGUOUS_WEEKDAYS[rest], False, ""
    return None, False, text


def _calendar_date(
    weekday: str | None, next_week: bool, this_week: bool, now: dt.datetime
) -> dt.date | None:
    """A weekday and/or week: "tirsdag", "næste tirsdag", "næste uge", "i denne uge".

    A lone weekday goes to dateparser, which gives the next one strictly after today; weeks
    are ours, because dateparser reads "næste uge" as seven days from now.
    """
    if weekday is None:
        if next_week:
            return _this_week_monday(now.date()) + dt.timedelta(weeks=1)
        return now.date() if this_week else None
    if next_week or this_week:
        monday = _this_week_monday(now.date()) + dt.timedelta(weeks=1 if next_week else 0)
        return monday + dt.timedelta(days=WEEKDAY_INDEX[weekday])
    return _dateparser_date(weekday, now)


def _this_week_monday(today: dt.date) -> dt.date:
    """The Monday of the week "denne uge" means; "næste uge" is the week after it.

    Weeks run Monday to Sunday, except that on a Sunday the week starting tomorrow counts as
    this one: Fronten has no weekend opening hours, so on a Sunday "denne uge" can only mean the
    coming week and "næste uge" the one after (2026-11-22 -> Monday 2026-11-30).
    """
    if today.weekday() == 6:
        return today + dt.timedelta(days=1)
    return today - dt.timedelta(days=today.weekday())


def _undated_day(
    clock: dt.time | None, part_of_day: str | None, soonest: bool, now: dt.datetime
) -> dt.date | None:
    """The day for a wish without one: the first day its time is still ahead, else today.

    "kl. 10" at noon means tomorrow; "hurtigst muligt" alone means today.
    """
    if clock is None and part_of_day is not None:
        clock = PART_OF_DAY_STARTS[part_of_day]
    if clock is None:
        return now.date() if soonest else None
    if dt.datetime.combine(now.date(), clock, tzinfo=now.tzinfo) > now:
        return now.date()
    return now.date() + dt.timedelta(days=1)


def _dateparser_date(fragment: str, now: dt.datetime) -> dt.date | None:
    """Resolves one Danish date fragment with dateparser, relative to ``now``."""
    settings = {
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY",
        "RETURN_AS_TIMEZONE_AWARE": False,
        # Timestamps and digit runs ("1030") are not dates in a citizen's message.
        "PARSERS": ["relative-time", "absolute-time"],
    }
    try:
        parsed = dateparser.parse(fragment, languages=DATEPARSER_LANGUAGES, settings=settings)
    except Exception:  # a third-party parser on user text must never end the conversation
        return None
    return parsed.date() if parsed is not None else None
