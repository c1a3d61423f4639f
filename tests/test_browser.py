"""The chat widget and the staff pages in a real browser (Chromium, headless) on loopback.

The Rasa and action servers and the web app run as real processes (``tests/servers.py``),
so the widget's requests cross origins and CORS and the Content-Security-Policy are real.
Screenshots land in ``test-artifacts/``.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Request, Route, expect, sync_playwright

from bot.insights import InsightsRepository
from tests.conftest import ROOT
from tests.servers import action_server, assistant_ports, free_port, rasa_server, staff_web

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
STAFF_USER, STAFF_PASSWORD = "fronten", "korrekt-hest-batteri-haefteklamme"
SESSION_SECRET = "browser-tests-session-secret-" + "0123456789" * 3
PHONE = "44 77 34 43"
DESKTOP = {"width": 1280, "height": 800}
PHONE_SCREEN = {"width": 320, "height": 640}
# 200 % zoom on a 1280 x 720 laptop: half the CSS pixels, twice the device pixels.
ZOOMED = {"width": 640, "height": 360}
REPLY_TIMEOUT_MS = 30_000


@dataclass
class Services:
    """The running servers and how to stop the assistant (the last test does)."""

    web: str
    bot: str
    insights_db: Path
    # Two other municipal sites that embed the widget: one in CORS_ORIGINS, one not.
    embedding_site: str
    foreign_site: str
    stop_assistant: Callable[[], None]

    @property
    def webhook(self) -> str:
        return f"{self.bot}/webhooks/rest/webhook"


def embedding_page(web: str, bot: str) -> bytes:
    """Another municipality's page: the widget is embedded from the web app's origin."""
    return (
        '<!doctype html><html lang="da"><head><meta charset="utf-8"><title>Kommune</title>'
        '</head><body><main><h1>En anden kommunes side</h1></main><script src="'
        f'{web}/widget.js" data-server="{bot}" data-color="#ffff00" defer>'
        "</script></body></html>"
    ).encode()


@contextmanager
def municipal_site(port: int, body: bytes) -> Iterator[str]:
    """Serves one page on loopback, as a municipality's own web server would."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Rasa, the action server and the web app, each knowing the others' addresses."""
    tmp = tmp_path_factory.mktemp("browser")
    web_port, site_port, foreign_port = free_port(), free_port(), free_port()
    web = f"http://127.0.0.1:{web_port}"
    env = {
        # The demo page's origin, and another municipality's site that embeds the widget.
        "CORS_ORIGINS": f"{web} http://127.0.0.1:{site_port}",
        "INSIGHTS_DB": str(tmp / "insights.db"),
        "BOOKING_DB": str(tmp / "bookings.db"),
        "STAFF_USER": STAFF_USER,
        "STAFF_PASSWORD": STAFF_PASSWORD,
        "SESSION_SECRET": SESSION_SECRET,
    }
    ports = assistant_ports(tmp, env)
    bot = ExitStack()
    bot.enter_context(action_server(ports, tmp / "actions.log"))
    bot.enter_context(rasa_server(ports, tmp / "rasa.log"))
    page = embedding_page(web, ports.base)
    with (
        bot,
        staff_web(tmp, {**env, "BOT_PUBLIC_URL": ports.base}, port=web_port) as url,
        municipal_site(site_port, page) as site,
        municipal_site(foreign_port, page) as foreign,
    ):
        yield Services(url, ports.base, tmp / "insights.db", site, foreign, bot.close)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@dataclass
class Watch:
    """What happened in the page: errors, CSP violations, dialogs and chat requests."""

    errors: list[str]
    csp: list[str]
    dialogs: list[str]
    posts: list[Request]

    def payloads(self) -> list[dict]:
        return [json.loads(r.post_data or "{}") for r in self.posts]


def new_page(
    browser: Browser,
    services: Services,
    request: pytest.FixtureRequest,
    viewport: dict[str, int] = DESKTOP,
    scale: float = 1,
    bypass_csp: bool = False,
) -> tuple[Page, Watch]:
    context = browser.new_context(
        viewport=viewport, device_scale_factor=scale, locale="da-DK", bypass_csp=bypass_csp
    )
    page = context.new_page()
    page.set_default_timeout(REPLY_TIMEOUT_MS)
    watch = Watch([], [], [], [])
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    page.on(
        "console",
        lambda m: watch.csp.append(m.text) if "Content Security Policy" in m.text else None,
    )

    def on_dialog(dialog) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on(
        "request",
        lambda r: watch.posts.append(r)
        if r.method == "POST" and r.url.endswith("/webhooks/rest/webhook")
        else None,
    )
    request.addfinalizer(lambda: _finish(page, request))
    return page, watch


def _finish(page: Page, request: pytest.FixtureRequest) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    finally:
        page.context.close()


@pytest.fixture
def page_and_watch(
    browser: Browser, services: Services, request: pytest.FixtureRequest
) -> Iterator[tuple[Page, Watch]]:
    page, watch = new_page(browser, services, request)
    yield page, watch
    # Everything the page did must work under the strict CSP, without script errors.
    assert watch.errors == [] and watch.csp == [] and watch.dialogs == []


class Chat:
    """The widget as a citizen sees it (Playwright's CSS locators pierce the shadow root)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.get_by_role("button", name="Chat med Fronten")
        self.input = page.get_by_label("Skriv dit spørgsmål")
        self.send_button = page.get_by_role("button", name="Send", exact=True)
        self.panel = page.get_by_role("dialog", name="Frontens digitale assistent")
        self.bot = page.locator("li.msg.bot:not(.typing)")
        self.user = page.locator("li.msg.user")
        self.notices = page.locator("li.msg.notice")
        self.choices = page.locator("button.choice")
        self.live = page.locator("[aria-live=polite]")

    @classmethod
    def opened(cls, page: Page, url: str) -> Chat:
        """The widget on the page at ``url``, opened."""
        page.goto(url)
        chat = cls(page)
        chat.open()
        return chat

    def open(self) -> None:
        self.launcher.click()
        expect(self.input).to_be_focused()

    def ask(self, text: str) -> list[str]:
        """Sends a question with Enter; returns the texts of the new replies."""
        before = self.replies()
        self.input.fill(text)
        self.input.press("Enter")
        return self.wait(before)

    def wait(self, before: int) -> list[str]:
        expect(self.page.locator("form[aria-busy]")).to_have_count(0, timeout=REPLY_TIMEOUT_MS)
        replies = self.page.locator("li.msg.bot:not(.typing), li.msg.notice")
        assert replies.count() > before, "the citizen must never be left in silence"
        return replies.all_inner_texts()[before:]

    def replies(self) -> int:
        return self.page.locator("li.msg.bot:not(.typing), li.msg.notice").count()

    def storage(self) -> dict:
        return json.loads(self.page.evaluate("() => sessionStorage.getItem('fronten-chat-v1')"))


@pytest.fixture
def chat_and_watch(page_and_watch, services: Services) -> tuple[Chat, Watch]:
    """The widget opened on the web app's own page, and what that page did."""
    page, watch = page_and_watch
    return Chat.opened(page, services.web + "/"), watch


def focused(page: Page) -> dict[str, str]:
    """The focused element inside the widget and its focus outline."""
    return page.evaluate(
        """() => {
            const host = document.querySelector('aside.fronten-chat');
            const el = (host && host.shadowRoot.activeElement) || document.activeElement;
            const style = getComputedStyle(el);
            return {cls: el.className || el.tagName, text: el.textContent || '',
                    outline: style.outlineStyle, width: style.outlineWidth};
        }"""
    )


def no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    for box in page.locator("li.msg").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().right)"
    ):
        assert box <= width + 0.5


