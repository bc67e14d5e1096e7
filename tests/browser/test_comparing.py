"""Comparing runs as a learner does, in headless Chromium: the overlay on Compare keeps what they
remove, a reload brings every run back, Probe a digit remembers, and what a drawn digit teaches."""

import re

from playwright.sync_api import expect

from tests.browser.test_app import go, no_errors, open_app, settle

CHARTS = """title => [...document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')]
    .filter(g => (g.layout.title.text || '').includes(title))
    .map(g => ({traces: g.data.length, range: g._fullLayout.yaxis.range}))"""


def charts(page, title):
    """The Plotly charts of the main area whose title contains ``title``: their trace count and y range."""
    return page.evaluate(CHARTS, title)


def overlay_tags(page):
    return page.locator("[data-testid=stMain] [data-testid=stMultiSelect]").first.locator("[data-tag]")


def test_the_overlay_keeps_what_the_learner_removes_and_a_diverged_run_does_not_stretch_the_axis(page, server, shot):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_app(page, server, "compare?epochs=10&run=epochs:10&run=epochs:10,lr:4&run=epochs:10,seed:1&overlay=0,1,2")
    expect(overlay_tags(page)).to_have_count(3)
    settle(page)
    expect(page.get_by_text(re.compile(r"^Diverged, so their loss leaves the loss chart"))).to_be_visible()
    [loss] = charts(page, "Loss per epoch")
    assert loss["traces"] == 9 and loss["range"][1] < 2, loss  # the diverged run reached 1e33: not the axis
    shot(page, "three-with-a-diverged-one")

    diverged = page.get_by_role("button", name=re.compile(r"^Remove h64 lr4 "))
    diverged.click()
    settle(page)
    expect(overlay_tags(page)).to_have_count(2)
    assert charts(page, "Loss per epoch")[0]["traces"] == 6
    expect(page.get_by_text(re.compile(r"^Diverged, so"))).to_have_count(0)
    go(page, "Curves & confusion")  # another rerun, and back: still two
    go(page, "Compare runs")
    expect(overlay_tags(page)).to_have_count(2)
    assert charts(page, "Loss per epoch")[0]["traces"] == 6

    page.locator("[data-testid=stMain]").get_by_role("button", name="Clear all").click()
    settle(page)
    expect(overlay_tags(page)).to_have_count(0)
    assert charts(page, "Loss per epoch") == []
    go(page, "Train & overview")
    go(page, "Compare runs")
    expect(overlay_tags(page)).to_have_count(0)
    assert charts(page, "Loss per epoch") == []
    no_errors(page)
    shot(page, "cleared")
