"""The Sweep page in headless Chromium: a 3×2 grid run to the end with its heatmaps, table and the
best run beside scikit-learn's; a slow grid stopped after its first run, kept and resumed; a sweep
whose tab closes stops handing out runs (on a server of its own, whose log it counts)."""

import os
import re

import pytest
from playwright.async_api import async_playwright
from playwright.sync_api import expect

from support import sessions as visit
from support.appserver import Server, log_errors, seconds_until, sweep_events
from tests.browser.test_app import TIMEOUT, no_errors, open_app, set_setting, settle

expect.set_options(timeout=TIMEOUT)


def values(page, label, text):
    box = page.get_by_label(label, exact=True)
    box.fill(text)
    box.press("Enter")
    settle(page)


def selected_runs(page):
    """The options of the sidebar's "Selected run" box, once they show."""
    page.get_by_role("combobox", name="Showing run").click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    names = [visit.run_code(option) for option in options.all_inner_texts()]
    page.keyboard.press("Escape")
    return names


def look_at(page, shot, text, name):
    """A 1400×1000 screenshot with ``text`` at the top, the mouse out of the way (no tooltip)."""
    size = page.viewport_size
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.mouse.move(700, 5)
    page.get_by_text(text).first.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(800)
    shot(page, name)
    page.set_viewport_size(size)


def run_button(page, name="Run sweep"):
    return page.get_by_role("button", name=name)


def test_a_3x2_sweep_shows_heatmaps_a_table_and_the_best_run_beside_scikit_learn(page, server, shot):
    open_app(page, server, "sweep")
    set_setting(page, "Epochs", 15)
    values(page, "Hidden units: values", "16, 64, 256")
    values(page, "Learning rate: values", "0.01, 0.1")
    expect(page.get_by_text(re.compile(r"6 runs \(3 × 2: hidden units × learning rate\) · about"))).to_be_visible()
    run_button(page).click()
    settle(page)
    no_errors(page)
    expect(page.get_by_text(re.compile(r"Finished: 6 of 6 runs in"))).to_be_visible()
    charts = page.locator("[data-testid=stPlotlyChart]")
    expect(charts.filter(has_text="Validation accuracy").first).to_be_visible()
    expect(charts.filter(has_text="Test accuracy").first).to_be_visible()
    expect(charts.filter(has_text="best validation").first).to_be_visible()
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()
    look_at(page, shot, "Results: hidden units × learning rate", "heatmaps")
    runs = selected_runs(page)
    assert len(runs) == 6 and all(re.fullmatch(r"h(16|64|256) lr0\.(01|1) b64 e15 s0", run) for run in runs), runs

    page.get_by_role("button", name="Train scikit-learn's MLPClassifier beside it").click()
    settle(page)
    no_errors(page)
    expect(page.get_by_text("Beside scikit-learn's MLPClassifier")).to_be_visible()
    expect(charts.filter(has_text="Training loss per epoch: ours and scikit-learn's").first).to_be_visible()
    expect(page.get_by_text("initial weights: scikit-learn draws")).to_be_visible()
    look_at(page, shot, "The library beside us", "beside-sklearn")


def test_stop_keeps_the_runs_that_finished_and_the_rest_can_follow(page, server, shot):
    open_app(page, server, "sweep")
    set_setting(page, "Epochs", 150)  # runs of several seconds: Stop comes while some still wait
    set_setting(page, "Batch size", 8)
    values(page, "Hidden units: values", "512, 1024, 2048")
    values(page, "Learning rate: values", "0.01, 0.05")
    run_button(page).click()
    progress = page.locator("[data-testid=stProgress]")
    expect(progress).to_contain_text(re.compile(r"[1-2] of 6 runs finished"), timeout=180_000)
    look_at(page, shot, "Sweep of 6 runs", "running")
    page.get_by_role("button", name="Stop", exact=True).click()
    settle(page)
    no_errors(page)
    stopped = page.get_by_text(re.compile(r"Stopped: [1-4] of 6 runs"))
    expect(stopped).to_be_visible()
    finished = int(re.search(r"Stopped: (\d) of 6", stopped.inner_text()).group(1))
    assert len(selected_runs(page)) == finished, "every finished run is kept, none other"
    expect(run_button(page, f"Run the remaining {6 - finished} runs")).to_be_visible()
    look_at(page, shot, "Results: hidden units × learning rate", "stopped")