def axe_violations(page: Page) -> str:
    results = Axe().run(page)
    return "" if results.violations_count == 0 else results.generate_report()


# ---------------------------------------------------------------- the citizen's chat


def test_question_is_answered_with_its_source(page_and_watch, services: Services) -> None:
    page, watch = page_and_watch
    page.goto(services.web + "/")
    assert page.locator("html").get_attribute("lang") == "da"
    chat = Chat(page)
    expect(chat.panel).to_be_hidden()
    chat.open()
    expect(chat.panel).to_be_visible()
    expect(page.get_by_text("Skriv ikke dit CPR-nummer")).to_be_visible()
    replies = chat.ask("hvordan søger jeg bostøtte?")
    assert any("Kilde:" in reply for reply in replies), replies
    expect(chat.user).to_have_text(["Du skrev:hvordan søger jeg bostøtte?"])
    # Screen readers hear the answer through the live region.
    expect(chat.live).to_contain_text("Kilde:")
    assert watch.payloads()[0]["message"] == "hvordan søger jeg bostøtte?"


def test_quick_reply_sends_the_payload_and_shows_the_title(chat_and_watch) -> None:
    chat, watch = chat_and_watch
    chat.ask("hvad koster det?")
    expect(chat.choices.first).to_be_visible()
    title = chat.choices.first.inner_text()
    before = chat.replies()
    chat.choices.first.click()
    replies = chat.wait(before)
    assert any("Kilde:" in reply for reply in replies), replies
    assert chat.user.last.inner_text().endswith(title)
    assert watch.payloads()[-1]["message"].startswith("/ask_cost{")
    # The old choices are gone, so an outdated button cannot be pressed again.
    expect(chat.choices).to_have_count(0)
    expect(chat.input).to_be_focused()


