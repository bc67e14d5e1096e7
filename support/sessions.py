"""A person's visit to the app, driven in headless Chromium with Playwright's async API, for
several people at once: the load test (bench/loadtest.py) and its small version in the browser
tests (tests/browser/test_load.py).

Each session opens the app, types its own seed (so each trains a config no other session has:
no hit in the shared training cache), clicks Train and waits for its run, visits Curves &
confusion, Compare runs (the table) and Probe a digit, uploads a PNG there and reads the
prediction. A "sweep" session first runs a 2 x 2 sweep of quick settings (with its seed) on the
Sweep page. A "hostile" session trains nothing: it uploads support/hostile.py's images on Probe a
digit and its saved runs on Compare runs, round after round until the others are done, and
each must be refused with an error naming the file (no exception). A "tabs" session is one student
with ten tabs of one browser (the same cookies), each training runs of TAB_EPOCHS epochs one after
another until the others are done; the others click Train once its ten tabs all have. When every session is done,
each one reads the options of its "Showing run" box and the runs in its URL: they must be its
own runs and nothing else (no cross-talk).
"""

import asyncio
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import async_playwright

import nncore
import nncore.lab.sweep
from app.state.links import config_token
from nncore.config import BOUNDS
from support import hostile
from support.appserver import chromium_options

VIEWPORT = {"width": 1280, "height": 900}
APP = "[data-testid=stApp]"
IDLE = f'{APP}[data-test-script-state="notRunning"]'
SIDEBAR = "[data-testid=stSidebar]"
NAV = "[data-testid=stSidebarNav] a"
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"
SETTLE_MS = 200  # after an action, time for its script run to start before waiting for it to end
SWEEP_AXES = (nncore.lab.sweep.Axis("hidden", (16, 32)), nncore.lab.sweep.Axis("lr", (0.05, 0.1)))  # 4 quick runs
TABS = 10          # the tabs of a "tabs" session: one student, one browser, ten tabs
TAB_EPOCHS = 300   # each tab's runs: about ten times the default run (under the budget, so no click asks)


def run_name(seed):
    """The name of the run a session trains: the sidebar's default settings with this seed."""
    return nncore.TrainConfig(seed=seed).name


def tab_config(seed):
    """What each tab of a "tabs" session trains: TAB_EPOCHS epochs (about ten times the default run)."""
    return nncore.TrainConfig(epochs=TAB_EPOCHS, seed=seed)


def sweep_of(seed):
    """The sweep a "sweep" session runs: SWEEP_AXES over the sidebar's default settings with ``seed``."""
    return nncore.lab.sweep.Sweep(nncore.TrainConfig(seed=seed), SWEEP_AXES)


@dataclass
class Session:
    """What one browser session did. ``kind``: "train", "sweep" (trains and sweeps), "hostile" or "tabs".
    ``step`` is where it is (or where it stopped)."""

    seed: int
    kind: str = "train"
    step: str = "not started"
    held: bool = False
    train_seconds: float | None = None
    prediction: str | None = None
    sweep_seconds: float | None = None  # from the Run sweep click until the page says its 4 runs are finished
    sweep_server_seconds: float | None = None  # the sweep's time as the server counted it (its caption)
    trained_seeds: list = field(default_factory=list)  # a "tabs" session's runs (TAB_EPOCHS epochs, these seeds)
    refusals: list = field(default_factory=list)  # a hostile session's (file name, seconds from upload to error)
    rounds: int = 0  # a hostile session's rounds of uploads
    runs_seen: list = field(default_factory=list)  # the "Showing run" options at the end
    url_runs: list = field(default_factory=list)  # the URL's run= parameters at the end
    errors: list = field(default_factory=list)
    seconds: dict = field(default_factory=dict)  # step -> seconds it took
    _since: float = field(default=0.0, repr=False)

    def begin(self, step):
        """Start ``step``, noting how long the step before it took."""
        now = time.perf_counter()
        if self.step not in ("not started", "done"):
            self.seconds[self.step] = now - self._since
        self.step, self._since = step, now

    def own_configs(self):
        """The settings of the runs this session makes."""
        if self.kind == "hostile":
            return []
        if self.kind == "tabs":
            return [tab_config(seed) for seed in self.trained_seeds]
        return [nncore.TrainConfig(seed=self.seed), *(sweep_of(self.seed).configs() if self.kind == "sweep" else [])]

    @property
    def crosstalk(self):
        """What this session saw that is not one of its own runs (empty when all is well)."""
        names, tokens = {c.name for c in self.own_configs()}, {config_token(c) for c in self.own_configs()}
        return [name for name in self.runs_seen if name not in names] + [t for t in self.url_runs if t not in tokens]


async def settle(page):
    """Until the script run started by the last action has finished."""
    await page.wait_for_timeout(SETTLE_MS)
    await page.locator(IDLE).wait_for()


