"""The Rasa server's speed-ups keep Rasa's behaviour: same checks, same classes, same replies.

They are installed for one test at a time (the ``rasa_speedups`` fixture), and Rasa's own code
is back afterwards.
"""

from __future__ import annotations

import asyncio
import logging

import jsonschema
import pytest
import rasa
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig
from sanic import Sanic

from bot.danish.cpr import PLACEHOLDER
from bot.rasa import compat
from bot.rasa.channels.guard import Guard
from tests.conftest import ROOT

# What each speed-up replaces, as Rasa ships it.
PATCHED = {
    "action_validation": (RemoteAction, "_validate_action_result"),
    "action_keepalive": (EndpointConfig, "session"),
    "event_classes": (Event, "resolve_by_type"),
    "empty_domain": (Domain, "is_empty"),
    "graph_runs": (DaskGraphRunner, "run"),
}
RASAS_OWN = {name: vars(owner)[attribute] for name, (owner, attribute) in PATCHED.items()}


def replaced() -> set[str]:
    """The speed-ups whose Rasa code is replaced right now."""
    return {
        name
        for name, (owner, attribute) in PATCHED.items()
        if vars(owner)[attribute] is not RASAS_OWN[name]
    }


VALID = {
    "events": [
        {"event": "slot", "timestamp": None, "name": "service", "value": "bpa"},
        {"event": "action", "name": "action_listen", "policy": None, "confidence": None},
    ],
    "responses": [{"text": "Svar. Kilde: …", "buttons": []}],
}
INVALID = [
    {"events": [{"event": "slot", "value": "bpa"}]},  # a slot event without a name
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"responses": "not a list"},
]


def test_rasas_own_code_is_back_after_the_block() -> None:
    assert set(compat.SPEEDUPS) == set(PATCHED)
    with compat.installed() as names:
        assert names == list(compat.SPEEDUPS)
        assert replaced() == set(PATCHED)
        # Installing again changes nothing.
        assert compat.install() == names
    assert replaced() == set()


def test_another_rasa_version_gets_a_warning_and_no_speed_up(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(rasa, "__version__", "3.6.20")
    with caplog.at_level(logging.WARNING, logger=compat.__name__):
        with compat.installed() as names:
            assert names == []
            assert replaced() == set()
    assert "Rasa 3.6.20 is installed" in caplog.text
    assert compat.RASA_VERSION in caplog.text


@pytest.mark.parametrize(
    ("disabled", "expected"),
    [
        (
            {"graph_runs"},
            {"action_validation", "action_keepalive", "event_classes", "empty_domain"},
        ),
        (
            {"graph_runs", "event_classes", "empty_domain"},
            {"action_validation", "action_keepalive"},
        ),
        ({"all"}, set()),
    ],
)
def test_disabled_speed_ups_are_left_out(disabled: set[str], expected: set[str]) -> None:
    with compat.installed(disabled) as names:
        assert set(names) == expected
        assert replaced() == expected
    assert replaced() == set()


def test_building_the_guard_changes_nothing_in_rasa() -> None:
    prepared = Guard().prepare("mit cpr-nummer er 010190-1234, hvad nu?")
    assert prepared.text == f"mit cpr-nummer er {PLACEHOLDER}, hvad nu?"
    assert replaced() == set()


@pytest.mark.usefixtures("rasa_speedups")
def test_a_valid_action_reply_passes() -> None:
    action = RemoteAction("action_answer_question", None)
    assert action._validate_action_result(VALID) is True


@pytest.mark.usefixtures("rasa_speedups")
@pytest.mark.parametrize("reply", INVALID)
def test_an_invalid_action_reply_fails_as_in_rasa(reply: dict) -> None:
    # Rasa's own check: jsonschema.validate against the same schema.
    with pytest.raises(jsonschema.ValidationError) as rasa_error:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        RemoteAction("action_answer_question", None)._validate_action_result(reply)
    assert ours.value.message.startswith(rasa_error.value.message)
    assert "Failed to validate Action server response" in ours.value.message


@pytest.mark.usefixtures("rasa_speedups")
def test_every_event_type_resolves_to_the_same_class() -> None:
    classes = [c for c in all_subclasses(Event) if getattr(c, "type_name", None)]
    for event_class in classes:
        # Twice: once searched, once remembered.
        for _ in range(2):
            found = Event.resolve_by_type(event_class.type_name)
            assert found.type_name == event_class.type_name
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("slot") is SlotSet


@pytest.mark.usefixtures("rasa_speedups")
@pytest.mark.parametrize(
    ("domain", "empty"),
    [
        (Domain.empty(), True),
        (Domain.from_dict({}), True),
        (Domain.from_dict({"intents": ["greet"]}), False),
        (Domain.load(ROOT / "domain.yml"), False),
    ],
)
def test_an_empty_domain_is_told_as_rasa_tells_it(domain: Domain, empty: bool) -> None:
    # Twice: the empty domain is built on the first call and kept for the second.
    assert domain.is_empty() is empty
    assert domain.is_empty() is empty
    assert RASAS_OWN["empty_domain"](domain) is empty


@pytest.mark.usefixtures("rasa_speedups")
def test_unknown_event_types_behave_as_before() -> None:
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=ActionExecuted) is ActionExecuted
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    # The default is never remembered for the name.
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")


