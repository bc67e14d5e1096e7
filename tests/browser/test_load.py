"""Many users at once: people using the app together each keep to their own runs, with
no error, and a person who leaves while training does not leave the training running.

The sessions make support/sessions.py's visit, as in bench/loadtest.py (this is its smaller
version), against a server of this module's own: the sessions must train seeds nobody trained
before, and the disconnect test must see a server that is otherwise idle.
"""

import asyncio
import re

import pytest
from playwright.async_api import async_playwright

from support import sessions as visit
from support.appserver import (
    IDLE_CPU_S,
    WINDOW_S,
    Server,
    cpu_seconds,
    log_errors,
    quiet_since,
    seconds_until,
    thread_count,
    thread_cpu_seconds,
)
from tests.drawn import photo_of_digit

SEEDS = range(3000, 3004)  # four sessions at once
BOUND_S = 300  # a stuck session fails the test instead of hanging it (all four take ~25 s on an idle machine)

# About 0.15 s per epoch on one core here: 500 epochs would train for over a minute (about the
# server's budget: the test confirms when the app asks).
LONG_TRAINING = [
    ("Epochs", "epochs", 500),
    ("Hidden units", "hidden", 2048),
    ("Batch size", "batch", 16),
    ("Augmented copies", "augment", 5),
]
BUSY_CPU_S = 0.3  # at least this much CPU per window in the training thread (measured: ~1.8, one core)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("load") / "server.log") as server:
        yield server


@pytest.fixture(scope="module")
def sessions(app_server):
    """Four sessions driven at once through the load test's visit (train, every page, an upload)."""
    return visit.drive(app_server.url, SEEDS, BOUND_S, photo_of_digit(7, size=(200, 160), fmt="PNG"))


def _failures(sessions):
    return [(s.seed, s.step, s.errors) for s in sessions if not s.held]


def test_every_session_completes_every_step(sessions):
    assert _failures(sessions) == []
    assert all(s.train_seconds is not None and re.fullmatch(r"\d", s.prediction or "") for s in sessions)


def test_no_session_meets_an_error(sessions, app_server):
    assert [(s.seed, s.errors) for s in sessions if s.errors] == []
    assert log_errors(app_server.output()) == []


def test_each_session_sees_only_its_own_run(sessions):
    seen = {s.seed: (s.runs_seen, s.url_runs) for s in sessions}
    assert seen == {seed: ([visit.run_name(seed)], [f"seed:{seed}"]) for seed in SEEDS}


async def _train_then_disconnect(url, pid):
    """Start a long training in a new session; once an epoch is shown, find the thread that
    trains (the server's busiest over WINDOW_S), close the session's browser context and
    measure that thread and the server. Returns the figures."""
    figures = {}
    async with async_playwright() as playwright:
        browser = await visit.launch(playwright)
        try:
            context, page = await visit.open_app(browser, url, 60)
            for label, key, value in LONG_TRAINING:
                await visit.set_number(page, label, value, key)
            figures["threads idle"] = thread_count(pid)
            await page.locator(visit.SIDEBAR).get_by_role("button", name="Train", exact=True).click()
            progress = page.locator("[data-testid=stProgress]")
            epoch_shown = progress.get_by_text(re.compile(r"epoch \d+/500"))
            # its estimate is about the server's budget (60 s): over it, the app asks first
            confirm = page.get_by_role("button", name=re.compile(r"^Train \("))
            await epoch_shown.or_(confirm).wait_for()
            if await confirm.is_visible():
                await confirm.click()
            await epoch_shown.wait_for()
            figures["threads training"] = thread_count(pid)
            threads, cpu = thread_cpu_seconds(pid), cpu_seconds(pid)
            await asyncio.sleep(WINDOW_S)
            used = {tid: seconds - threads.get(tid, 0.0) for tid, seconds in thread_cpu_seconds(pid).items()}
            trainer = max(used, key=used.get)
            figures["server cpu per window, training"] = cpu_seconds(pid) - cpu
            figures["training thread cpu per window"] = used[trainer]
            figures["shown at disconnect"] = (await progress.inner_text()).split(" · ")[0]
            await context.close()
            ended, quiet = await asyncio.gather(
                seconds_until(lambda: trainer not in thread_cpu_seconds(pid)), quiet_since(pid)
            )
            figures["training thread gone after s"], figures["server quiet after s"] = ended, quiet
            cpu = cpu_seconds(pid)
            await asyncio.sleep(WINDOW_S)
            figures["server cpu per window, after"] = cpu_seconds(pid) - cpu
            figures["threads after"] = thread_count(pid)
        finally:
            await browser.close()
    return figures


def test_a_session_that_disconnects_while_training_stops_the_training(app_server):
    figures = visit.in_thread(_train_then_disconnect, app_server.url, app_server.process.pid)
    print(f"disconnect while training: {figures}")
    # What training looks like: what would still be measured if it outlived its session.
    assert figures["training thread cpu per window"] >= BUSY_CPU_S, figures
    # After the disconnect: the thread that trained ends and the server's CPU time stops growing.
    assert figures["training thread gone after s"] is not None, figures
    assert figures["server quiet after s"] is not None, figures
    assert figures["server cpu per window, after"] <= IDLE_CPU_S, figures
