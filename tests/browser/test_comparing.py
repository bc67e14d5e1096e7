"""Comparing runs as a learner does, in headless Chromium: the overlay on Compare keeps what they
remove, a reload brings every run back, Probe a digit remembers, and what a drawn digit teaches."""

import re

from playwright.sync_api import expect

from support.sessions import run_code
from tests.browser.test_app import go, no_errors, open_app, settle

CHARTS = """title => [...document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')]
    .filter(g => (g.layout.title.text || '').includes(title))
    .map(g => ({traces: g.data.length, range: g._fullLayout.yaxis.range}))"""


def charts(page, title):
    """The Plotly charts of the main area whose title contains ``title``: their trace count and y range."""
    return page.evaluate(CHARTS, title)


def overlay_tags(page):
    return page.locator("[data-testid=stMain] [data-testid=stMultiSelect]").first.locator("[data-tag]")


CLIPPED = """box => [...box.querySelectorAll('[data-tag]')].filter(tag => {
    const t = tag.getBoundingClientRect(), b = box.getBoundingClientRect();
    const text = tag.querySelector('span') || tag;
    return t.left < b.left - 0.5 || t.right > b.right + 0.5 || text.scrollWidth > text.clientWidth + 1;
}).map(tag => tag.getAttribute('aria-label'))"""


def clipped_tags(page, label):
    """The tags of the multiselect ``label`` that its box cuts off (outside it, or their text ellipsized)."""
    box = page.locator("[data-testid=stMain] [data-testid=stMultiSelect]").filter(
        has=page.get_by_text(label, exact=True)).locator("[data-testid=stMultiSelectTagsContainer]")
    return box.evaluate(CLIPPED)


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


COLOURS = """() => [...document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')]
    .filter(g => g.data && (g.layout.title.text || '').includes('Loss per epoch'))
    .map(g => Object.fromEntries(g.data.filter(t => t.showlegend !== false && t.line)
                                       .map(t => [t.name, t.line.color])))[0] || null"""


def colours(page, count):
    """{run name: colour} of the validation curves on Compare's loss chart, once it has ``count``."""
    page.wait_for_function(f"(() => {{ const c = ({COLOURS})(); return c && Object.keys(c).length == {count}; }})()",
                           timeout=120_000)
    return page.evaluate(COLOURS)


def pick(page, box, option):
    page.get_by_role("combobox", name=box, exact=True).click()
    page.keyboard.type(option)  # the list shows a few options at a time: narrow it to this one
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")  # a multiselect's list stays open
    settle(page)


def test_the_probe_shows_each_compared_runs_tag_whole(page, server, shot):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_app(page, server, "probe?run=epochs:3&run=epochs:3,seed:1&run=epochs:3,seed:2&selected=0")
    expect(page.get_by_text(re.compile(r"^Prediction: \d"))).to_be_visible(timeout=300_000)
    pick(page, "Runs", "h64 lr0.1 b64 e3 s1")
    pick(page, "Runs", "h64 lr0.1 b64 e3 s2")
    expect(page.get_by_text(re.compile(r"^Prediction: \d"))).to_have_count(3)
    shot(page, "wide")
    assert clipped_tags(page, "Runs") == []  # the first run's tag too: in a column, one row of tags scrolled
    page.set_viewport_size({"width": 390, "height": 844})
    settle(page)
    page.get_by_text("Runs", exact=True).scroll_into_view_if_needed()
    shot(page, "phone")
    assert clipped_tags(page, "Runs") == []
    no_errors(page)


def shown_run(page):
    return run_code(page.get_by_role("combobox", name="Showing run", exact=True).input_value())