@pytest.mark.usefixtures("rasa_speedups")
async def test_action_calls_reuse_one_connection(unused_tcp_port: int) -> None:
    peers = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername")[1])
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{unused_tcp_port}/webhook")
        for _ in range(3):
            assert await endpoint.request(json={"next_action": "x"}, method="post") == {
                "events": [],
                "responses": [],
            }
        # One client port for all three calls: the connection was kept.
        assert len(peers) == 3 and len(set(peers)) == 1
        await asyncio.sleep(compat.ACTION_KEEPALIVE_SECONDS + 0.5)
        await endpoint.request(json={"next_action": "x"}, method="post")
        # After the keep-alive time the client had closed it and opened a new one.
        assert peers[-1] != peers[0]
    finally:
        await endpoint._kept_session.close()
        await runner.cleanup()


def _replies() -> list:
    from rasa.shared.core.events import (
        ActiveLoop,
        AllSlotsReset,
        BotUttered,
        FollowupAction,
        Restarted,
        SessionStarted,
    )

    events = [
        UserUttered("hej", {"name": "greet", "confidence": 0.9}).as_dict(),
        ActionExecuted("action_listen").as_dict(),
        SlotSet("service", "bpa").as_dict(),
        BotUttered("Svar", {"buttons": []}).as_dict(),
        SessionStarted().as_dict(),
        ActiveLoop("booking_form").as_dict(),
        FollowupAction("action_listen").as_dict(),
        Restarted().as_dict(),
        AllSlotsReset().as_dict(),
    ]
    broken = [
        {"event": "slot"},
        {"event": "slot", "name": 3, "value": 1},
        {"event": "user", "parse_data": "x"},
        {"event": "nope"},
        {"event": 5},
        {"name": "x"},
        "user",
    ]
    return (
        [{"events": [e]} for e in events + broken]
        + [{"events": events}, {"events": events + broken[:1]}, {}, {"responses": []}]
        + [{"events": None}, {"events": {}}, [], "x", {"responses": [1]}]
    )


@pytest.mark.parametrize("reply", _replies())
def test_the_quick_check_agrees_with_rasas(reply) -> None:
    schema = RemoteAction.action_response_format_spec()
    validator_class = jsonschema.validators.validator_for(schema)
    quick = compat._events_by_type_check(schema, validator_class)
    full = validator_class(schema).is_valid(reply)
    assert quick(reply) == full


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    from tests.servers import MODEL

    return Agent.load(str(MODEL))


def _dask_scheduler_run(runner, inputs: dict, targets: list) -> dict:
    # rasa.engine.runner.dask.DaskGraphRunner.run as Rasa ships it: dask's scheduler.
    import dask

    graph = runner._build_dask_graph(runner._graph_schema.minimal_graph_schema(targets))
    runner._add_inputs_to_graph(inputs, graph)
    return dict(dask.get(graph, targets))


@pytest.mark.usefixtures("rasa_speedups")
@pytest.mark.parametrize(
    "text", ["hvordan søger jeg bostøtte?", "og hvad koster det?", "hej", "", "BPA § 96"]
)
async def test_graph_runs_give_the_same_results(agent, text: str) -> None:
    from rasa.core.channels.channel import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER

    processor = agent.processor
    runner = processor.graph_runner
    tracker = await processor.fetch_tracker_and_update_session("tuning-test")
    nlu = [processor.model_metadata.nlu_target]
    inputs = {PLACEHOLDER_MESSAGE: [UserMessage(text)], PLACEHOLDER_TRACKER: tracker}
    ours = runner.run(inputs=inputs, targets=nlu)[nlu[0]][0].as_dict()
    rasa = _dask_scheduler_run(runner, inputs, nlu)[nlu[0]][0].as_dict()
    # spaCy documents compare by identity; their text is compared instead.
    assert str(ours.pop("text_spacy_doc", "")) == str(rasa.pop("text_spacy_doc", ""))
    assert ours == rasa
    core = [processor.model_metadata.core_target]
    ours = runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=core)[core[0]]
    rasa = _dask_scheduler_run(runner, {PLACEHOLDER_TRACKER: tracker}, core)[core[0]]
    assert (ours.max_confidence_index, ours.probabilities) == (
        rasa.max_confidence_index,
        rasa.probabilities,
    )


# ---------------------------------------------------------------- what the server trusts


def test_server_settings_default_to_a_small_body_and_no_trusted_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("BOT_MAX_BODY_BYTES", "PROXIES_COUNT", "REAL_IP_HEADER", "FORWARDED_SECRET"):
        monkeypatch.delenv(name, raising=False)
    app = Sanic("tuning_defaults")
    compat.configure_server(app.config)
    assert app.config.REQUEST_MAX_SIZE == 65536  # Sanic's own default is 100 MB
    assert app.config.PROXIES_COUNT is None
    assert app.config.REAL_IP_HEADER is None
    assert app.config.FORWARDED_SECRET is None


def test_server_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_MAX_BODY_BYTES", "20000")
    monkeypatch.setenv("PROXIES_COUNT", "1")
    monkeypatch.setenv("REAL_IP_HEADER", "X-Real-IP")
    monkeypatch.setenv("FORWARDED_SECRET", "proxy-hemmelighed")
    app = Sanic("tuning_env")
    compat.configure_server(app.config)
    assert (
        app.config.REQUEST_MAX_SIZE,
        app.config.PROXIES_COUNT,
        app.config.REAL_IP_HEADER,
        app.config.FORWARDED_SECRET,
    ) == (20000, 1, "X-Real-IP", "proxy-hemmelighed")


@pytest.mark.parametrize(
    ("name", "value"),
    [("PROXIES_COUNT", "-1"), ("BOT_MAX_BODY_BYTES", "0"), ("PROXIES_COUNT", "to")],
)
def test_a_bad_server_setting_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError):
        compat.ServerSettings.from_env()
