"""Text folding shared by the index and the queries, so both sides agree."""

from __future__ import annotations

import re

_FOLD = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "oe", "ä": "ae"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Words too common to help a search. Not shown to anyone.
STOPWORDS = frozenset(
    """
    af alle alt andet andre at begge blev blive bliver da de dem den denne der deres det dette
    dig din dine disse du efter eller en end er et for fra ham han hans har hende hendes her
    hos hun hvad hvem hvilke hvilken hvis hvor hvordan hvornaar i ikke ind jeg jer jo kan kunne
    man mange med meget men mig min mine mit mod naar nej noget nogle nu og ogsaa om op os
    over paa sig sin sine sit skal skulle som saa til ud under var vi vil ville vor vaere
    vaeret hej tak gerne lige bare okay ok please
    """.split()
)


def fold(text: str) -> str:
    """Lower-cases and spells æ, ø and å as ae, oe and aa, as citizens often type them.

    Args:
        text: Any text.

    Returns:
        The folded text.

    """
    return text.lower().translate(_FOLD)


def search_terms(text: str, limit: int = 12) -> list[str]:
    """Turns free text into safe full-text search prefixes.

    Only letters and digits survive, so FTS syntax (quotes, ``*``, ``NEAR``, brackets)
    typed by a citizen can never reach SQLite as syntax.

    Args:
        text: What the citizen wrote.
        limit: The most terms to keep.

    Returns:
        Folded terms, shortened to a stem-like prefix of at most six letters.

    """
    terms: list[str] = []
    for word in _WORD.findall(fold(text)):
        if len(word) < 3 or word in STOPWORDS:
            continue
        term = word[:6]
        if term not in terms:
            terms.append(term)
        if len(terms) == limit:
            break
    return terms