def test_seeds_give_a_line_with_error_bars_a_table_to_download_and_runs_to_open(page, server, shot):
    open_app(page, server, "sweep")
    set_setting(page, "Epochs", 10)
    values(page, "Hidden units: values", "16, 64, 256")
    page.get_by_label("Second setting").click()
    page.get_by_role("option", name="Seed", exact=True).click()
    settle(page)
    values(page, "Seed: values", "0, 1, 2")
    run_button(page).click()
    settle(page)
    no_errors(page)
    charts = page.locator("[data-testid=stPlotlyChart]")
    expect(charts.filter(has_text="Accuracy over 3 seeds (mean ± standard deviation)").first).to_be_visible()
    look_at(page, shot, "Results: hidden units × seed", "seeds")
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the table (CSV)").click()
    rows = download.value.path().read_text().splitlines()
    assert rows[0].startswith("cell,epochs,hidden,lr") and len(rows) == 10
    look_at(page, shot, "Every run of the sweep", "table")

    page.get_by_label("Open a run of the sweep on every page").click()
    page.get_by_role("option", name="hidden 16 · seed 2").click()
    page.get_by_role("button", name="Open on every page").click()
    settle(page)
    expect(page.get_by_role("combobox", name="Showing run")).to_have_value(re.compile(r"\(h16 lr0\.1 b64 e10 s2\)$"))


# A cell of these settings trains for about 4 s on one core here: a sweep that outlived its tab would
# start all 12.
CLOSE_SETTINGS = [("Epochs", "epochs", 150), ("Hidden units", "hidden", 2048), ("Batch size", "batch", 16)]
CLOSE_SEEDS = range(4100, 4112)


@pytest.fixture(scope="module")
def quiet_server(tmp_path_factory):
    """A server nobody else uses during the test: the sweep lines in its log are this test's."""
    with Server(tmp_path_factory.mktemp("sweep-close") / "server.log") as server:
        yield server


async def _sweep_then_close(server):
    """Start a sweep of CLOSE_SEEDS in a new session; once its cells run, close the session's
    browser context and wait for the server to log the sweep's end. Returns (figures, the sweep
    events logged before the close, those logged after it)."""
    figures, cells = {}, len(CLOSE_SEEDS)
    async with async_playwright() as playwright:
        browser = await visit.launch(playwright)
        try:
            context, page = await visit.open_app(browser, server.url, 60)
            for label, key, value in CLOSE_SETTINGS:
                await visit.set_number(page, label, value, key)
            await page.locator(visit.NAV, has_text="Sweep settings").click()
            await page.get_by_role("button", name="Run sweep").wait_for()
            await visit.settle(page)
            for box, option in (("First setting", "Seed"), ("Second setting", "(none)")):
                await page.get_by_label(box).click()
                await page.get_by_role("option", name=option, exact=True).click()
                await visit.settle(page)
            seeds = page.get_by_label("Seed: values", exact=True)
            await seeds.fill(", ".join(str(seed) for seed in CLOSE_SEEDS))
            await seeds.press("Enter")
            await visit.settle(page)
            estimate = page.get_by_text(re.compile(rf"{cells} runs \({cells}: seed\) · about"))
            figures["estimate"] = (await estimate.inner_text()).split(" on ")[0]
            await page.get_by_role("button", name="Run sweep").click()
            # closed once cells are running (a generous ceiling, not a measure: the first cells start in
            # seconds, or minutes on a loaded machine)
            await seconds_until(lambda: ("started", 1) in sweep_events(server.output()), 600)
            at_close = sweep_events(server.output())
            await context.close()
            # a generous ceiling, not a measure: the sweep ends after the cells running at the close
            figures["seconds from close to the sweep's end"] = await seconds_until(
                lambda: any(event == "ended" for event, _ in sweep_events(server.output())), 600)
        finally:
            await browser.close()
    after = sweep_events(server.output())[len(at_close):]
    figures["cells started at close"] = sum(event == "started" for event, _ in at_close)
    figures["cells started after the close"] = sum(event == "started" for event, _ in after)
    figures["cells trained"] = f"{sum(event == 'trained' for event, _ in at_close + after)} of {cells}"
    return figures, at_close, after