async def _check_page(page, session, where):
    for text in await page.locator(ERRORS).all_inner_texts():
        session.errors.append(f"{where}: error on the page: {text.strip()[:200]}")


async def _visit(page, title, ready):
    """Click the navigation link ``title``; wait for the page's title and its ``ready`` locator."""
    await page.locator(NAV, has_text=title).click()
    await page.get_by_role("heading", name=title, exact=True).wait_for()
    await ready(page).wait_for()
    await settle(page)


async def to_overview(page):
    """Click Train & overview and wait for its heading: on a busy server a click made before the
    page has switched (Train) would rerun the page the browser still shows, and the switch is lost
    (Streamlit's frontend sends its current page with every rerun, and the later request wins)."""
    await page.locator(NAV, has_text="Train & overview").click()
    await page.get_by_role("heading", name="Digits Playground", exact=True).wait_for()
    await settle(page)


def upload_source(page):
    """Probe a digit's "Upload" choice of digit source."""
    return page.locator("[data-testid=stButtonGroup] button", has_text="Upload")


async def launch(playwright):
    """Headless Chromium: Debian's when it is there (support/appserver.py)."""
    return await playwright.chromium.launch(headless=True, **chromium_options())


async def open_app(browser, url, timeout_s):
    """A new browser context (a new session) with the app loaded and idle; returns (context, page)."""
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(timeout_s * 1000)
    page = await context.new_page()
    await page.goto(url)
    await page.locator(SIDEBAR).get_by_role("button", name="Train", exact=True).wait_for()
    await settle(page)
    return context, page


async def set_number(page, label, value, url_key):
    """Type ``value`` into the sidebar's number input ``label``; wait until the URL carries it."""
    box = page.locator(SIDEBAR).get_by_role("spinbutton", name=label, exact=True)
    if not await box.is_visible():  # in the sidebar's "More settings"
        await page.locator(SIDEBAR).get_by_text("More settings").click()
    await box.fill(str(value))
    await box.press("Enter")
    await page.wait_for_url(re.compile(rf"[?&]{url_key}={value}(&|$)"))
    await settle(page)


async def selected_run_options(page):
    """The options of the sidebar's "Showing run" box (opened with the keyboard, then closed)."""
    box = page.locator(SIDEBAR).get_by_role("combobox", name="Showing run")
    await box.click()
    await box.press("ArrowDown")
    options = page.locator("[data-testid=stSelectboxVirtualDropdown] [role=option]")
    await options.first.wait_for()
    names = [run_code(text.strip()) for text in await options.all_inner_texts()]
    await box.press("Escape")
    return names


def run_code(option):
    """The short code in a "Showing run" option, which reads 'learning rate 1, Adam (h64 lr1 b64 e30 s0 adam)'."""
    match = re.search(r"\(([^()]*)\)$", option)
    return match.group(1) if match else option


def run_heading(name):
    """The run header of the run named ``name``: 'Default settings (h64 lr0.1 b64 e30 s0)'."""
    escaped = re.escape(name).replace("/", "\\/")  # Playwright's selector reads a bare slash as the regex's end
    return re.compile(rf"\({escaped}\)$")


def url_runs(url):
    """The ``run=`` query parameters of ``url``, each without its colour (``color:N`` says how a run
    is drawn, not which run it is)."""
    return [re.sub(r",?color:\d+", "", token) for token in parse_qs(urlsplit(url).query).get("run", [])]


UNITS = {"h": 3600, "min": 60, "s": 1}


def seconds_said(text):
    """The seconds of the first duration in ``text``, as nncore.lab.cost.duration writes them
    ('runs in 0.31 s', '35 s', '4 min 10 s', '12 min', '2 h 5 min')."""
    found = re.search(r"((?:[0-9.]+ (?:h|min|s)\b ?)+)", text)
    return sum(float(number) * UNITS[unit] for number, unit in re.findall(r"([0-9.]+) (h|min|s)\b", found.group(1)))


async def run_sweep(page, session):
    """On the Sweep page: SWEEP_AXES's values typed in, Run sweep, until its runs are finished."""
    await _visit(page, "Sweep settings", lambda p: p.get_by_role("button", name="Run sweep"))
    for axis in SWEEP_AXES:
        box = page.get_by_label(f"{BOUNDS[axis.name].label}: values", exact=True)
        await box.fill(", ".join(str(value) for value in axis.values))
        await box.press("Enter")
        await settle(page)
    cells = sweep_of(session.seed).cells
    await page.get_by_text(re.compile(rf"{cells} runs \(2 × 2: hidden units × learning rate\) · about")).wait_for()
    started = time.perf_counter()
    await page.get_by_role("button", name="Run sweep").click()
    finished = page.get_by_text(re.compile(rf"Finished: {cells} of {cells} runs in"))
    await finished.wait_for()
    seconds = time.perf_counter() - started
    session.sweep_server_seconds = seconds_said(await finished.inner_text())
    session.sweep_seconds = seconds  # set last: a sweep with seconds has both
    await settle(page)
    await _check_page(page, session, "sweep")
    await to_overview(page)


