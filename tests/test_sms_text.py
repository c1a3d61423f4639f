"""SMS-shaped text: GSM-7 only, parts of at most 153 characters, numbered choices."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sms import gsm
from bot.sms.compose import Composer, chosen_payload
from bot.sms.split import fit, split_sms
from bot.sms.templates import Templates

LIMIT = 153
TEMPLATES = Templates()
CONTACT = {
    "contact_name": "Fronten",
    "contact_address": "Parkvej 10, 2750 Ballerup",
    "contact_phone": "44 77 34 43",
}


def nonspace(text: str) -> str:
    return "".join(text.split())


# --- GSM-7 -------------------------------------------------------------------------------


def test_danish_letters_and_paragraph_sign_are_kept() -> None:
    text = "Æblegrød på Ørestad, åben § 85, 100 €, £5 – søg ÆØÅ"
    out = gsm.to_gsm7(text)
    assert out == "Æblegrød på Ørestad, åben § 85, 100 €, £5 - søg ÆØÅ"
    assert gsm.is_gsm7(out)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("»Hvordan søger jeg?«", '"Hvordan søger jeg?"'),
        ("“citat” og ‘enkelt’", "\"citat\" og 'enkelt'"),
        ("vent…", "vent..."),
        ("9–15 — ja", "9-15 - ja"),
        ("hej 😀🙈🎉 med dig", "hej  med dig"),
        ("café, señor, naïve, ça, Ångström, Çelik", "café, señor, naive, ca, Ångström, Çelik"),
        ("tab\there", "tab here"),
        ("linje\r\nto", "linje\nto"),
        ("non\u00a0breaking", "non breaking"),
        ("日本", "??"),
        ("zero\u200bwidth", "zerowidth"),
    ],
)
def test_characters_outside_gsm7_are_replaced(text: str, expected: str) -> None:
    assert gsm.to_gsm7(text) == expected


def test_escape_characters_count_double() -> None:
    assert gsm.length("€") == 2
    assert gsm.length("[x]") == 5
    assert gsm.length("æøå") == 3


@settings(max_examples=300, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_anything_becomes_gsm7(text: str) -> None:
    out = gsm.to_gsm7(text)
    assert gsm.is_gsm7(out)
    out.encode(gsm.CODEC)  # the real codec agrees


# --- splitting ---------------------------------------------------------------------------


def test_a_short_text_is_one_part() -> None:
    assert split_sms("Hej med dig") == ["Hej med dig"]
    assert split_sms("") == []
    assert split_sms("   \n ") == []


def test_long_text_splits_at_word_boundaries() -> None:
    text = " ".join(["bostøtte"] * 60)
    parts = split_sms(text)
    assert len(parts) > 1
    assert all(gsm.length(p) <= LIMIT for p in parts)
    assert all(p.split() == ["bostøtte"] * len(p.split()) for p in parts)
    assert " ".join(parts) == text


def test_a_link_is_never_split() -> None:
    url = "https://ballerup.dk/borger/handicap-og-psykiatri/stoette-i-eget-hjem?x=1&y=2"
    text = ("ord " * 30) + url + (" ord" * 30)
    parts = split_sms(text)
    assert sum(url in p for p in parts) == 1


@pytest.mark.parametrize("number", ["44 77 34 43", "+45 44 77 34 43", "(44 77 34 43).", "§ 85,"])
def test_a_phone_number_or_paragraph_is_never_split(number: str) -> None:
    for filler in range(120, 160):
        parts = split_sms("x" * filler + " " + number + " og mere")
        assert sum(number in p for p in parts) == 1, (filler, parts)


def test_a_shortened_answer_never_ends_inside_a_phone_number() -> None:
    for filler in range(100, 160):
        body = "x" * filler + " ring til 44 77 34 43 " + "ord " * 80
        parts = fit(body, "", "Ring til Fronten.", 2)
        joined = " ".join(parts)
        assert "44 77 34 43" in joined or "44" not in joined, parts


def test_euro_signs_are_counted_as_two() -> None:
    parts = split_sms("€ " * 100)
    # A part of k euro signs costs 2k + (k - 1) characters: at most 51 of them fit.
    assert [p.count("€") for p in parts] == [51, 49]
    assert all(gsm.length(p) <= LIMIT for p in parts)


def test_a_numbered_line_is_never_cut_in_two() -> None:
    intro = "Jeg kan booke en samtale med en rådgiver i Fronten. Hvad vil du gerne tale om? " * 2
    choices = "\n".join(f"{n}. Emne nummer {n}" for n in range(1, 9))
    parts = split_sms(intro + "\n" + choices)
    lines = [line for part in parts for line in part.split("\n")]
    assert [line for line in lines if re.match(r"\d\.", line)] == choices.split("\n")


def test_newlines_inside_a_part_are_kept() -> None:
    assert split_sms("Svar:\nKilde: x") == ["Svar:\nKilde: x"]


words = st.one_of(
    st.sampled_from(["bostøtte", "Fronten", "§ 85", "44 77 34 43", "€", "»hej«", "på", "ÆØÅ"]),
    st.from_regex(r"https://ballerup\.dk/[a-z0-9/\-]{1,80}", fullmatch=True),
    st.text(min_size=1, max_size=20).filter(lambda w: not any(c.isspace() for c in w)),
)
separators = st.sampled_from([" ", " ", " ", "\n", "  ", "\n\n"])
texts = st.lists(st.tuples(words, separators), max_size=200).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)


@settings(max_examples=300, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_split_properties(raw: str) -> None:
    text = gsm.to_gsm7(raw)
    parts = split_sms(text)
    # No part over 153 GSM-7 characters, only GSM-7 characters out, no empty part.
    assert all(0 < gsm.length(p) <= LIMIT for p in parts)
    assert all(gsm.is_gsm7(p) for p in parts)
    # Nothing lost, nothing added, order kept; and words stay whole.
    assert nonspace("".join(parts)) == nonspace(text)
    assert " ".join(parts).split() == text.split()
    # Every link is whole in one part.
    for url in re.findall(r"https://\S+", text):
        assert any(url in p for p in parts)


@settings(max_examples=200, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=1500))
def test_split_of_any_text(raw: str) -> None:
    text = gsm.to_gsm7(raw)
    parts = split_sms(text)
    assert all(0 < gsm.length(p) <= LIMIT for p in parts)
    assert nonspace("".join(parts)) == nonspace(text)


@settings(max_examples=200, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.integers(min_value=1, max_value=6))
def test_fit_keeps_to_the_maximum(raw: str, max_parts: int) -> None:
    body = gsm.to_gsm7(raw).strip()
    note = "Svaret er for langt til en SMS. Ring til Fronten på 44 77 34 43."
    tail = "1. Ja\n2. Nej\nSvar 1 eller 2."
    parts = fit(body, tail, note, max_parts)
    assert len(parts) <= max_parts
    assert all(gsm.length(p) <= LIMIT for p in parts)
    joined = "\n".join(parts)
    assert nonspace(joined).endswith(nonspace(tail))  # the choices are never cut
    if len(split_sms(body + "\n" + tail)) > max_parts:
        assert "44 77 34 43" in joined and "..." in joined
    else:
        assert nonspace(joined) == nonspace(body + tail)


# --- composing replies -------------------------------------------------------------------


@pytest.fixture
def composer() -> Composer:
    return Composer(TEMPLATES, max_parts=5)


def test_buttons_become_numbered_choices(composer: Composer) -> None:
    reply = composer.reply(
        [
            {"text": "Hvad vil du gerne tale om?"},
            {
                "text": "Vælg et emne.",
                "buttons": [
                    {"title": "Bostøtte", "payload": "Bostøtte"},
                    {"title": "BPA", "payload": "BPA"},
                    {"title": "Andet", "payload": "Andet"},
                ],
            },
        ],
        CONTACT,
    )
    text = "\n".join(reply.parts)
    assert "1. Bostøtte\n2. BPA\n3. Andet\nSvar 1, 2 eller 3." in text
    assert reply.payloads == ["Bostøtte", "BPA", "Andet"]


def test_two_and_one_choices(composer: Composer) -> None:
    two = composer.reply([{"text": "?", "buttons": [{"title": "Ja", "payload": "ja"}] * 2}], {})
    assert two.parts[-1].endswith("Svar 1 eller 2.")
    one = composer.reply([{"text": "?", "buttons": [{"title": "Ja", "payload": "ja"}]}], {})
    assert one.parts[-1].endswith("Svar 1.")


def test_a_reply_without_buttons_has_no_choices(composer: Composer) -> None:
    reply = composer.reply([{"text": "Din tid er booket."}], CONTACT)
    assert reply.parts == ["Din tid er booket."] and reply.payloads == []


def test_reply_is_gsm7(composer: Composer) -> None:
    reply = composer.reply(
        [{"text": "Skriv »book en tid« 😀", "buttons": [{"title": "Mød op", "payload": "x"}]}], {}
    )
    assert all(gsm.is_gsm7(p) for p in reply.parts)
    assert reply.parts[0].startswith('Skriv "book en tid"')


def test_a_long_answer_is_shortened_and_points_to_fronten() -> None:
    composer = Composer(TEMPLATES, max_parts=2)
    reply = composer.reply([{"text": "Bostøtte er hjælp i eget hjem. " * 40}], CONTACT)
    assert len(reply.parts) == 2
    assert reply.parts[-1].endswith(TEMPLATES.render("utter_sms_too_long", **CONTACT))
    assert "44 77 34 43" in reply.parts[-1]


def test_the_note_without_a_phone_number() -> None:
    composer = Composer(TEMPLATES, max_parts=1)
    reply = composer.reply([{"text": "ord " * 100}], {})
    assert reply.parts[-1].endswith(TEMPLATES.render("utter_sms_too_long_no_contact"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2", "b"), (" 3 ", "c"), ("1.", "a"), ("nr. 2", "b"), ("4", None), ("0", None)],
)
def test_a_number_picks_a_choice(text: str, expected: str | None) -> None:
    assert chosen_payload(text, ["a", "b", "c"]) == expected


def test_a_number_without_choices_is_just_text() -> None:
    assert chosen_payload("2", []) is None
    assert chosen_payload("2 personer", ["a", "b"]) is None
