"""Load test (issue 4, "Many users, little memory"): N people using the app at the same time.

    python bench/loadtest.py                                  # N = 1, 4, 16
    python bench/loadtest.py --sessions 1 4 --timeout 120     # other N; seconds allowed per N

For each N: a fresh ``streamlit run streamlit_app.py`` on a free loopback port (``Server`` from
tests/browser/appserver.py) and one headless Chromium holding N browser contexts, i.e. N separate
Streamlit sessions, driven concurrently with Playwright's async API. Each session opens the app,
types its own seed (so each trains a config no other session has: no hit in the shared training
cache), clicks Train and waits for its run, visits Curves & confusion, Compare runs (the table)
and Probe a digit, uploads a PNG of a 7 there and reads the prediction. When every session is
done, each one reads the options of its "Selected run" box and the runs in its URL: they must be
its own run and nothing else (no cross-talk between sessions).

Reported per N: sessions held (all steps done within the time bound), errors (exceptions, error
elements on a page, tracebacks in the server's log), the server's peak resident memory (its
process tree's VmRSS sampled every 0.1 s, and the kernel's VmHWM high-water mark), and the
median and 95th percentile of the time from the Train click until the page shows the run. The
table is printed and written to bench/RESULTS.md between this script's own markers.
"""

import argparse
import asyncio
import io
import os
import re
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
from PIL import Image, ImageDraw
from playwright.async_api import async_playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]  # nncore, tests/ and the bench/ modules, run from anywhere

from handwriting import replace_section  # noqa: E402  (bench/handwriting.py: one section of RESULTS.md)
from report import table  # noqa: E402

import nncore  # noqa: E402
from tests.browser.appserver import Server, chromium_options  # noqa: E402
from tests.drawn import STROKES  # noqa: E402

RESULTS = HERE / "RESULTS.md"
LOGS = ROOT / "test-artifacts" / "loadtest"
VIEWPORT = {"width": 1280, "height": 900}
FIRST_SEED = 1000  # seeds no other benchmark or test trains, so every session really trains

APP = "[data-testid=stApp]"
IDLE = f'{APP}[data-test-script-state="notRunning"]'
SIDEBAR = "[data-testid=stSidebar]"
NAV = "[data-testid=stSidebarNav] a"
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"
SETTLE_MS = 200  # after an action, time for its script run to start before waiting for it to end


# ---- the server's process tree, read from /proc (Linux) ----


def _tree(pid):
    """``pid`` and all its descendants (the ones alive now)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in glob(f"/proc/{current}/task/*/children"):
            try:
                todo += [int(child) for child in Path(children).read_text().split()]
            except OSError:  # the thread or process ended meanwhile
                pass
    return found


def _status_kb(pid, key):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mb(pid):
    """Resident memory (VmRSS) of ``pid`` and its descendants, in MB."""
    return sum(_status_kb(p, "VmRSS") for p in _tree(pid)) / 1024


def high_water_mb(pid):
    """The kernel's peak resident memory (VmHWM) of ``pid`` plus its descendants', in MB."""
    return sum(_status_kb(p, "VmHWM") for p in _tree(pid)) / 1024


def cpu_seconds(pid):
    """CPU time (user + system) used so far by ``pid``, its live descendants and its reaped children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        if p == pid:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime: children it has waited for
    return total / ticks


def thread_cpu_seconds(pid):
    """{thread id: CPU time (user + system) used so far} for the threads of ``pid`` alive now."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in glob(f"/proc/{pid}/task/*/stat"):
        try:
            fields = Path(stat).read_text().rpartition(")")[2].split()
        except OSError:  # the thread ended meanwhile
            continue
        found[int(Path(stat).parent.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def thread_count(pid):
    """Threads of ``pid`` and its descendants."""
    return sum(_status_kb(p, "Threads") for p in _tree(pid))


class MemorySampler:
    """Samples the resident memory of a process tree in a thread; ``peak_mb`` is the highest seen."""

    def __init__(self, pid, interval=0.1):
        self.pid, self.interval = pid, interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, rss_mb(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_mb(self.pid))


# ---- one browser session ----


def digit_png(digit=7, size=200):
    """A PNG of ``digit`` drawn in thick black strokes on white (strokes from tests/drawn.py)."""
    picture = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(picture)
    scale = size / 100
    for line in STROKES[digit]:
        draw.line([(x * scale, y * scale) for x, y in line], fill=0, width=int(10 * scale), joint="curve")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def run_name(seed):
    """The name of the run a session trains: the sidebar's default settings with this seed."""
    return nncore.TrainConfig(seed=seed).name


@dataclass
class Session:
    """What one browser session did. ``step`` is where it is (or where it stopped)."""

    seed: int
    step: str = "not started"
    held: bool = False
    train_seconds: float | None = None
    prediction: str | None = None
    runs_seen: list = field(default_factory=list)  # the "Selected run" options at the end
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

    @property
    def crosstalk(self):
        """What this session saw that is not its own run (empty when all is well)."""
        own = run_name(self.seed)
        return [name for name in self.runs_seen if name != own] + [
            token for token in self.url_runs if token != f"seed:{self.seed}"
        ]


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


