"""A link's text is shown as text in the browser: a note quoting
``[log in again](https://example.invalid)`` was a clickable outside link in a toast, and
``![x](http://127.0.0.1:PORT/t.png)`` made every visitor's browser fetch that image."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

TIMEOUT = 60_000
expect.set_options(timeout=TIMEOUT)


@pytest.fixture
def image_server():
    """An HTTP server on a free loopback port that counts the requests it gets."""
    requests = []

    class Counting(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 -- http.server's name
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], requests
    httpd.shutdown()


def shown(locator):
    """The text a reader sees (the invisible word joiner that keeps an address from being a link left out)."""
    return locator.inner_text().replace("\u2060", "")


def test_a_links_notes_show_its_markdown_as_text_and_fetch_nothing(page, server, image_server, shot):
    port, requests = image_server
    link = "[log in again](https://example.invalid)"
    image = f"![x](http://127.0.0.1:{port}/t.png)"
    page.goto(f"{server.url}/?{urlencode({'lock': link, 'hidden': image})}")
    toasts = page.locator("[data-testid=stToast]")
    lock_note, hidden_note = toasts.filter(has_text="log in again"), toasts.filter(has_text="127.0.0.1")
    expect(lock_note).to_be_visible()  # toasts go after a few seconds: each read while it is there
    shot(page, "toasts")
    assert link in shown(lock_note), lock_note.inner_text()  # every character shown, as typed
    assert lock_note.locator("a").count() == 0
    expect(hidden_note).to_be_visible()
    assert image in shown(hidden_note), hidden_note.inner_text()
    assert hidden_note.locator("img").count() == 0
    assert page.locator("a[href*='example.invalid']").count() == 0
    assert page.locator(f"img[src*='{port}']").count() == 0
    assert requests == []
