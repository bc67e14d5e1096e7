"""Load test (issues 4, "Sweeps ... and a classroom on one server", "Hostile input, round two"):
how many people one server of this machine's size holds, with sweeps and a hostile visitor.

    python bench/loadtest.py                       # N = 1, 4, 8, 16; a classroom of 30; 8 + a hostile visitor
    python bench/loadtest.py --sessions 1 4 --classroom 0 --hostile 0 --timeout 120
    python bench/loadtest.py --sessions --classroom 0 --hostile 0 --tabs 8   # 8 students, then 8 + one with ten tabs

    python bench/loadtest.py --box 1cpu-690mb      # the classroom only, the server in a Cloud-sized box

For each row: a fresh ``streamlit run streamlit_app.py`` on a free loopback port and one headless
Chromium holding one browser context per session, i.e. separate Streamlit sessions, each making
a visit of support/sessions.py at the same time (its own seed, Train, every page, an upload of
the latency benchmark's PNG of a 3, then a check for cross-talk between sessions). In the
classroom every fourth session first runs a 2 x 2 sweep; the hostile row adds to N ordinary
sessions one that uploads support/hostile.py's files until the others are done.

Reported per row: sessions held (all steps done within the time bound), errors (exceptions, error
elements on a page, a hostile file not refused, tracebacks in the server's log), the server's
peak resident memory (its process tree's VmRSS sampled every 0.1 s, and the kernel's VmHWM
high-water mark), the median and 95th percentile of the time from the Train click until the page
shows the run, and of the time each single training waited in the queue (app/server/trainer.py's log
line). The table is printed and written to its section of bench/RESULTS.md.

``--box NAME`` (support/boxes.py: 1cpu-690mb, Community Cloud's smallest; 2cpu-2700mb, its largest)
runs only the classroom, with the server and its workers inside a cgroup v1 of that CPU quota and
memory limit (the browsers outside it), and adds what the kernel counted: the group's peak memory
against its limit, how often usage hit the limit (failcnt) and OOM kills. Its section of RESULTS.md
is its own.
"""

import argparse
import os
import re
import statistics
import sys
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

from support.appserver import (  # noqa: E402
    MemorySampler,
    Server,
    cpu_seconds,
    high_water_mb,
    log_errors,
    queue_waits,
    queue_waits_by_run,
    rss_mb,
)
from support.boxes import BOXES, Cgroup  # noqa: E402
from support.sessions import TAB_EPOCHS, TABS, Session, drive  # noqa: E402

RESULTS = HERE / "RESULTS.md"
LOGS = ROOT / "test-artifacts" / "loadtest"
FIRST_SEED = 1000  # seeds no other benchmark or test trains, so every session really trains


@dataclass
class Load:
    """The outcome for N sessions on one fresh server."""

    sessions: list
    baseline_mb: float  # server resident memory before the sessions came
    peak_mb: float  # highest sampled resident memory while they ran
    peak_pss_mb: float  # the same, with pages shared between the server's processes counted once
    high_water_mb: float  # the kernel's VmHWM at the end
    after_mb: float  # resident memory once every session has closed its browser context
    log_errors: list  # server log lines with a traceback or an error
    queue_waits: list  # seconds each single training waited for a slot, from the server's log
    seconds: float  # wall time of the sessions
    cpu_s: float  # CPU time the server used meanwhile
    waits_by_run: list = ()  # (seconds, run key) of the same waits

    box: dict = None  # in a --box: what the kernel counted (support.boxes.Cgroup.memory) and the server's log line
    box_log: str = ""  # in a --box: the server's log

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

    def of(self, kind):
        return [s for s in self.sessions if s.kind == kind]


def visitors(n, sweep_every=0, hostile=False, first_seed=FIRST_SEED):
    """N sessions with seeds of their own, every ``sweep_every``-th a "sweep" one, and a hostile one."""
    kinds = ["sweep" if sweep_every and i % sweep_every == 0 else "train" for i in range(n)]
    found = [Session(first_seed + i, kind) for i, kind in enumerate(kinds)]
    return found + [Session(0, "hostile")] if hostile else found