async def use_app(page, session, png):
    """One person's visit: seed, (a sweep,) Train, the three other pages, an upload on the probe page."""
    name = run_name(session.seed)
    session.begin("seed")
    await set_number(page, "Seed", session.seed, "seed")
    if session.kind == "sweep":  # before Train: its cells take turns in the queue with the others' runs
        session.begin("sweep")
        await run_sweep(page, session)
    session.begin("train")
    await to_overview(page)  # the run's header is there (the first page is Start here)
    started = time.perf_counter()
    await page.locator(SIDEBAR).get_by_role("button", name="Train", exact=True).click()
    await page.get_by_role("heading", name=run_heading(name)).wait_for()
    session.train_seconds = time.perf_counter() - started
    await settle(page)
    await _check_page(page, session, "overview")
    session.begin("curves")
    await _visit(page, "Curves & confusion", lambda p: p.get_by_role("heading", name=run_heading(name)))
    await _check_page(page, session, "curves")
    session.begin("compare")
    await _visit(page, "Compare runs", lambda p: p.locator("[data-testid=stDataFrame]"))
    await _check_page(page, session, "compare")
    session.begin("probe")
    await _visit(page, "Probe a digit", upload_source)
    await upload_source(page).click()
    # idle before and after the upload: a busy server could otherwise leave the test digit's answer (a
    # 1) on the page while the upload's script run starts, and that stale answer would be read
    await settle(page)
    await page.locator("input[type=file]").set_input_files(
        files=[{"name": "digit.png", "mimeType": "image/png", "buffer": png}])
    await settle(page)
    answer = page.get_by_text(re.compile(r"^Prediction: \d$"))
    await answer.wait_for()
    session.prediction = (await answer.inner_text()).strip().removeprefix("Prediction: ")
    await settle(page)
    await _check_page(page, session, "probe")
    session.begin("done")


async def _refused(page, session, name, payload):
    """Upload ``payload`` as ``name`` into the page's file input; wait for the error naming it."""
    started = time.perf_counter()
    await page.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": payload}])
    await page.locator("[data-testid=stAlertContentError]", has_text=name).wait_for()
    session.refusals.append((name, time.perf_counter() - started))
    await settle(page)
    for text in await page.locator("[data-testid=stException]").all_inner_texts():
        session.errors.append(f"{name}: exception on the page: {text.strip()[:200]}")


async def hostile_visit(page, session, others_done):
    """Rounds of hostile uploads (each file named after its round) until ``others_done`` is set."""
    while not session.rounds or not others_done.is_set():
        session.rounds += 1
        session.begin("hostile images")
        await _visit(page, "Probe a digit", upload_source)
        await upload_source(page).click()
        await settle(page)
        for name, payload in hostile.images().items():
            await _refused(page, session, f"round{session.rounds}-{name}", payload)
        session.begin("hostile runs")
        await _visit(page, "Compare runs", lambda p: p.get_by_text("Bring back a saved run"))
        for name, payload in hostile.saved_runs().items():
            await _refused(page, session, f"round{session.rounds}-{name}", payload)
    session.begin("done")


async def _tab(page, session, tab, others_done, clicked):
    """One tab of a "tabs" session: TAB_EPOCHS epochs, then a new seed and Train, round after round
    until ``others_done`` is set (each seed its own: no hit in the shared cache). ``clicked``: a
    list this tab joins at its first click."""
    await set_number(page, "Epochs", TAB_EPOCHS, "epochs")
    for round_ in range(10_000):
        if round_ and others_done.is_set():
            return
        seed = 5000 + 1000 * tab + round_
        await set_number(page, "Seed", seed, "seed")
        await page.locator(SIDEBAR).get_by_role("button", name="Train", exact=True).click()
        if not round_:
            clicked.append(tab)
        await page.get_by_role("heading", name=run_heading(tab_config(seed).name)).wait_for()
        session.trained_seeds.append(seed)
        await settle(page)


async def tabs_visit(context, page, session, url, others_done, pressing):
    """One student with TABS tabs of one browser (one context: the same cookies), each training
    runs of TAB_EPOCHS epochs one after another until the others are done; ``pressing`` is set
    once every tab has clicked Train."""
    session.begin("tabs")
    pages, clicked = [page], []
    for _ in range(TABS - 1):
        more = await context.new_page()
        await more.goto(url)
        await more.locator(SIDEBAR).get_by_role("button", name="Train", exact=True).wait_for()
        pages.append(more)

    async def pressed():
        while len(clicked) < len(pages):
            await asyncio.sleep(0.1)
        pressing.set()

    waiter = asyncio.create_task(pressed())
    try:
        await asyncio.gather(*(_tab(tab_page, session, tab, others_done, clicked)
                               for tab, tab_page in enumerate(pages)))
    finally:
        waiter.cancel()
        pressing.set()  # a tab that failed must not hold the others back
    session.begin("done")