async def launch(playwright):
    """Headless Chromium: Debian's when it is there (tests/browser/appserver.py)."""
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
    """The options of the sidebar's "Selected run" box (opened with the keyboard, then closed)."""
    box = page.locator(SIDEBAR).get_by_role("combobox", name="Selected run")
    await box.click()
    await box.press("ArrowDown")
    options = page.locator("[data-testid=stSelectboxVirtualDropdown] [role=option]")
    await options.first.wait_for()
    names = [text.strip() for text in await options.all_inner_texts()]
    await box.press("Escape")
    return names


def url_runs(url):
    """The ``run=`` query parameters of ``url``."""
    return parse_qs(urlsplit(url).query).get("run", [])


async def use_app(page, session, png):
    """One person's visit: seed, Train, the three other pages, an upload on the probe page."""
    name = run_name(session.seed)
    session.begin("seed")
    await set_number(page, "Seed", session.seed, "seed")
    session.begin("train")
    started = time.perf_counter()
    await page.locator(SIDEBAR).get_by_role("button", name="Train", exact=True).click()
    await page.get_by_role("heading", name=f"Run {name}", exact=True).wait_for()
    session.train_seconds = time.perf_counter() - started
    await settle(page)
    await _check_page(page, session, "overview")
    session.begin("curves")
    await _visit(page, "Curves & confusion", lambda p: p.get_by_role("heading", name=f"Run {name}", exact=True))
    await _check_page(page, session, "curves")
    session.begin("compare")
    await _visit(page, "Compare runs", lambda p: p.locator("[data-testid=stDataFrame]"))
    await _check_page(page, session, "compare")
    session.begin("probe")
    await _visit(page, "Probe a digit", lambda p: p.locator("[data-testid=stButtonGroup] button", has_text="Upload"))
    await page.locator("[data-testid=stButtonGroup] button", has_text="Upload").click()
    await page.locator("input[type=file]").set_input_files(
        files=[{"name": "seven.png", "mimeType": "image/png", "buffer": png}]
    )
    answer = page.get_by_text(re.compile(r"^Prediction: \d$"))
    await answer.wait_for()
    session.prediction = (await answer.inner_text()).strip().removeprefix("Prediction: ")
    await settle(page)
    await _check_page(page, session, "probe")
    session.begin("done")


