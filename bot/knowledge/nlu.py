"""Generates the NLU lookup table and synonyms for services from the knowledge files.

The aliases live with the facts, so a new service or a new way of naming one needs only a
knowledge edit; a test checks that the committed file is current.
"""

from __future__ import annotations

from collections.abc import Iterable

import yaml

from bot.danish.text import fold
from bot.knowledge.schema import Knowledge

HEADER = "# Generated from knowledge/services by `make knowledge`; edit the aliases there.\n"


def inflections(alias: str) -> list[str]:
    """Spellings of an alias as citizens write it: definite and plural forms, and ae/oe/aa.

    Regex lookups match whole words, so "bostøtten" needs its own entry next to "bostøtte".

    Args:
        alias: A name such as "bostøtte" or "BPA".

    Returns:
        Lower-case variants, the alias itself first.

    """
    base = alias.lower()
    forms = [base]
    if len(base.split()[-1]) >= 5 and base[-1].isalpha():
        suffixes = ("n", "t", "r", "rne") if base.endswith("e") else ("en", "et", "er", "erne")
        forms += [base + suffix for suffix in suffixes]
    variants: list[str] = []
    for form in forms + [fold(f) for f in forms]:
        if form not in variants:
            variants.append(form)
    return variants


def lookup_document(knowledge: Knowledge, municipality: str) -> str:
    """Renders ``data/nlu/lookups.yml`` for one municipality.

    Args:
        knowledge: Validated knowledge.
        municipality: Only this municipality's services are recognised.

    Returns:
        The YAML text.

    """
    owners: dict[str, set[str]] = {}
    services = [s for s in knowledge.services if s.municipality == municipality]
    for service in services:
        for alias in service.aliases:
            for form in inflections(alias):
                owners.setdefault(form, set()).add(service.id)
    # A spelling that names two services is ambiguous; leave it to the conversation.
    unique = {form for form, ids in owners.items() if len(ids) == 1}
    nlu: list[dict[str, str]] = [{"lookup": "service", "examples": _examples(sorted(unique))}]
    for service in services:
        forms = [f for a in service.aliases for f in inflections(a) if f in unique]
        if forms:
            nlu.append({"synonym": service.id, "examples": _examples(dict.fromkeys(forms))})
    body = yaml.dump(
        {"version": "3.1", "nlu": nlu},
        allow_unicode=True,
        sort_keys=False,
        width=1000,
        Dumper=_LiteralDumper,
    )
    return HEADER + body


def _examples(items: Iterable[str]) -> str:
    return "".join(f"- {item}\n" for item in items)


class _LiteralDumper(yaml.SafeDumper):
    pass


def _literal(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _literal)
