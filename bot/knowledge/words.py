"""Danish words as the ranker and the service matcher compare them.

A word is lower-cased, lemmatised with the lookup table of ``spacy-lookups-data``
("klagen" -> "klage", "botilbuddet" -> "botilbud") and folded, so that "bostøtte",
"bostoette" and "bostotte" become one key. The full table has 553,000 forms; the knowledge
base keeps only the forms of lemmas its own texts use (``lemma_forms``), so answering needs
neither spaCy nor the table at run time.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources

from bot.danish.text import fold

# æ/ø/å typed as plain "a"/"o" (the other way, "ae"/"oe"/"aa", is bot.danish.text.fold).
_PLAIN = str.maketrans({"æ": "a", "ø": "o", "å": "a", "é": "e", "ü": "u", "ö": "o", "ä": "a"})
# One key for all three spellings: digraphs first, then the digraphs made plain.
_KEY_DIGRAPHS = (("aa", "a"), ("ae", "a"), ("oe", "o"))
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)
# Definite and plural endings, longest first: the table lacks most compounds' inflections
# ("bostøtten", "ledsagerordningen"), but it has the compound itself.
_ENDINGS = (
    "ernes",
    "erne",
    "enes",
    "ene",
    "ens",
    "ets",
    "en",
    "et",
    "er",
    "ne",
    "es",
    "n",
    "t",
    "s",
    "e",
)


# Words that carry the frame or kind of a question, not what it is about ("hvem kan få …?",
# "hvad koster …?"): they rank facts, but never tell one service from another.
FUNCTION_WORDS = frozenset(
    """
    af alle alt andet andre at bare begge blev blive bliver da de dem den denne der deres det
    dette dig din dine disse du efter egentlig eller en end er et for fra få gerne gør ham han
    hans har have hej hende hendes her hos hun hvad hvem hvilke hvilken hvis hvor hvordan
    hvornår hvorfor i ikke ind jeg jer jo kan kunne lige man mange med meget men mig min mine
    mit mod må nej noget nogle nu når og også om op os over på selv sig sin sine sit skal
    skulle som så tak til ud under var ved vi vil ville vor være været ok okay sådan nogen
    min mor far søn datter bror søster servicelov serviceloven servicelovens lov loven
    kommune kommunen kommunens borger borgere borgeren
    koste koster pris gratis indeholde indeholder indgå indgår indebærer omfatte omfatter
    søge søger ansøge
    ansøgning klage klager klagen vare varer længe lang tid betyde betyder formål hjælp støtte
    hjælpe målgruppe målgruppen tiltænkt målrettet ordning ordningen
    """.split()
)


def words(text: str) -> list[str]:
    """The words of a text, lower-cased, hyphenated words kept whole ("aktivitets-")."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def key(word: str) -> str:
    """The spelling-independent key of a lower-case word: "støtte", "stoette", "stotte"."""
    folded = fold(word)
    for digraph, plain in _KEY_DIGRAPHS:
        folded = folded.replace(digraph, plain)
    return folded


def spellings(word: str) -> set[str]:
    """A word as citizens type it: with æøå, with ae/oe/aa and with plain a/o."""
    return {word, fold(word), word.translate(_PLAIN)}


def danish_lemma_table() -> Iterator[tuple[str, str]]:
    """Every (form, lemma) pair of the Danish lookup table in ``spacy-lookups-data``."""
    data = resources.files("spacy_lookups_data") / "data" / "da_lemma_lookup.json.gz"
    with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        yield from json.load(text).items()


def lemma_forms(vocabulary: Iterable[str], table: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The forms (in every spelling) of the lemmas a vocabulary uses, mapped to the lemma.

    Args:
        vocabulary: Lower-case words of the knowledge base.
        table: (form, lemma) pairs, e.g. :func:`danish_lemma_table`.

    Returns:
        form -> lemma for every form whose lemma, or which itself, is in the vocabulary.

    """
    pairs = [(form.lower(), lemma.lower()) for form, lemma in table]
    lemma_of = dict(pairs)
    wanted = set(vocabulary)
    lemmas = {lemma_of.get(word, word) for word in wanted}
    forms: dict[str, str] = {}
    for form, lemma in pairs:
        if lemma in lemmas or form in wanted:
            for spelling in spellings(form):
                forms.setdefault(spelling, lemma)
    return forms


class Lemmatiser:
    """Turns words into keys: lemma where the table knows the word, in one spelling.

    Args:
        forms: form -> lemma, as built by :func:`lemma_forms`.

    """

    def __init__(self, forms: Mapping[str, str]) -> None:
        self._forms = forms

    def lemma(self, word: str) -> str:
        """The lemma of a lower-case word.

        An unknown inflection of a known word ("bostøtten") gets the known word's lemma;
        anything else stays as it is.
        """
        found = self._forms.get(word)
        if found is not None:
            return found
        for ending in _ENDINGS:
            stem = word[: -len(ending)]
            if word.endswith(ending) and len(stem) >= 4 and stem in self._forms:
                return self._forms[stem]
        return word

    def keys(self, text: str) -> list[str]:
        """The keys of a text's words, in order."""
        return [key(self.lemma(w)) for w in words(text)]
