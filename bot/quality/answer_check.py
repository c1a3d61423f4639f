"""Answer quality on written test sets: right, wrong with a source, abstained.

    python -m bot.quality.answer_check tests/answers/heldout [--failures] [--json results.json]

Every case file names its municipality (see ``tests/answers/README.md`` for the format and
the grading rules). For each municipality the action server is started on a free loopback
port with that municipality, and the trained model runs in this process, so each turn's
response names, running form and ``service`` slot can be read from the tracker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from bot.knowledge.coverage import same_heading

ROOT = Path(__file__).resolve().parents[2]
RIGHT, WRONG_WITH_SOURCE, ABSTAINED, OTHER_MISS = "right", "wrong_src", "abstained", "other"
OUTCOMES = (RIGHT, WRONG_WITH_SOURCE, ABSTAINED, OTHER_MISS)
# Responses that cite a contact point's source rather than a fact about a service.
CONTACT_RESPONSES = frozenset({"utter_contact", "utter_handover", "utter_out_of_scope"})
_CITATION = re.compile(r"Kilde: (?P<title>.+?), afsnittet »(?P<section>.+?)«", re.DOTALL)
_PHONE_DIGITS = re.compile(r"(?:\d\s*){8}")


@dataclass
class Reply:
    """What the assistant did in one turn."""

    messages: list[dict[str, Any]]
    active_form: str | None
    service: str | None

    def citations(self, contacts_too: bool = True) -> list[tuple[str, str, str]]:
        """(document title, section, text) of every message that names its source."""
        found = []
        for message in self.messages:
            if not contacts_too and message.get("response") in CONTACT_RESPONSES:
                continue
            match = _CITATION.search(message.get("text") or "")
            if match:
                found.append((match["title"].strip(), match["section"].strip(), message["text"]))
        return found

    def text(self) -> str:
        """Everything the assistant wrote."""
        return "\n".join(m.get("text") or "" for m in self.messages)

    def offered_services(self) -> list[str]:
        """The services offered as buttons (from the payloads' ``service`` entity)."""
        services = []
        for message in self.messages:
            for button in message.get("buttons") or []:
                match = re.search(r'"service"\s*:\s*"([^"]+)"', button.get("payload") or "")
                if match and match[1] not in services:
                    services.append(match[1])
        return services


@dataclass
class Grade:
    """The outcome of one turn, with enough detail to read a failure."""

    outcome: str
    stem_outcome: str
    case_id: str
    service: str
    register: str
    user: str
    why: str = ""
    reply: str = ""
    conversation: bool = False


@dataclass
class Catalogue:
    """What the grader needs from the knowledge base: titles, paragraphs and phones."""

    document_by_title: dict[str, str]
    paragraphs_by_service: dict[str, tuple[str, ...]]
    phones: set[str] = field(default_factory=set)
    # Gladsaxe's sub-interventions all come under § 85; a situation's `services` may name
    # one by its title, the first part of its facts' section headings.
    titles_by_service: dict[str, frozenset[str]] = field(default_factory=dict)


def normalise(text: str) -> str:
    """Lower case with whitespace collapsed, and digits joined across spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = " ".join(text.split())
    return re.sub(r"(?<=\d) (?=\d)", "", text)


def paragraph_matches(expected: str, paragraphs: Iterable[str]) -> bool:
    """Whether a § label such as "82" names a service with paragraphs ("82a", "82b")."""
    number = re.match(r"\d+", expected.strip())
    if not number:
        return False
    return any(re.match(r"\d+", p) and re.match(r"\d+", p)[0] == number[0] for p in paragraphs)


def grade(
    turn: dict[str, Any], reply: Reply, catalogue: Catalogue, stems: bool = False
) -> tuple[str, str]:
    """Grades one turn against its expectation; returns the outcome and why.

    Args:
        turn: The case or conversation turn with its ``expect``.
        reply: What the assistant did.
        catalogue: Titles, paragraphs and phone numbers of the knowledge base.
        stems: Compare ``mention`` alternatives word by word on their first six letters
            ("planlægge" meets "planlægning"), instead of as exact text.

    """
    expect = turn.get("expect") or {}
    outcome, why = RIGHT, ""
    if "answer" in expect:
        outcome, why = _grade_answer(expect["answer"], reply, catalogue, stems)
    elif expect.get("not_in_standards"):
        if reply.citations(contacts_too=False):
            outcome, why = WRONG_WITH_SOURCE, "presented a fact"
        elif not any(p in normalise(reply.text()) for p in catalogue.phones):
            outcome, why = ABSTAINED, "no phone number"
    elif "services" in expect:
        outcome, why = _grade_services([str(s) for s in expect["services"]], reply, catalogue)
    if "form" in expect and outcome != WRONG_WITH_SOURCE:
        wanted = None if expect["form"] in (None, "none") else expect["form"]
        if reply.active_form != wanted:
            outcome, why = OTHER_MISS, f"form {reply.active_form!r}, expected {wanted!r}"
    return outcome, why


def _grade_answer(
    answer: dict[str, Any], reply: Reply, catalogue: Catalogue, stems: bool
) -> tuple[str, str]:
    citations = reply.citations()
    if not citations:
        return ABSTAINED, "no answer with a source"
    sources = answer.get("sources") or []
    cited_right = any(
        catalogue.document_by_title.get(title) == source["document"]
        and same_heading(str(source["section"]), section)
        for title, section, _ in citations
        for source in sources
    )
    if not cited_right:
        cited = "; ".join(f"{t} »{s}«" for t, s, _ in citations)
        return WRONG_WITH_SOURCE, f"cited {cited}"
    text = normalise(" ".join(t for _, _, t in citations))
    for group in answer.get("mention") or []:
        alternatives = group if isinstance(group, list) else [group]
        if not any(_mentions(text, normalise(str(alt)), stems) for alt in alternatives):
            return WRONG_WITH_SOURCE, f"right source, but none of {alternatives}"
    return RIGHT, ""


STEM_LETTERS = 6


def _mentions(text: str, alternative: str, stems: bool) -> bool:
    if alternative in text:
        return True
    if not stems:
        return False
    wanted = re.findall(r"[\w§.,-]+", alternative)
    found = re.findall(r"[\w§.,-]+", text)
    return any(
        all(_same_stem(found[i + j], word) for j, word in enumerate(wanted))
        for i in range(len(found) - len(wanted) + 1)
    )


def _same_stem(got: str, wanted: str) -> bool:
    if len(wanted) <= 4 or any(c.isdigit() for c in wanted):
        return got == wanted
    return got[:STEM_LETTERS] == wanted[:STEM_LETTERS]


def _grade_services(expected: list[str], reply: Reply, catalogue: Catalogue) -> tuple[str, str]:
    def fits(service_id: str) -> bool:
        paragraphs = catalogue.paragraphs_by_service.get(service_id, ())
        titles = catalogue.titles_by_service.get(service_id, frozenset())
        return any(
            paragraph_matches(label, paragraphs)
            or any(same_heading(label, title) for title in titles)
            for label in expected
        )

    if reply.citations(contacts_too=False):
        if reply.service and fits(reply.service):
            return RIGHT, ""
        return WRONG_WITH_SOURCE, f"answered about {reply.service}"
    offered = reply.offered_services()
    if 0 < len(offered) <= 3 and any(fits(s) for s in offered):
        return RIGHT, ""
    return ABSTAINED, f"offered {len(offered)} services"


class Assistant:
    """The trained model in this process, with the action server in a subprocess.

    Args:
        project: The project folder (its model, knowledge base and code).
        municipality: The municipality the action server answers for.

    """

    def __init__(self, project: Path, municipality: str) -> None:
        self.project = project
        self.municipality = municipality
        self._process: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="answer-check-actions-", suffix=".log")
        self.agent: Any = None

    def __enter__(self) -> Assistant:
        port = _free_port()
        # The action server gets this process's environment, with its own port and files
        # (a documented exception to reading settings only in bot/settings.py).
        env = dict(os.environ)
        env.update(
            MUNICIPALITY=self.municipality,
            ACTION_HOST="127.0.0.1",
            ACTION_PORT=str(port),
            BOT_DATA_DIR=env.get("BOT_DATA_DIR", str(self.project / "var")),
        )
        # Ratings and missed questions of a measurement never reach the real insights file.
        env["INSIGHTS_DB"] = str(Path(tempfile.mkdtemp()) / "insights.db")
        env["BOOKING_DB"] = str(Path(tempfile.mkdtemp()) / "bookings.db")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot.actions.server"],
            cwd=self.project,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        _wait_for(f"http://127.0.0.1:{port}/health", self._process)
        from rasa.core.agent import Agent
        from rasa.utils.endpoints import EndpointConfig
        from rasa.utils.log_utils import configure_structlog

        # Rasa's structured log prints every debug line when nobody configured it.
        configure_structlog(logging.WARNING)

        self.agent = Agent.load(
            str(self.project / "models" / "assistant.tar.gz"),
            action_endpoint=EndpointConfig(url=f"http://127.0.0.1:{port}/webhook"),
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=20)

    async def say(self, sender: str, text: str) -> Reply:
        """Sends one message and reads what the assistant did from the tracker."""
        before = len((await self.agent.tracker_store.retrieve(sender) or _Empty()).events)
        await self.agent.handle_text(text, sender_id=sender)
        tracker = await self.agent.tracker_store.retrieve(sender)
        events = list(tracker.events)[before:]
        messages = [
            {
                "text": e.text,
                "buttons": (e.data or {}).get("buttons") or [],
                "response": (e.metadata or {}).get("utter_action"),
            }
            for e in events
            if e.type_name == "bot"
        ]
        return Reply(messages, tracker.active_loop_name, tracker.get_slot("service"))


class _Empty:
    events: list[Any] = []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the action server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


def load_sets(paths: list[Path]) -> dict[str, list[tuple[Path, dict[str, Any]]]]:
    """The case files under the given files or folders, grouped by municipality."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.yml")) if path.is_dir() else [path]
    grouped: dict[str, list[tuple[Path, dict[str, Any]]]] = defaultdict(list)
    for file in files:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        grouped[data.get("municipality", "Ballerup")].append((file, data))
    return grouped


