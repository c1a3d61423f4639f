"""From a citizen's message, and the conversation so far, to what the assistant should say.

:class:`Answerer` decides; the Rasa action only turns the decision into responses. The
decision uses three kinds of evidence:

- the ranker's score of every fact (:mod:`bot.knowledge.ranker`);
- the service: named in the message (then only that service's facts are answered), or
  carried over from the conversation (then it only weighs in, so a question that plainly
  fits another service is not forced onto the old one);
- the intent Rasa recognised ("ask_cost" weighs in for cost facts), never as a gate.

It answers with the best fact, or the best two when they belong together; it assumes a
service from a described situation only when one service clearly fits; otherwise it offers a
short choice, and when nothing fits it says that the quality standards do not say.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from bot.knowledge.ranker import Candidate, Ranker, Scored
from bot.knowledge.service_names import Recognised, ServiceNames
from bot.knowledge.words import FUNCTION_WORDS, Lemmatiser, key, words

ANSWER = "answer"
CHOOSE_SERVICE = "choose_service"
CHOOSE_FACT = "choose_fact"
NOT_IN_STANDARDS = "not_in_standards"
NO_FACT = "no_fact"
CONTACT = "contact"
# A contact point's uid: ``contact.<id>``; the message asks how to reach it.
CONTACT_PREFIX = "contact."

# Thresholds on the combined score, chosen on the dev set (tests/answers/dev) to maximise
# right answers minus 10 x wrong answers with a source: a fact is answered when it scores
# this much and leads the next kind of fact by the margin. On both dev sets (764 questions)
# margins of 0.10, 0.12, 0.14, 0.16, 0.18 and 0.20 gave 589/27, 576/22, 554/19, 538/16,
# 515/14 and 493/13 right/wrong.
ANSWER_SCORE = 0.42
ANSWER_MARGIN = 0.16
# A fact that shares only the question's frame with the message is still answered when the
# intent (this sure) asks its kind and it leads by this much: "Hvem kan få tilknyttet en
# støtte-kontaktperson?" ("tilknyttet" is in no fact). +3 right, 0 wrong on the dev sets
# at 0.3. With the sixth sets (1,632 questions), 0.3, 0.2, 0.15 and 0.1 gave 1,184,
# 1,187, 1,190 and 1,192 right, all with 23 wrong; below 0.1 nothing changes, since the
# answer margin then decides ("Hvilke vanskeligheder skal man have for at …").
FRAME_AGREED_CONFIDENCE = 0.6
FRAME_AGREED_MARGIN = 0.1
# When the intent (at least this sure) asks the best fact's kind, two independent readings
# agree, and this lead is enough: with 0.16 alone 538/16, with 0.12 or 0.10 here 541/16 and
# 543/16 on the dev sets.
AGREED_CONFIDENCE = 0.8
AGREED_MARGIN = 0.10
# The same within one named service, where the service's fit is left out of the score.
NAMED_ANSWER_SCORE = 0.25
NAMED_OFFER_SCORE = 0.2
OFFER_SCORE = 0.35
# A second fact is added when it is about the same service and topic (or section) and this
# close; it then is part of the answer, not its rival. On both dev sets (764 questions)
# 0.12, 0.18, 0.22, 0.25 and 0.30 gave 546/14, 553/13, 554/12, 555/11 and 555/11.
PAIR_MARGIN = 0.25
# After "hvilke …", a fact of the same section joins at this margin: "Hvilke krav stilles der
# til mig …?" gets motivation and transport. On 1,632 dev questions 0.4 gave +2 right and
# -2 wrong against 0.25; 0.55 gave the same as 0.4.
PLURAL_PAIR_MARGIN = 0.4
# ... and up to this many facts in all: "Hvilke forudsætninger skal jeg opfylde …?" about the
# § 82 offers is who they are for, motivation and transport. +1 right, -1 wrong of 1,632
# dev questions against 2 (4 gave the same as 3); no change in 607 turns.
PLURAL_FACTS = 3
# A service is assumed from a situation when its best fact leads the next service by this.
# On both dev sets 0.06, 0.10, 0.14 and 0.18 gave 541/16, 545/15, 546/14 and 545/14, and on
# the dev conversations 0.14 turned two wrong assumptions into a choice.
ASSUME_MARGIN = 0.14
# An assumed service's best fact must score this much (an assumption is easy to get wrong).
ASSUME_SCORE = 0.6
# Another service's fact that covers the message's own words within this share is a rival.
COVERAGE_TIE = 0.25
ASSUME_FIT_MARGIN = 0.02
# Services within this of the best are offered as a choice (at most three).
CHOICE_MARGIN = 0.06
MAX_CHOICES = 3
# A message with at least this many words of its own describes a situation.
SITUATION_WORDS = 3
# A bare question of one kind is answered with all the service's facts of that kind, up to
# this many.
WHOLE_TOPIC = 3
CHOICE_FIT_MARGIN = 0.04
# How much a fact gains for covering the message's own words (not its question frame).
COVERAGE_WEIGHT = 0.25
# Word stems this long compare inflections and typos at their end ("huslejen", "huslej").
STEM_LENGTH = 5
# Evidence: the recognised intent's topic.
INTENT_BONUS = 0.04
NAMED_INTENT_BONUS = 0.06
# A frame-only question follows the intent's kind of fact unless another kind of the named
# service's facts matches the frame's words by this much more.
FRAME_OVERRULE_MARGIN = 0.2
# A named service's question with no words of its own is only its frame ("hvem kan få
# BPA?"); then an intent this confident decides the kind of fact.
FRAME_INTENT_CONFIDENCE = 0.6
# Taken from facts of a kind whose cue words the message lacks: enough to rank them below
# any fact that matches at all, while a cued question still finds them.
UNCUED_PENALTY = 0.5
# Ages, as a key of their own (the same on both sides of the comparison).
AGE_KEY = "alder"
MIN_AGE, MAX_AGE = 10, 110
_YEARS = frozenset({"ar", "arig", "arige", "argammel"})
_AGE_VERBS = frozenset({"er", "pa", "fylder", "bliver", "blev", "fyldt"})
_UNITS = frozenset({"timer", "time", "dage", "dag", "uger", "uge", "maneder", "maned", "kr"})
# An intent this sure of the kind asked says that a service without a fact of that kind has
# nothing on it.
ABSENT_TOPIC_CONFIDENCE = 0.95
# How much a fact whose text speaks of the part of a service the message names gains: the
# part's name is left out of the ranked words with the service's. On the dev sets 0.3 gave
# +3 right of 1,632 and no more wrong; 0.2 gave +2 right and +1 wrong.
PART_BONUS = 0.3
# How much more than the best fact a known gap must score when the citizen named a service.
NAMED_GAP_MARGIN = 0.15
# How much the message's fit to a service as a whole adds to each of its facts (and a gap's
# fit to the gap).
SERVICE_WEIGHT = 0.6
ASK_PREFIX = "ask_"
# The kind of fact that says what a service is.
OVERVIEW = "overview"

# Words that carry no question of their own: "og 108?", "hvad med ledsagerordning så?".
_FILLER = frozenset(
    key(w)
    for w in """
    og hvad med så end for om hvordan det den der er i til nu mon så også samme spørgsmål
    over omkring på
    gælder ligeså ligesådan hvis angår angående vedrørende ang vedr the ok okay jamen men
    nå tak et en af ved hvordan hvordn hvad hva
    betyder noget egentlig egentligt præcis præcist lige
    """.split()
)
# A message that starts with its teller ("Jeg …", "Min søn …") and has no "?" tells a
# situation. Not "no question word first": "hvilen lov …" is a question with a typo.
_TELLERS = frozenset(key(w) for w in "jeg min mit mine han hun vi vores hans hendes deres".split())
# "hvad er …?" asks what a named service is, not the previous question about it.
_WHAT_IS = re.compile(r"\W*(?:hvad|hva)\s+(?:er|betyder)\b", re.IGNORECASE)
# "Hvilke krav …?" asks for all of them: a second fact of the same section joins at a wider
# margin.
_PLURAL = re.compile(r"\W*(?:hvilke|hvad er (?:kravene|betingelserne))\b", re.IGNORECASE)
# The words before a service that is where the citizen lives: "bor på et botilbud".
_RESIDENCE = re.compile(
    r"\b(?:bor|bo|boet|boede)\s+(?:på|pa|paa|i)(?:\s+(?:et|en|sit|sin|hans|hendes|mit|min|det))?$",
    re.IGNORECASE,
)
COMPLAINT = "complaint"
# The intent of "hvor længe går der …?" is either of these kinds.
TIME_TOPICS = frozenset({"processing_time", "duration"})
# Words of an application, its processing or the support's length, as they begin
# ("ansøgningen", "sagsbehandlingen", "varer", "forløbet"): with them, a time question
# after a complaint is not about the complaint.
_NOT_COMPLAINT_TIME = re.compile(
    r"\b(?:(?:an)?s(?:ø|oe|o)g|sagsbehandl|behandl|varer\b|vare\b|forløb|forlob)", re.IGNORECASE
)
# "Noget helt andet: …" starts a new subject: the service under discussion is dropped.
_TOPIC_SWITCH = re.compile(
    r"\b(noget (helt )?andet|et (helt )?andet spørgsmål|et nyt spørgsmål|nyt spørgsmål|"
    r"skift(e|er)? emne|et andet emne|apropos)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Context:
    """What the conversation says about the message.

    Attributes:
        service: The service under discussion (named or inferred earlier).
        last_question: The last question answered or being clarified.
        intent: The intent Rasa recognised, e.g. ``ask_cost``.
        intent_confidence: Its confidence.
        chosen_service: A service picked with a button.
        chosen_fact: A fact picked with a button (``<service>.<fact>``).
        default_service: The service to assume when nothing else says which, e.g. the
            topic of the appointment being booked.
        last_topic: The kind of the last fact answered, so "og 108?" asks the same kind.
        offered_services: The services offered as a choice in the last turn: a citizen who
            asks on instead of choosing is answered among them.

    """

    service: str | None = None
    last_question: str | None = None
    intent: str | None = None
    intent_confidence: float = 0.0
    chosen_service: str | None = None
    chosen_fact: str | None = None
    default_service: str | None = None
    last_topic: str | None = None
    offered_services: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """What to say.

    Attributes:
        kind: ``answer``, ``choose_service``, ``choose_fact``, ``not_in_standards``,
            ``no_fact`` (the named service has nothing on it) or ``contact`` (how to reach
            the contact point in ``facts``).
        facts: The facts to answer with, or to offer; for ``not_in_standards``, the known
            gap the question matched, if it matched one.
        services: The services to offer, or the service answered about.
        assumed: The service was inferred from a situation, so the answer says so.
        unknown_paragraphs: Paragraphs the citizen named that the municipality lacks.
        service: The service under discussion after this turn.
        question: The question to remember for a follow-up or a choice.
        topic: The kind of fact asked, when a choice of services leaves it to be answered
            once the citizen says which service ("klage" → complaint).

    """

    kind: str
    facts: tuple[Candidate, ...] = ()
    services: tuple[str, ...] = ()
    assumed: bool = False
    unknown_paragraphs: tuple[str, ...] = ()
    service: str | None = None
    question: str | None = None
    scores: tuple[float, ...] = field(default=(), compare=False)
    topic: str | None = None


class Answerer:
    """Decides how to answer a message, for one municipality.

    Args:
        candidates: The municipality's facts and the known gaps in its standards.
        services: The municipality's services with their names (:class:`ServiceNames`).
        lemmatiser: Turns words into keys.
        topics: Every kind of fact (``topics.yml``), also kinds no candidate has.
        municipality: The municipality's name: every question is about it, so "i Ballerup
            Kommune" tells no fact from another.
        topic_cues: For a kind of fact asked only in certain words, their beginnings
            (``topics.yml``): a message with none of them is not matched to that kind.

    """

    def __init__(
        self,
        candidates: Sequence[Candidate],
        services: ServiceNames,
        lemmatiser: Lemmatiser,
        topics: Sequence[str] = (),
        municipality: str = "",
        topic_cues: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._services = services
        self._lemmatiser = lemmatiser
        self._place_keys = {key(lemmatiser.lemma(w)) for w in words(municipality)}
        # The knowledge base's own texts write names whole; only a citizen's message has the
        # rest of a name beside it ("egenomsorg traening"). Growing names in the index too
        # gave 3 more wrong answers with a source on the development sets.
        index_keys = functools.partial(self._question_keys, remnants=False)
        self.ranker = Ranker(candidates, index_keys, self._question_keys)
        self._by_uid = {c.uid: c for c in candidates}
        # What each candidate talks about, as word stems: a fact that shares none of the
        # message's own words ("husleje") only matched its frame ("hvad er …?"). Its heading
        # counts: "hvem kan modtage …?" is the seed's own heading "Hvem kan modtage indsatsen".
        self._vocabulary = [
            {_stem(k) for text in (*c.questions, c.text, c.section) for k in index_keys(text)}
            for c in self.ranker.candidates
        ]
        self._function_stems = {self._stem_of(w) for w in FUNCTION_WORDS}
        # Each fact's text as written, names included: which facts speak of a named part.
        self._text_stems = [
            {self._stem_of(w) for w in words(c.text)} for c in self.ranker.candidates
        ]
        self._topics = np.array([c.topic or "" for c in self.ranker.candidates])
        # Every kind of fact there is, also kinds this municipality has no fact of: "hvordan
        # klager jeg?" about a service without a complaint fact is "nothing on it", not a
        # different fact.
        self._known_topics = set(topics) | {c.topic for c in self.ranker.candidates if c.topic}
        self._service_topics = {(c.service_id, c.topic) for c in self.ranker.candidates}
        self._owners = [c.service_id or c.uid for c in self.ranker.candidates]
        self._cued = {
            topic: (tuple(cues), self._topics == topic)
            for topic, cues in (topic_cues or {}).items()
            if cues
        }
        # One decision scores its text once, however many ways it weighs the scores.
        self._scores_of_this_decision = threading.local()
        # A word no fact uses tells nothing about which fact is meant.
        self._known_stems = set().union(*self._vocabulary) if self._vocabulary else set()

    def _question_keys(self, text: str, remnants: bool = True) -> list[str]:
        """A text's word keys without the words that name a service or a paragraph.

        Other numbers stay: "17 år" is close to "18 år". ``remnants``: see
        :meth:`ServiceNames.recognise`.
        """
        named = self._services.recognise(text, remnants).named_words()
        found = words(text)
        keys = [key(self._lemmatiser.lemma(w)) for i, w in enumerate(found) if i not in named]
        if _states_an_age([w if i not in named else "" for i, w in enumerate(found)]):
            # "min søn er 17" is about the age limit that facts state as "over 18 år".
            keys.append(AGE_KEY)
        return [k for k in keys if k not in self._place_keys]

    def decide(self, text: str, context: Context | None = None) -> Decision:
        """What to say to a message.

        Args:
            text: The citizen's message (a button's payload has no text of its own).
            context: The conversation so far.

        Returns:
            The decision.

        """
        context = context or Context()
        decision = self._decide(text, context)
        if decision.kind in (CHOOSE_SERVICE, NO_FACT) and decision.topic is None:
            # "klage", then "bostøtte": the choice settles the service, the intent the kind;
            # "hvad koster det?", "ledsagerordning" (nothing on it), "og BPA?" asks it again.
            topic = None
            if context.intent_confidence >= AGREED_CONFIDENCE:
                topic = self._intent_topic(context)
            if topic is None and decision.question == context.last_question:
                topic = context.last_topic
            decision = replace(decision, topic=topic)
        return decision

    def _decide(self, text: str, context: Context) -> Decision:
        self._scores_of_this_decision.memo = {}
        if context.chosen_fact and context.chosen_fact in self._by_uid:
            fact = self._by_uid[context.chosen_fact]
            return Decision(ANSWER, (fact,), service=fact.service_id, question=fact.questions[0])
        if context.chosen_service:
            topic = self._intent_topic(context) or context.last_topic
            if context.last_question and topic:
                # A service button after "hvad koster det?" asks exactly that of the service.
                return self._on_topic(context.last_question, context.chosen_service, topic, context)
            if context.last_question:
                return self._for_service(
                    context.last_question, context.chosen_service, context, assumed=False
                )
            return self._overview(context.chosen_service, None, topic)
        recognised = self._services.recognise(text)
        named = recognised.service_ids
        if (
            not named
            and len(recognised.hinted) == 1
            and context.last_question
            and not self._has_question(text, recognised, recognised.hint_words)
        ):
            # "og i Fronten?": the place points to its service, and nothing else is asked.
            named = list(recognised.hinted)
        if named and not self._has_question(text, recognised, recognised.hint_words):
            # "og 108?": the previous question, about the newly named service; a name
            # alone, with nothing asked before, asks what the service is, and so does
            # "hvad er social færdighedstræning?" whatever was asked before.
            if _WHAT_IS.match(text):
                decision = self._as_part(self._overview(named[0], text), recognised)
            elif context.last_question and context.last_topic:
                decision = self._on_topic(
                    context.last_question, named[0], context.last_topic, context
                )
            elif context.last_question:
                decision = self._for_service(
                    context.last_question, named[0], context, assumed=False
                )
            else:
                decision = self._as_part(self._overview(named[0], text), recognised)
            return self._with_unknown(decision, recognised)
        if len(named) > 1:
            # "kan man få bostøtte, hvis man bor på et botilbud?": where the citizen lives is
            # the condition; the question is about the other service. On the dev sets +4
            # right of 1,632, no more wrong; no change in 607 turns.
            found = words(text)
            residence = {
                m.service_id
                for m in recognised.mentions
                if _RESIDENCE.search(" ".join(found[max(0, m.start - 3) : m.start]))
            }
            asked = [s for s in named if s not in residence]
            if asked:
                named = asked
        if len(named) == 1:
            decision = self._for_service(text, named[0], context, assumed=False)
            return self._with_unknown(self._as_part(decision, recognised), recognised)
        if recognised.unknown_paragraphs and not named:
            return Decision(
                NOT_IN_STANDARDS,
                unknown_paragraphs=recognised.unknown_paragraphs,
                service=context.service,
                question=text,
            )
        switched = bool(_TOPIC_SWITCH.search(text))
        current = None if switched else context.service
        hinted = recognised.hinted[0] if len(recognised.hinted) == 1 and not named else None
        only_hinted = not current and hinted is not None
        current = current or hinted or context.default_service
        # "og hvad koster det for ham?" after a choice of services, instead of a button: the
        # question is about one of those, never a service that was not offered.
        offered = () if switched or named or current else context.offered_services
        decision = self._open(text, named, current, context, offered, only_hinted)
        return self._with_unknown(decision, recognised)

    def _content(self, text: str) -> set[str]:
        """The stems of a message's own words.

        Not its question frame, not a service's name, and not words that no fact uses.
        """
        stems = {_stem(k) for k in self._question_keys(text)} - self._function_stems
        return stems & self._known_stems

    def _has_question(
        self, text: str, recognised: Recognised, also_not: frozenset[int] = frozenset()
    ) -> bool:
        named = recognised.named_words() | also_not
        return any(
            i not in named
            and not w.isdigit()
            and key(w) not in _FILLER
            and key(self._lemmatiser.lemma(w)) not in _FILLER
            for i, w in enumerate(words(text))
        )

    def _frame_topic(self, text: str, context: Context) -> str | None:
        """The kind of fact asked, when the message is only a question's frame.

        Only when the intent, read from that frame, is confident; else None.
        """
        topic = self._intent_topic(context)
        if topic and context.intent_confidence >= FRAME_INTENT_CONFIDENCE:
            return None if self._content(text) else topic
        return None

    def _intent_topic(self, context: Context) -> str | None:
        """The kind of fact the intent asks for ("ask_cost": cost), if facts have that kind."""
        if context.intent and context.intent.startswith(ASK_PREFIX):
            topic = context.intent[len(ASK_PREFIX) :]
            return topic if topic in self._known_topics else None
        return None

    def _overview(self, service_id: str, text: str | None, topic: str | None = None) -> Decision:
        """What a service is, or its first fact of a topic.

        The topic comes from an older button such as ``/ask_cost{"service":…}``.
        """
        facts = [c for c in self.ranker.candidates if c.service_id == service_id]
        overview = [c for c in facts if c.topic == (topic or OVERVIEW)]
        if not topic:
            overview = overview or facts[:1]
        if not overview:
            return Decision(NO_FACT, services=(service_id,), service=service_id, question=text)
        return Decision(
            ANSWER, (overview[0],), services=(service_id,), service=service_id, question=None
        )

    def _as_part(self, decision: Decision, recognised: Recognised) -> Decision:
        """What a named part of the service is, where the answer would be the whole's.

        "hvad er social færdighedstræning?" names the § 82 offers by one of their parts; the
        offers' purpose answers another question than the one asked.
        """
        if decision.kind != ANSWER or not decision.services:
            return decision
        parts = [
            self._by_uid[u] for u in recognised.parts(decision.services[0]) if u in self._by_uid
        ]
        if not parts or any(f.topic != OVERVIEW for f in decision.facts):
            return decision
        return Decision(**{**decision.__dict__, "facts": tuple(dict.fromkeys(parts)), "scores": ()})

    def _with_unknown(self, decision: Decision, recognised: Recognised) -> Decision:
        if not recognised.unknown_paragraphs:
            return decision
        return Decision(
            **{**decision.__dict__, "unknown_paragraphs": recognised.unknown_paragraphs}
        )

    def _ranked_once(self, text: str) -> tuple[np.ndarray, dict[str, float]]:
        memo = getattr(self._scores_of_this_decision, "memo", None)
        if memo is None:
            return self.ranker.score(text)
        if text not in memo:
            memo[text] = self.ranker.score(text)
        return memo[text]

    def _scored(
        self, text: str, context: Context, with_fit: bool = True
    ) -> tuple[list[Scored], dict[str, float]]:
        """Every candidate's score with the evidence added.

        The intent's topic weighs in; so does, across services, the message's fit to a
        candidate's service or gap. Within one named service the fit is the same for all
        its facts, and a short gap fits the bare question frame that is left once the
        service's name is taken out, so there it is left out.
        """
        scores, fit = self._ranked_once(text)
        topic = self._intent_topic(context)
        content = self._content(text)
        total = scores.copy()
        coverage: list[float | None] = [None] * len(scores)
        if content:
            coverage = [len(content & v) / len(content) for v in self._vocabulary]
            total += COVERAGE_WEIGHT * np.array(coverage)
        if topic:
            # Within a named service the question's frame is most of what is left
            # ("hvem kan få …?"), so the intent, read from that frame, counts more.
            bonus = INTENT_BONUS if with_fit else NAMED_INTENT_BONUS
            total += (self._topics == topic) * bonus * context.intent_confidence
        if with_fit:
            total += SERVICE_WEIGHT * np.array([fit[owner] for owner in self._owners])
        part_stems = self._part_stems(text)
        if part_stems:
            total += PART_BONUS * np.array([part_stems <= v for v in self._text_stems])
        if self._cued:
            message_words = [key(w) for w in words(text)]
            for cues, members in self._cued.values():
                if not any(w.startswith(cue) for w in message_words for cue in cues):
                    # "hvem kan få …?" shares words with the law's text, not its kind.
                    total -= members * UNCUED_PENALTY
        ranked = [
            Scored(candidate, float(score), cover)
            for candidate, score, cover in zip(
                self.ranker.candidates, total.tolist(), coverage, strict=True
            )
        ]
        return ranked, fit

    def _part_stems(self, text: str) -> set[str]:
        """The stems of the service parts a message names ("social færdighedstræning")."""
        found = words(text)
        return {
            self._stem_of(w)
            for m in self._services.recognise(text).mentions
            if m.part
            for w in found[m.start : m.end]
        }

    def _stem_of(self, word: str) -> str:
        return _stem(key(self._lemmatiser.lemma(word)))

    def _for_service(self, text: str, service_id: str, context: Context, assumed: bool) -> Decision:
        """Answers about one named service, never with another service's fact.

        A known gap wins only by a clear margin: once the service's name is left out, "hvordan
        søger jeg om bostøtte?" is as close to "hvordan søger jeg om et sundhedskort?" as to
        bostøtte's own facts.
        """
        if self._lacks_asked_topic(service_id, context):
            return Decision(NO_FACT, services=(service_id,), service=service_id, question=text)
        ranked = [
            s
            for s in self._scored(text, context, with_fit=False)[0]
            if s.candidate.service_id in (service_id, None)
        ]
        ranked.sort(key=lambda s: -s.score)
        facts = [s for s in ranked if s.candidate.service_id]
        topic = self._frame_topic(text, context)
        on_topic = [s for s in facts if s.candidate.topic == topic]
        if topic and (not on_topic or facts[0].score - on_topic[0].score < FRAME_OVERRULE_MARGIN):
            # "hvem kan få BPA?": with the name left out only the question's frame is left,
            # and the intent read from it is the best evidence of what is asked, unless
            # the frame's own words point clearly to another kind ("hvad er formålet …").
            return self._on_topic(text, service_id, topic, context)
        if facts and (
            ranked[0].candidate.service_id or ranked[0].score < facts[0].score + NAMED_GAP_MARGIN
        ):
            # A gap that does not clearly win is no rival of the named service's facts
            # either: "hvad koster de forebyggende tilbud?" is not unsure because "hvad
            # koster …" also fits the gap of unrelated questions.
            ranked = facts
        if not ranked or ranked[0].score < NAMED_OFFER_SCORE:
            return Decision(NO_FACT, services=(service_id,), service=service_id, question=text)
        best = ranked[0]
        if best.candidate.service_id is None:
            return _beyond_facts(best.candidate, service_id, text)
        return self._answer(ranked, service_id, text, assumed, NAMED_ANSWER_SCORE, context=context)

    def _asks_complaint_time(self, text: str, service_id: str, context: Context) -> bool:
        """A time question, right after the service's complaint route was answered."""
        return (
            context.last_topic == COMPLAINT
            and self._intent_topic(context) in TIME_TOPICS
            and context.intent_confidence >= FRAME_INTENT_CONFIDENCE
            and (service_id, COMPLAINT) in self._service_topics
            and not _NOT_COMPLAINT_TIME.search(text)
        )

    def _lacks_asked_topic(self, service_id: str, context: Context) -> bool:
        """The intent is sure of the kind of question, and the service's standard has none.

        "hvor tit bliver der fulgt op på min tøjvasktræning?" about a standard that says
        nothing on follow-up is answered with that, not with how often the support comes.
        """
        topic = self._intent_topic(context)
        if topic in TIME_TOPICS and any(
            (service_id, other) in self._service_topics for other in TIME_TOPICS
        ):
            # "hvor lang tid tager det med social færdighedstræning?" is read as the processing
            # time at 0.95 but asks how long it lasts: the service's facts tell the two apart.
            return False
        return (
            topic is not None
            and context.intent_confidence >= ABSENT_TOPIC_CONFIDENCE
            and (service_id, topic) not in self._service_topics
        )

    def _on_topic(self, text: str, service_id: str, topic: str, context: Context) -> Decision:
        """The service's best fact (or two) of one kind, or that its standard has none."""
        on_topic = [
            s
            for s in self._scored(text, context, with_fit=False)[0]
            if s.candidate.service_id == service_id and s.candidate.topic == topic
        ]
        if not on_topic:
            return Decision(NO_FACT, services=(service_id,), service=service_id, question=text)
        on_topic.sort(key=lambda s: -s.score)
        if len(on_topic) <= WHOLE_TOPIC and not self._content(text):
            # "hvem kan få beskyttet beskæftigelse?" asks the whole kind, and a standard that
            # states it in two or three facts (age, and need) answers with them all.
            return Decision(
                ANSWER,
                tuple(s.candidate for s in on_topic),
                services=(service_id,),
                service=service_id,
                question=text,
                scores=tuple(s.score for s in on_topic),
            )
        # The kind is settled (by the intent, or the question being repeated): its best fact.
        return self._answer(on_topic, service_id, text, assumed=False, threshold=0.0, sure=True)

    def _answer(
        self,
        ranked: list[Scored],
        service_id: str,
        text: str,
        assumed: bool,
        threshold: float = ANSWER_SCORE,
        sure: bool = False,
        context: Context | None = None,
    ) -> Decision:
        """The best fact, or two that belong together, when it is clearly the best.

        The lead it needs is smaller when the intent, read independently of the facts, is
        sure of the same kind of question.

        Otherwise the two or three best facts are offered as a choice.
        """
        best = ranked[0]
        facts = [best.candidate]
        plural = _PLURAL.match(text) is not None
        for other in ranked[1 : PLURAL_FACTS if plural else 2]:
            same_section = other.candidate.section == best.candidate.section
            pair_margin = PLURAL_PAIR_MARGIN if plural and same_section else PAIR_MARGIN
            if (
                other.candidate.service_id == service_id
                and (other.candidate.topic == best.candidate.topic or same_section)
                and other.score >= max(best.score - pair_margin, threshold)
            ):
                facts.append(other.candidate)
        # Other facts of the same kind and service are parts of the same answer ("hvordan
        # klager jeg?" fits where, when and how long); the rival is another kind of fact.
        rival = next(
            (
                s.score
                for s in ranked
                if s.candidate not in facts
                and (s.candidate.topic, s.candidate.service_id)
                != (best.candidate.topic, best.candidate.service_id)
            ),
            0.0,
        )
        # A fact that shares none of the message's own words matched only its frame.
        frame_only = best.coverage == 0.0
        confidence = (
            context.intent_confidence
            if context is not None and self._intent_topic(context) == best.candidate.topic
            else 0.0
        )
        agreed = confidence >= AGREED_CONFIDENCE
        if frame_only and confidence >= FRAME_AGREED_CONFIDENCE:
            frame_only = best.score - rival < FRAME_AGREED_MARGIN
        margin = AGREED_MARGIN if agreed else ANSWER_MARGIN
        unsure = best.score < threshold or best.score - rival < margin or frame_only
        if unsure and not sure:
            offers = tuple(s.candidate for s in ranked if s.candidate.service_id)[:MAX_CHOICES]
            return Decision(CHOOSE_FACT, offers, service=service_id, question=text)
        return Decision(
            ANSWER,
            tuple(facts),
            services=(service_id,),
            assumed=assumed,
            service=service_id,
            question=text,
            scores=tuple(s.score for s in ranked[: len(facts)]),
        )

    def _open(
        self,
        text: str,
        named: list[str],
        current: str | None,
        context: Context,
        offered: Sequence[str] = (),
        only_hinted: bool = False,
    ) -> Decision:
        """Answers when no single service is named.

        The conversation's service weighs in, or a situation points to one service, or
        the citizen chooses between the few that fit. After a choice of services the
        citizen did not make, only those services are answered about or offered again.
        ``only_hinted``: ``current`` comes from a place the message names, not from the
        conversation.
        """
        if not named and not current and not self._content(text):
            frame_only = self._frame_only(text, context, offered)
            if frame_only is not None:
                return frame_only
        ranked, fit = self._scored(text, context)
        allowed = set(named)
        if allowed:
            ranked = [s for s in ranked if s.candidate.service_id in allowed | {None}]
        elif offered:
            # A gap still wins ("hvornår har I åbent?"), but only over every service's facts,
            # not just the weaker facts of the services offered.
            best_fact = max((s.score for s in ranked if s.candidate.service_id), default=0.0)
            ranked = [
                s
                for s in ranked
                if s.candidate.service_id in offered
                or (s.candidate.service_id is None and s.score > best_fact)
            ]
        ranked.sort(key=lambda s: -s.score)
        if only_hinted and ranked and ranked[0].candidate.service_id not in (current, None):
            # A place only hints at its service: "Fronten" is where the § 82 offers are, and
            # also where anyone turns for help. "Kan jeg kontakte Fronten på vegne af min
            # nabo?" is answered by § 99's fact when it leads by the assuming margin. On the
            # dev sets +1 right and 2 fewer wrong of 1,632; no change in 607 turns.
            own = max((s.score for s in ranked if s.candidate.service_id == current), default=0.0)
            if ranked[0].score - own >= ASSUME_MARGIN:
                current = None
        if current and not allowed:
            follow_up = self._follow_up(ranked, current, text, context)
            if follow_up is not None:
                return follow_up
        if not ranked or ranked[0].score < OFFER_SCORE:
            return Decision(NOT_IN_STANDARDS, service=current, question=text)
        best = ranked[0]
        if best.candidate.service_id is None:
            return _beyond_facts(best.candidate, current, text)
        per_service: dict[str, float] = {}
        for s in ranked:
            if s.candidate.service_id and s.candidate.service_id not in per_service:
                per_service[s.candidate.service_id] = s.score
        services = list(per_service)
        lead = best.score - (per_service[services[1]] if len(services) > 1 else 0.0)
        service_id = best.candidate.service_id
        # A service is assumed only when the message's own words point to it, not only
        # its kind of question ("hvordan klager jeg?" fits every service that has a route).
        runner_up = services[1] if len(services) > 1 else None
        fit_lead = fit[service_id] - (fit[runner_up] if runner_up else 0.0)
        # Or when no other service has a fact that covers the message's own words nearly as
        # well: "post", "betale", "husleje" are all in one fact, while every service's
        # cost fact covers "hvad koster det?".
        best_cover = best.coverage or 0.0
        rivals = {
            s.candidate.service_id
            for s in ranked
            if s.candidate.service_id not in (service_id, None)
            and (s.coverage or 0.0) >= best_cover - COVERAGE_TIE
        }
        alone = best.coverage is not None and not rivals
        points_to_one = (
            lead >= ASSUME_MARGIN
            and best.score >= ASSUME_SCORE
            and (fit_lead >= ASSUME_FIT_MARGIN or alone)
        )
        if best.score >= ANSWER_SCORE and (service_id == current or points_to_one):
            if self._lacks_asked_topic(service_id, context) and not (
                service_id != current and _tells_first(text)
            ):
                # "hvordan søger jeg?" where the standards have no way of applying, or not
                # for the service the words point to: never another kind of fact. A
                # situation told first is not that: "min søn er hjemløs og drikker meget …
                # kan I gøre noget?" was read as "what is not included" at 0.99.
                return Decision(NOT_IN_STANDARDS, service=current, question=text)
            in_service = [s for s in ranked if s.candidate.service_id == service_id]
            decision = self._answer(
                in_service, service_id, text, assumed=service_id != current, context=context
            )
            if decision.kind == CHOOSE_FACT and service_id != current and _states(text):
                # "Min søn går rundt i beskidt tøj …" asks no one thing: the service it points
                # to is the answer, said to be assumed, not a choice of its facts.
                overview = self._overview(service_id, text)
                return Decision(**{**overview.__dict__, "assumed": True, "question": text})
            return decision
        close = [s for s in services if per_service[s] >= best.score - CHOICE_MARGIN]
        if best.coverage is not None and rivals:
            # The services whose facts cover the message's words alike are the choice.
            close = [s for s in services if s == service_id or s in rivals]
        if len(close) > MAX_CHOICES:
            # Many fit the kind of question; offer the few the message's own words fit
            # best, unless they fit all alike ("hvad koster det?": then every service).
            by_fit = sorted(close, key=lambda s: -fit[s])
            if len(self._content(text)) >= SITUATION_WORDS:
                # A described situation ("jeg glemmer at spise og at gå til lægen") gets the
                # few services whose facts fit it best, never the list of them all. Not by
                # the fit to a service as a whole: bostøtte's hundreds of questions dilute
                # it. On the dev sets +3 right of 764, and +8 right, +1 wrong of 370 turns.
                close = sorted(close, key=lambda s: -per_service[s])[:MAX_CHOICES]
            elif fit[by_fit[MAX_CHOICES - 1]] - fit[by_fit[MAX_CHOICES]] >= CHOICE_FIT_MARGIN:
                close = by_fit[:MAX_CHOICES]
        if best.score >= ANSWER_SCORE and 2 <= len(close) <= MAX_CHOICES:
            return Decision(CHOOSE_SERVICE, services=tuple(close), service=current, question=text)
        if best.score >= ANSWER_SCORE and len(close) > 1:
            return Decision(CHOOSE_SERVICE, services=(), service=current, question=text)
        offers = []
        for s in ranked:
            if s.candidate.service_id and s.candidate not in offers:
                offers.append(s.candidate)
            if len(offers) == MAX_CHOICES:
                break
        offered_services = tuple(dict.fromkeys(c.service_id for c in offers if c.service_id))
        if not current and len(offered_services) > 1:
            # Facts of different services: the citizen described a situation, and which
            # service it is about is the question to ask first.
            return Decision(CHOOSE_SERVICE, services=offered_services, question=text)
        return Decision(CHOOSE_FACT, tuple(offers), service=current, question=text)

    def _frame_only(
        self, text: str, context: Context, offered: Sequence[str] = ()
    ) -> Decision | None:
        """A bare question frame with no service ("hvad koster det?", "hvem kan få det?").

        The services whose standards answer that kind of question fit: one is answered, and
        said to be assumed; two or three are offered; more means asking among them all.
        """
        topic = self._frame_topic(text, context)
        if not topic:
            return None
        fitting = list(
            dict.fromkeys(
                c.service_id
                for c in self.ranker.candidates
                if c.service_id and c.topic == topic and (not offered or c.service_id in offered)
            )
        )
        if len(fitting) == 1:
            decision = self._on_topic(text, fitting[0], topic, context)
            return Decision(**{**decision.__dict__, "assumed": decision.kind == ANSWER})
        if offered and not fitting:
            # None of the services offered has that kind of fact: which one is meant is
            # still the question.
            fitting = list(offered)
        services = tuple(fitting) if 2 <= len(fitting) <= MAX_CHOICES else ()
        return Decision(CHOOSE_SERVICE, services=services, question=text)

    def _follow_up(
        self,
        ranked: list[Scored],
        current: str,
        text: str,
        context: Context,
    ) -> Decision | None:
        """Answers about the service under discussion, unless a known gap fits better.

        "og hvad koster det?" after a question about BPA is about BPA, even when bostøtte's
        many cost questions match the words better, and "hvor mange timer kan han få?"
        about bostøtte is not ledsagerordning's 15 hours. Another service takes over only
        when the citizen names it or changes the subject ("noget helt andet: …"). Letting
        a clearly better-fitting service take over (by a lead of 0.1, 0.2 or 0.3) gave 6, 4
        and 3 fewer right answers and 2, 2 and 1 more wrong ones of 370 dev turns.
        """
        in_current = [s for s in ranked if s.candidate.service_id == current]
        if not in_current:
            return None
        if self._asks_complaint_time(text, current, context):
            # "hvor længe går der, før jeg hører noget?" after the complaint's answer asks
            # when the complaint is answered, not how long an application takes, which
            # fits its words by 0.38 more.
            return self._on_topic(text, current, COMPLAINT, context)
        if self._lacks_asked_topic(current, context):
            return Decision(NO_FACT, services=(current,), service=current, question=text)
        topic = self._frame_topic(text, context)
        if topic:
            # "og hvem kan få det?": only the frame, so the intent says which kind of fact.
            return self._on_topic(text, current, topic, context)
        best, own = ranked[0], in_current[0]
        if best.candidate.service_id is None and best.score > own.score:
            return None
        if own.score < OFFER_SCORE:
            # Nothing about it in this service's standard: say so, never another service's.
            return Decision(NO_FACT, services=(current,), service=current, question=text)
        return self._answer(in_current, current, text, assumed=False, context=context)

    def search(self, text: str, limit: int = 5) -> list[Scored]:
        """The facts that best match a whole question, best first, as staff search them.

        The same scores as the citizen's answer. A named service gates, and then lists its
        facts best first ("bostøtte ansøgning"); without one, facts that match too weakly
        to be offered to a citizen are left out.
        """
        named = self._services.recognise(text).service_ids
        ranked = [
            s
            for s in self._scored(text, Context())[0]
            if s.candidate.service_id and (not named or s.candidate.service_id in named)
        ]
        ranked.sort(key=lambda s: -s.score)
        floor = 0.0 if named else OFFER_SCORE
        return [s for s in ranked[:limit] if s.score > floor]

    def named_services(self, text: str) -> list[str]:
        """The services a message names, in the order they were named."""
        return self._services.recognise(text).service_ids

    def candidate(self, uid: str) -> Candidate | None:
        """A fact or gap by its uid."""
        return self._by_uid.get(uid)


