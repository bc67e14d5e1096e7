"""The app as a real server, the Chromium to drive it, and what the server's processes use (read
from /proc, Linux): shared by the browser tests (tests/browser/), the load test
(bench/loadtest.py) and the app benchmark (bench/app_figures.py).

Chromium: Debian's /usr/bin/chromium when it is there (Playwright's own download is blocked on
some machines), else the one `python -m playwright install chromium` fetched.
"""

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from glob import glob
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-dev-shm-usage"]


def chromium_options():
    """Launch options for Playwright's Chromium: the flags it needs, and Debian's binary when present."""
    options = {"args": CHROMIUM_FLAGS}
    if DEBIAN_CHROMIUM.exists():
        options["executable_path"] = str(DEBIAN_CHROMIUM)
    return options


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run streamlit_app.py` in its own process group, on a free loopback port, its
    output written to ``log_path``, with ``env`` added to this process's environment (settings such
    as DIGITS_TRAINING_SLOTS). ``python``: the interpreter to run it with (another Python's venv);
    ``cgroups``: cgroup folders (v1, one per controller) the server joins before it starts, so it
    and its worker processes run within their limits (bench/loadtest.py --box). ``script``: another
    app to serve (a path from the project's folder; the benchmarks' peer app).
    ``started`` is taken just before the process is spawned.
    ``with Server(...) as server:`` waits until it answers and stops it at the end."""

    def __init__(self, log_path, env=None, python=sys.executable, cgroups=(), script="streamlit_app.py"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(python), "-m", "streamlit", "run", str(script), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats",
             "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **(env or {})}, preexec_fn=_joiner(cgroups) if cgroups else None)

    def __enter__(self):
        try:
            self.wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def wait_healthy(self, timeout=60):
        """Seconds from ``started`` until the health endpoint answers (polled every 10 ms)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"streamlit did not answer its health endpoint in {timeout} s:\n{self.output()}")

    def output(self):
        if not self.log.closed:
            self.log.flush()
        return Path(self.log_path).read_text(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def _joiner(cgroups):
    """A function that puts the calling process into each of ``cgroups`` (run in the child before
    it starts streamlit: everything it starts is in them too)."""
    def join():
        for folder in cgroups:
            Path(folder, "cgroup.procs").write_text(str(os.getpid()))
    return join


def log_errors(text):
    """Lines of a server log that report a traceback or an error."""
    return [line.strip() for line in text.splitlines()
            if "Traceback" in line or re.search(r"\b(ERROR|Exception|Error)\b", line)]


def queue_waits(text):
    """Seconds each single training waited in the training queue, from the lines app/server/trainer.py
    writes to the server's log ("digits: queue wait 1.234 s for seed:7"), in order."""
    return [float(seconds) for seconds in re.findall(r"^digits: queue wait ([0-9.]+) s for ", text, re.MULTILINE)]


def queue_waits_by_run(text):
    """(seconds, run key) of each single training's wait in the training queue, from the same
    lines as ``queue_waits``, in order."""
    return [(float(seconds), key) for seconds, key in
            re.findall(r"^digits: queue wait ([0-9.]+) s for (\S+)$", text, re.MULTILINE)]


def sweep_events(text):
    """What app/server/sweeps.py wrote to the server's log about sweeps, in order: ("started", cell),
    ("trained", cell) for its cells (numbered from 1) and ("ended", "stopped" or "finished")."""
    events = []
    for line in text.splitlines():
        if match := re.match(r"digits: sweep cell (\d+)/\d+ (started|trained)", line):
            events.append((match[2], int(match[1])))
        elif match := re.match(r"digits: sweep (stopped|finished): ", line):
            events.append(("ended", match[1]))
    return events


# ---- the server's process tree, read from /proc ----


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


def descendants(pid):
    """The processes descended from ``pid`` alive now (its children, theirs, ...), by PID."""
    return _tree(pid)[1:]


def alive(pid):
    """Whether process ``pid`` exists and is not a zombie (ended, waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


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


def pss_mb(pid):
    """Proportional resident memory (Pss) of ``pid`` and its descendants, in MB: pages shared between
    them (the libraries every Python process maps) counted once in all, not once per process."""
    total = 0
    for p in _tree(pid):
        try:
            text = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:  # the process ended meanwhile
            continue
        total += sum(int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:"))
    return total / 1024


def high_water_mb(pid):
    """The kernel's peak resident memory (VmHWM) of ``pid`` plus its descendants', in MB."""
    return sum(_status_kb(p, "VmHWM") for p in _tree(pid)) / 1024


def thread_count(pid):
    """Threads of ``pid`` and its descendants."""
    return sum(_status_kb(p, "Threads") for p in _tree(pid))


def _cpu_ticks(stat_path, children=False):
    """user + system clock ticks in a /proc stat file (with its reaped children's when asked), or
    None when the process or thread has ended."""
    try:
        fields = Path(stat_path).read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return sum(int(ticks) for ticks in fields[11:15 if children else 13])  # utime, stime (, cutime, cstime)


WINDOW_S = 2.0  # CPU time is compared over windows this long
IDLE_CPU_S = 0.1  # at most this much in a whole idle server per window (measured: ~0.01)
SETTLE_S = 15.0  # how long a server has to become idle after the work it was given ends


async def seconds_until(condition, limit=SETTLE_S):
    """Seconds until ``condition()`` holds (polled every 0.1 s), or None if not within ``limit``."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if condition():
            return time.perf_counter() - start
        await asyncio.sleep(0.1)
    return None


async def quiet_since(pid):
    """Seconds from now until the start of the first WINDOW_S window in which the process tree of
    ``pid`` used at most IDLE_CPU_S of CPU (sampled every 0.25 s), or None if none within SETTLE_S."""
    start = time.perf_counter()
    samples = [(0.0, cpu_seconds(pid))]
    while samples[-1][0] < SETTLE_S:
        await asyncio.sleep(0.25)
        now, cpu = time.perf_counter() - start, cpu_seconds(pid)
        samples.append((now, cpu))
        window = [sample for sample in samples if sample[0] <= now - WINDOW_S]
        if window and cpu - window[-1][1] <= IDLE_CPU_S:
            return window[-1][0]
    return None


def cpu_seconds(pid):
    """CPU time (user + system) used so far by ``pid``, its live descendants and its reaped children."""
    ticks = (_cpu_ticks(f"/proc/{p}/stat", children=p == pid) for p in _tree(pid))
    return sum(t for t in ticks if t is not None) / os.sysconf("SC_CLK_TCK")


def thread_cpu_seconds(pid):
    """{thread id: CPU time (user + system) used so far} for the threads of ``pid`` alive now."""
    found = {}
    for stat in glob(f"/proc/{pid}/task/*/stat"):
        ticks = _cpu_ticks(stat)
        if ticks is not None:
            found[int(Path(stat).parent.name)] = ticks / os.sysconf("SC_CLK_TCK")
    return found


class MemorySampler:
    """Samples the resident memory of a process tree in a thread; ``peak_mb`` is the highest sum of
    VmRSS seen, ``peak_pss_mb`` the highest sum of Pss."""

    def __init__(self, pid, interval=0.1):
        self.pid, self.interval = pid, interval
        self.peak_mb = self.peak_pss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def _sample(self):
        self.peak_mb, self.peak_pss_mb = max(self.peak_mb, rss_mb(self.pid)), max(self.peak_pss_mb, pss_mb(self.pid))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()