def test_conversation_survives_reload_and_start_over_begins_anew(chat_and_watch) -> None:
    chat, watch = chat_and_watch
    page = chat.page
    chat.ask("hvem kan få BPA?")
    texts = chat.bot.all_inner_texts()
    sender = chat.storage()["sender"]
    page.reload()
    chat = Chat(page)
    expect(chat.panel).to_be_visible()
    expect(chat.user).to_have_count(1)
    assert chat.bot.all_inner_texts() == texts
    assert chat.storage()["sender"] == sender
    # The same conversation goes on at the server: a follow-up is still about BPA.
    replies = chat.ask("og hvad koster det?")
    assert any("BPA" in reply for reply in replies), replies
    assert {p["sender"] for p in watch.payloads()} == {sender}

    page.get_by_role("button", name="Start forfra").click()
    expect(chat.user).to_have_count(0)
    expect(chat.bot).to_have_count(0)
    expect(chat.input).to_be_focused()
    assert chat.storage()["messages"] == [] and chat.storage()["sender"] != sender
    chat.ask("hej")
    assert watch.payloads()[-1]["sender"] == chat.storage()["sender"] != sender


def test_the_whole_flow_works_from_the_keyboard(page_and_watch, services: Services) -> None:
    page, watch = page_and_watch
    page.goto(services.web + "/")
    chat = Chat(page)
    for _ in range(15):
        page.keyboard.press("Tab")
        if "launcher" in focused(page)["cls"]:
            break
    expect(chat.launcher).to_be_focused()
    assert focused(page)["outline"] != "none"
    page.keyboard.press("Enter")
    expect(chat.input).to_be_focused()
    page.keyboard.type("hvad koster det?")
    before = chat.replies()
    page.keyboard.press("Enter")
    chat.wait(before)
    expect(chat.input).to_be_focused()

    # Back from the input to the last quick-reply button, and choose it with Enter.
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
        if "choice" in focused(page)["cls"]:
            break
    state = focused(page)
    assert "choice" in state["cls"] and state["outline"] != "none", state
    assert float(state["width"].removesuffix("px")) >= 2
    before = chat.replies()
    page.keyboard.press("Enter")
    replies = chat.wait(before)
    # The answer is about the service chosen: its fact with the source, or that its standard
    # states no price.
    assert any(state["text"] in reply or "Kilde:" in reply for reply in replies), replies
    assert chat.user.last.inner_text().endswith(state["text"])
    expect(chat.input).to_be_focused()

    # Rate the answer with Space, from the keyboard too.
    for _ in range(4):
        page.keyboard.press("Shift+Tab")
        if "thumb up" in focused(page)["cls"]:
            break
    page.keyboard.press("Space")
    expect(page.locator("button.thumb.up").last).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".thanks").last).to_have_text("Tak for din vurdering.")

    page.keyboard.press("Escape")
    expect(chat.panel).to_be_hidden()
    expect(chat.launcher).to_be_focused()
    page.keyboard.press("Enter")
    expect(chat.input).to_be_focused()


def test_html_from_the_citizen_is_shown_as_text(chat_and_watch) -> None:
    chat, watch = chat_and_watch
    page = chat.page
    attack = "<img src=x onerror=alert(1)>"
    chat.ask(attack)
    page.wait_for_timeout(300)
    assert chat.user.last.inner_text().endswith(attack)
    images = page.evaluate(
        """() => document.querySelectorAll('img').length
              + document.querySelector('aside.fronten-chat').shadowRoot
                  .querySelectorAll('img').length"""
    )
    assert images == 0
    assert watch.dialogs == []