def catalogue_for(project: Path, municipality: str) -> Catalogue:
    """Titles, paragraphs and phone numbers from the project's knowledge files."""
    knowledge = project / "knowledge"
    sources = yaml.safe_load((knowledge / "sources.yml").read_text(encoding="utf-8"))
    paragraphs, titles = {}, {}
    for path in (knowledge / "services").rglob("*.yml"):
        service = yaml.safe_load(path.read_text(encoding="utf-8"))
        paragraphs[service["id"]] = tuple(str(p) for p in service["paragraphs"])
        titles[service["id"]] = frozenset(
            fact["source"]["section"].split(" – ")[0]
            for fact in service.get("facts") or []
            if " – " in fact["source"]["section"]
        )
    contacts = yaml.safe_load((knowledge / "contacts.yml").read_text(encoding="utf-8"))
    phones = {
        normalise(c["phone"]) for c in contacts["contacts"] if c.get("municipality") == municipality
    }
    documents = {" ".join(d["title"].split()): d["file"] for d in sources["documents"]}
    return Catalogue(documents, paragraphs, phones, titles)


async def run_sets(
    project: Path, grouped: dict[str, list[tuple[Path, dict[str, Any]]]]
) -> list[Grade]:
    """Asks every case and conversation, one fresh conversation each, and grades them."""
    grades: list[Grade] = []
    for municipality, sets in grouped.items():
        catalogue = catalogue_for(project, municipality)
        with Assistant(project, municipality) as assistant:
            for file, data in sets:
                for case in data.get("cases") or []:
                    reply = await assistant.say(f"check-{file.stem}-{case['id']}", case["user"])
                    grades.append(_graded(case, case["id"], reply, catalogue, False))
                for conversation in data.get("conversations") or []:
                    sender = f"check-{file.stem}-{conversation['id']}"
                    for number, turn in enumerate(conversation.get("turns") or [], 1):
                        reply = await assistant.say(sender, turn["user"])
                        case_id = f"{conversation['id']}#{number}"
                        grades.append(_graded(turn, case_id, reply, catalogue, True))
    return grades


