"""Start here in Chromium, each lesson end to end as a learner goes through it: guess, run, read the
explanation with the runs' numbers, and "Try it yourself" puts the lesson's settings into the
sidebar. Screenshots at 1400×1000 and on a phone (390×844); the wall time of each lesson's button
is written to test-artifacts/lesson-times.txt."""

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from app.state.links import _text
from nncore.lab import lessons
from tests.browser.conftest import SHOTS
from tests.browser.test_app import no_errors, settle

DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
TIMES = SHOTS.parent / "lesson-times.txt"


def seen(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"lessons-{name}.png"))


def run_lesson(page, server, lesson, guess=0):
    """Open the lesson by its link, guess, press its button; returns the seconds until the verdict showed."""
    page.goto(f"{server.url}/?lesson={lesson.key}")
    expect(page.get_by_role("heading", name=re.compile(re.escape(lesson.title)))).to_be_visible()
    settle(page)
    button = page.get_by_role("button", name=re.compile(r"^Run the experiment"))
    expect(button).to_be_disabled()
    page.get_by_role("radio", name=lesson.options[guess], exact=True).check(force=True)
    settle(page)
    started = time.perf_counter()
    button.click()
    expect(page.get_by_text(re.compile(r"^Your guess was")).first).to_be_visible()
    settle(page)
    return time.perf_counter() - started


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=lambda lesson: lesson.key)
def test_each_lesson_end_to_end(browser, server, lesson):
    page = browser.new_page(viewport=DESKTOP)
    seconds = run_lesson(page, server, lesson)
    no_errors(page)
    explanation = page.locator("[data-testid=stMarkdownContainer] li")
    expect(explanation.first).to_be_visible()
    assert re.search(r"\d%|\d\.\d", explanation.first.inner_text()), "the runs' numbers"
    expect(page.get_by_role("link", name=f"More on {lesson.page_title}")).to_be_visible()
    seen(page, f"{lesson.key}-desktop")
    with TIMES.open("a") as log:
        log.write(f"{lesson.key}: {seconds:.1f} s from the click to the explanation ({len(lesson.configs)} runs)\n")

    try_it = page.get_by_role("button", name="Try it yourself")
    try_it.scroll_into_view_if_needed()
    seen(page, f"{lesson.key}-desktop-end")
    try_it.click()
    settle(page)
    # the URL is written on the rerun the click starts, which a busy machine can leave a beat behind
    pairs = [[name, _text(value)] for name, value in lesson.try_config.to_dict().items()]
    page.wait_for_function("pairs => pairs.every(([name, value]) => "
                           "new URLSearchParams(window.location.search).get(name) === value)", arg=pairs,
                           timeout=120_000)
    query = parse_qs(urlparse(page.url).query)
    for name, value in lesson.try_config.to_dict().items():
        assert query[name] == [_text(value)], name  # the URL carries the sidebar's settings
    box = page.locator("[data-testid=stSidebar]").get_by_role("spinbutton", name="Hidden units", exact=True)
    expect(box).to_have_value(re.compile(rf"^{lesson.try_config.hidden}(\.0*)?$"))  # the box may be drawn a beat later
    assert re.search(rf"guesses=[^&]*{lesson.key}%3A0|guesses=[^&]*{lesson.key}:0", page.url), page.url
    page.close()


def test_a_reload_keeps_the_guesses_and_shows_the_explanation_again(browser, server):
    page = browser.new_page(viewport=DESKTOP)
    run_lesson(page, server, lessons.LEARNING_RATE, guess=1)
    verdict = page.get_by_text(re.compile(r"^Your guess was")).first.inner_text()
    page.reload()
    expect(page.get_by_text(verdict)).to_be_visible()
    expect(page.get_by_text("1 of 8 lessons answered")).to_be_visible()
    no_errors(page)
    page.close()


def test_on_a_phone_a_lesson_reads_top_to_bottom(browser, server):
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{server.url}/?lesson=overfitting")
    expect(page.get_by_role("heading", name=re.compile("Overfitting"))).to_be_visible()
    settle(page)
    seen(page, "overfitting-phone-question")
    run_lesson(page, server, lessons.OVERFITTING, guess=2)
    verdict = page.get_by_text(re.compile(r"^Your guess was")).first
    verdict.scroll_into_view_if_needed()
    seen(page, "overfitting-phone-verdict")
    page.get_by_role("heading", name="Glossary").scroll_into_view_if_needed()
    seen(page, "glossary-phone")
    box = verdict.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], "the verdict fits the phone's width"
    no_errors(page)
    page.close()
