"""From a message to a decision: words, service names, the ranker and the answerer."""

from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeRepository, answering, ranker
from bot.knowledge.answering import (
    ANSWER,
    CHOOSE_FACT,
    CHOOSE_SERVICE,
    NO_FACT,
    NOT_IN_STANDARDS,
    Answerer,
    Context,
)
from bot.knowledge.ranker import Candidate
from bot.knowledge.service_names import NamedService, ServiceNames
from bot.knowledge.words import Lemmatiser, key, lemma_forms, words


@pytest.mark.parametrize("spelling", ["bostøtte", "bostoette", "bostotte", "BOSTØTTE"])
def test_one_key_for_every_spelling_of_æøå(spelling) -> None:
    assert key(spelling.lower()) == key("bostøtte")


def test_words_keep_hyphenated_words_whole() -> None:
    assert words("Aktivitets- og samværstilbud, 85'eren!") == [
        "aktivitets",
        "og",
        "samværstilbud",
        "85'eren",
    ]


def test_lemma_forms_keep_only_the_vocabularys_lemmas() -> None:
    table = [("klagen", "klage"), ("klager", "klage"), ("hunden", "hund"), ("søger", "søge")]
    forms = lemma_forms({"klage", "søge"}, table)
    assert forms["klagen"] == "klage" and forms["soeger"] == "søge" and forms["soger"] == "søge"
    assert "hunden" not in forms


@pytest.mark.parametrize(
    ("word", "lemma"),
    [("klagen", "klage"), ("bostøtten", "bostøtte"), ("ledsagerordningen", "ledsagerordning")],
)
def test_unknown_inflections_of_known_words_get_their_lemma(word, lemma) -> None:
    lemmatiser = Lemmatiser(
        {"klagen": "klage", "bostøtte": "bostøtte", "ledsagerordning": "ledsagerordning"}
    )
    assert lemmatiser.lemma(word) == lemma


BALLERUP = [
    NamedService("samvaer", ("Aktivitets- og samværstilbud",), ("104",)),
    NamedService("bostoette", ("Socialpædagogisk støtte", "bostøtte"), ("85",)),
    NamedService("ledsagerordning", ("Ledsagerordning", "ledsageordning"), ("97",)),
    NamedService("forebyggende", ("Forebyggende tilbud",), ("82a", "82b"), hints=("Fronten",)),
    NamedService("laengerevarende_botilbud", ("Længerevarende botilbud", "botilbud"), ("108",)),
    NamedService("midlertidigt_botilbud", ("Midlertidigt botilbud",), ("107",)),
    NamedService("beskaeftigelse", ("Beskyttet beskæftigelse",), ("103",)),
    NamedService("bpa", ("BPA",), ("96",)),
    NamedService("indkoeb", ("indkøbstræning",), ()),
    NamedService("kontakt", ("støttekontaktperson",), ("99",)),
]


def test_a_misspelt_inflected_name_is_compared_as_written() -> None:
    # "forebyggende" has the lemma "forebygge"; the typo "forebyggnede" has no lemma.
    names = ServiceNames(
        [NamedService("forebyggende", ("forebyggende tilbud",), ("82a",))],
        Lemmatiser({"forebyggende": "forebygge"}),
    )
    assert names.recognise("hvilen lov står de forebyggnede tilbud i").service_ids == [
        "forebyggende"
    ]
    (mention,) = names.recognise("hvad er forebyggende tilbud?").mentions
    assert mention.exact


def test_a_name_under_a_paragraph_the_municipality_lacks_is_not_its_own_service() -> None:
    names = ServiceNames(
        [
            NamedService("ledsagelse", ("socialpædagogisk ledsagelse", "ledsagelse"), ("85",)),
            NamedService("netvaerk", ("aktiviteter og netværk",), ("85",)),
        ],
        Lemmatiser({}),
    )
    both = names.recognise("Indgår ledsagelse efter servicelovens § 97 i aktiviteter og netværk?")
    assert (both.service_ids, both.unknown_paragraphs) == (["netvaerk"], ("§ 97",))
    # Named alone, the citizen's own name for it still counts.
    alone = names.recognise("kan jeg få socialpædagogisk ledsagelse efter § 97?")
    assert alone.service_ids == ["ledsagelse"]


@pytest.fixture(scope="module")
def names() -> ServiceNames:
    return ServiceNames(BALLERUP, Lemmatiser({"botilbuddet": "botilbud"}))


