"""A request to book, move or cancel, told from a question that only mentions one."""

from __future__ import annotations

import pytest

from bot.booking.requests import BOOK, CANCEL, MOVE, is_request


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Jeg vil gerne booke en tid", BOOK),
        ("jeg vil gerne have en tid til en snak om bostøtte", BOOK),
        ("kan jeg få en samtale med en rådgiver?", BOOK),
        ("har I en ledig tid på fredag?", BOOK),
        ("jeg vil gerne snakke med en rådgiver", BOOK),
        ("jeg har brug for en tid hos jer", BOOK),
        ("book tid", BOOK),
        ("jeg skal aflyse min tid", CANCEL),
        ("jeg kan ikke komme på torsdag", CANCEL),
        ("jeg vil melde afbud", CANCEL),
        ("slet min tid på fredag", CANCEL),
        ("kan jeg flytte min aftale", MOVE),
        ("kan vi rykke samtalen", MOVE),
        ("kan jeg ændre tidspunktet", MOVE),
        ("jeg har brug for en anden tid", MOVE),
        # Misspelt, a kind of talk, and "den" last (sixth development conversations).
        ("jeg vil gerne bokke en tid til min søn hos fronten", BOOK),
        ("kan jeg boke en samtale", BOOK),
        ("kan jeg få en telefonsamtale med Fronten på mandag?", BOOK),
        ("jeg har en tid hos jer på fredag, men vil gerne flytte den", MOVE),
    ],
)
def test_requests(text: str, intent: str) -> None:
    assert is_request(text, intent)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Jeg har en tid i Fronten i morgen. Skal jeg have noget med?", BOOK),
        ("kan det være nok med en enkelt snak i fronten, eller skal man altid i et forløb?", BOOK),
        ("Min søn skal flytte til en handicapvenlig bolig. Kan merudgiftsydelsen dække det?", MOVE),
        ("Hvis min datter flytter hjem igen, kan hun så få flere dage på værkstedet?", MOVE),
        ("Min bror vil gerne til fodbold, men kan ikke komme derhen alene.", CANCEL),
        ("jeg skal flytte og kan slet ikke overskue det, kan i hjælpe", CANCEL),
    ],
)
def test_questions_that_mention_an_appointment(text: str, intent: str) -> None:
    assert not is_request(text, intent)
