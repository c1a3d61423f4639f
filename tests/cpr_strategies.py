"""Hypothesis strategies for CPR numbers as citizens write them, shared by the tests."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

# A CPR number is a real date (DDMMYY) and a four-digit serial, spelt as citizens do: any of
# these between any two digits, and invisible format characters (Unicode Cf) anywhere inside.
GAPS = ["", "", "", " ", "  ", "-", " - ", "/", " / ", ".", ". ", "–", "—", "‐", "‑", "−", "\u00a0"]
gaps = st.sampled_from(GAPS)
format_characters = st.one_of(st.just(""), st.characters(categories=["Cf"]))
danish = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzæøåÆØÅ ,.?!")), max_size=40
)


@st.composite
def spellings(draw: st.DrawFn, digits: str) -> str:
    """The digits with a separator, and maybe format characters, between any two."""
    spelt = digits[0]
    for digit in digits[1:]:
        spelt += draw(format_characters) + draw(gaps) + draw(format_characters) + digit
    return spelt


@st.composite
def cpr_digits(draw: st.DrawFn) -> str:
    # The serial's first digit fixes the century (stdnum.dk.cpr): 0-3 is 19xx, 4 is 20xx
    # before 2037, so each drawn date is the one the number stands for.
    date = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31)))
    first = draw(st.integers(0, 3)) if date.year < 2000 else 4
    return f"{date:%d%m%y}{first}{draw(st.integers(0, 999)):03d}"


@st.composite
def cpr_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A CPR number as a citizen might write it, and its ten digits."""
    digits = draw(cpr_digits())
    return draw(spellings(digits)), digits
