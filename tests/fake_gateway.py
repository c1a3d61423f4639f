"""A fake GatewayAPI on loopback that records what is sent and can be told to fail.

Run as ``python -m tests.fake_gateway PORT``; tests use :func:`fake_gateway`, which starts
it in a subprocess and yields a :class:`FakeGateway` handle.

- ``POST /rest/mtsms`` records the request (and answers 200 with ids, or the next
  queued failure);
- ``POST /_fail`` ``{"statuses": [500, "timeout", 200]}`` queues answers for the next
  requests ("timeout" waits 3 s, then answers 200);
- ``GET /_requests`` returns every request so far; ``POST /_reset`` forgets them.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import requests
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

from tests.servers import BIN, free_port, running


def create_app() -> Sanic:
    """The fake gateway's app."""
    app = Sanic("fake_gatewayapi")
    requests_seen: List[Dict[str, Any]] = []
    queued: List[Any] = []
    ids = itertools.count(1000)

    @app.post("/rest/mtsms")
    async def send(request: Request) -> HTTPResponse:
        answer = queued.pop(0) if queued else 200
        requests_seen.append(
            {
                "authorization": request.headers.get("authorization"),
                "json": request.json,
                "answered": answer,
            }
        )
        if answer == "timeout":
            await asyncio.sleep(3)
            answer = 200
        if answer >= 300:
            return json({"message": "fake failure"}, status=answer)
        count = len(request.json) if isinstance(request.json, list) else 1
        return json({"ids": [next(ids) for _ in range(count)], "usage": {}})

    @app.post("/_fail")
    async def fail(request: Request) -> HTTPResponse:
        queued.extend(request.json["statuses"])
        return json({"queued": len(queued)})

    @app.get("/_requests")
    async def seen(_: Request) -> HTTPResponse:
        return json(requests_seen)

    @app.post("/_reset")
    async def reset(_: Request) -> HTTPResponse:
        requests_seen.clear()
        queued.clear()
        return json({"ok": True})

    return app


class FakeGateway:
    """A handle on a running fake gateway."""

    def __init__(self, url: str) -> None:
        self.url = url

    def requests(self) -> List[Dict[str, Any]]:
        """Every request received so far."""
        return requests.get(f"{self.url}/_requests", timeout=5).json()

    def messages(self) -> List[Dict[str, Any]]:
        """Every message object accepted (answered 200), flattened, in order."""
        found = []
        for request in self.requests():
            if request["answered"] not in (200, "timeout"):
                continue
            body = request["json"]
            found.extend(body if isinstance(body, list) else [body])
        return found

    def texts_to(self, msisdn: int) -> List[str]:
        """The accepted message texts sent to one number, in order."""
        return [
            m["message"]
            for m in self.messages()
            if any(r["msisdn"] == msisdn for r in m["recipients"])
        ]

    def fail(self, *statuses: Any) -> None:
        """Answers the next requests with these statuses (or "timeout")."""
        requests.post(f"{self.url}/_fail", json={"statuses": list(statuses)}, timeout=5)

    def reset(self) -> None:
        """Forgets every request and queued failure."""
        requests.post(f"{self.url}/_reset", timeout=5)

    def wait_for(self, check: Callable[[FakeGateway], bool], timeout: float = 30.0) -> None:
        """Polls until ``check`` is true; fails the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check(self):
                return
            time.sleep(0.2)
        raise AssertionError(f"the fake gateway did not see it in {timeout} s: {self.requests()}")


@contextmanager
def fake_gateway(tmp: Path) -> Iterator[FakeGateway]:
    """Runs the fake gateway in a subprocess on a free loopback port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "python"), "-m", "tests.fake_gateway", str(port)]
    with running(command, f"{url}/_requests", dict(os.environ), tmp / "gateway.log"):
        yield FakeGateway(url)


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=int(sys.argv[1]), access_log=False, motd=False)