def test_only_http_links_from_the_assistant_become_links(
    page_and_watch, services: Services
) -> None:
    page, watch = page_and_watch
    reply = [
        {
            "text": "Læs mere på https://www.ballerup.dk/borger. Ikke javascript:alert(1) "
            'og ikke <a href="https://evil.example">her</a> eller <b>fed</b>.',
            "buttons": [{"title": "<i>Bostøtte</i>", "payload": "/ask_cost"}],
        }
    ]
    page.route(services.webhook, lambda route: route.fulfill(json=reply))
    chat = Chat.opened(page, services.web + "/")
    chat.ask("et link, tak")
    links = page.locator("li.msg.bot a")
    # Both URLs in the text become links; the markup around the second stays text.
    expect(links).to_have_count(2)
    hrefs = links.evaluate_all("links => links.map(a => [a.href, a.rel, a.target])")
    assert hrefs == [
        ["https://www.ballerup.dk/borger", "noopener noreferrer", "_blank"],
        ["https://evil.example/", "noopener noreferrer", "_blank"],
    ]
    text = chat.bot.last.inner_text()
    assert 'og ikke <a href="' in text and '">her</a> eller <b>fed</b>.' in text
    expect(chat.choices).to_have_text(["<i>Bostøtte</i>"])
    assert page.locator("li.msg b, li.msg i").count() == 0


@pytest.mark.parametrize("failure", ["status 500", "network error", "no reply", "timeout"])
def test_a_server_failure_gives_the_phone_number(
    browser: Browser, services: Services, request: pytest.FixtureRequest, failure: str
) -> None:
    page, watch = new_page(browser, services, request)
    if failure == "timeout":
        page.clock.install()

    def fail(route: Route) -> None:
        if failure == "status 500":
            route.fulfill(status=500, body="boom")
        elif failure == "network error":
            route.abort("connectionrefused")
        elif failure == "no reply":
            route.fulfill(json=[])
        # A timeout: the request is left hanging and the widget's 15 s clock runs out.

    page.route(services.webhook, fail)
    chat = Chat.opened(page, services.web + "/")
    chat.input.fill("hvad koster bostøtte?")
    chat.input.press("Enter")
    if failure == "timeout":
        page.wait_for_timeout(200)
        expect(chat.notices).to_have_count(0)
        page.clock.run_for(16_000)
    expect(chat.notices).to_have_count(1)
    expect(chat.notices).to_contain_text(PHONE)
    expect(chat.live).to_contain_text(PHONE)
    expect(page.locator("form[aria-busy]")).to_have_count(0)
    assert watch.errors == []


def test_the_phone_number_comes_from_the_contact_route(
    browser: Browser, services: Services, request: pytest.FixtureRequest
) -> None:
    contact = requests.get(f"{services.web}/widget/contact.json", timeout=10).json()
    assert (contact["name"], contact["phone"]) == ("Fronten", PHONE)
    page, watch = new_page(browser, services, request)
    other = contact | {"name": "Borgerservice", "phone": "12 34 56 78"}
    page.route(f"{services.web}/widget/contact.json", lambda route: route.fulfill(json=other))
    page.route(services.webhook, lambda route: route.abort("connectionrefused"))
    chat = Chat.opened(page, services.web + "/")
    [notice] = chat.ask("hvad koster bostøtte?")
    assert notice.endswith("Prøv igen om lidt, eller ring til Borgerservice på 12 34 56 78.")
    assert PHONE not in notice and watch.errors == []


def test_without_a_contact_point_the_notice_names_no_number(
    browser: Browser, services: Services, request: pytest.FixtureRequest
) -> None:
    # A municipality without a contact point (Gladsaxe today): the route answers 404.
    page, watch = new_page(browser, services, request)
    page.route(
        f"{services.web}/widget/contact.json",
        lambda route: route.fulfill(status=404, json={"error": "Siden findes ikke."}),
    )
    page.route(services.webhook, lambda route: route.fulfill(json=[]))
    chat = Chat.opened(page, services.web + "/")
    [notice] = chat.ask("hvad koster bostøtte?")
    assert notice.endswith("Prøv at skrive dit spørgsmål igen.")
    assert not re.search(r"\d", notice) and watch.errors == []


# ---------------------------------------------------------------- accessibility and layout


