"""Contact facts live in knowledge/ only: code and domain.yml take them from the knowledge base."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.actions.fallback import ActionDefaultFallback
from bot.booking.requests import BY_PHONE, IN_PERSON, meeting_choice
from bot.danish.text import fold
from bot.knowledge import KnowledgeRepository, load_knowledge
from bot.rasa.channels.guard import load_texts
from bot.sms.contact import ContactBook
from tests.conftest import ROOT, responses

CODE = sorted((ROOT / "bot").rglob("*.py")) + sorted((ROOT / "bot" / "web" / "static").glob("*.js"))
# Runs of digits with single spaces between them ("44 77 34 43", "+45 4477 3443").
_DIGIT_RUNS = re.compile(r"(\+?)(\d+(?: \d+)*)")
CONTACTS = load_knowledge(ROOT / "knowledge").contacts
# The format example the booking form shows citizens ("Skriv 8 cifre, fx 20 12 34 56"),
# also used in docstrings; it is nobody's contact point.
FORMAT_EXAMPLE = "20123456"
NO_CONTACT = {"contact_name": "", "contact_address": "", "contact_phone": ""}


def grouped_phone_numbers(text: str) -> list[str]:
    """Danish phone numbers written in groups: eight digits, possibly after "+45 "."""
    found = []
    for plus, run in _DIGIT_RUNS.findall(text):
        groups = run.split(" ")
        if plus and groups[0] == "45":
            groups = groups[1:]
        if len(groups) > 1 and len("".join(groups)) == 8 and "".join(groups) != FORMAT_EXAMPLE:
            found.append(run)
    return found


def street_of(address: str) -> str:
    return fold(re.match(r"[^\d,]+", address).group().strip())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ring til Fronten på 44 77 34 43.", ["44 77 34 43"]),
        ("ring på +45 4477 3443", ["45 4477 3443"]),
        ("kl. 10 den 3. december 2026, § 85", []),
        ("et bookingnummer: 20123456", []),
        ("99 12 11 88 45 er ti cifre", []),
        ("Skriv 8 cifre, fx 20 12 34 56.", []),
    ],
)
def test_the_pattern_finds_grouped_phone_numbers_only(text: str, expected: list[str]) -> None:
    assert grouped_phone_numbers(text) == expected


def test_the_format_example_is_nobodys_contact_point() -> None:
    assert all(re.sub(r"\D", "", c.phone) != FORMAT_EXAMPLE for c in CONTACTS)


@pytest.mark.parametrize("path", CODE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_phone_number_in_code(path: Path) -> None:
    assert grouped_phone_numbers(path.read_text(encoding="utf-8")) == []


def test_no_phone_number_in_the_domain() -> None:
    # The responses name numbers through {contact_phone}, filled from the knowledge base.
    assert grouped_phone_numbers((ROOT / "domain.yml").read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("contact", CONTACTS, ids=lambda c: c.id)
def test_no_contact_fact_in_code(contact) -> None:
    source = fold("\n".join(path.read_text(encoding="utf-8") for path in CODE))
    assert contact.email.lower() not in source
    assert street_of(contact.address) not in source


@pytest.mark.parametrize(
    ("address", "text", "expected"),
    [
        ("Parkvej 10, 2750 Ballerup", "jeg kommer ud på Parkvej", IN_PERSON),
        ("Parkvej 10, 2750 Ballerup", "ring til mig", BY_PHONE),
        ("Søborg Hovedgade 15, 2860 Søborg", "jeg kommer ud på Søborg Hovedgade", IN_PERSON),
        ("Søborg Hovedgade 15, 2860 Søborg", "jeg kommer ud på Parkvej", None),
        ("", "jeg kommer ud på Parkvej", None),
    ],
)
def test_the_offices_street_comes_from_its_address(address, text, expected) -> None:
    assert meeting_choice(text, address) == expected


async def test_rasas_fallback_gives_the_phone_number_from_the_knowledge_base(
    repository: KnowledgeRepository, dispatcher, make_tracker
) -> None:
    events = await ActionDefaultFallback(repository).run(
        dispatcher, make_tracker("blå banan kører cykel", "nlu_fallback"), {}
    )
    # Like Rasa's own fallback: the turn it could not follow is forgotten.
    assert events == [{"event": "rewind", "timestamp": None}]
    [message] = dispatcher.messages
    assert message["response"] == "utter_default"
    assert (message["contact_name"], message["contact_phone"]) == ("Fronten", "44 77 34 43")


async def test_rasas_fallback_names_no_number_without_a_contact(
    fixture_db, dispatcher, make_tracker
) -> None:
    gladsaxe = KnowledgeRepository(fixture_db, "Gladsaxe")
    await ActionDefaultFallback(gladsaxe).run(dispatcher, make_tracker("blå banan"), {})
    assert responses(dispatcher) == ["utter_default_no_contact"]


def test_the_guard_fills_in_the_contact_point(fixture_db) -> None:
    contact = ContactBook(lambda: KnowledgeRepository(fixture_db, "Ballerup")).contact()
    texts = load_texts(contact=contact)
    for name in ("utter_guard_technical_problem", "utter_guard_too_many_conversations"):
        assert texts[name].endswith("ring til Fronten på 44 77 34 43.")


def test_the_guard_names_no_number_without_a_contact(fixture_db) -> None:
    contact = ContactBook(lambda: KnowledgeRepository(fixture_db, "Gladsaxe")).contact()
    assert contact == NO_CONTACT
    texts = load_texts(contact=contact)
    for name in ("utter_guard_technical_problem", "utter_guard_too_many_conversations"):
        assert "{" not in texts[name] and grouped_phone_numbers(texts[name]) == []
        assert texts[name].endswith("Prøv igen om lidt.") or texts[name].endswith("senere.")