def measure(label, sessions, timeout_s, log_dir=LOGS, box=None):
    """``sessions`` at once on a fresh server (inside ``box``, a support.boxes.Box, when given): a ``Load``."""
    if box is None:
        return _measure(label, sessions, timeout_s, log_dir)
    with Cgroup(box) as group:
        load = _measure(label, sessions, timeout_s, log_dir, group.folders)
        load.box = group.memory()
    said = re.search(r"Digits Playground server: (.*)", load.box_log)
    load.box["server says"] = said.group(1).strip() if said else "-"
    return load


def _measure(label, sessions, timeout_s, log_dir, cgroups=()):
    log_dir.mkdir(parents=True, exist_ok=True)
    server = Server(log_dir / f"server-{label.replace(' ', '')}.log", cgroups=cgroups)
    try:
        server.wait_healthy()
        time.sleep(0.5)
        baseline = rss_mb(server.process.pid)
        started, cpu = time.perf_counter(), cpu_seconds(server.process.pid)
        with MemorySampler(server.process.pid) as sampler:
            failed = log_dir / f"failed-{label.replace(' ', '')}"  # each failed session's last look
            sessions = drive(server.url, sessions, timeout_s, upload_png(), failed)
        seconds, cpu = time.perf_counter() - started, cpu_seconds(server.process.pid) - cpu
        peak, after = high_water_mb(server.process.pid), rss_mb(server.process.pid)
    finally:
        server.stop()
    log = server.output()
    return Load(sessions, baseline, sampler.peak_mb, sampler.peak_pss_mb, peak, after, log_errors(log),
                queue_waits(log), seconds, cpu, queue_waits_by_run(log), box_log=log if cgroups else "")


HEADER = ["sessions", "held", "errors", "cross-talk", "server MB before", "server MB peak (sampled)",
          "server MB peak (VmHWM)", "server MB peak (PSS)", "server MB after", "Train -> run shown, s: median", "p95",
          "queue wait, s: median", "p95", "wall s", "server CPU s", "predictions of the 3"]
STEPS = ["open", "seed", "sweep", "train", "curves", "compare", "probe", "read back"]


def _spread(values):
    """'median [max]' of some seconds, or '-'."""
    return f"{statistics.median(values):.1f} [{max(values):.1f}]" if values else "-"


def _median_p95(values):
    return [f"{statistics.median(values):.2f}", f"{np.percentile(values, 95):.2f}"] if values else ["-", "-"]


def rows(loads):
    """The main table's rows, one per load."""
    found = []
    for label, load in loads.items():
        predictions = sorted(Counter(s.prediction for s in load.sessions if s.prediction is not None).items())
        found.append([label, f"{load.held}/{len(load.sessions)}", len(load.errors), len(load.crosstalk) or "none",
                      f"{load.baseline_mb:.0f}", f"{load.peak_mb:.0f}", f"{load.high_water_mb:.0f}",
                      f"{load.peak_pss_mb:.0f}", f"{load.after_mb:.0f}", *_median_p95(load.train_seconds),
                      *_median_p95(load.queue_waits), f"{load.seconds:.1f}", f"{load.cpu_s:.1f}",
                      ", ".join(f"{digit}: {count}" for digit, count in predictions) or "-"])
    return found


def step_rows(loads):
    """Seconds per step of the visit (the hostile visitor's left out), one row per load."""
    return [[label, *(_spread([s.seconds[step] for s in load.sessions if step in s.seconds and s.kind != "hostile"])
                      for step in STEPS)] for label, load in loads.items()]


def notes(loads):
    """A line per load with sweeps or a hostile visitor: what they did."""
    lines = []
    for label, load in loads.items():
        sweeps = [s for s in load.of("sweep") if s.sweep_seconds is not None]
        if load.of("sweep"):
            lines.append(f"- {label}: {len(sweeps)} of {len(load.of('sweep'))} sweeps of 4 runs finished, Run sweep "
                         f"-> the page says finished {_spread([s.sweep_seconds for s in sweeps])} s (the sweep's "
                         f"own time, as the server counted it: {_spread([s.sweep_server_seconds for s in sweeps])} "
                         f"s); {len(load.queue_waits)} single trainings left the queue.")
        for s in load.of("hostile"):
            seconds = [seconds for _, seconds in s.refusals]
            slowest = max(s.refusals, key=lambda refusal: refusal[1], default=("-", 0))[0]
            lines.append(f"- {label}: the hostile visitor made {s.rounds} round(s) of 8 uploads, {len(s.refusals)} "
                         f"refused with an error naming the file, upload -> error {_spread(seconds)} s (slowest: "
                         f"{slowest}); {'held' if s.held else 'not held'}.")
    return lines


