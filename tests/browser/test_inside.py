"""The views inside a run in headless Chromium: each page after training the default run, with a
screenshot at 1400×1000 to look at; clicking a confusion cell, a hidden unit, and playing a replay."""

import re

import pytest
from playwright.sync_api import expect

from support.sessions import run_heading
from tests.browser.test_app import go, no_errors, open_app, settle

LONG = 300_000  # ms: the ceiling for waiting on work (training, a whole replay) on a loaded machine
VIEWS = {"Hidden units": "units", "Watch it learn": "replay", "One digit, step by step": "digit",
         "How it learns": "how", "Where the classes live": "classes", "Curves & confusion": "curves"}


def shots(page, shot, name):
    """Screenshots of the whole page, one viewport (1400×1000) at a time: Streamlit scrolls its main
    area inside the window, so one full-page shot would only show the top."""
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    paths = []
    for part, top in enumerate(range(0, height, 900)):
        page.evaluate(f"document.querySelector('[data-testid=stMain]').scrollTo(0, {top})")
        page.wait_for_timeout(200)
        paths.append(shot(page, f"{name}-{part}"))
    page.evaluate("document.querySelector('[data-testid=stMain]').scrollTo(0, 0)")
    return paths


@pytest.fixture
def trained_page(page, server):
    """The default run, restored from a link (no click to miss on a busy machine), waited for with a
    generous ceiling: on a loaded 2-core machine training it can take minutes."""
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_app(page, server, "train?run=default")  # the first page is Start here; the run's heading is on Train
    expect(page.get_by_role("heading", name=run_heading("h64 lr0.1 b64 e30 s0"))).to_be_visible(timeout=LONG)
    settle(page)
    return page


def test_each_view_draws_its_charts(trained_page, shot):
    page = trained_page
    for name, short in VIEWS.items():
        go(page, name)
        no_errors(page)
        expect(page.locator("[data-testid=stPlotlyChart]").first).to_be_visible()
        page.wait_for_timeout(500)  # let Plotly finish drawing
        shots(page, shot, short)


def click_point(page, chart, trace, index):
    """Click point ``index`` of scatter ``trace`` (0-based among the chart's scatter traces) of a
    Plotly chart, where Plotly drew it (the transparent points that make tiles and cells clickable)."""
    point = chart.locator("g.trace.scatter").nth(trace).locator("path.point").nth(index)
    point.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    settle(page)