@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("hvad koster bostøtten", "bostoette"),
        ("bostotte pris", "bostoette"),
        ("hvordan søger man bostøtteansøgning", "bostoette"),
        ("hvad er botilbuddet", "laengerevarende_botilbud"),
        ("ledsagerordningen", "ledsagerordning"),
        ("ledsagerordnig", "ledsagerordning"),
        ("socialpedagogisk støtte", "bostoette"),
        ("hvad med bpa", "bpa"),
        ("§ 85", "bostoette"),
        ("§85", "bostoette"),
        ("paragraf 85", "bostoette"),
        ("par. 97", "ledsagerordning"),
        ("85'eren", "bostoette"),
        ("82b", "forebyggende"),
        ("§ 82 a", "forebyggende"),
        ("§ 82", "forebyggende"),
        ("og 108?", "laengerevarende_botilbud"),
        ("hvor mange dage i aktivitets og samværs tilbudet", "samvaer"),
        ("hvad skal man opfylde for at få 108?", "laengerevarende_botilbud"),
        ("hvor lang tid varer 108 for de fleste?", "laengerevarende_botilbud"),
        ("hvad er visitationskriterierne for 85?", "bostoette"),
        ("hvilken lov bygger 82ab på", "forebyggende"),
        ("108 – skal alle andre muligheder være prøvet først?", "laengerevarende_botilbud"),
        ("og 108, hvad er det for noget?", "laengerevarende_botilbud"),
        ("hvad med 97 – hvem kan få den?", "ledsagerordning"),
        ("hvor forgår indkøps træningen henne?", "indkoeb"),
        ("indkøbs træning", "indkoeb"),
        ("midl botilbud hvad er maalet", "midlertidigt_botilbud"),
        ("beskyttet besk hvor mange dage", "beskaeftigelse"),
    ],
)
def test_services_named_as_citizens_write_them(names, text, service) -> None:
    assert names.recognise(text).service_ids == [service]


@pytest.mark.parametrize(
    "text",
    [
        "der går op til 30 hverdage i sagen, og jeg har ventet i 85 dage nu",
        "min mor er 97 og bor alene, hvad kan hun få",
        "det koster 108 om måneden for mig og min familie, er det rigtigt?",
        "og 97 år gammel, kan man stadig få hjælp?",
        "85 år og bor alene, kan jeg få hjælp til rengøring",
        "jeg har ventet på svar for 85 dage siden",
        "jeg har en ledsager",
        "støtte",
        "bp",
        "er den beskyttet?",
    ],
)
def test_no_service_is_read_into_other_words(names, text) -> None:
    assert names.recognise(text).service_ids == []


def test_a_name_found_in_one_word_does_not_take_the_next(names) -> None:
    recognised = names.recognise("kommer støttekontaktpersonerne selv ud?")
    assert [(m.start, m.end) for m in recognised.mentions] == [(1, 2)]


GLADSAXE = [
    NamedService(
        "egenomsorg",
        ("Træning i egenomsorg", "egenomsorg", "hjælp til at passe på mig selv"),
        ("85",),
    ),
    NamedService("ledsagelse", ("Socialpædagogisk ledsagelse", "ledsagelse"), ("85",)),
    NamedService(
        "netvaerk",
        ("Aktiviteter og netværk", "træning i at deltage i aktiviteter"),
        ("85",),
    ),
    NamedService("forebyggende", ("forløb i Fronten", "social færdighedstræning"), ("82",)),
]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # The rest of a name, in another order or cut short, is part of the name: left as
        # a word of the question, "traening" matched every fact that says "træning".
        ("egenomsorg traening pris", ["egenomsorg", "traening"]),
        ("socialpaed ledsagelse pris", ["socialpaed", "ledsagelse"]),
        (
            "hvad er formålet med støtte og træning i at deltage i aktiviteter?",
            ["træning", "i", "at", "deltage", "i", "aktiviteter"],
        ),
        # Only words of their own: "passe på mig selv" does not take "selv".
        ("kan jeg få egenomsorg selv?", ["egenomsorg"]),
        ("egenomsorg og ledsagelse", ["egenomsorg", "ledsagelse"]),
        # Only the words of the names that hold the word matched: "forløb" is of another.
        (
            "hvor længe varer et forløb i social færdighedstræning?",
            ["social", "færdighedstræning"],
        ),
    ],
)
def test_the_words_beside_a_name_that_belong_to_it_are_the_name(text, name) -> None:
    recognised = ServiceNames(GLADSAXE, Lemmatiser({})).recognise(text)
    found = words(text)
    assert [found[i] for i in sorted(recognised.named_words())] == name


