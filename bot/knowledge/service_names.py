"""Which services a message names, however the citizen spells them.

Names and aliases are compared word by word as keys (:mod:`bot.knowledge.words`): lemma,
then one spelling for æ/ae/a, ø/oe/o and å/aa/a. What is left of a misspelling is scored
with rapidfuzz. A compound that starts with a name ("bostøtteansøgning") names it too.
Paragraphs are read in every form citizens use: "§ 85", "§85", "paragraf 85", "par. 97",
"85'eren", "82b", "§ 82 a", and a bare number in a short follow-up ("og 108?").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.knowledge.words import FUNCTION_WORDS, Lemmatiser, key, words

# A misspelt name must be this close (rapidfuzz ratio, 0-100) to count as the name.
FUZZY_MIN_SCORE = 85
# Names shorter than this ("BPA", "SKP") must be written exactly.
FUZZY_MIN_LENGTH = 6
# A compound counts when it starts with a name at least this long ("bostøtte…").
COMPOUND_MIN_LENGTH = 7
# A one-word name this long is also found written as two words ("indkøbs træning").
SPLIT_COMPOUND_MIN_LENGTH = 10
# One word of a name of several words may be cut to its first 4 or 5 letters ("midl.");
# a longer start is often a word of its own ("færdighed" of "færdighedstræning").
ABBREVIATION_LENGTHS = range(4, 6)
# A bare number is read as a paragraph only in a message of at most this many words.
BARE_NUMBER_MAX_WORDS = 4
# In a message, a word beside a name that is a word (at least REMNANT_MIN_LENGTH long) of a
# name holding the matched word, or its start this long ("socialpaed ledsagelse"), is part of
# the name ("egenomsorg træning").
REMNANT_PREFIX_LENGTH = 5
REMNANT_MIN_LENGTH = 4
# Small words a name is written with ("træning i egenomsorg"), skipped between its words.
_NAME_JOINERS = frozenset({"i", "til", "af", "og", "med", "for", "om", "at"})
MAX_JOINERS = 2
# The words between a name and the paragraph it is under: "ledsagelse efter servicelovens
# § 97" (word keys: æøå folded, lemmatised).
_PARAGRAPH_LINKS = frozenset(
    {"efter", "jf", "ifolge", "iflg", "servicelov", "serviceloven", "servicelovens", "lov",
     "lovens", "loven", "paragraf", "par"}
)  # fmt: skip
MAX_PARAGRAPH_LINK_WORDS = 3

_PARAGRAPH = re.compile(
    r"(?:§+\s*|\b(?:paragraf(?:fen)?|paragraph|parag|par\.?|p\.)\s*)"
    r"(?P<number>\d{2,3})(?:\s*(?P<letters>[ab](?:\s*(?:og|/|,|\+|-)?\s*[ab])?)\b)?",
    re.IGNORECASE,
)
_NUMBER_SUFFIX = re.compile(
    r"\b(?P<number>\d{2,3})(?:\s*(?P<letters>[ab](?:\s*(?:og|/|-)?\s*[ab])?)\b|['’]?eren\b|['’]?er\b)",
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(r"\b(?P<number>\d{2,3})\b(?!\s*(?:%|,\d|\.\d))")
# In a longer message a bare number names a paragraph only after one of these words
# ("for at få 104", "støtte efter 85", "hvor længe varer 99", "kriterierne for 85"), never
# "min mor er 97".
_BEFORE_PARAGRAPH = re.compile(
    r"\b(?:få|faa|fa|om|for|efter|til|med|ved|under|angående|ang|vedr|vedrørende|i|"
    r"varer|indeholder|dækker|omfatter|kræver)\s*$",
    re.IGNORECASE,
)
# A number first in the message, or after only "og", "men", "hvad med": "og 99, hvad er det?".
_LEADING_FOLLOW_UP = re.compile(r"\W*(?:(?:og|men|end|hvad\s+med)\W+)?", re.IGNORECASE)
# A number followed by one of these is an amount, not a paragraph ("85 dage").
_UNITS = re.compile(
    r"\s*(?:dage|dag|døgn|uger|uge|timer|time|måneder|måned|mdr|år|kr|kroner|procent|gange|"
    r"minutter|personer|borgere|hverdage)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NamedService:
    """A service the municipality offers, with the names citizens use for it.

    Attributes:
        hints: Words that point to the service without naming it ("Fronten" for the
            temporary offers held there): they make it the service under discussion
            when no other is, but never gate an answer.

    """

    id: str
    names: tuple[str, ...]
    paragraphs: tuple[str, ...]
    hints: tuple[str, ...] = ()
    # (a name or paragraph that names a part of the service, the uid of the fact saying
    # what that part is): "social færdighedstræning" is one part of the § 82 offers.
    parts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Mention:
    """A service named in a message, and the words that named it."""

    service_id: str
    start: int
    end: int
    exact: bool
    part: str | None = None


@dataclass(frozen=True)
class Recognised:
    """The services a message names, and paragraphs the municipality does not have."""

    mentions: tuple[Mention, ...]
    unknown_paragraphs: tuple[str, ...]
    hinted: tuple[str, ...] = ()
    hint_words: frozenset[int] = frozenset()

    @property
    def service_ids(self) -> list[str]:
        """The named services, each once, in the order they were named."""
        return list(dict.fromkeys(m.service_id for m in self.mentions))

    def parts(self, service_id: str) -> list[str]:
        """The facts saying what the named parts of a service are ("82b": its § 82 b)."""
        return [m.part for m in self.mentions if m.service_id == service_id and m.part]

    def named_words(self) -> set[int]:
        """The indexes of the message's words that name a service."""
        return {i for m in self.mentions for i in range(m.start, m.end)}