def _states_an_age(found: list[str]) -> bool:
    """Whether the words hold an age: "17 år", "er 17", "min søn på 20 har …".

    Words that name a service are passed as "" ("er 85 gratis?" names § 85).
    """
    for i, word in enumerate(found):
        if not word.isdigit() or not MIN_AGE <= int(word) <= MAX_AGE:
            continue
        after = key(found[i + 1]) if i + 1 < len(found) else ""
        before = key(found[i - 1]) if i else ""
        if after in _YEARS or (before in _AGE_VERBS and after not in _UNITS):
            return True
    return False


def _tells_first(text: str) -> bool:
    """Whether a message starts by telling a situation: "min søn er hjemløs …"."""
    found = words(text)
    return bool(found) and key(found[0]) in _TELLERS


def _states(text: str) -> bool:
    """Whether a message only tells a situation: "Min søn går rundt i beskidt tøj."."""
    return "?" not in text and _tells_first(text)


def _beyond_facts(candidate: Candidate, service: str | None, text: str) -> Decision:
    """A message matched to no fact: a contact point asked for, or a known gap."""
    kind = CONTACT if candidate.uid.startswith(CONTACT_PREFIX) else NOT_IN_STANDARDS
    return Decision(kind, (candidate,), service=service, question=text)


def _stem(word_key: str) -> str:
    return word_key[:STEM_LENGTH]