def test_a_word_that_starts_a_names_word_is_no_abbreviation(names) -> None:
    # "besk" is "beskæftigelse" cut short; "beskyttede" is a word of its own.
    assert names.recognise("beskyttet besk").service_ids == ["beskaeftigelse"]
    assert names.recognise("er det beskyttet beskyttede").service_ids == []


def test_a_hint_points_to_a_service_without_naming_it(names) -> None:
    recognised = names.recognise("hvor længe varer et forløb hos Fronten?")
    assert recognised.service_ids == [] and recognised.hinted == ("forebyggende",)
    assert names.recognise("bostøtte i Fronten").service_ids == ["bostoette"]


def test_an_unknown_paragraph_is_reported(names) -> None:
    recognised = names.recognise("hvad siger § 999 om det")
    assert recognised.service_ids == [] and recognised.unknown_paragraphs == ("§ 999",)


def test_a_paragraph_that_several_services_share_names_none_of_them() -> None:
    gladsaxe = ServiceNames(
        [NamedService("a", ("Indkøb",), ("85",)), NamedService("b", ("Tøjvask",), ("85",))],
        Lemmatiser({}),
    )
    recognised = gladsaxe.recognise("hvem kan få tøjvask efter § 85?")
    assert recognised.service_ids == ["b"] and recognised.unknown_paragraphs == ()


@pytest.fixture
def answerer(repository: KnowledgeRepository):
    return repository.answerer()


def test_the_named_service_gates_the_facts(answerer) -> None:
    decision = answerer.decide("hvad koster et forebyggende tilbud?")
    assert decision.kind == NO_FACT and decision.services == ("forebyggende",)


def test_a_follow_up_keeps_the_service_under_discussion(answerer) -> None:
    decision = answerer.decide("hvordan klager jeg?", Context(service="forebyggende"))
    assert decision.kind == ANSWER and decision.facts[0].uid == "forebyggende.complaint"


def test_a_topic_switch_drops_the_service_under_discussion(answerer) -> None:
    decision = answerer.decide(
        "noget helt andet: hvordan klager jeg?", Context(service="forebyggende")
    )
    assert decision.kind == CHOOSE_SERVICE
    assert sorted(decision.services) == ["bostoette", "forebyggende"]


def test_naming_only_a_service_repeats_the_last_question(answerer) -> None:
    decision = answerer.decide(
        "og bostøtte?", Context(service="forebyggende", last_question="hvordan klager jeg?")
    )
    assert decision.kind == ANSWER and decision.facts[0].uid == "bostoette.complaint"
    assert decision.question == "hvordan klager jeg?"


def test_a_situation_without_a_name_assumes_the_service_that_fits(answerer) -> None:
    decision = answerer.decide("jeg har svært ved at klare hverdagen derhjemme")
    assert decision.kind == ANSWER and decision.assumed
    assert decision.facts[0].uid == "bostoette.overview"


def test_a_known_gap_is_not_answered_with_a_fact(answerer) -> None:
    assert answerer.decide("hvornår har I åbent?").kind == NOT_IN_STANDARDS


def test_the_intent_is_evidence_not_a_gate(answerer) -> None:
    # The classifier's wrong guess (cost) does not outweigh what the message asks.
    decision = answerer.decide(
        "hvor tit følger I op på min bostøtte?", Context(intent="ask_cost", intent_confidence=1.0)
    )
    assert decision.kind == ANSWER and decision.facts[0].uid == "bostoette.follow_up"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("hvem kan få paragraf 85?", {3, 4}),
        ("hvem kan få forebyggende tilbud efter § 82 a og b?", {3, 4, 6, 7, 8, 9}),
    ],
)
def test_every_word_of_a_paragraph_reference_names_the_service(names, text, named) -> None:
    # "paragraf" left in the question matched the facts that quote the law, not "hvem kan få".
    assert names.recognise(text).named_words() == named


