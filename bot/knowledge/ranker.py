"""Scores every fact of a municipality against a citizen's message.

A fact is described by the questions citizens ask about it (the strongest evidence), its
text and its section heading. Each is compared with the message as TF-IDF vectors of word
keys (lemma, one spelling for æøå; :mod:`bot.knowledge.words`) and of character n-grams,
which absorb typos and compounds. Words that name a service are left out of both sides:
which service a question is about is evidence of its own (named, or carried over from the
conversation), added by :class:`bot.knowledge.answering.Answerer`, so "hvad koster BPA?"
is matched to cost facts by "hvad koster", not to every BPA fact by "BPA".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

# How much each description of a fact counts; measured on the dev set (tests/answers/dev).
QUESTION_WEIGHT = 0.6
TEXT_WEIGHT = 0.2
SECTION_WEIGHT = 0.1
# Word keys and character n-grams count equally in one comparison.
WORD_SHARE = 0.5
# A gap is described by questions alone; its best question counts this much.
GAP_WEIGHT = 0.8
# The municipality-wide score's share; the rest is the score within the fact's service.
GLOBAL_SHARE = 0.2
# How much the questions of all facts of a candidate's kind count, by their best few.
# Measured on the dev sets: 0.2 and the best 10 gave 15 more right answers of 764 and one
# fewer wrong; 0.3 gave more right and more wrong.
KIND_WEIGHT = 0.2
KIND_TOP = 10


@dataclass(frozen=True)
class Candidate:
    """Something a message can be matched to: a fact, or a known gap in the standards.

    Attributes:
        uid: ``<service id>.<fact id>`` for a fact, ``gap.<id>`` for a gap.
        service_id: The fact's service; None for a gap.
        topic: The fact's kind of question; None for a gap.
        questions: How citizens ask for it.
        text: The answer's text (empty for a gap).
        section: The cited section heading (empty for a gap).

    """

    uid: str
    service_id: str | None
    topic: str | None
    questions: tuple[str, ...]
    text: str = ""
    section: str = ""


@dataclass(frozen=True)
class Scored:
    """A candidate and how well it matches the message (0 to about 1).

    Attributes:
        coverage: The share of the message's own words (not its question frame) that the
            candidate's questions and text use; None when the message is only a frame.

    """

    candidate: Candidate
    score: float
    coverage: float | None = None


class _TermSpace:
    """Term frequencies of word keys and character n-grams, one vocabulary for all."""

    def __init__(self, corpus: list[str]) -> None:
        self.words = TfidfVectorizer(
            analyzer=str.split, sublinear_tf=True, use_idf=False, norm=None
        ).fit(corpus)
        self.chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, use_idf=False, norm=None
        ).fit(corpus)

    def tf(self, prepared: list[str]) -> tuple[Any, Any]:
        """Word and character term frequencies of prepared texts (sparse rows)."""
        return (self.words.transform(prepared), self.chars.transform(prepared))


def _idf(tf: Any) -> np.ndarray:
    """Smoothed inverse document frequency over the rows of a term-frequency matrix."""
    documents = tf.shape[0]
    df = np.bincount(tf.indices, minlength=tf.shape[1])
    return np.log((1 + documents) / (1 + df)) + 1


@dataclass(frozen=True)
class _Message:
    """A message's term frequencies in one term space: sparse for norms, dense for dots.

    Scipy's sparse-by-sparse products cost more in bookkeeping than in arithmetic for a
    message of a few dozen terms: a dense vector makes each product one C loop (9 ms per
    message became 2 ms on this project's machine).
    """

    terms: np.ndarray
    weights: np.ndarray
    dense: np.ndarray

    @classmethod
    def of(cls, tf: Any) -> _Message:
        """From a 1 x vocabulary sparse row."""
        row = sparse.csr_matrix(tf)
        dense = np.zeros(row.shape[1])
        dense[row.indices] = row.data
        return cls(row.indices, row.data, dense)


class _Weighted:
    """Rows of TF-IDF vectors, each row weighted by its group's idf, ready for cosine.

    A row r of group g is stored as normalise(tf_r * idf_g) * idf_g, so that one sparse
    product with a message's plain term frequencies m gives r . (m * idf_g) for every row
    of every group at once; dividing by |m * idf_g| makes it the cosine.
    """

    def __init__(self, tf: Any, groups: np.ndarray, idf: np.ndarray) -> None:
        weights = idf[groups]
        self._rows = sparse.csr_matrix(
            normalize(sparse.csr_matrix(tf.multiply(weights))).multiply(weights)
        )
        self._groups = groups
        self._idf_squared = idf**2

    def cosine(self, message: _Message) -> np.ndarray:
        """Cosine of every row with the message, each under its group's weights."""
        dots = self._rows @ message.dense
        norms = np.sqrt(self._idf_squared[:, message.terms] @ message.weights**2)
        norms = np.where(norms > 0, norms, 1.0)
        return dots / norms[self._groups]


class _Index:
    """Candidates' questions, texts and sections, with word weights fitted per group.

    Args:
        candidates: The candidates.
        groups: For each candidate, the group whose texts its word weights come from.
        space: The shared term space.
        prepared: Every text, prepared for the term space.

    """

    def __init__(
        self,
        candidates: Sequence[Candidate],
        groups: Sequence[int],
        space: _TermSpace,
        prepared: dict[str, str],
    ) -> None:
        questions, owners = [], []
        for index, candidate in enumerate(candidates):
            for question in candidate.questions:
                questions.append(prepared[question])
                owners.append(index)
        group_of = np.array(groups, dtype=np.int64)
        owner = np.array(owners, dtype=np.int64)
        tf = {
            "questions": space.tf(questions),
            "texts": space.tf([prepared[c.text] for c in candidates]),
            "sections": space.tf([prepared[c.section] for c in candidates]),
        }
        row_groups = {"questions": group_of[owner], "texts": group_of, "sections": group_of}
        self._parts: dict[str, list[_Weighted]] = {}
        for part in ("questions", "texts", "sections"):
            self._parts[part] = []
            for space_index in (0, 1):
                idf = np.vstack(
                    [
                        _idf(
                            sparse.vstack(
                                [
                                    tf[p][space_index][row_groups[p] == g]
                                    for p in ("questions", "texts", "sections")
                                ]
                            ).tocsr()
                        )
                        for g in range(group_of.max() + 1)
                    ]
                )
                self._parts[part].append(_Weighted(tf[part][space_index], row_groups[part], idf))
        self._size = len(candidates)
        self.question_owner = owner
        self._question_owner = owner
        self._has_text = np.array([bool(c.text) for c in candidates])

    def _similarity(self, part: str, message: tuple[_Message, _Message]) -> np.ndarray:
        words, chars = (w.cosine(m) for w, m in zip(self._parts[part], message, strict=False))
        return WORD_SHARE * words + (1 - WORD_SHARE) * chars

    def question_similarity(self, message: tuple[_Message, _Message]) -> np.ndarray:
        """The message's similarity to every question, in the order of ``question_owner``."""
        return self._similarity("questions", message)

    def scores(
        self, message: tuple[_Message, _Message], questions: np.ndarray | None = None
    ) -> np.ndarray:
        """Each candidate's score: its best question, its text and its section."""
        best_question = np.zeros(self._size)
        if questions is None:
            questions = self._similarity("questions", message)
        np.maximum.at(best_question, self._question_owner, questions)
        facts = (
            QUESTION_WEIGHT * best_question
            + TEXT_WEIGHT * self._similarity("texts", message)
            + SECTION_WEIGHT * self._similarity("sections", message)
        )
        return np.where(self._has_text, facts, GAP_WEIGHT * best_question)


class Ranker:
    """Scores a message against every candidate, across the municipality and per service.

    The municipality-wide score finds which service and which kind of question fit. The
    per-service score, with word weights fitted on one service's own texts, tells that
    service's facts apart: words every one of its questions shares ("handle ind") weigh
    little there, and the words that make the question ("koster", "weekend") weigh much.

    Args:
        candidates: Facts and gaps of one municipality.
        keys: Turns a text into word keys without the words that name a service.
        message_keys: The same for a citizen's message, when it differs (a message may
            write the rest of a name beside it: "egenomsorg traening"); default ``keys``.

    """

    def __init__(
        self,
        candidates: Sequence[Candidate],
        keys: Callable[[str], list[str]],
        message_keys: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.candidates = list(candidates)
        self._keys = keys
        self._message_keys = message_keys or keys
        texts = {t for c in self.candidates for t in (*c.questions, c.text, c.section)}
        prepared = {t: self._prepare(t) for t in texts}
        self._space = _TermSpace(list(prepared.values()))
        self.service_ids = sorted({c.service_id for c in self.candidates if c.service_id})
        self._global = _Index(self.candidates, [0] * len(self.candidates), self._space, prepared)
        # Gaps belong to no service; they keep the municipality-wide weights (group 0 here is
        # just one more group of their own).
        group = {s: i + 1 for i, s in enumerate(self.service_ids)}
        self._local = _Index(
            self.candidates,
            [group.get(c.service_id, 0) for c in self.candidates],
            self._space,
            prepared,
        )
        # A fact's kind: its section's heading where every service has the same headings
        # ("<sub-intervention> – Hvor leveres indsatsen?"), else its topic; a gap is its own.
        kinds = [
            c.section.split(" – ")[-1] if " – " in c.section else (c.topic or c.uid)
            for c in self.candidates
        ]
        kind_index = {k: i for i, k in enumerate(dict.fromkeys(kinds))}
        self._kind_of = np.array([kind_index[k] for k in kinds], dtype=np.int64)
        question_kind = self._kind_of[self._global.question_owner]
        self._kind_rows = [np.flatnonzero(question_kind == i) for i in range(len(kind_index))]
        # Each service as one document of all its questions and texts: how well a message
        # fits a service as a whole ("handle ind" fits shopping), whichever fact it asks.
        # Each gap is a document of its own, so a gap competes with facts on equal terms.
        owners: dict[str, list[str]] = {}
        for candidate in self.candidates:
            owner = candidate.service_id or candidate.uid
            owners.setdefault(owner, []).extend([*candidate.questions, candidate.text])
        self._owners = list(owners)
        as_documents = self._space.tf([self._prepare(" ".join(p)) for p in owners.values()])
        self._services = [
            _Weighted(tf, np.zeros(len(self._owners), dtype=np.int64), _idf(tf)[None, :])
            for tf in as_documents
        ]

    def _prepare(self, text: str) -> str:
        return " ".join(self._keys(text))

    def score(self, text: str) -> tuple[np.ndarray, dict[str, float]]:
        """How well each candidate matches the message, and each service as a whole.

        Returns:
            The candidates' scores in the order of ``candidates``, and the fit of each
            service (by id) and each gap (by uid).
        """
        prepared = " ".join(self._message_keys(text))
        message = tuple(_Message.of(tf) for tf in self._space.tf([prepared]))
        questions = self._global.question_similarity(message)
        across = self._global.scores(message, questions)
        within = self._local.scores(message)
        words, chars = (w.cosine(m) for w, m in zip(self._services, message, strict=False))
        fit = WORD_SHARE * words + (1 - WORD_SHARE) * chars
        scores = GLOBAL_SHARE * across + (1 - GLOBAL_SHARE) * within
        scores = scores + KIND_WEIGHT * self._kind_evidence(questions)
        return scores, dict(zip(self._owners, fit.tolist(), strict=False))

    def _kind_evidence(self, questions: np.ndarray) -> np.ndarray:
        """How well the message fits the questions of every fact of each candidate's kind.

        Gladsaxe's twelve sub-interventions share their sections ("Hvor leveres
        indsatsen?"), so "hvor foregår tøjvasktræningen?" is told from "hvor ofte?" by
        the 'where' questions of all twelve, not only tøjvask's own few.
        """
        evidence = np.zeros(len(self._kind_rows))
        for kind, rows in enumerate(self._kind_rows):
            found = questions[rows]
            if len(found) > KIND_TOP:
                found = np.partition(found, -KIND_TOP)[-KIND_TOP:]
            evidence[kind] = found.mean() if len(found) else 0.0
        return evidence[self._kind_of]