def test_clicking_a_confusion_cell_lists_its_digits(trained_page, shot):
    page = trained_page
    go(page, "Curves & confusion")
    chart = page.locator("[data-testid=stPlotlyChart]").filter(has_text="Confusion matrix")
    click_point(page, chart, 0, 8 * 10 + 1)  # true 8, predicted 1
    expect(page.get_by_text(re.compile(r"^2 test 8s read as 1"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^#\d+ — 1: \d+%"))).to_have_count(2)
    no_errors(page)
    page.get_by_role("heading", name="The digits in a cell").evaluate("e => e.scrollIntoView({block: 'start'})")
    shot(page, "cell-8-as-1")


def test_clicking_a_hidden_unit_shows_it_in_detail(trained_page, shot):
    page = trained_page
    go(page, "Hidden units")
    chart = page.locator("[data-testid=stPlotlyChart]").filter(has_text="Hidden units after epoch")
    click_point(page, chart, 0, 1)  # the second most important unit
    expect(page.get_by_text(re.compile(r"^Unit 52 after epoch 30"))).to_be_visible()
    no_errors(page)
    shot(page, "unit-52")


RECORD_FRAMES = """() => { window.frames_seen = []; let last = null;
    const look = () => {
        const bar = document.querySelector('[data-testid=stProgress]');
        const head = [...document.querySelectorAll('[data-testid=stMain] strong')].map(e => e.innerText)
            .find(t => /^After epoch \\d+/.test(t)) || null;
        const charts = [...document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')]
            .map(g => (g.querySelector('.gtitle') || {}).textContent || '');  // the title as drawn
        const row = [bar ? bar.innerText : null, head, charts];
        const text = JSON.stringify(row);
        if (text !== last) { last = text; window.frames_seen.push(row); }
    };
    new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true,
                                                       attributes: true}); }"""


def epoch_of(text):
    found = re.search(r"epoch (\d+)", text or "")
    return int(found.group(1)) if found else None


def frames(page):
    """What the page showed since RECORD_FRAMES, each change once: (progress text, header epoch,
    [the epoch in each chart's title]). Recorded in the page: Playwright's own calls wait for a busy
    page and would miss frames."""
    return [(bar, epoch_of(head), [epoch_of(title) for title in charts])
            for bar, head, charts in page.evaluate("window.frames_seen")]


def played(page):
    """The epochs of each 'Playing: epoch N' the page showed since RECORD_FRAMES, in order."""
    epochs = [epoch_of(bar) for bar, _, _ in frames(page) if bar and "Playing" in bar]
    return [e for i, e in enumerate(epochs) if i == 0 or e != epochs[i - 1]]


def slider_epoch(page):
    return int(page.locator("[data-testid=stSliderThumbValue]").first.inner_text())


def whole(row):
    """The epoch of a recorded row when its progress text, header and every chart that names an
    epoch agree on one (a frame drawn whole), else None."""
    bar, head, charts = row
    named = [c for c in charts if c is not None]
    if bar is None or epoch_of(bar) != head or len(named) < 4 or any(c != head for c in named):
        return None
    return head


def test_play_draws_every_epoch_whole_from_the_start_to_the_end(trained_page, shot):
    page = trained_page
    go(page, "Watch it learn")
    assert slider_epoch(page) == 30
    page.evaluate(RECORD_FRAMES)
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible(timeout=LONG)
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=LONG)  # it stops at the end
    seen = frames(page)
    assert played(page) == list(range(31)), played(page)  # each epoch, in order, none skipped
    drawn = [whole(row) for row in seen]
    assert set(range(31)) <= set(drawn), seen  # the first frame too: Play starts on drawn charts
    shown = 30  # the epoch all the charts last agreed on: while a frame arrives, each part shows it or that one
    for bar, head, charts in seen:
        named = [c for c in charts if c is not None]
        if bar and "Playing" in bar:
            assert all(c in (epoch_of(bar), shown) for c in named + [head] if c is not None), (bar, head, charts)
        if len(named) >= 4 and len(set(named)) == 1:
            shown = named[0]
    settle(page)
    assert slider_epoch(page) == 30
    no_errors(page)


def pause_after(page, epoch):
    """Click Play, wait until epoch ``epoch`` is drawn whole, click Pause; the epoch it stopped at."""
    page.evaluate(RECORD_FRAMES)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"window.frames_seen.some(r => r[0] && r[0].startsWith('Playing: epoch {epoch} '))",
                           timeout=LONG)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=LONG)
    settle(page)
    return slider_epoch(page)


def test_pause_keeps_the_epoch_it_stopped_at(trained_page, shot):
    page = trained_page
    go(page, "Watch it learn")
    stopped = pause_after(page, 3)  # one click: the button is not redrawn by the frames, nothing is lost
    assert 3 <= stopped < 30, played(page)
    assert abs(played(page)[-1] - stopped) <= 1, played(page)  # the frame on the screen, or the one being sent
    expect(page.get_by_text(re.compile(rf"^After epoch {stopped} "))).to_be_visible()
    expect(page.locator(".gtitle", has_text=f"Test confusion after epoch {stopped}")).to_be_visible(timeout=LONG)
    go(page, "Hidden units")  # a rerun of every script, and back: still where it was paused
    go(page, "Watch it learn")
    assert slider_epoch(page) == stopped
    no_errors(page)


@pytest.mark.parametrize("size", [(1400, 1000), (390, 844)], ids=["wide", "phone"])
def test_watch_it_learn_before_during_and_after_play(trained_page, shot, size):
    page = trained_page
    go(page, "Watch it learn")  # at 1400 wide, where the page list is open
    page.set_viewport_size({"width": size[0], "height": size[1]})
    expect(page.locator(".gtitle", has_text="Test confusion after epoch 30")).to_be_visible(timeout=LONG)
    shots(page, shot, "before")  # the charts too, below the fold
    page.evaluate(RECORD_FRAMES)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("window.frames_seen.some(r => r[0] && r[0].startsWith('Playing: epoch 2 '))",
                           timeout=LONG)
    shots(page, shot, "playing")  # the charts too, below the fold
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=LONG)
    settle(page)
    stopped = slider_epoch(page)
    expect(page.locator(".gtitle", has_text=f"Test confusion after epoch {stopped}")).to_be_visible(timeout=LONG)
    shots(page, shot, "paused")  # the charts too, below the fold
    no_errors(page)
