"""Queries behind the actions, on the tiny fixture database."""

from __future__ import annotations

import pytest

from bot.knowledge import KnowledgeRepository


def test_answers_carry_text_and_source(repository: KnowledgeRepository) -> None:
    [answer] = repository.answers("bostoette", "cost")
    assert answer.text == "Bostøtte er gratis."
    assert answer.document == "new.txt"
    assert answer.document_title == "Ny kvalitetsstandard"
    assert answer.section == "Hvad koster indsatsen?"
    assert answer.topic_label == "Hvad koster det?"


def test_note_records_a_disagreement(repository: KnowledgeRepository) -> None:
    [answer] = repository.answers("bostoette", "follow_up")
    assert "12. måned" in answer.note


def test_no_answer_for_an_unknown_topic(repository: KnowledgeRepository) -> None:
    assert repository.answers("bostoette", "relative") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("§ 85", "bostoette"),
        ("§85", "bostoette"),
        ("paragraf 85", "bostoette"),
        ("§ 82 a", "forebyggende"),
        ("§82b", "forebyggende"),
        ("§ 82", "forebyggende"),
        ("§ 999", None),
        ("paragraf", None),
    ],
)
def test_service_by_paragraph(repository: KnowledgeRepository, text: str, expected) -> None:
    service = repository.service_by_paragraph(text)
    assert (service.id if service else None) == expected


def test_records_are_kept_per_municipality(fixture_db) -> None:
    ballerup = KnowledgeRepository(fixture_db, "Ballerup")
    gladsaxe = KnowledgeRepository(fixture_db, "Gladsaxe")
    assert [s.id for s in ballerup.services()] == ["forebyggende", "bostoette"]
    assert [s.id for s in gladsaxe.services()] == ["gladsaxe_indkoeb"]
    assert ballerup.service("gladsaxe_indkoeb") is None
    assert gladsaxe.answers("bostoette", "cost") == []
    assert gladsaxe.service_by_paragraph("§ 85").id == "gladsaxe_indkoeb"
    assert gladsaxe.contact("fronten") is None


def test_contact(repository: KnowledgeRepository) -> None:
    fronten = repository.contact("fronten")
    assert (fronten.phone, fronten.address) == ("44 77 34 43", "Parkvej 10, 2750 Ballerup")


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("er det gratis?", "bostoette.cost"),
        ("hvor ofte foelges der op paa bostoette", "bostoette.follow_up"),
        ("KLAGE over forebyggende tilbud", "forebyggende.complaint"),
    ],
)
def test_search_ranks_whole_questions(repository: KnowledgeRepository, text: str, first) -> None:
    assert repository.search(text)[0].uid == first


@pytest.mark.parametrize("text", ['" * ( ) AND NEAR', "*", "", "   ", "😀😀", "<b>x</b>"])
def test_search_finds_nothing_in_nonsense(repository: KnowledgeRepository, text: str) -> None:
    assert repository.search(text) == []


@pytest.mark.parametrize(
    ("syntax", "words"),
    [
        ('NEAR(klage" OR "x)', "NEAR klage OR x"),
        ('"klage"', "klage"),
        ("klage*", "klage"),
        ("NOT klage", "klage"),
        ("bostøtte AND gratis", "bostøtte gratis"),
    ],
)
def test_search_syntax_is_only_words(
    repository: KnowledgeRepository, syntax: str, words: str
) -> None:
    """Quotes, brackets, stars and operators find what the same words find, nothing else."""
    hits = [hit.uid for hit in repository.search(syntax)]
    assert hits
    assert hits == [hit.uid for hit in repository.search(words)]


def test_search_syntax_still_finds_the_complaint(repository: KnowledgeRepository) -> None:
    hits = repository.search('NEAR(klage" OR "x)')
    assert hits[0].topic == "complaint"
    assert {hit.uid for hit in hits} == {"bostoette.complaint", "forebyggende.complaint"}


def test_a_named_service_lists_its_facts(repository: KnowledgeRepository) -> None:
    assert {hit.service_id for hit in repository.search("bostøtte ansøgning")} == {"bostoette"}


def test_search_is_limited_and_distinct(repository: KnowledgeRepository) -> None:
    hits = repository.search("bostøtte gratis klage opfølgning hverdagen", limit=2)
    assert len(hits) == 2
    assert len({hit.uid for hit in hits}) == 2
