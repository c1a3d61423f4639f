"""Speed-ups for the Rasa server that change nothing a citizen sees, only what a turn costs.

Profiling the server under load (``py-spy``; see ``bench/README.md``) showed where Rasa
3.6.21 spends time that buys nothing. Each speed-up keeps Rasa's behaviour, and each can be
switched off by name for measuring (``FRONTEN_SPEEDUPS_DISABLE=graph_runs,...``, read into
``RasaSettings.speedups_disabled``):

- ``action_validation``: every custom action's reply is checked with ``jsonschema.validate``,
  which first checks the constant schema itself against the JSON Schema meta-schema: more
  than half of the server's CPU per message. The reply is still checked against the same
  schema, by a validator built once; each event is tried against the schema of its own
  type only (the other 22 cannot match), and any reply that check does not accept goes to
  the full validator, so the verdict and the error are Rasa's.
- ``action_keepalive``: every action call opened a new HTTP session and TCP connection to
  the action server. One session per endpoint keeps the connection open between calls.
- ``event_classes``: every stored event read back looks for its class by walking all
  subclasses of ``Event`` (with an ``inspect.isabstract`` check each). A class once found
  for a type name is remembered.
- ``empty_domain``: every parsed message is checked against the domain, which first asks
  whether the domain is empty by building an empty domain from scratch to compare with
  (0.2 ms, 2% of the server's CPU per message). The empty domain's contents are built once.
- ``graph_runs``: the model's graph (the NLU pipeline, the policies) runs three times per
  message through dask's scheduler, whose bookkeeping cost more than some of the
  components. ``dask.core.get`` evaluates the same graph, node after node, without it.

:func:`install` is called by the Rasa entry point alone (``bot/rasa/run.py``), before Rasa
loads anything, and only patches the Rasa version the speed-ups were written for
(:data:`RASA_VERSION`): on any other, it logs a warning and patches nothing. Building a
channel or a guard changes nothing in Rasa. :func:`uninstall` puts Rasa's own code back, and
:func:`installed` patches for the length of a ``with`` block (the tests' fixture).

:func:`configure_server` sets what the Sanic app must bound and trust (the body limit, the
proxies), from the environment; the REST channel calls it before the server starts.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Collection, Dict, Iterator, List, Optional, Tuple

logger = logging.getLogger(__name__)

# The speed-ups replace Rasa internals of exactly this release; any other may differ.
RASA_VERSION = "3.6.21"
_MISSING = object()
# What install() replaced, in order: (class, attribute, Rasa's own value or _MISSING).
_originals: List[Tuple[Any, str, Any]] = []
_installed: List[str] = []


@dataclass(frozen=True)
class ServerSettings:
    """The Sanic settings of the Rasa server that are about safety, not speed.

    Attributes:
        max_body_bytes: Largest request body; larger ones get 413 before they are read.
            ``BOT_MAX_BODY_BYTES`` (Sanic's own default is 100 MB). It must not be smaller
            than ``SMS_MAX_BODY_BYTES``.
        proxies_count: Reverse proxies in front of the server that append to
            ``X-Forwarded-For``; 0 trusts no forwarded address. ``PROXIES_COUNT``.
        real_ip_header: A header the proxy always sets to the client address, e.g.
            ``X-Real-IP``; unset trusts none. ``REAL_IP_HEADER``.
        forwarded_secret: The ``secret`` of the proxy's RFC 7239 ``Forwarded`` header;
            unset trusts none. ``FORWARDED_SECRET``.

    """

    max_body_bytes: int = 65536
    proxies_count: int = 0
    real_ip_header: Optional[str] = None
    forwarded_secret: Optional[str] = None

    @classmethod
    def from_env(cls) -> ServerSettings:
        """Reads the settings, falling back to the safe defaults.

        Raises:
            ValueError: A number is not a number, or out of range; the server does not
                start rather than fail on every request.

        """
        from bot.settings import RasaSettings

        values = RasaSettings.from_env()
        settings = cls(
            max_body_bytes=values.max_body_bytes,
            proxies_count=values.proxies_count,
            real_ip_header=values.real_ip_header,
            forwarded_secret=values.forwarded_secret,
        )
        if settings.max_body_bytes < 1024 or settings.proxies_count < 0:
            raise ValueError("BOT_MAX_BODY_BYTES must be at least 1024, PROXIES_COUNT 0 or more")
        return settings


def configure_server(config: Any, settings: Optional[ServerSettings] = None) -> None:
    """Applies the settings to a Sanic app's config.

    Sanic reads them per connection and per request (``request.remote_addr``), so setting
    them before the server starts is enough.

    Args:
        config: ``app.config`` of the Rasa server.
        settings: Default from the environment.

    """
    settings = settings or ServerSettings.from_env()
    config.REQUEST_MAX_SIZE = settings.max_body_bytes
    config.PROXIES_COUNT = settings.proxies_count or None
    config.REAL_IP_HEADER = settings.real_ip_header
    config.FORWARDED_SECRET = settings.forwarded_secret


def install(disabled: Collection[str] = ()) -> List[str]:
    """Installs the speed-ups, once per process, if Rasa is the version they were written for.

    Args:
        disabled: Speed-ups to leave out, by name, or ``all``; for measuring each on its own
            (``RasaSettings.speedups_disabled``), not for production.

    Returns:
        The names of the installed speed-ups; none when Rasa is another version.

    """
    import rasa

    if _originals:
        return list(_installed)
    if rasa.__version__ != RASA_VERSION:
        logger.warning(
            "Rasa %s is installed, but the speed-ups in %s were written for Rasa %s: "
            "none is applied.",
            rasa.__version__,
            __name__,
            RASA_VERSION,
        )
        return []
    for name, speedup in SPEEDUPS.items():
        if name in disabled or "all" in disabled:
            logger.info("Speed-up %s disabled by FRONTEN_SPEEDUPS_DISABLE", name)
        else:
            speedup()
            _installed.append(name)
    return list(_installed)


def uninstall() -> None:
    """Puts back Rasa's own code for everything :func:`install` replaced."""
    while _originals:
        owner, attribute, original = _originals.pop()
        if original is _MISSING:
            delattr(owner, attribute)
        else:
            setattr(owner, attribute, original)
    _installed.clear()


@contextmanager
def installed(disabled: Collection[str] = ()) -> Iterator[List[str]]:
    """The speed-ups for the length of a ``with`` block, then Rasa's own code again.

    Args:
        disabled: As for :func:`install`.

    Yields:
        The names of the installed speed-ups.

    """
    already = bool(_originals)
    names = install(disabled)
    try:
        yield names
    finally:
        if not already:
            uninstall()


def _replace(owner: Any, attribute: str, value: Any) -> None:
    # The class's own entry (a staticmethod stays one), so uninstall() restores it exactly.
    _originals.append((owner, attribute, vars(owner).get(attribute, _MISSING)))
    setattr(owner, attribute, value)


def _install_cached_action_validation() -> None:
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of once per action call
    validator = validator_class(schema)
    accepts = _events_by_type_check(schema, validator_class)

    def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        # The same check and error as rasa.core.actions.action.RemoteAction's own; the quick
        # check only ever says yes to what the full one accepts, and never decides a no.
        if accepts is not None and accepts(result):
            return True
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    _replace(RemoteAction, "_validate_action_result", _validate_action_result)


def _events_by_type_check(schema: Dict[str, Any], validator_class: Any) -> Any:
    """A quicker check of an action's reply, with the same answer when it says yes.

    Each event must match exactly one of 23 schemas (``oneOf``), and jsonschema tries all of
    them. Every one of them fixes the ``event`` name to a different constant, and the name
    is required, so an event can only ever match the schemas of its own name: checking those
    alone gives the same verdict. Returns None when the schema is not of that shape.
    """
    try:
        items = schema["properties"]["events"]["items"]
        alternatives = items["oneOf"]
        names = [a["properties"]["event"]["const"] for a in alternatives]
    except (KeyError, TypeError):
        return None
    if "event" not in items.get("required", ()) or len(set(names)) != len(names):
        return None
    outer = validator_class({**schema, "properties": {**schema["properties"], "events": {}}})
    events = validator_class(schema["properties"]["events"] | {"items": {}})
    base = validator_class({k: v for k, v in items.items() if k != "oneOf"})
    by_name = {name: validator_class(a) for name, a in zip(names, alternatives, strict=True)}

    def accepts(result: Any) -> bool:
        if not outer.is_valid(result):
            return False
        if "events" not in result:
            return True
        if not events.is_valid(result["events"]):
            return False
        for event in result["events"]:
            if not base.is_valid(event):
                return False
            own = by_name.get(event["event"])
            if own is None or not own.is_valid(event):
                return False
        return True

    return accepts


# Shorter than the action server's keep-alive (``SANIC_KEEP_ALIVE_TIMEOUT``, 5 s by default),
# so this side always closes an idle connection first and never reuses one being closed.
ACTION_KEEPALIVE_SECONDS = 2.0


class _KeptSession:
    """An ``async with`` that hands out a long-lived session and does not close it."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def _install_kept_action_connections() -> None:
    import asyncio

    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    def session(self: EndpointConfig) -> _KeptSession:
        # Rasa opens a session (and a TCP connection) for every action call; one per endpoint
        # and event loop keeps the connection to the action server open between calls.
        loop = asyncio.get_running_loop()
        kept = getattr(self, "_kept_session", None)
        if kept is None or kept.closed or kept._loop is not loop:
            auth = None
            if self.basic_auth:
                auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            kept = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=ACTION_KEEPALIVE_SECONDS),
            )
            self._kept_session = kept
        return _KeptSession(kept)

    _replace(EndpointConfig, "session", session)


def _install_event_class_cache() -> None:
    from rasa.shared.core.events import Event

    resolve = Event.resolve_by_type
    found: Dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        event_class = found.get(type_name)
        if event_class is None:
            event_class = resolve(type_name, default)
            # Only a class that really has this type name is remembered, never the default.
            if event_class is not None and getattr(event_class, "type_name", None) == type_name:
                found[type_name] = event_class
        return event_class

    _replace(Event, "resolve_by_type", staticmethod(resolve_by_type))


def _install_empty_domain_check() -> None:
    from rasa.shared.core.domain import Domain

    empty: List[Dict[str, Any]] = []

    def is_empty(self: Domain) -> bool:
        # Domain.is_empty, with Domain.empty().as_dict() built on the first call only.
        if not empty:
            empty.append(Domain.empty().as_dict())
        return self.as_dict() == empty[0]

    _replace(Domain, "is_empty", is_empty)


def _install_sequential_graph_runs() -> None:
    import logging as _logging

    import dask.core
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    runner_logger = _logging.getLogger("rasa.engine.runner.dask")

    def run(
        self: DaskGraphRunner,
        inputs: Optional[Dict[str, Any]] = None,
        targets: Optional[List[str]] = None,
    ) -> Dict[str, Any]:
        # DaskGraphRunner.run, with dask's plain sequential evaluation (dask.core.get)
        # instead of its scheduler (dask.get), which costs more than the small graph it runs.
        run_targets = targets if targets else self._graph_schema.target_names
        minimal_schema = self._graph_schema.minimal_graph_schema(run_targets)
        run_graph = self._build_dask_graph(minimal_schema)
        if inputs:
            self._add_inputs_to_graph(inputs, run_graph)
        if runner_logger.isEnabledFor(_logging.DEBUG):
            runner_logger.debug(
                f"Running graph with inputs: {inputs}, targets: {targets} "
                f"and {self._execution_context}."
            )
        try:
            return dict(dask.core.get(run_graph, list(run_targets)))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error

    _replace(DaskGraphRunner, "run", run)


SPEEDUPS = {
    "action_validation": _install_cached_action_validation,
    "action_keepalive": _install_kept_action_connections,
    "event_classes": _install_event_class_cache,
    "empty_domain": _install_empty_domain_check,
    "graph_runs": _install_sequential_graph_runs,
}