def test_axe_finds_no_violations_on_the_open_widget(
    browser: Browser, services: Services, request: pytest.FixtureRequest
) -> None:
    # axe injects its own style element; CSP is bypassed for it, not for the app's tests.
    page, _ = new_page(browser, services, request, bypass_csp=True)
    page.goto(services.web + "/")
    assert axe_violations(page) == ""
    chat = Chat(page)
    chat.open()
    chat.ask("hvordan søger jeg bostøtte?")
    chat.ask("hvad koster det?")
    page.locator("button.thumb.down").first.click()
    expect(page.locator(".thanks").first).to_have_text("Tak for din vurdering.")
    chat.input.focus()
    assert axe_violations(page) == "", "desktop"
    page.screenshot(path=str(ARTIFACTS / "widget-desktop.png"))

    page.set_viewport_size(PHONE_SCREEN)
    page.wait_for_timeout(200)
    assert axe_violations(page) == "", "320 px"
    no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "widget-320px.png"))


def test_zoom_200_percent_keeps_everything_usable(
    browser: Browser, services: Services, request: pytest.FixtureRequest
) -> None:
    page, _ = new_page(browser, services, request, viewport=ZOOMED, scale=2, bypass_csp=True)
    chat = Chat.opened(page, services.web + "/")
    chat.ask("hvad koster det?")
    no_horizontal_scroll(page)
    for control in (chat.input, chat.send_button, page.get_by_role("button", name="Luk chatten")):
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= ZOOMED["width"]
        assert box["y"] >= 0 and box["y"] + box["height"] <= ZOOMED["height"]
    assert axe_violations(page) == ""


