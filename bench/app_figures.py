"""The app's figures: start-up, a Train click, a rerun, and the server's memory after 10 runs.

* ``streamlit run streamlit_app.py`` started as a subprocess; the clock starts just before
  the process is spawned and stops when ``/_stcore/health`` answers "ok", then when the first
  page has rendered in headless Chromium (title and the sidebar's Train button visible, no
  script running). Chromium is launched before the clock starts: it is the user's browser.
* In the last of those servers, ten runs (seeds 0..9 of the default config) are trained from
  the browser, each by typing the seed and clicking Train, until the page shows the run;
  the server's resident memory (VmRSS of its process tree) is read before and after.
* Server side, with ``streamlit.testing.v1.AppTest`` in this process: a fresh session, then the
  Train click at the default config, with the shared training cache emptied first so the
  network really trains, until the script run has finished with its charts; then a rerun with
  nothing new.
"""

import os
import re
import tempfile
import time
from pathlib import Path

from timing import Timing

from support.appserver import ROOT, Server, chromium_options, rss_mb


def _wait_idle(page, timeout_ms=60_000):
    """Until Streamlit's "running" indicator is gone (the script run has finished)."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !/running/i.test(document.querySelector('[data-testid=\"stStatusWidget\"]').innerText)",
        timeout=timeout_ms)


def _rendered(page):
    page.get_by_role("heading", name="Digits Playground").first.wait_for(state="visible", timeout=60_000)
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Train").wait_for(
        state="visible", timeout=60_000)
    _wait_idle(page)


def _train_seed(page, seed):
    """Type ``seed`` into the sidebar, click Train and wait until the overview shows the run
    ("Seed <seed> (h64 lr0.1 b64 e30 s<seed>)"); returns the seconds from the click."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    field = sidebar.get_by_role("spinbutton", name="Seed")
    field.fill(str(seed))
    field.press("Enter")
    _wait_idle(page)
    started = time.perf_counter()
    sidebar.get_by_role("button", name="Train").click()
    page.get_by_role("heading", name=re.compile(rf"\(h.* e30 s{seed}\)$")).wait_for(state="visible", timeout=60_000)
    _wait_idle(page)
    return time.perf_counter() - started


def server_figures(repeats, runs=10):
    """Start-up timings over ``repeats`` server starts, and memory around ``runs`` trainings in the last."""
    from playwright.sync_api import sync_playwright

    health, rendered, page_load, clicks = [], [], [], []
    memory = {}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as logs:
        browser = p.chromium.launch(headless=True, **chromium_options())
        for attempt in range(repeats):
            server = Server(Path(logs) / f"server-{attempt}.log")  # the clock starts just before the spawn
            try:
                health.append(server.wait_healthy())
                page = browser.new_page()
                loading = time.perf_counter()
                page.goto(server.url)
                _rendered(page)
                rendered.append(time.perf_counter() - server.started)
                page_load.append(time.perf_counter() - loading)
                if attempt == repeats - 1:
                    memory["after first render"] = rss_mb(server.process.pid)
                    clicks = [_train_seed(page, seed) for seed in range(runs)]
                    memory[f"after {runs} runs"] = rss_mb(server.process.pid)
                page.close()
            finally:
                server.stop()
        browser.close()
    return {"start -> health endpoint answers": Timing(tuple(health)),
            "start -> first page rendered (Chromium)": Timing(tuple(rendered)),
            "  of which the page load (goto -> rendered)": Timing(tuple(page_load)),
            "browser: Train click -> run shown (seeds 0..9)": Timing(tuple(clicks))}, memory


def apptest_figures(repeats):
    """{name: Timing}: server-side Train click at the default config, and a rerun with nothing new."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    clicks, reruns, charts = [], [], set()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for _ in range(repeats):
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
            st.cache_resource.clear()  # the shared training cache: this click must really train
            train_button = next(b for b in at.sidebar.button if b.label == "Train")
            started = time.perf_counter()
            train_button.click().run()
            clicks.append(time.perf_counter() - started)
            if at.exception:
                raise RuntimeError(f"the app raised: {at.exception[0].message}")
            charts.add(len(at.get("plotly_chart")))
            started = time.perf_counter()
            at.run()
            reruns.append(time.perf_counter() - started)
    finally:
        os.chdir(cwd)
    return {"AppTest: Train click (default config) -> run finished with charts": Timing(tuple(clicks)),
            "AppTest: rerun with nothing new": Timing(tuple(reruns))}, sorted(charts)
