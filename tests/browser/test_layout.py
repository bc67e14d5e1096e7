"""What a person sees at 1400×1000 and on a 390×844 phone: Train above the fold of the sidebar, the
sidebar closing after a page is chosen on a phone, the chart toolbar clear of the chart's title,
every legend entry inside its chart on a phone.
Each test takes the screenshots of the pages it visits (test-artifacts/screenshots/)."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_app import TIMEOUT, settle

DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
PAGES = ["Start here", "Train & overview", "Compare runs", "Probe a digit", "Hidden units", "Curves & confusion"]


@pytest.fixture
def opened(browser, server):
    """opened(viewport): a fresh browser page of that size on Train & overview."""
    contexts = []

    def open_at(viewport):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        page.goto(f"{server.url}/train")
        expect(page.get_by_test_id("stSidebar")).to_be_attached()
        settle(page)
        return page

    yield open_at
    for context in contexts:
        context.close()


def sidebar_open(page):
    return page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "false"


def open_sidebar(page):
    if not sidebar_open(page):
        page.get_by_test_id("stExpandSidebarButton").click()
        expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "false")


def train_default(page):
    open_sidebar(page)
    page.get_by_role("button", name="Train", exact=True).click()
    settle(page)
    expect(page.get_by_role("combobox", name="Showing run")).to_be_visible()


def choose(page, name):
    open_sidebar(page)
    page.locator("[data-testid=stSidebarNav] a", has_text=name).click()
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    settle(page)


def train_button_box(page):
    """The Train button's box in the viewport as the page opens: nothing scrolled (the sidebar at its top)."""
    assert page.get_by_test_id("stSidebarContent").evaluate("e => e.scrollTop") == 0
    return page.get_by_role("button", name="Train", exact=True).bounding_box()


def test_train_is_above_the_fold_of_the_sidebar_at_1400_by_1000_with_and_without_a_run_shown(opened, shot):
    page = opened(DESKTOP)
    box = train_button_box(page)
    assert 0 <= box["y"] and box["y"] + box["height"] <= DESKTOP["height"]
    train_default(page)
    page.reload()  # opened again from its link, the run shown at the top of the sidebar, nothing scrolled
    expect(page.get_by_role("combobox", name="Showing run")).to_be_visible()
    settle(page)
    box = train_button_box(page)
    assert 0 <= box["y"] and box["y"] + box["height"] <= DESKTOP["height"]
    shot(page, "sidebar-1400x1000")
    for name in PAGES:  # on a wide screen choosing a page leaves the sidebar open: it does not cover the page
        choose(page, name)
        assert sidebar_open(page)
        shot(page, f"{name}-1400x1000")


def test_on_a_phone_the_sidebar_closes_after_a_page_is_chosen(opened, shot):
    page = opened(PHONE)
    train_default(page)
    assert sidebar_open(page)  # training leaves it open: the run shown is in it
    shot(page, "sidebar-390x844")
    for name in PAGES:
        choose(page, name)
        expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
        shot(page, f"{name}-390x844")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_chart_toolbar_stays_clear_of_the_chart_title(opened, viewport):
    page = opened(viewport)
    train_default(page)
    choose(page, "Curves & confusion")
    chart = page.get_by_test_id("stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    chart.hover()
    toolbar = chart.locator(".modebar")
    expect(toolbar).to_be_visible()
    tools, title, area = toolbar.bounding_box(), chart.locator(".gtitle").bounding_box(), chart.bounding_box()
    assert tools["y"] + tools["height"] <= title["y"] or tools["x"] >= title["x"] + title["width"]  # no overlap
    if viewport is PHONE:  # in a strip above the chart, not over its title
        assert tools["y"] + tools["height"] <= title["y"]
    else:  # a wide chart has room beside its title: the toolbar stays in the chart's top corner
        assert tools["y"] <= area["y"] + 5 and tools["x"] >= title["x"] + title["width"]


LEGEND_ENTRIES = """chart => [...chart.querySelectorAll('.legend .traces')].map(entry => {
    const e = entry.getBoundingClientRect(), c = chart.getBoundingClientRect();
    return {text: entry.textContent, inside: e.top >= c.top - 0.5 && e.bottom <= c.bottom + 0.5};
})"""


def test_on_a_phone_every_legend_entry_of_compares_charts_is_inside_its_chart(browser, server, shot):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{server.url}/compare?run=epochs:3&run=epochs:3,lr:0.5&run=epochs:3,hidden:16&overlay=0,1,2")
    charts = page.locator("[data-testid=stMain] [data-testid=stPlotlyChart]")
    expect(charts).to_have_count(2, timeout=300_000)
    settle(page)
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        entries = chart.evaluate(LEGEND_ENTRIES)
        assert len(entries) == 3 and all(e["inside"] for e in entries), entries  # the toolbar's strip pushed one out
    shot(page, "compare-390x844")
    context.close()