async def _one(browser, url, session, png, timeout_s, contexts, others_done, pressing):
    try:
        session.begin("open")
        context, page = await open_app(browser, url, timeout_s)
        contexts.append((context, page, session))
        if session.kind == "hostile":
            await hostile_visit(page, session, others_done)
        elif session.kind == "tabs":
            await tabs_visit(context, page, session, url, others_done, pressing)
        else:
            await pressing.wait()  # with a "tabs" session: until its ten tabs are all training
            await use_app(page, session, png)
        return page
    except Exception as exc:  # any failure of a step is this session's error, reported, not raised
        session.errors.append(f"{session.step}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        return None


async def _read_back(page, session):
    try:
        session.begin("read back")
        shown = page.locator(SIDEBAR).get_by_role("combobox", name="Showing run")
        session.runs_seen = await selected_run_options(page) if await shown.count() else []
        session.url_runs = url_runs(page.url)
        session.begin("done")
        session.held = not session.errors
    except Exception as exc:
        session.errors.append(f"read back: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")


async def _last_look(page, stem):
    """A screenshot (``stem``.png) and the text (``stem``.txt) of a failed session's page."""
    try:
        await page.screenshot(path=f"{stem}.png", full_page=True, timeout=30_000)
        Path(f"{stem}.txt").write_text(f"{page.url}\n\n{await page.locator('body').inner_text(timeout=30_000)}")
    except Exception as exc:  # the page may be gone: the session's error says what happened
        Path(f"{stem}.txt").write_text(f"no last look: {type(exc).__name__}: {exc}")


async def drive_async(url, sessions, timeout_s, png, shots=None):
    """Run ``sessions`` (Session records, or seeds of "train" sessions) against ``url`` at the same
    time, each uploading ``png`` (bytes) on the probe page; all within ``timeout_s``. Returns the
    Session records, in order. ``shots``: a folder for a screenshot and the text of the page of
    each session that failed."""
    sessions = [s if isinstance(s, Session) else Session(s) for s in sessions]
    if any(s.kind == "hostile" for s in sessions):  # built before the clock starts: seconds of CPU
        hostile.images(), hostile.saved_runs()
    deadline = time.perf_counter() + timeout_s
    contexts, others_done, pressing = [], asyncio.Event(), asyncio.Event()
    if not any(s.kind == "tabs" for s in sessions):
        pressing.set()
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            tasks = [asyncio.create_task(_one(browser, url, s, png, timeout_s, contexts, others_done, pressing))
                     for s in sessions]
            others = [task for task, s in zip(tasks, sessions, strict=True) if s.kind not in ("hostile", "tabs")]
            asyncio.gather(*others).add_done_callback(lambda _: others_done.set())
            done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.perf_counter()))
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            pages = [task.result() if task in done else None for task in tasks]
            # Every session has finished its visit: only now is each one's list of runs final.
            reads = [asyncio.create_task(_read_back(page, s)) for page, s in zip(pages, sessions, strict=True) if page]
            if reads:
                _, late = await asyncio.wait(reads, timeout=max(5.0, deadline - time.perf_counter()))
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
            for session, page in zip(sessions, pages, strict=True):
                if page is None and not session.errors:
                    session.errors.append(f"{session.step}: not done within the {timeout_s:g} s bound")
                session.held = session.held and not session.errors
            if shots is not None:  # what each session that failed was looking at
                shots.mkdir(parents=True, exist_ok=True)
                for _, page, session in contexts:
                    if session.errors:
                        await _last_look(page, shots / f"{session.kind}-{session.seed}")
        finally:
            for context, _, _ in contexts:
                try:
                    await context.close()
                except Exception:  # the browser may be going away already
                    pass
            await browser.close()
    return sessions


def in_thread(coroutine_function, *args, **kwargs):
    """Run an async function to completion in a thread of its own and return its result.

    A thread of its own has no event loop running, even when the caller's thread has one
    (pytest-playwright's sync API keeps one there for the whole test session)."""
    box = {}

    def target():
        try:
            box["result"] = asyncio.run(coroutine_function(*args, **kwargs))
        except BaseException as exc:  # handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


def drive(url, sessions, timeout_s, png, shots=None):
    """``drive_async`` from synchronous code (the load test, the browser tests)."""
    return in_thread(drive_async, url, sessions, timeout_s, png, shots)