async def _one(browser, url, session, png, timeout_s, contexts):
    try:
        session.begin("open")
        context, page = await open_app(browser, url, timeout_s)
        contexts.append((context, page))
        await use_app(page, session, png)
        return page
    except Exception as exc:  # any failure of a step is this session's error, reported, not raised
        session.errors.append(f"{session.step}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        return None


async def _read_back(page, session):
    try:
        session.begin("read back")
        session.runs_seen = await selected_run_options(page)
        session.url_runs = url_runs(page.url)
        session.begin("done")
        session.held = not session.errors
    except Exception as exc:
        session.errors.append(f"read back: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")


async def drive_async(url, seeds, timeout_s, png=None):
    """Run one session per seed against ``url`` at the same time; all within ``timeout_s``.

    Returns the list of Session records (one per seed, in order)."""
    png = png or digit_png()
    sessions = [Session(seed) for seed in seeds]
    deadline = time.perf_counter() + timeout_s
    contexts = []
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            tasks = [asyncio.create_task(_one(browser, url, s, png, timeout_s, contexts)) for s in sessions]
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
        finally:
            for context, _ in contexts:
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


def drive(url, seeds, timeout_s, png=None):
    """``drive_async`` from synchronous code (tests, this script)."""
    return in_thread(drive_async, url, seeds, timeout_s, png)


# ---- one N, and the report ----


@dataclass
class Load:
    """The outcome for N sessions on one fresh server."""

    sessions: list
    baseline_mb: float  # server resident memory before the sessions came
    peak_mb: float  # highest sampled resident memory while they ran
    high_water_mb: float  # the kernel's VmHWM at the end
    after_mb: float  # resident memory once every session has closed its browser context
    log_errors: list  # server log lines with a traceback or an error
    seconds: float  # wall time of the sessions
    cpu_s: float  # CPU time the server used meanwhile

    @property
    def held(self):
        return sum(s.held for s in self.sessions)

    @property
    def errors(self):
        return [f"seed {s.seed}: {e}" for s in self.sessions for e in s.errors] + self.log_errors

    @property
    def crosstalk(self):
        return [f"seed {s.seed} saw {s.crosstalk}" for s in self.sessions if s.crosstalk]

    @property
    def train_seconds(self):
        return sorted(s.train_seconds for s in self.sessions if s.train_seconds is not None)


def log_errors(text):
    """Lines of a server log that report a traceback or an error."""
    return [
        line.strip()
        for line in text.splitlines()
        if "Traceback" in line or re.search(r"\b(ERROR|Exception|Error)\b", line)
    ]


def measure(n, timeout_s, first_seed=FIRST_SEED, log_dir=LOGS):
    """N concurrent sessions on a fresh server: a ``Load``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    server = Server(log_dir / f"server-{n}.log")
    try:
        server.wait_healthy()
        time.sleep(0.5)
        baseline = rss_mb(server.process.pid)
        started, cpu = time.perf_counter(), cpu_seconds(server.process.pid)
        with MemorySampler(server.process.pid) as sampler:
            sessions = drive(server.url, range(first_seed, first_seed + n), timeout_s)
        seconds, cpu = time.perf_counter() - started, cpu_seconds(server.process.pid) - cpu
        peak, after = high_water_mb(server.process.pid), rss_mb(server.process.pid)
    finally:
        server.stop()
    return Load(sessions, baseline, sampler.peak_mb, peak, after, log_errors(server.output()), seconds, cpu)


HEADER = [
    "sessions",
    "held",
    "errors",
    "cross-talk",
    "server MB before",
    "server MB peak (sampled)",
    "server MB peak (VmHWM)",
    "server MB after",
    "Train -> run shown, s: median",
    "p95",
    "wall s",
    "server CPU s",
    "predictions of the 7",
]
STEPS = ["open", "seed", "train", "curves", "compare", "probe", "read back"]


def _spread(values):
    """'median [max]' of some seconds, or '-'."""
    return f"{statistics.median(values):.1f} [{max(values):.1f}]" if values else "-"


def rows(loads):
    """The main table's rows, one per N."""
    found = []
    for n, load in loads.items():
        times = load.train_seconds
        predictions = sorted(_counts(s.prediction for s in load.sessions).items())
        found.append(
            [
                n,
                f"{load.held}/{n}",
                len(load.errors),
                len(load.crosstalk) or "none",
                f"{load.baseline_mb:.0f}",
                f"{load.peak_mb:.0f}",
                f"{load.high_water_mb:.0f}",
                f"{load.after_mb:.0f}",
                f"{statistics.median(times):.2f}" if times else "-",
                f"{np.percentile(times, 95):.2f}" if times else "-",
                f"{load.seconds:.1f}",
                f"{load.cpu_s:.1f}",
                ", ".join(f"{digit}: {count}" for digit, count in predictions) or "-",
            ]
        )
    return found


def step_rows(loads):
    """Seconds per step of the visit, one row per N."""
    return [
        [n, *(_spread([s.seconds[step] for s in load.sessions if step in s.seconds]) for step in STEPS)]
        for n, load in loads.items()
    ]


def _counts(items):
    counts = {}
    for item in items:
        if item is not None:
            counts[item] = counts.get(item, 0) + 1
    return counts


def report(loads, timeout_s, command):
    """The Markdown section for RESULTS.md."""
    details = [f"- N={n}: {e}" for n, load in loads.items() for e in load.errors + load.crosstalk]
    load_average = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "\n".join(
        [
            "## Load test: many sessions at once (issue 4)",
            "",
            f"Written by `{command}` (see bench/loadtest.py for what each session does). Per N: a fresh server; "
            "N browser contexts in one headless Chromium on the same machine, started together, each training its "
            "own seed (no shared-cache hit), visiting every page and uploading a PNG of a 7. Held = every step done "
            f"within the {timeout_s:g} s bound and no error. Memory: the server's process tree (Chromium not "
            "included); 'after' is once every session has closed. Train -> run shown: from the click until the page "
            "shows the run, as the person sees it. Server CPU s: CPU time the server used during the N sessions "
            "(the rest of the machine's time went to Chromium). "
            f"{os.cpu_count()} cores; load average at the end: {load_average}.",
            "",
            table(HEADER, rows(loads)),
            "",
            "Seconds per step, median [max] over the sessions (open: new tab to the app idle; seed: type it and wait "
            "for the rerun; train: click to idle; curves, compare, probe: click the page's link to idle, probe with "
            "the upload and its answer; read back: the run selector's options):",
            "",
            table(["sessions", *STEPS], step_rows(loads)),
            *(["", "Errors and cross-talk:", "", *details] if details else []),
        ]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bench/loadtest.py", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sessions",
        type=int,
        nargs="+",
        default=[1, 4, 16],
        metavar="N",
        help="numbers of concurrent sessions to try (default 1 4 16)",
    )
    parser.add_argument(
        "--timeout", type=float, default=240.0, help="seconds allowed for all N sessions to finish, per N (default 240)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default bench/RESULTS.md)")
    args = parser.parse_args(argv)
    loads = {}
    for n in args.sessions:
        print(f"{n} session(s)...", flush=True)
        loads[n] = measure(n, args.timeout)
        for line in loads[n].errors + loads[n].crosstalk:
            print(f"  {line}", flush=True)
    command = " ".join(["python bench/loadtest.py", *(argv if argv is not None else sys.argv[1:])])
    text = report(loads, args.timeout, command)
    print(text, flush=True)
    replace_section(args.out, "bench/loadtest.py", text)
    return 0 if all(load.held == n and not load.errors and not load.crosstalk for n, load in loads.items()) else 1


if __name__ == "__main__":
    sys.exit(main())