class ServiceNames:
    """Recognises the services of one municipality in free text.

    Args:
        services: The municipality's services with their names and aliases.
        lemmatiser: Turns words into keys.

    """

    def __init__(self, services: Iterable[NamedService], lemmatiser: Lemmatiser) -> None:
        self._lemmatiser = lemmatiser
        self._services = list(services)
        # (service id, the name's keys), longest names first so they win overlaps.
        self._names: list[tuple[str, tuple[str, ...]]] = []
        # A misspelt word has no lemma, so a name is also compared as written:
        # "forebyggnede tilbud" is close to "forebyggende", not to its lemma "forebygge".
        written: list[tuple[str, tuple[str, ...]]] = []
        for service in self._services:
            for name in service.names:
                keys = tuple(lemmatiser.keys(name))
                if keys and (service.id, keys) not in self._names:
                    self._names.append((service.id, keys))
                as_written = tuple(key(w) for w in words(name))
                if as_written != keys and (service.id, as_written) not in written:
                    written.append((service.id, as_written))
        self._names.sort(key=lambda item: -sum(len(k) for k in item[1]))
        self._parts: dict[tuple[str, tuple[str, ...] | str], str] = {}
        for service in self._services:
            for part, fact_uid in service.parts:
                if part in service.paragraphs:
                    self._parts[service.id, part.lower().replace(" ", "")] = fact_uid
                else:
                    self._parts[service.id, tuple(lemmatiser.keys(part))] = fact_uid
        # For each word of a service's names, the other words of the names it stands in:
        # "egenomsorg" goes with "træning" ("Træning i egenomsorg"). Only words of their own
        # ("passe på mig selv" must not take "selv"), and only names that hold the word
        # matched: "forløb i Fronten" must not make "forløb" part of "social færdighedstræning".
        small = {key(lemmatiser.lemma(w)) for w in FUNCTION_WORDS} | _NAME_JOINERS
        self._name_words: dict[tuple[str, str], frozenset[str]] = {}
        for service_id, name in self._names:
            own = {k for k in name if k not in small and len(k) >= REMNANT_MIN_LENGTH}
            for word in name:
                found = self._name_words.get((service_id, word), frozenset())
                self._name_words[service_id, word] = found | own
        # After every name as lemmatised, so they only match words that no lemma name took.
        written.sort(key=lambda item: -sum(len(k) for k in item[1]))
        self._names += [n for n in written if n not in self._names]
        self._hints = {
            key(lemmatiser.lemma(w)): service.id
            for service in self._services
            for hint in service.hints
            for w in words(hint)
        }
        # A paragraph names a service only when one service alone has it: Gladsaxe's twelve
        # sub-interventions all come under § 85.
        owners: dict[str, set[str]] = {}
        for service in self._services:
            for paragraph in service.paragraphs:
                owners.setdefault(paragraph.lower().replace(" ", ""), set()).add(service.id)
        self._paragraphs = {p: next(iter(ids)) for p, ids in owners.items() if len(ids) == 1}
        self._shared_paragraphs = {p for p, ids in owners.items() if len(ids) > 1}

    def recognise(self, text: str, remnants: bool = True) -> Recognised:
        """The services a message names, by name, alias or paragraph.

        Args:
            text: The citizen's message.
            remnants: Grow a name over the words beside it that belong to it
                ("egenomsorg traening"); the knowledge base's own questions write names whole.

        Returns:
            The mentions, and the paragraphs the municipality has no service under.

        """
        return self._recognise(text, remnants)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one instance per process; texts repeat
    def _recognise(self, text: str, remnants: bool = True) -> Recognised:
        tokens = words(text)
        keys = [key(self._lemmatiser.lemma(w)) for w in tokens]
        mentions: list[Mention] = []
        taken: set[int] = set()
        # Every way a name can match starts with the same two letters as its first word, so
        # only the words that start so are tried (Ballerup's answerer built in 1.6 s, not 10.8 s).
        starts: dict[str, list[int]] = {}
        for position, k in enumerate(keys):
            starts.setdefault(k[:2], []).append(position)
        for service_id, name in self._names:
            positions = starts.get(name[0][:2])
            if positions is None:
                continue
            # The name's own number of words, then one more: "aktivitets og samværs
            # tilbudet" splits a compound the name writes as one word.
            for size in (len(name), len(name) + 1):
                for start in positions:
                    if start > len(keys) - size:
                        break
                    span = range(start, start + size)
                    if taken.intersection(span):
                        continue
                    window = keys[start : start + size]
                    exact = (
                        self._matches(window, name)
                        if size == len(name)
                        else self._joined(window, name)
                    )
                    if exact is not None:
                        part = self._parts.get((service_id, name))
                        mentions.append(Mention(service_id, start, start + size, exact, part))
                        taken.update(span)
        if remnants:
            mentions = [self._with_remnants(m, keys, taken) for m in mentions]
        paragraph_mentions, unknown, unknown_at = self._paragraph_mentions(text, tokens)
        if unknown_at:
            # "Indgår ledsagelse efter servicelovens § 97 i støtte til aktiviteter?": the
            # name is § 97's, which this municipality has not; the other name is asked about.
            # Named alone, it stays ("kan jeg få socialpædagogisk ledsagelse efter § 97?").
            own = [m for m in mentions if not _refers_to(keys, m.end, unknown_at)]
            mentions = own or mentions
        mentions += [m for m in paragraph_mentions if not taken.intersection(range(m.start, m.end))]
        mentions.sort(key=lambda m: m.start)
        hinted = tuple(dict.fromkeys(self._hints[k] for k in keys if k in self._hints))
        hint_words = frozenset(i for i, k in enumerate(keys) if k in self._hints)
        return Recognised(tuple(mentions), tuple(unknown), hinted, hint_words)

    def _with_remnants(self, mention: Mention, keys: list[str], taken: set[int]) -> Mention:
        """The mention grown over the words beside it that belong to the same names.

        "egenomsorg traening pris" names "træning i egenomsorg" by "egenomsorg"; left as a
        word of the question, "traening" matched every fact that says "træning" and not
        the cost fact that "pris" asks for. Updates ``taken`` with the words it grows over.
        """
        own = frozenset().union(
            *(
                self._name_words.get((mention.service_id, k), ())
                for k in keys[mention.start : mention.end]
            )
        )
        start, end = mention.start, mention.end
        for step in (-1, 1):
            while True:
                edge = beyond = start - 1 if step < 0 else end
                # "støtte og træning i at deltage i aktiviteter": small words between.
                while 0 <= beyond < len(keys) and keys[beyond] in _NAME_JOINERS:
                    beyond += step
                if abs(beyond - edge) > MAX_JOINERS or not 0 <= beyond < len(keys):
                    break
                if beyond in taken or not _is_remnant(keys[beyond], own):
                    break
                taken.update(range(min(edge, beyond), max(edge, beyond) + 1))
                if step < 0:
                    start = beyond
                else:
                    end = beyond + 1
        if (start, end) == (mention.start, mention.end):
            return mention
        return Mention(mention.service_id, start, end, mention.exact, mention.part)

    @staticmethod
    def _joined(window: list[str], name: tuple[str, ...]) -> bool | None:
        """A close match when the words, run together, spell the name run together."""
        joined, wanted = "".join(window), "".join(name)
        if len(name) > 1:
            if len(wanted) < COMPOUND_MIN_LENGTH:
                return None
            return False if joined.startswith(wanted) or _misspelt(joined, wanted) else None
        # "indkøps træningen": a one-word name split in two, maybe misspelt and inflected.
        # The name must need both words: "støttekontaktpersonerne selv" is one word's match.
        if len(wanted) < SPLIT_COMPOUND_MIN_LENGTH or len(window[0]) + 2 >= len(wanted):
            return None
        start = joined[: len(wanted)]
        close = joined.startswith(wanted) or _misspelt(start, wanted) or _misspelt(joined, wanted)
        return False if close else None

    def _matches(self, window: list[str], name: tuple[str, ...]) -> bool | None:
        """True for an exact match, False for a close one, None for none.

        Word by word: each word equal, or a long word misspelt, or (the last word) the
        start of a compound ("bostøtteansøgning").
        """
        if tuple(window) == name:
            return True
        shortened = 0
        for position, (got, wanted) in enumerate(zip(window, name, strict=False)):
            if got == wanted:
                continue
            last = position == len(name) - 1
            if last and len(wanted) >= COMPOUND_MIN_LENGTH and got.startswith(wanted):
                continue
            if _misspelt(got, wanted):
                continue
            if len(name) > 1 and _abbreviates(got, wanted):
                # "midl. botilbud", "beskyttet besk.": one word of a longer name cut short.
                shortened += 1
                continue
            return None
        return False if shortened < len(name) else None

    def _paragraph_mentions(
        self, text: str, tokens: list[str]
    ) -> tuple[list[Mention], list[str], list[int]]:
        """Paragraphs named; the unknown ones as labels, and where they stand (word index)."""
        mentions: list[Mention] = []
        unknown: list[str] = []
        unknown_at: list[int] = []
        found = list(_PARAGRAPH.finditer(text)) + list(_NUMBER_SUFFIX.finditer(text))
        if not found:
            # "og 108?", "hvad skal man opfylde for at få 104?": a bare number that is one of
            # the municipality's paragraphs, in a short message, or first or after "få" and
            # not followed by a unit.
            found = [
                m
                for m in _BARE_NUMBER.finditer(text)
                if self._service_for(m["number"], None) is not None
                and (
                    len(tokens) <= BARE_NUMBER_MAX_WORDS
                    or (
                        # "108 – skal alle andre muligheder være prøvet først?"
                        (
                            _BEFORE_PARAGRAPH.search(text[: m.start()])
                            or _LEADING_FOLLOW_UP.fullmatch(text[: m.start()])
                        )
                        and not _UNITS.match(text, m.end())
                    )
                )
            ]
        seen: set[str] = set()
        for match in found:
            number = match["number"]
            letters = (match.groupdict().get("letters") or "").lower()
            service_id = self._service_for(number, letters)
            label = f"§ {number}{letters.replace(' ', '')}"
            if label in seen:
                continue
            seen.add(label)
            index = _word_index(text, match.start())
            if service_id is None and number in self._shared_paragraphs:
                continue
            if service_id is None:
                unknown.append(label)
                unknown_at.append(index)
            else:
                # "paragraf 85", "§ 82 a og b": every word of the reference names the service.
                end = max(index + 1, _word_index(text, match.end()))
                part = self._parts.get((service_id, f"{number}{letters.replace(' ', '')}"))
                mentions.append(Mention(service_id, index, end, True, part))
        return mentions, unknown, unknown_at

    def _service_for(self, number: str, letters: str | None) -> str | None:
        letters = re.sub(r"[^ab]", "", letters or "")
        for candidate in (number + letters, number + letters[:1], number):
            if candidate in self._paragraphs:
                return self._paragraphs[candidate]
        # "§ 82" when only "82a" and "82b" are listed.
        for paragraph, service_id in self._paragraphs.items():
            if re.fullmatch(rf"{number}[ab]+", paragraph):
                return service_id
        return None


