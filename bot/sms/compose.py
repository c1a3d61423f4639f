"""The assistant's answers shaped as SMS: GSM-7, numbered choices, parts of 153 characters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from bot.sms.contact import Contact
from bot.sms.gsm import to_gsm7
from bot.sms.split import fit
from bot.sms.templates import Templates

_NUMBER = re.compile(r"\s*(?:nr\.?\s*)?(\d{1,2})\s*[.)]?\s*")


@dataclass(frozen=True)
class SmsReply:
    """What one turn sends back.

    Attributes:
        parts: The SMS parts, in order.
        payloads: The payloads of the numbered choices shown, so "2" can pick the second;
            empty when the reply offered none.

    """

    parts: List[str]
    payloads: List[str] = field(default_factory=list)


class Composer:
    """Turns the messages of one turn into SMS parts.

    Args:
        templates: The domain's texts (the "Svar 1, 2 eller 3" line and the note on
            shortened answers).
        max_parts: The most parts one reply may use (``SMS_MAX_PARTS``).

    """

    def __init__(self, templates: Templates, max_parts: int) -> None:
        self.templates = templates
        self.max_parts = max_parts

    def reply(self, messages: List[Dict[str, Any]], contact: Contact) -> SmsReply:
        """Joins the turn's texts and numbers the last set of buttons.

        Args:
            messages: What Rasa sent in this turn (``text`` and ``buttons``).
            contact: Fronten's details, for the note on a shortened answer.

        Returns:
            The parts and the payloads of the numbered choices.

        """
        body = to_gsm7("\n".join(m["text"] for m in messages if m.get("text")).strip())
        buttons = next((m["buttons"] for m in reversed(messages) if m.get("buttons")), [])
        buttons = [b for b in buttons if b.get("title") and b.get("payload")]
        tail = self._choices(buttons)
        return SmsReply(
            parts=fit(body, tail, self._note(contact), self.max_parts),
            payloads=[str(b["payload"]) for b in buttons],
        )

    def text(self, name: str, contact: Contact, **variables: Any) -> List[str]:
        """A domain response as SMS parts (for texts the dialogue does not send)."""
        return self.parts(self.templates.render(name, **{**contact, **variables}), contact)

    def parts(self, text: str, contact: Contact) -> List[str]:
        """Any text as GSM-7 parts, shortened past the maximum."""
        return fit(to_gsm7(text.strip()), "", self._note(contact), self.max_parts)

    def _choices(self, buttons: List[Dict[str, Any]]) -> str:
        if not buttons:
            return ""
        lines = [f"{n}. {to_gsm7(str(b['title']))}" for n, b in enumerate(buttons, start=1)]
        numbers = [str(n) for n in range(1, len(buttons) + 1)]
        if len(numbers) == 1:
            prompt = self.templates.render("utter_sms_choice_one", number=numbers[0])
        else:
            prompt = self.templates.render(
                "utter_sms_choices", first=", ".join(numbers[:-1]), last=numbers[-1]
            )
        return "\n".join([*lines, to_gsm7(prompt)])

    def _note(self, contact: Contact) -> str:
        if contact.get("contact_phone"):
            return to_gsm7(self.templates.render("utter_sms_too_long", **contact))
        return to_gsm7(self.templates.render("utter_sms_too_long_no_contact"))


def chosen_payload(text: str, payloads: List[str]) -> Optional[str]:
    """The payload a numbered answer picks: "2" → the second choice; else None."""
    match = _NUMBER.fullmatch(text)
    if not match or not payloads:
        return None
    number = int(match.group(1))
    return payloads[number - 1] if 1 <= number <= len(payloads) else None