def _answerer_of(*candidates: Candidate) -> Answerer:
    services = ServiceNames(
        [NamedService("forebyggende", ("Forebyggende tilbud",), ())], Lemmatiser({})
    )
    return Answerer(candidates, services, Lemmatiser({}), municipality="Ballerup Kommune")


FREE_OF_CHARGE = Candidate(
    "forebyggende.cost", "forebyggende", "cost", ("hvad koster det?",), "Det er gratis.", "Pris"
)


def test_the_municipalitys_name_tells_no_fact_from_another() -> None:
    answerer = _answerer_of(
        FREE_OF_CHARGE,
        Candidate(
            "forebyggende.where",
            "forebyggende",
            "overview",
            ("hvor i Ballerup Kommune ligger det?",),
            "Det ligger i Ballerup.",
            "Sted",
        ),
    )
    plain = answerer.decide("hvad koster forebyggende tilbud?")
    placed = answerer.decide("hvad koster forebyggende tilbud i Ballerup Kommune?")
    assert [f.uid for f in placed.facts] == [f.uid for f in plain.facts] == ["forebyggende.cost"]


def test_two_close_facts_of_one_section_are_answered_together() -> None:
    # One section of the standard split in two facts: both parts of its answer are shown.
    section = "Hvad kræver det at deltage"
    answerer = _answerer_of(
        Candidate(
            "forebyggende.motivation",
            "forebyggende",
            "eligibility",
            ("hvad kræver det at deltage i et forløb?",),
            "Du skal være motiveret for at deltage.",
            section,
        ),
        Candidate(
            "forebyggende.transport",
            "forebyggende",
            "cost",
            # Both parts answer the section's own question.
            ("hvad kræver det at deltage i et forløb?", "skal jeg selv betale transporten?"),
            "Du skal selv sørge for at deltage og betale transporten.",
            section,
        ),
        Candidate(
            "forebyggende.complaint",
            "forebyggende",
            "complaint",
            ("kan jeg klage?",),
            "Du kan ikke klage.",
            "Klage",
        ),
    )
    decision = answerer.decide("hvad kræver det at deltage i forebyggende tilbud?")
    assert decision.kind == ANSWER
    assert {f.uid for f in decision.facts} == {"forebyggende.motivation", "forebyggende.transport"}


def test_the_frames_own_words_overrule_a_wrong_intent() -> None:
    # The classifier read "formålet" as "what is not included"; the facts' questions disagree.
    answerer = _answerer_of(
        Candidate(
            "forebyggende.purpose",
            "forebyggende",
            "overview",
            ("hvad er formålet med det?", "hvad er meningen med det?"),
            "Formålet er, at du kan klare dig selv.",
            "Formål",
        ),
        Candidate(
            "forebyggende.not_included",
            "forebyggende",
            "not_included",
            ("hvad indgår ikke?", "hvad kan jeg ikke få hjælp til?"),
            "Rengøring indgår ikke.",
            "Hvad indgår ikke",
        ),
    )
    decision = answerer.decide(
        "hvad er formålet med forebyggende tilbud?",
        Context(intent="ask_not_included", intent_confidence=0.97),
    )
    assert decision.kind == ANSWER and [f.uid for f in decision.facts] == ["forebyggende.purpose"]


def test_unsure_between_services_asks_which_service(monkeypatch) -> None:
    # No fact is clearly right, and the close ones belong to different services: the
    # citizen described a situation, so which service is the first question.
    monkeypatch.setattr(answering, "ANSWER_SCORE", 0.9)
    services = ServiceNames(
        [
            NamedService("forebyggende", ("Forebyggende tilbud",), ()),
            NamedService("kontakt", ("Støttekontaktperson",), ()),
        ],
        Lemmatiser({}),
    )
    answerer = Answerer(
        [
            Candidate(
                "forebyggende.lonely",
                "forebyggende",
                "content",
                ("kan I hjælpe mig, når jeg er ensom?",),
                "Du kan komme i en gruppe med andre.",
                "Indhold",
            ),
            Candidate(
                "kontakt.lonely",
                "kontakt",
                "eligibility",
                ("hvem kan få hjælp, når de er isoleret og ensomme?",),
                "Du kan få en kontaktperson, hvis du er isoleret.",
                "Målgruppe",
            ),
        ],
        services,
        Lemmatiser({}),
    )
    decision = answerer.decide("ensomhed")
    assert decision.kind == CHOOSE_SERVICE
    assert set(decision.services) == {"forebyggende", "kontakt"}