def _graded(
    turn: dict[str, Any], case_id: str, reply: Reply, catalogue: Catalogue, conversation: bool
) -> Grade:
    outcome, why = grade(turn, reply, catalogue)
    return Grade(
        outcome=outcome,
        stem_outcome=grade(turn, reply, catalogue, stems=True)[0],
        case_id=case_id,
        service=str(turn.get("service", "?")),
        register=str(turn.get("register", "")),
        user=turn["user"],
        why=why,
        reply=reply.text(),
        conversation=conversation,
    )


def table(grades: list[Grade], key: str) -> str:
    """Right, wrong with a source, abstained and other misses per group, and in total."""
    rows: dict[str, Counter] = defaultdict(Counter)
    for g in grades:
        rows[getattr(g, key)][g.outcome] += 1
    lines = [f"{key:<34} {'turns':>6} {'right':>7} {'wrong+src':>10} {'abstain':>8} {'other':>6}"]
    total: Counter = Counter()
    for name in sorted(rows):
        total.update(rows[name])
        lines.append(_row(name, rows[name]))
    lines.append(_row("TOTAL", total))
    return "\n".join(lines)


def _row(name: str, counts: Counter) -> str:
    n = sum(counts.values())
    right = counts[RIGHT]
    return (
        f"{name[:34]:<34} {n:>6} {right:>4} {100 * right / max(n, 1):>2.0f}%"
        f" {counts[WRONG_WITH_SOURCE]:>4} {100 * counts[WRONG_WITH_SOURCE] / max(n, 1):>4.1f}%"
        f" {counts[ABSTAINED]:>8} {counts[OTHER_MISS]:>6}"
    )


