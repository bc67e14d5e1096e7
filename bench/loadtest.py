"""Load test (issue 4, "Many users, little memory"): N people using the app at the same time.

    python bench/loadtest.py                                  # N = 1, 4, 16
    python bench/loadtest.py --sessions 1 4 --timeout 120     # other N; seconds allowed per N

For each N: a fresh ``streamlit run streamlit_app.py`` on a free loopback port and one headless
Chromium holding N browser contexts, i.e. N separate Streamlit sessions, each making the visit
of support/sessions.py at the same time (its own seed, Train, every page, an upload of the
latency benchmark's PNG of a 3, then a check for cross-talk between sessions).

Reported per N: sessions held (all steps done within the time bound), errors (exceptions, error
elements on a page, tracebacks in the server's log), the server's peak resident memory (its
process tree's VmRSS sampled every 0.1 s, and the kernel's VmHWM high-water mark), and the
median and 95th percentile of the time from the Train click until the page shows the run. The
table is printed and written to its section of bench/RESULTS.md.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]  # support/ and the bench/ modules, run from anywhere

from report import replace_section, table  # noqa: E402
from scaling import upload_png  # noqa: E402

from support.appserver import Server, cpu_seconds, high_water_mb, log_errors, rss_mb  # noqa: E402
from support.sessions import drive  # noqa: E402

RESULTS = HERE / "RESULTS.md"
LOGS = ROOT / "test-artifacts" / "loadtest"
FIRST_SEED = 1000  # seeds no other benchmark or test trains, so every session really trains


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
            sessions = drive(server.url, range(first_seed, first_seed + n), timeout_s, upload_png())
        seconds, cpu = time.perf_counter() - started, cpu_seconds(server.process.pid) - cpu
        peak, after = high_water_mb(server.process.pid), rss_mb(server.process.pid)
    finally:
        server.stop()
    return Load(sessions, baseline, sampler.peak_mb, peak, after, log_errors(server.output()), seconds, cpu)


HEADER = ["sessions", "held", "errors", "cross-talk", "server MB before", "server MB peak (sampled)",
          "server MB peak (VmHWM)", "server MB after", "Train -> run shown, s: median", "p95", "wall s",
          "server CPU s", "predictions of the 3"]
STEPS = ["open", "seed", "train", "curves", "compare", "probe", "read back"]


def _spread(values):
    """'median [max]' of some seconds, or '-'."""
    return f"{statistics.median(values):.1f} [{max(values):.1f}]" if values else "-"


def rows(loads):
    """The main table's rows, one per N."""
    found = []
    for n, load in loads.items():
        times = load.train_seconds
        predictions = sorted(Counter(s.prediction for s in load.sessions if s.prediction is not None).items())
        found.append([n, f"{load.held}/{n}", len(load.errors), len(load.crosstalk) or "none",
                      f"{load.baseline_mb:.0f}", f"{load.peak_mb:.0f}", f"{load.high_water_mb:.0f}",
                      f"{load.after_mb:.0f}", f"{statistics.median(times):.2f}" if times else "-",
                      f"{np.percentile(times, 95):.2f}" if times else "-", f"{load.seconds:.1f}",
                      f"{load.cpu_s:.1f}", ", ".join(f"{digit}: {count}" for digit, count in predictions) or "-"])
    return found


def step_rows(loads):
    """Seconds per step of the visit, one row per N."""
    return [[n, *(_spread([s.seconds[step] for s in load.sessions if step in s.seconds]) for step in STEPS)]
            for n, load in loads.items()]


def section(loads, timeout_s, command):
    """The Markdown section for RESULTS.md."""
    details = [f"- N={n}: {e}" for n, load in loads.items() for e in load.errors + load.crosstalk]
    load_average = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "\n".join([
        "## Load test: many sessions at once (issue 4)", "",
        f"Written by `{command}` (see support/sessions.py for what each session does). Per N: a fresh server; "
        "N browser contexts in one headless Chromium on the same machine, started together, each training its "
        "own seed (no shared-cache hit), visiting every page and uploading a PNG of a 3. Held = every step done "
        f"within the {timeout_s:g} s bound and no error. Memory: the server's process tree (Chromium not "
        "included); 'after' is once every session has closed. Train -> run shown: from the click until the page "
        "shows the run, as the person sees it. Server CPU s: CPU time the server used during the N sessions "
        "(the rest of the machine's time went to Chromium). "
        f"{os.cpu_count()} cores; load average at the end: {load_average}.", "",
        table(HEADER, rows(loads)), "",
        "Seconds per step, median [max] over the sessions (open: new tab to the app idle; seed: type it and wait "
        "for the rerun; train: click to idle; curves, compare, probe: click the page's link to idle, probe with "
        "the upload and its answer; read back: the run selector's options):", "",
        table(["sessions", *STEPS], step_rows(loads)),
        *(["", "Errors and cross-talk:", "", *details] if details else [])])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bench/loadtest.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 4, 16], metavar="N",
                        help="numbers of concurrent sessions to try (default 1 4 16)")
    parser.add_argument("--timeout", type=float, default=240.0,
                        help="seconds allowed for all N sessions to finish, per N (default 240)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default bench/RESULTS.md)")
    args = parser.parse_args(argv)
    loads = {}
    for n in args.sessions:
        print(f"{n} session(s)...", flush=True)
        loads[n] = measure(n, args.timeout)
        for line in loads[n].errors + loads[n].crosstalk:
            print(f"  {line}", flush=True)
    command = " ".join(["python bench/loadtest.py", *(argv if argv is not None else sys.argv[1:])])
    text = section(loads, args.timeout, command)
    print(text, flush=True)
    replace_section(args.out, "bench/loadtest.py", text)
    return 0 if all(load.held == n and not load.errors and not load.crosstalk for n, load in loads.items()) else 1


if __name__ == "__main__":
    sys.exit(main())