def _fact(uid: str, topic: str, questions: tuple[str, ...], section: str) -> Candidate:
    service, _, _ = uid.partition(".")
    return Candidate(uid, service, topic, questions, f"Svar fra {uid}.", section)


def _two_services(*candidates: Candidate, cues: dict | None = None) -> Answerer:
    services = ServiceNames(
        [NamedService("toejvask", ("tøjvask",), ()), NamedService("indkoeb", ("indkøb",), ())],
        Lemmatiser({}),
    )
    return Answerer(candidates, services, Lemmatiser({}), topic_cues=cues)


def test_a_frame_is_learnt_from_every_service_with_the_same_sections(monkeypatch) -> None:
    # tøjvask's 'where' fact has one odd question; indkøb's 'where' questions are many and
    # teach that "hvor foregår …?" asks where, not how often.
    where, often = "Hvor leveres indsatsen?", "Indsatsens omfang?"
    answerer = _two_services(
        _fact("toejvask.where", "amount", ("i hvilket lokale er det?",), f"Tøjvask – {where}"),
        _fact(
            "toejvask.often",
            "amount",
            ("hvor mange gange om ugen kommer I?",),
            f"Tøjvask – {often}",
        ),
        _fact(
            "indkoeb.where",
            "amount",
            ("hvor foregår det?", "hvor foregår træningen?", "hvor foregår støtten?"),
            f"Indkøb – {where}",
        ),
        _fact("indkoeb.often", "amount", ("hvor ofte kommer I?",), f"Indkøb – {often}"),
    )

    def best() -> str:
        return answerer.search("hvor foregår tøjvask?")[0].candidate.uid

    assert best() == "toejvask.where"
    monkeypatch.setattr(ranker, "KIND_WEIGHT", 0.0)
    assert best() == "toejvask.often"


LAW_CUES = {"legal_basis": ("lov", "servicelov")}


def _law_and_eligibility() -> Answerer:
    return _two_services(
        Candidate(
            "toejvask.law",
            "toejvask",
            "legal_basis",
            ("hvilken lov bygger tøjvask på?",),
            "Kommunen skal give hjælp til dem, der har en betydeligt nedsat funktionsevne.",
            "Lovgrundlag",
        ),
        Candidate(
            "toejvask.who",
            "toejvask",
            "eligibility",
            ("hvilke kriterier gælder?",),
            "Du skal have svært ved at vaske dit tøj selv.",
            "Kriterier",
        ),
        cues=LAW_CUES,
    )


def test_the_law_is_answered_only_when_asked_in_words_of_the_law() -> None:
    answerer = _law_and_eligibility()

    def best(text: str) -> str:
        return answerer.search(text)[0].candidate.uid

    # The law's text shares "nedsat funktionsevne" with the question, but not its kind.
    assert best("hvem kan få tøjvask, når funktionsevnen er nedsat?") == "toejvask.who"
    assert best("hvad siger loven om tøjvask?") == "toejvask.law"
    assert best("hvad siger serviceloven om tøjvask?") == "toejvask.law"


def test_a_sure_intent_of_a_kind_the_service_lacks_gets_nothing_on_it() -> None:
    answerer = _law_and_eligibility()
    sure = Context(intent="ask_follow_up", intent_confidence=0.99)
    decision = answerer.decide("hvor tit bliver der fulgt op på min tøjvask?", sure)
    assert decision.kind == NO_FACT and decision.services == ("toejvask",)
    # A kind the service has is answered as before.
    sure_of_criteria = Context(intent="ask_eligibility", intent_confidence=0.99)
    decision = answerer.decide("hvilke kriterier gælder for tøjvask?", sure_of_criteria)
    assert decision.kind == ANSWER and [f.uid for f in decision.facts] == ["toejvask.who"]


