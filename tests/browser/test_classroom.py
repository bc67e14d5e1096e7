"""A classroom on one server, in Chromium: one training slot, three people. The second to ask for the
very run being trained watches it instead of training it twice and can leave; the third waits in
line with its place and an estimate, and trains when the slot frees."""

import re

import pytest
from playwright.sync_api import expect

from support.appserver import Server
from tests.browser.conftest import SHOTS
from tests.browser.test_app import settle

LONG = "epochs:500,hidden:1024,augment:10,ensemble:2"  # a minute or more: still running while the test looks
OTHER = "epochs:500,hidden:512,augment:10,ensemble:2"


@pytest.fixture(scope="module")
def one_slot_server(tmp_path_factory):
    env = {"DIGITS_TRAINING_SLOTS": "1", "DIGITS_TRAINING_BUDGET": "1000000"}
    with Server(tmp_path_factory.mktemp("classroom") / "server.log", env) as server:
        yield server


def opened(browser, server, run):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{server.url}/?run={run}")
    expect(page.locator("[data-testid=stProgress]").first).to_be_visible(timeout=60_000)
    return page


def progress(page):
    return page.locator("[data-testid=stProgress]").first


def test_one_slot_three_people(browser, one_slot_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    first = opened(browser, one_slot_server, LONG)
    expect(progress(first)).to_contain_text(re.compile(r"epoch \d+/500"), timeout=60_000)

    second = opened(browser, one_slot_server, LONG)  # the very same run
    expect(progress(second)).to_contain_text("Someone else on this server is training this very run",
                                             timeout=30_000)
    second.screenshot(path=str(SHOTS / "classroom-same-run.png"))

    third = opened(browser, one_slot_server, OTHER)
    in_line = r"Waiting for a free training slot: place 1 in line \(no training ahead of yours, 1 running\), about"
    expect(progress(third)).to_contain_text(re.compile(in_line),
                                            timeout=30_000)
    expect(third.get_by_role("button", name="Stop", exact=True)).to_be_visible()
    third.screenshot(path=str(SHOTS / "classroom-in-line.png"))

    second.get_by_role("button", name="Stop", exact=True).click()  # leaves: nothing of its own trains
    settle(second)
    expect(second.locator("[data-testid=stProgress]")).to_have_count(0)
    expect(second.get_by_text("No runs yet")).to_be_visible()

    first.get_by_role("button", name="Stop", exact=True).click()  # the slot frees: the third trains
    settle(first)
    shown = first.get_by_role("combobox", name="Showing run", exact=True)  # the sidebar, on any page
    expect(shown).to_have_value(re.compile(r"\(h1024 lr0\.1 b64 e500 s0 a10 n2 · stopped at \d+.500\)$"))
    expect(progress(third)).to_contain_text(re.compile(r"epoch \d+/500"), timeout=60_000)
    third.get_by_role("button", name="Stop", exact=True).click()
    settle(third)
    expect(third.get_by_role("combobox", name="Showing run", exact=True)).to_have_value(
        re.compile(r"\(h512 .* stopped at \d+.500\)$"))
    for page in (first, second, third):
        expect(page.locator("[data-testid=stException]")).to_have_count(0)
        page.context.close()
