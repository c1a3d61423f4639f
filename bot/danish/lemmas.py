"""Danish lemmas from spacy-lookups-data in 7 MB instead of 180 MB.

spaCy's lookup lemmatizer keeps the 553,000 Danish word forms as a Python dict of hashes and
strings: 180 MB of the server's memory, and 2 s to load. :class:`LemmaTable` keeps the same
table as sorted 64-bit hashes (spaCy's own string ids) and indexes into the 81,000 distinct
lemmas, and the ``compact_lookup_lemmatizer`` pipe uses it exactly as spaCy's
``lemmatizer`` in ``lookup`` mode does: a token without a lemma gets the lemma of its text,
or the text itself when the table does not have it.
"""

# No "from __future__ import annotations": spaCy validates a factory's signature with
# pydantic, which needs real types.
import bisect
import gzip
import itertools
import json
import re
from array import array
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np
from spacy.language import Language
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.util import registry

from bot.shared import Shared

PIPE_NAME = "compact_lookup_lemmatizer"
TABLE = "lemma_lookup"

# One '"form": "lemma"' pair; the table is a flat JSON object of strings.
_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _unescape(text: str) -> str:
    return json.loads(f'"{text}"') if "\\" in text else text


def read_pairs(path: Path) -> Iterator[Tuple[str, str]]:
    """The (form, lemma) pairs of a spacy-lookups-data table, one at a time.

    Reading them one by one, instead of ``json.load``-ing the whole table, keeps the peak
    memory of loading at a tenth.
    """
    # The registry names the table ".json"; the package ships it gzipped.
    source = path if path.exists() else path.with_name(path.name + ".gz")
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as file:
        text = file.read()
    for match in _PAIR.finditer(text):
        yield _unescape(match.group(1)), _unescape(match.group(2))


class LemmaTable:
    """Word form -> lemma, answering exactly as ``spacy.lookups.Table.get`` does.

    Flat arrays instead of a dict of Python objects: 8 bytes per form for its hash, 4 for
    its lemma's number, and the distinct lemmas in one string.

    Args:
        keys: spaCy string ids of the forms, sorted.
        lemma_ids: For each key, the number of its lemma.
        lemmas: The distinct lemmas, in the order of their numbers.

    """

    def __init__(self, keys: array, lemma_ids: array, lemmas: List[str]) -> None:
        self._keys = keys
        self._lemma_ids = lemma_ids
        self._blob = "".join(lemmas)
        self._ends = array("I", itertools.accumulate(len(lemma) for lemma in lemmas))

    @classmethod
    def from_pairs(cls, pairs: Iterable[Tuple[str, str]]) -> "LemmaTable":
        """Builds a table; a form given twice keeps its last lemma, as a dict would."""
        numbers: Dict[str, int] = {}
        keys, lemma_ids = array("Q"), array("i")
        for form, lemma in pairs:
            keys.append(get_string_id(form))
            lemma_ids.append(numbers.setdefault(lemma, len(numbers)))
        hashes = np.frombuffer(keys, dtype=np.uint64)
        # Sorted by hash; among equal hashes the last pair first, then only the first kept.
        order = np.lexsort((-np.arange(len(hashes)), hashes))
        unique = np.ones(len(order), dtype=bool)
        unique[1:] = hashes[order][1:] != hashes[order][:-1]
        order = order[unique]
        sorted_keys = array("Q", hashes[order].tobytes())
        sorted_ids = array("i", np.frombuffer(lemma_ids, dtype=np.int32)[order].tobytes())
        return cls(sorted_keys, sorted_ids, list(numbers))

    @classmethod
    def danish(cls) -> "LemmaTable":
        """The Danish table of the installed spacy-lookups-data."""
        path = Path(registry.lookups.get("da")[TABLE])
        return cls.from_pairs(read_pairs(path))

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, form: str, default: Optional[str] = None) -> Optional[str]:
        """The lemma of a word form, or ``default``."""
        key = get_string_id(form)
        index = bisect.bisect_left(self._keys, key)
        if index == len(self._keys) or self._keys[index] != key:
            return default
        number = self._lemma_ids[index]
        start = self._ends[number - 1] if number else 0
        return self._blob[start : self._ends[number]]

    @property
    def nbytes(self) -> int:
        """Roughly the memory the table holds."""
        arrays = (self._keys, self._lemma_ids, self._ends)
        return sum(a.itemsize * len(a) for a in arrays) + len(self._blob.encode("utf-8"))


# The process-wide Danish table, read on first use.
shared_danish_table: Shared[LemmaTable] = Shared(LemmaTable.danish)


class CompactLookupLemmatizer:
    """spaCy's lookup lemmatizer (``overwrite=False``) on a :class:`LemmaTable`."""

    def __init__(self, table: LemmaTable) -> None:
        self.table = table

    def __call__(self, doc: Doc) -> Doc:
        """Sets the lemma of every token that has none."""
        for token in doc:
            if token.lemma == 0:
                token.lemma_ = self.table.get(token.text, token.text)
        return doc


@Language.factory(PIPE_NAME)
def make_compact_lookup_lemmatizer(nlp: Language, name: str) -> CompactLookupLemmatizer:
    """Builds the pipe for ``nlp.add_pipe("compact_lookup_lemmatizer")`` (Danish tables)."""
    return CompactLookupLemmatizer(shared_danish_table())