def _paste(page: Page, chat: Chat, text: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    chat.input.focus()
    page.keyboard.press("Control+V")
    # The field holds at most 1000 characters, as the REST channel's guard reads no more.
    assert chat.input.input_value() == text[:1000]


@pytest.mark.parametrize(
    "kind",
    ["very long", "emoji", "right to left", "50 pasted lines"],
)
def test_bad_input_keeps_the_layout(
    browser: Browser, services: Services, request: pytest.FixtureRequest, kind: str
) -> None:
    page, watch = new_page(browser, services, request, viewport=PHONE_SCREEN, scale=2)
    chat = Chat.opened(page, services.web + "/")
    before = chat.replies()
    if kind == "very long":
        text = "bostøtte" + "x" * 5000
        chat.input.fill(text)
    elif kind == "emoji":
        text = "😀🙈🎉 hvad koster bostøtte? 👍🏽👨‍👩‍👧"
        chat.input.fill(text)
    elif kind == "right to left":
        text = "كيف أتقدم بطلب للحصول على دعم السكن؟ איך מגישים בקשה"
        chat.input.fill(text)
    else:
        text = "\n".join(f"linje {n}: hvordan søger jeg bostøtte?" for n in range(1, 51))
        _paste(page, chat, text)
    chat.send_button.click()
    replies = chat.wait(before)
    assert replies and all(reply.strip() for reply in replies)
    sent = watch.payloads()[-1]["message"]
    assert len(sent) <= 1000 and text.startswith(sent)
    if kind == "right to left":
        assert chat.user.last.locator("p").get_attribute("dir") == "auto"
        assert chat.user.last.locator("p").evaluate("p => getComputedStyle(p).direction") == "rtl"
    no_horizontal_scroll(page)
    assert watch.errors == [] and watch.csp == []


def test_double_click_on_send_sends_once(chat_and_watch) -> None:
    chat, watch = chat_and_watch
    page = chat.page
    chat.input.fill("hvem kan få BPA?")
    before = chat.replies()
    chat.send_button.dblclick()
    chat.input.press("Enter")
    chat.wait(before)
    page.wait_for_timeout(500)
    assert len(watch.posts) == 1
    expect(chat.user).to_have_count(1)


# ---------------------------------------------------------------- embedding and CORS


def test_widget_embedded_on_another_site_answers_and_stores_ratings(
    browser: Browser, services: Services, request: pytest.FixtureRequest
) -> None:
    page, watch = new_page(browser, services, request)
    chat = Chat.opened(page, services.embedding_site)
    # Yellow would make white text unreadable, so the widget keeps its own colour.
    background = chat.send_button.evaluate("b => getComputedStyle(b).backgroundColor")
    assert background == "rgb(0, 86, 111)"
    question = f"hvordan klager jeg over bostøtte? {uuid.uuid4().hex[:6]}"
    replies = chat.ask(question)
    assert any("Kilde:" in reply for reply in replies), replies
    page.locator("button.thumb.down").first.click()
    expect(page.locator(".thanks").first).to_have_text("Tak for din vurdering.")
    stored = InsightsRepository(services.insights_db).negative_feedback()
    assert any(f.question == question and "Kilde:" in f.answer for f in stored)
    assert watch.errors == []


def test_a_site_not_in_cors_origins_gets_no_answers(
    browser: Browser, services: Services, request: pytest.FixtureRequest
) -> None:
    page, _ = new_page(browser, services, request)
    chat = Chat.opened(page, services.foreign_site)
    before = chat.replies()
    chat.input.fill("hvad koster bostøtte?")
    chat.input.press("Enter")
    chat.wait(before)
    # The browser blocks the answer; the citizen still gets a message, not silence.
    expect(chat.notices).to_contain_text(PHONE)


def test_the_real_server_refuses_huge_bodies(services: Services) -> None:
    headers = {"Content-Type": "application/json", "Origin": services.web}
    response = requests.post(
        f"{services.web}/feedback", data=b"x" * (200 * 1024), headers=headers, timeout=10
    )
    assert response.status_code == 413 and set(response.json()) == {"error"}


# ---------------------------------------------------------------- staff


def test_staff_log_in_search_and_see_what_citizens_missed(
    browser: Browser, services: Services, request: pytest.FixtureRequest
) -> None:
    page, watch = new_page(browser, services, request, bypass_csp=False)
    chat = Chat.opened(page, services.web + "/")
    # Nonsense, so it hits the fallback; this module's insights database starts empty.
    missed = "blå banan kører cykel"
    chat.ask(missed)
    chat.ask("hvem kan få BPA?")
    page.locator("button.thumb.down").last.click()
    expect(page.locator(".thanks").last).to_have_text("Tak for din vurdering.")

    page.goto(services.web + "/staff")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    page.get_by_label("Brugernavn").fill(STAFF_USER)
    page.get_by_label("Adgangskode").fill("forkert")
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("alert")).to_have_text("Forkert brugernavn eller adgangskode.")
    page.get_by_label("Brugernavn").fill(STAFF_USER)
    page.get_by_label("Adgangskode").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page).to_have_url(services.web + "/staff")
    cookie = next(c for c in page.context.cookies() if c["name"] == "fronten_staff")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    page.get_by_label(re.compile("Søg efter ord")).fill("bostøtte ansøgning")
    page.get_by_role("button", name="Søg").click()
    expect(page.locator(".result").first).to_be_visible()
    expect(page.locator(".source").first).to_contain_text("afsnittet »")
    page.screenshot(path=str(ARTIFACTS / "staff-search.png"))

    page.get_by_role("link", name="Ubesvarede spørgsmål").click()
    expect(page.get_by_text(missed)).to_be_visible()
    page.get_by_role("link", name="Dårlige svar").click()
    expect(page.locator("td", has_text="hvem kan få BPA?").first).to_be_visible()
    page.get_by_role("link", name="Dagens aftaler").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dagens aftaler")
    page.get_by_role("button", name=re.compile("Log ud")).click()
    expect(page).to_have_url(re.compile(r"/staff/login$"))
    page.goto(services.web + "/staff/feedback")
    expect(page).to_have_url(re.compile(r"/staff/login\?next="))
    assert watch.errors == [] and watch.csp == []


def test_axe_finds_no_violations_on_the_staff_pages(
    browser: Browser, services: Services, request: pytest.FixtureRequest
) -> None:
    page, _ = new_page(browser, services, request, bypass_csp=True)
    page.goto(services.web + "/staff/login")
    assert axe_violations(page) == "", "login"
    page.get_by_label("Brugernavn").fill(STAFF_USER)
    page.get_by_label("Adgangskode").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    for path in ("/staff?q=klage", "/staff/today", "/staff/unanswered", "/staff/feedback"):
        page.goto(services.web + path)
        assert axe_violations(page) == "", path


# ---------------------------------------------------------------- last: the assistant stops


def test_when_the_assistant_is_down_the_citizen_gets_the_phone_number(
    browser: Browser, services: Services, request: pytest.FixtureRequest
) -> None:
    services.stop_assistant()
    page, watch = new_page(browser, services, request)
    chat = Chat.opened(page, services.web + "/")
    replies = chat.ask("hvordan søger jeg bostøtte?")
    assert len(replies) == 1 and PHONE in replies[0]
    expect(chat.live).to_contain_text(PHONE)
    assert watch.errors == [] and watch.csp == []