def honest_waits(load):
    """Queue waits of the honest students' runs (not the ten tabs' runs of TAB_EPOCHS epochs)."""
    return [seconds for seconds, key in load.waits_by_run if f"epochs:{TAB_EPOCHS}" not in key.split(",")]


def tabs_section(loads, timeout_s, command, load_before):
    """The Markdown section for the student with ten tabs (issue 22, defect 6)."""
    rows_ = []
    for label, load in loads.items():
        honest = [s for s in load.sessions if s.kind == "train"]
        tabs = sum(len(s.trained_seeds) for s in load.of("tabs"))
        waits = honest_waits(load)
        rows_.append([label, f"{sum(s.held for s in honest)}/{len(honest)}", len(load.errors),
                      *_median_p95(waits), f"{max(waits):.2f}" if waits else "-",
                      *_median_p95([s.train_seconds for s in honest if s.train_seconds is not None]),
                      tabs if load.of("tabs") else "-", f"{load.cpu_s:.1f}"])
    details = [f"- {label}: {e}" for label, load in loads.items() for e in load.errors + load.crosstalk]
    return "\n".join([
        "## Load test: one student with ten tabs beside the class", "",
        f"Written by `{command}`. The same visits as the load test above (a fresh server per row, default "
        f"settings: training slots = cores, budget 60 s). '+ ten tabs': one more student, one browser (the same "
        f"cookies) with {TABS} tabs, each training runs of {TAB_EPOCHS} epochs (about ten times the default run, "
        "under the budget) one after another until the honest students are done; the honest students click Train "
        "once all ten tabs are training. The queue is fair per person (a browser, by Streamlit's XSRF cookie), "
        "so the ten tabs count as one person. Queue wait: how long each honest student's training waited for a "
        f"slot (the server's log). {os.cpu_count()} cores; load average (1, 5, 15 min) before: {load_before}, at "
        f"the end: {_load_average()}.", "",
        table(["row", "honest held", "errors", "honest queue wait, s: median", "p95", "max",
               "honest Train -> run shown, s: median", "p95", "the ten tabs' trainings", "server CPU s"], rows_),
        *(["", "Errors and cross-talk:", "", *details] if details else [])])


def box_lines(loads, box):
    """What the kernel counted for a load run in ``box``, and what the server said it found."""
    return [f"- {label}: in a cgroup of {box.cpus:g} CPU (quota) and {box.memory_mb} MB; the group's peak memory "
            f"{load.box['peak_mb']:.0f} MB of its {load.box['limit_mb']:.0f} MB limit (the kernel's high-water mark, "
            f"page cache included), usage hit the limit {load.box['failcnt']} time(s) (failcnt; the kernel then "
            f"reclaims page cache), OOM kills: {load.box['oom_kills']}. The server's log at start: "
            f"\"{load.box['server says']}\"" for label, load in loads.items() if load.box]