def test_a_reload_brings_back_all_twelve_runs_with_the_selected_one_and_their_colours(page, server, shot):
    page.set_viewport_size({"width": 1400, "height": 1000})
    seeds = range(12)
    open_app(page, server, "compare?epochs=3&" + "&".join(f"run=epochs:3,seed:{s}" for s in seeds)
             + "&overlay=" + ",".join(str(s) for s in seeds))
    expect(overlay_tags(page)).to_have_count(12)
    # a session whose colours are not in order: delete a run, train another (it takes the free colour)
    pick(page, "Run", "3 epochs, seed 5 (h64 lr0.1 b64 e3 s5)")
    page.get_by_role("button", name="Delete", exact=True).click()
    settle(page)
    box = page.locator("[data-testid=stSidebar]").get_by_role("spinbutton", name="Seed", exact=True)
    box.fill("50")
    box.press("Enter")
    settle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    settle(page)
    expect(overlay_tags(page).filter(has_text="s50")).to_have_count(1)  # a new run joins the overlay by itself
    pick(page, "Showing run", "3 epochs, seed 3 (h64 lr0.1 b64 e3 s3)")
    expect(overlay_tags(page)).to_have_count(12)
    before = colours(page, 12)
    assert len(before) == 12 and len(set(before.values())) == 12, before
    assert shown_run(page) == "h64 lr0.1 b64 e3 s3"

    link = page.url
    page.goto("about:blank")
    page.goto(link)  # a new session: everything comes back from the link
    expect(overlay_tags(page)).to_have_count(12)
    settle(page)
    assert colours(page, 12) == before
    assert shown_run(page) == "h64 lr0.1 b64 e3 s3"
    expect(page.get_by_text("This link could not bring back everything")).to_have_count(0)
    no_errors(page)
    shot(page, "reloaded")


def test_what_a_link_cannot_bring_back_is_said_at_the_top_of_the_page_until_dismissed(page, server, shot):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_app(page, server, "?run=epochs:3&run=epochs:3,seed:1,uploaded:1")
    notes = page.locator("[data-testid=stMain]").get_by_text("This link could not bring back everything")
    expect(notes).to_be_visible()
    expect(page.locator("[data-testid=stMain]").get_by_text(re.compile("came from an uploaded file"))).to_be_visible()
    settle(page)
    expect(notes).to_be_in_viewport()  # where the learner looks, without scrolling
    shot(page, "link-notes")
    go(page, "Compare runs")
    expect(notes).to_be_visible()  # still there on the next page
    page.get_by_role("button", name="Dismiss").click()
    settle(page)
    expect(notes).to_have_count(0)
    no_errors(page)


def test_the_preset_then_a_drawn_digit_probe_remembers_and_how_it_learns_asks_for_its_label(page, server, shot):
    from tests.browser.test_app import draw
    from tests.drawn import MOUSE_STROKES

    page.set_viewport_size({"width": 1400, "height": 1000})
    open_app(page, server, "?run=epochs:3")
    expect(page.get_by_role("combobox", name="Showing run")).to_be_visible()
    page.get_by_role("button", name="Handwriting preset").click()
    settle(page)
    expect(page.get_by_text(re.compile(r"^Filled in the handwriting preset: 256 hidden units"))).to_be_visible()
    page.get_by_role("button", name="Train the preset now").click()
    settle(page)
    expect(page.get_by_role("combobox", name="Showing run")).to_have_value(re.compile(r"\(h256 "))
    expect(page.get_by_text(re.compile(r"^Filled in the handwriting preset"))).to_have_count(0)

    go(page, "Probe a digit")
    page.locator("[data-testid=stButtonGroup] button", has_text="Draw").click()
    settle(page)
    draw(page, MOUSE_STROKES[7])
    settle(page)
    expect(page.get_by_text(re.compile(r"^Prediction: 7"))).to_be_visible()
    pick(page, "Runs", "h64 lr0.1 b64 e3 s0")  # compare the two runs' answers
    expect(page.get_by_text(re.compile(r"^Prediction: \d"))).to_have_count(2)
    page.get_by_role("button", name="Reset canvas & history").click()  # the bin: start over
    settle(page)
    draw(page, MOUSE_STROKES[7])
    settle(page)
    expect(page.get_by_text(re.compile(r"^Prediction: \d"))).to_have_count(2)  # still both runs
    shot(page, "probe-two-runs")

    go(page, "How it learns")
    label = page.get_by_role("combobox", name="What digit is it? (label y)")
    expect(label).to_have_value("7")  # the network's own answer, not 0
    expect(page.get_by_text(re.compile(r"^Label y = 7: the network's own answer"))).to_be_visible()
    shot(page, "how-drawn-7")

    go(page, "Probe a digit")  # Draw is still the source
    expect(page.locator("canvas.upper-canvas")).to_be_visible()
    no_errors(page)