def _misspelt(got: str, wanted: str) -> bool:
    """Whether a long name was typed with a letter or two wrong.

    Typos rarely touch the first letters, and "støtte" is not a misspelt "bostøtte".
    """
    return (
        len(wanted) >= FUZZY_MIN_LENGTH
        and got[:2] == wanted[:2]
        and abs(len(got) - len(wanted)) <= 2
        and fuzz.ratio(got, wanted) >= FUZZY_MIN_SCORE
    )


def _abbreviates(got: str, wanted: str) -> bool:
    return len(got) in ABBREVIATION_LENGTHS and len(wanted) > len(got) and wanted.startswith(got)


def _is_remnant(word_key: str, name_words: frozenset[str]) -> bool:
    """Whether a word is one of a service's name words, shortened or misspelt."""
    if word_key in name_words:
        return True
    return any(
        (len(word_key) >= REMNANT_PREFIX_LENGTH and wanted.startswith(word_key))
        or _misspelt(word_key, wanted)
        for wanted in name_words
    )


def _refers_to(keys: list[str], end: int, paragraphs_at: list[int]) -> bool:
    """Whether the words after a name (ending at ``end``) say which paragraph it is under."""
    return any(
        end < at <= end + MAX_PARAGRAPH_LINK_WORDS
        and all(k in _PARAGRAPH_LINKS for k in keys[end:at])
        for at in paragraphs_at
    )


def _word_index(text: str, offset: int) -> int:
    return len(words(text[:offset]))