def test_a_bare_question_of_one_kind_gets_all_its_facts() -> None:
    # "Hvem kan få …?" is answered with the age limit and the need together.
    answerer = _two_services(
        _fact("toejvask.age", "eligibility", ("hvor gammel skal man være?",), "Målgruppe"),
        _fact("toejvask.need", "eligibility", ("hvilket behov skal man have?",), "Målgruppe"),
        _fact("toejvask.cost", "cost", ("hvad koster det?",), "Pris"),
    )
    sure = Context(intent="ask_eligibility", intent_confidence=0.9)
    decision = answerer.decide("hvem kan få tøjvask?", sure)
    assert decision.kind == ANSWER
    assert {f.uid for f in decision.facts} == {"toejvask.age", "toejvask.need"}


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("min søn er 17 og har ADHD", True),
        ("du skal være mellem 18 og 67 år", True),
        ("min søn på 20 har autisme", True),
        ("jeg fylder 68 i næste måned", True),
        ("op til 15 timer om måneden", False),
        ("jeg har ventet i 85 dage", False),
        ("på 15 timer", False),
    ],
)
def test_an_age_is_told_from_other_numbers(text, age) -> None:
    assert answering._states_an_age(words(text)) is age


def test_a_smaller_lead_is_enough_when_the_intent_asks_the_same_kind(monkeypatch) -> None:
    monkeypatch.setattr(answering, "ANSWER_MARGIN", 1.0)  # never clear enough on its own
    monkeypatch.setattr(answering, "AGREED_MARGIN", 0.0)
    answerer = _two_services(
        _fact("toejvask.cost", "cost", ("hvad koster det?",), "Pris"),
        _fact("toejvask.who", "eligibility", ("hvem kan få det?",), "Målgruppe"),
    )
    text = "hvad koster tøjvask om ugen?"
    assert answerer.decide(text).kind == CHOOSE_FACT
    agreed = answerer.decide(text, Context(intent="ask_cost", intent_confidence=0.9))
    assert agreed.kind == ANSWER and [f.uid for f in agreed.facts] == ["toejvask.cost"]
    other = answerer.decide(text, Context(intent="ask_eligibility", intent_confidence=0.9))
    assert other.kind == CHOOSE_FACT


def test_a_word_of_a_facts_section_heading_counts_as_its_own() -> None:
    # "modtage" is only in the heading ("Hvem kan modtage indsatsen"): the question still
    # shares that word with the fact, not only its frame.
    answerer = _answerer_of(
        Candidate(
            "forebyggende.who",
            "forebyggende",
            "eligibility",
            ("hvem kan få et forløb?",),
            "Alle borgere kan.",
            "Hvem kan modtage indsatsen",
        ),
        FREE_OF_CHARGE,
    )
    [who] = [
        s
        for s in answerer.search("hvem kan modtage forebyggende tilbud?")
        if s.candidate.uid == "forebyggende.who"
    ]
    assert who.coverage == 1.0


def test_a_named_part_of_a_service_is_answered_with_what_that_part_is() -> None:
    services = [
        NamedService(
            "forebyggende",
            ("Forebyggende tilbud", "social færdighedstræning"),
            ("82a", "82b"),
            parts=(
                ("social færdighedstræning", "forebyggende.parts"),
                ("82b", "forebyggende.parts"),
            ),
        )
    ]
    answerer = Answerer(
        [
            Candidate(
                "forebyggende.purpose",
                "forebyggende",
                "overview",
                ("hvad er forebyggende tilbud?", "hvad går det ud på?"),
                "Tilbuddene skal forebygge.",
                "Formål",
            ),
            Candidate(
                "forebyggende.parts",
                "forebyggende",
                "content",
                ("hvad indeholder tilbuddene?",),
                "Samtaler, Social Færdighedstræning i 9 måneder og individuelle forløb.",
                "Aktiviteter",
            ),
        ],
        ServiceNames(services, Lemmatiser({})),
        Lemmatiser({}),
    )
    for text in ("hvad er social færdighedstræning?", "Hvad går § 82 b ud på?"):
        assert [f.uid for f in answerer.decide(text).facts] == ["forebyggende.parts"], text
    # The whole, named as the whole, is still answered with its purpose.
    assert [f.uid for f in answerer.decide("hvad er forebyggende tilbud?").facts] == [
        "forebyggende.purpose"
    ]
    # "hvad er …?" asks what it is, also after another question; "og …?" repeats that.
    after = Context(last_question="hvad indeholder det?", last_topic="overview")
    decision = answerer.decide("hvad er social færdighedstræning?", after)
    assert [f.uid for f in decision.facts] == ["forebyggende.parts"]
    after = Context(last_question="hvad går det ud på?", last_topic="content")
    decision = answerer.decide("og social færdighedstræning?", after)
    assert [f.uid for f in decision.facts] == ["forebyggende.parts"]