def _load_average():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def section(loads, timeout_s, command, load_before):
    """The Markdown section for RESULTS.md."""
    details = [f"- {label}: {e}" for label, load in loads.items() for e in load.errors + load.crosstalk]
    return "\n".join([
        "## Load test: many sessions at once, a classroom, a hostile visitor", "",
        f"Written by `{command}` (see support/sessions.py for what each session does). Per row: a fresh server "
        "with the default settings (training slots = cores, budget 60 s); one browser context per session in one "
        "headless Chromium on the same machine, started together, each training its own seed (no shared-cache "
        "hit), visiting every page and uploading a PNG of a 3. 'sweep': every fourth session first runs a 2 x 2 "
        "sweep (hidden 16, 32 x learning rate 0.05, 0.1, its own seed) from the Sweep page. '+ hostile': one more "
        "session that trains nothing and uploads, round after round until the others are done, the hostile "
        "images (Probe a digit) and saved runs (Compare runs) of support/hostile.py. Held = every step done "
        f"within the {timeout_s:g} s bound and no error. Memory: the server's process tree (the sweep's worker "
        "processes included, Chromium not): each process's VmRSS summed (sampled every 0.1 s; and the kernel's "
        "VmHWM high-water marks, of the processes alive at the end only), and PSS (sampled), which counts the "
        "pages the processes share (Python, NumPy, the libraries) once in all instead of once per process; "
        "'after' (VmRSS) is once every session has closed. Train -> run shown: from the click until the page "
        "shows the run, as the person sees it (the hostile visitor has none). Queue wait: how long each single "
        "training waited for a slot, from the server's log (sweep cells not included). Server CPU s: CPU time "
        "the server used during the sessions (the rest of the machine's time went to Chromium). "
        f"{os.cpu_count()} cores; load average (1, 5, 15 min) before: {load_before}, at the end: {_load_average()}.",
        "",
        table(HEADER, rows(loads)), "", *notes(loads), "",
        "Seconds per step, median [max] over the sessions (open: new tab to the app idle; seed: type it and wait "
        "for the rerun; sweep: the Sweep page, its values typed, Run sweep until its runs are finished, back to "
        "Train & overview; train: click to idle; curves, compare, probe: click the page's link to idle, probe with "
        "the upload and its answer; read back: the run selector's options):", "",
        table(["sessions", *STEPS], step_rows(loads)),
        *(["", "Errors and cross-talk:", "", *details] if details else [])])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bench/loadtest.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="*", default=[1, 4, 8, 16], metavar="N",
                        help="numbers of concurrent sessions that all train (default 1 4 8 16)")
    parser.add_argument("--classroom", type=int, default=30, metavar="N",
                        help="a classroom: N sessions that all train, every fourth also sweeps (default 30; 0: none)")
    parser.add_argument("--hostile", type=int, default=8, metavar="N",
                        help="N sessions that train plus a hostile visitor (default 8; 0: none); compare with N")
    parser.add_argument("--tabs", type=int, default=0, metavar="N",
                        help="N students that train, then the same N beside one student with ten tabs; written to a "
                             "section of its own (default 0: none)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds allowed for all the sessions of a row to finish (default 600)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default bench/RESULTS.md)")
    parser.add_argument("--box", choices=sorted(BOXES), help="only the classroom, its server in a cgroup of this "
                        "CPU quota and memory limit (support/boxes.py; needs root and cgroup v1)")
    args = parser.parse_args(argv)
    box = BOXES.get(args.box)
    if box is not None:
        args.sessions, args.hostile = [], 0
    plans = {str(n): visitors(n) for n in args.sessions}
    if args.classroom:
        plans[f"{args.classroom}, sweep"] = visitors(args.classroom, sweep_every=4)
    if args.hostile:
        plans[f"{args.hostile} + hostile"] = visitors(args.hostile, hostile=True)
    tabs_plans = {}
    if args.tabs:
        tabs_plans = {f"{args.tabs}": visitors(args.tabs),
                      f"{args.tabs} + ten tabs": [*visitors(args.tabs), Session(0, "tabs")]}
    loads, tabs_loads, load_before = {}, {}, _load_average()
    for found, wanted in ((loads, plans), (tabs_loads, tabs_plans)):
        for label, sessions in wanted.items():
            print(f"{label}: {len(sessions)} session(s)...", flush=True)
            found[label] = measure(label, sessions, args.timeout, box=box)
            for line in found[label].errors + found[label].crosstalk:
                print(f"  {line}", flush=True)
    command = " ".join(["python bench/loadtest.py", *(argv if argv is not None else sys.argv[1:])])
    if loads:
        text = section(loads, args.timeout, command, load_before)
        if box is not None:
            text = "\n".join([f"## Load test in a Community-Cloud-sized box: {box.name}",
                              *text.split("\n")[1:], "", *box_lines(loads, box)])
        print(text, flush=True)
        replace_section(args.out, "bench/loadtest.py" + (f" --box {box.name}" if box else ""), text)
    if tabs_loads:
        text = tabs_section(tabs_loads, args.timeout, command, load_before)
        print(text, flush=True)
        replace_section(args.out, "bench/loadtest.py --tabs", text)
    loads |= tabs_loads
    return 0 if all(load.held == len(load.sessions) and not load.errors and not load.crosstalk
                    for load in loads.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
