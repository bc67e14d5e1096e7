"""The Sweep page in headless Chromium: a 3×2 grid run to the end with its heatmaps, table and the
best run beside scikit-learn's; a slow grid stopped after its first run, kept and resumed; a sweep
whose tab closes stops handing out runs (on a server of its own, whose CPU it measures)."""

import asyncio
import os
import re

import pytest
from playwright.async_api import async_playwright
from playwright.sync_api import expect

from support import sessions as visit
from support.appserver import IDLE_CPU_S, WINDOW_S, Server, cpu_seconds, log_errors, quiet_since, sweep_cells
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
    names = options.all_inner_texts()
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
    expect(page.get_by_role("combobox", name="Showing run")).to_have_value("h16 lr0.1 b64 e10 s2")


# A cell of these settings trains for about 4 s on one core here: 12 of them keep two cores busy
# for about 25 s, well past support.appserver.SETTLE_S (15 s), if they go on training after the tab closed.
CLOSE_SETTINGS = [("Epochs", "epochs", 150), ("Hidden units", "hidden", 2048), ("Batch size", "batch", 16)]
CLOSE_SEEDS = range(4100, 4112)
BUSY_TREE_CPU_S = 1.0  # at least this much CPU per window in the server and its workers while cells train


@pytest.fixture(scope="module")
def quiet_server(tmp_path_factory):
    """A server nobody else uses during the test: its CPU is what the test measures."""
    with Server(tmp_path_factory.mktemp("sweep-close") / "server.log") as server:
        yield server


async def _sweep_then_close(server):
    """Start a sweep of CLOSE_SEEDS in a new session; once a cell has finished, close the session's
    browser context and measure the server's process tree (the loky workers are its children)."""
    pid, figures, cells = server.process.pid, {}, len(CLOSE_SEEDS)
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
            progress = page.locator("[data-testid=stProgress]")
            await progress.get_by_text(re.compile(rf"[1-9]\d* of {cells} runs finished")).wait_for()
            cpu = cpu_seconds(pid)
            await page.wait_for_timeout(WINDOW_S * 1000)
            figures["tree cpu per window, sweeping"] = cpu_seconds(pid) - cpu
            figures["shown at close"] = (await progress.inner_text()).split(" · ")[:2]
            figures["cells trained at close"] = len(sweep_cells(server.output()))
            cpu = cpu_seconds(pid)
            await context.close()
            figures["tree quiet after s"] = await quiet_since(pid)
            figures["tree cpu from close to quiet"] = cpu_seconds(pid) - cpu
            cpu = cpu_seconds(pid)
            await asyncio.sleep(WINDOW_S)
            figures["tree cpu per window, after"] = cpu_seconds(pid) - cpu
        finally:
            await browser.close()
    trained = sweep_cells(server.output())
    figures["cells trained"], figures["longest cell s"] = f"{len(trained)} of {cells}", max(trained)
    return figures, len(trained), max(trained)


def test_a_sweep_whose_tab_closes_stops_handing_out_runs(quiet_server):
    figures, trained, cell_s = visit.in_thread(_sweep_then_close, quiet_server)
    print(f"sweep whose tab closed: {figures}")
    # What sweeping looks like: what would still be measured if the cells outlived their session.
    assert figures["tree cpu per window, sweeping"] >= BUSY_TREE_CPU_S, figures
    # After the close: the cells running then may finish (one cell's time, with room for two cells
    # sharing the cores), then the server and its workers go quiet; no cell starts for nobody.
    quiet = figures["tree quiet after s"]
    assert quiet is not None and quiet <= 1.5 * cell_s, figures
    assert figures["tree cpu per window, after"] <= IDLE_CPU_S, figures
    slots = os.cpu_count()  # cells at once (DIGITS_SWEEP_JOBS unset)
    assert trained < len(CLOSE_SEEDS), figures
    # the cells running at the close, and a round more in case one ended as the close arrived
    assert trained <= figures["cells trained at close"] + 2 * slots, figures
    assert log_errors(quiet_server.output()) == []