def summary(grades: list[Grade], stems: bool = False) -> dict[str, Any]:
    """Totals for single questions and for conversation turns."""
    result = {}
    for name, part in (
        ("single", [g for g in grades if not g.conversation]),
        ("conversation_turns", [g for g in grades if g.conversation]),
    ):
        counts = Counter(g.stem_outcome if stems else g.outcome for g in part)
        n = len(part)
        result[name] = {
            "turns": n,
            **{o: counts[o] for o in OUTCOMES},
            "right_share": round(counts[RIGHT] / n, 4) if n else None,
            "wrong_with_source_share": round(counts[WRONG_WITH_SOURCE] / n, 4) if n else None,
        }
    return result


def main(argv: list[str] | None = None) -> int:
    """Runs the check and prints the tables; ``--failures`` also prints every miss."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--failures", action="store_true", help="print every miss")
    parser.add_argument("--json", type=Path, help="write the totals here")
    args = parser.parse_args(argv)
    grades = asyncio.run(run_sets(args.project.resolve(), load_sets(args.paths)))
    singles = [g for g in grades if not g.conversation]
    turns = [g for g in grades if g.conversation]
    if singles:
        print("Single questions, per service\n" + table(singles, "service") + "\n")
    if turns:
        print("Conversation turns, per service\n" + table(turns, "service") + "\n")
    if args.failures:
        for g in grades:
            if g.outcome != RIGHT:
                print(f"[{g.outcome}] {g.case_id} ({g.service}) {g.user!r}\n    why: {g.why}")
                print("    reply: " + g.reply.replace("\n", " | ")[:400])
    totals = {"exact": summary(grades), "stems": summary(grades, stems=True)}
    print(json.dumps(totals, indent=2))
    if args.json:
        args.json.write_text(json.dumps(totals, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
