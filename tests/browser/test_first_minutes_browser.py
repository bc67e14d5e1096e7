"""The first ten minutes in Chromium at 1400×1000 (and a phone's 390×844 for the probe page): the
answer in view while drawing, divergence that explains itself, values out of range in words."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import SHOTS
from tests.browser.test_app import draw, go, no_errors, open_app, set_setting, settle, train
from tests.drawn import MOUSE_STROKES

DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}


def seen(page, name, locator=None):
    """A screenshot of what the person sees (the viewport, or one element) in test-artifacts/screenshots/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    (locator or page).screenshot(path=str(SHOTS / f"first-minutes-{name}.png"))


def probe_drawing(page, server):
    """Open Probe a digit on a link that brings back the default run (on a phone the sidebar is
    closed), choose Draw and draw a 7."""
    page.goto(f"{server.url}/probe?run=default&selected=0")
    expect(page.get_by_role("heading", name="Probe a digit")).to_be_visible()
    settle(page)
    page.locator("[data-testid=stButtonGroup] button", has_text="Draw").click()
    settle(page)
    draw(page, MOUSE_STROKES[7])
    settle(page)
    verdict = page.get_by_text(re.compile(r"^Prediction: \d")).first
    expect(verdict).to_be_visible()
    return verdict


def test_after_drawing_the_answer_is_in_view_beside_the_canvas(browser, server):
    page = browser.new_page(viewport=DESKTOP)
    verdict = probe_drawing(page, server)
    canvas = page.locator("canvas.upper-canvas").bounding_box()
    answer = verdict.bounding_box()
    chart = page.locator("[data-testid=stPlotlyChart]").first.bounding_box()
    assert answer["x"] > canvas["x"] + canvas["width"], "the answer is beside the canvas"
    assert chart["y"] + chart["height"] <= DESKTOP["height"], "the softmax chart is in view without scrolling"
    no_errors(page)
    seen(page, "probe-desktop")
    page.close()


def test_on_a_phone_the_answer_comes_right_under_the_canvas(browser, server):
    page = browser.new_page(viewport=PHONE)
    verdict = probe_drawing(page, server)
    canvas = page.locator("canvas.upper-canvas").bounding_box()
    answer = verdict.bounding_box()
    assert answer["y"] > canvas["y"] + canvas["height"], "stacked: the answer below the canvas"
    assert answer["y"] - (canvas["y"] + canvas["height"]) < 250, "and right under it"
    verdict.scroll_into_view_if_needed()
    seen(page, "probe-phone")
    page.close()


def test_a_diverging_run_explains_itself_and_compare_stays_readable(browser, server):
    page = browser.new_page(viewport=DESKTOP)
    open_app(page, server)
    set_setting(page, "Learning rate", 50)
    train(page)
    expect(page.get_by_text("No epoch finished").first).to_be_visible()
    expect(page.get_by_text(re.compile("Loss of each batch in epoch 1"))).to_be_visible()
    seen(page, "diverged-lr50")
    set_setting(page, "Learning rate", 4)
    train(page)
    set_setting(page, "Learning rate", 0.1)
    train(page)
    go(page, "Compare runs")
    expect(page.locator("[data-testid=stPlotlyChart]").first).to_be_visible()
    no_errors(page)
    seen(page, "compare-diverged")
    page.close()


def test_a_value_out_of_range_is_said_in_words_next_to_its_box(browser, server):
    page = browser.new_page(viewport=DESKTOP)
    open_app(page, server)
    set_setting(page, "Learning rate", 200)
    message = page.get_by_text("Learning rate must be 0.00001 to 100.")
    expect(message).to_be_visible()
    box = page.locator("[data-testid=stSidebar]").get_by_role("spinbutton", name="Learning rate", exact=True)
    assert abs(message.bounding_box()["y"] - (box.bounding_box()["y"] + box.bounding_box()["height"])) < 60
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_disabled()
    seen(page, "out-of-range", page.locator("[data-testid=stSidebar]"))
    page.close()


def test_a_link_opens_with_its_settings_in_the_boxes_from_the_first_moment(browser, server):
    """Epochs read 0 for a moment after a link opened in about half the fresh sessions (a click then
    sent the 0 back): read the boxes as soon as each session is idle, several fresh sessions."""
    link = f"{server.url}/?epochs=12&hidden=24&run=epochs:12,hidden:24&run=default&selected=0"
    for _ in range(5):
        page = browser.new_page(viewport=DESKTOP)
        page.goto(link)
        expect(page.locator("[data-testid=stSidebarNav]")).to_be_visible()
        page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for()
        sidebar = page.locator("[data-testid=stSidebar]")
        shown = [sidebar.get_by_role("spinbutton", name=name, exact=True).input_value()
                 for name in ("Epochs", "Hidden units")]
        assert shown == ["12", "24"], shown
        page.close()