def test_a_sweep_whose_tab_closes_stops_handing_out_runs(quiet_server):
    """Counted in events of the server's log, not seconds (a loaded machine stretches every
    second): after the close no cell starts but the ones handed out before the server heard of it."""
    figures, at_close, after = visit.in_thread(_sweep_then_close, quiet_server)
    print(f"sweep whose tab closed: {figures}")
    started = [cell for event, cell in at_close + after if event == "started"]
    trained = [cell for event, cell in at_close + after if event == "trained"]
    assert ("ended", "stopped") in after, figures  # the sweep ended because its tab did, not by running out
    assert sorted(trained) == sorted(started), figures  # the cells running at the close finished and were kept
    assert len(started) < len(CLOSE_SEEDS), figures
    # at most one cell per slot handed out between the close and the server hearing of it
    slots = os.cpu_count()  # cells at once (DIGITS_SWEEP_JOBS unset)
    assert figures["cells started after the close"] <= slots, figures
    assert log_errors(quiet_server.output()) == []


def test_a_reload_after_a_sweep_brings_back_every_run_the_selected_one_and_the_link(page, server, shot):
    """8 runs, then a sweep of 6: the session keeps its newest 12 (and says so), and a reload of its
    link brings back the same 12, the same selected run (the sweep's best) and the same colours --
    the link the reloaded session writes is the one it was opened on."""
    from tests.browser.test_comparing import shown_run

    open_app(page, server, "sweep?epochs=3&" + "&".join(f"run=epochs:3,seed:{seed}" for seed in range(1, 9)))
    values(page, "Hidden units: values", "16, 64, 256")
    values(page, "Learning rate: values", "0.01, 0.1")
    run_button(page).click()
    settle(page)
    no_errors(page)
    expect(page.get_by_text(re.compile(r"Finished: 6 of 6 runs in"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"keeps its newest 12 runs, so 2 older ones were let go"))).to_be_visible()
    before, shown, link = selected_runs(page), shown_run(page), page.url
    assert len(before) == 12 and sum(re.fullmatch(r"h(16|64|256) lr0\.(01|1) b64 e3 s0", r) is not None
                                     for r in before) == 6, before
    assert re.fullmatch(r"h(16|64|256) lr0\.(01|1) b64 e3 s0", shown), shown  # the sweep's best run

    page.goto("about:blank")
    page.goto(link)  # a new session: everything comes back from the link
    expect(page.locator("[data-testid=stSidebarNav]")).to_be_visible()
    settle(page)
    expect(page.get_by_role("combobox", name="Showing run")).to_be_visible(timeout=300_000)
    settle(page)
    assert selected_runs(page) == before
    assert shown_run(page) == shown
    assert page.url == link  # the runs, their order and colours, and the selected one, as before
    expect(page.get_by_text("This link could not bring back everything")).to_have_count(0)
    no_errors(page)
    look_at(page, shot, "Sweep settings", "reloaded-after-a-sweep")

    # and the Sweep page its last sweep: rebuilt from those runs, its boxes set to its grid
    expect(page.get_by_text(re.compile(r"Finished: 6 of 6 runs, back with the link"))).to_be_visible()
    expect(page.get_by_text("No sweep yet")).to_have_count(0)
    charts = page.locator("[data-testid=stPlotlyChart]")
    expect(charts.filter(has_text="Validation accuracy").first).to_be_visible()
    expect(charts.filter(has_text="Test accuracy").first).to_be_visible()
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()
    expect(page.get_by_label("Hidden units: values", exact=True)).to_have_value("16, 64, 256")
    expect(page.get_by_label("Learning rate: values", exact=True)).to_have_value("0.01, 0.1")
    expect(run_button(page)).to_be_visible()  # nothing remains to run
    look_at(page, shot, "Results: hidden units × learning rate", "reloaded-heatmaps")
    page.set_viewport_size({"width": 390, "height": 844})
    settle(page)
    page.get_by_text("Results: hidden units × learning rate").scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    shot(page, "reloaded-phone")
