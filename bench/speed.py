"""Where our users wait (issues 18 and 24): a fresh server's first page, page weight, page switches
and reloads, and a sweep from the command line, each beside its peer in one run.

    python bench/speed.py                 # everything (about 5-10 minutes on a busy machine)
    python bench/speed.py --rounds 2 --no-pages

* Cold start: ``streamlit run`` of the app and of bench/peer_app.py (a title and one Plotly
  chart), fresh servers interleaved; the clock starts just before the spawn; Chromium (launched
  before) opens the page as soon as the health endpoint answers. Reported: until the first
  heading is visible, and until the page is fully drawn (no script running, no element still
  loading, every image loaded, every Plotly chart drawn). Page weight: the JavaScript the page
  loaded by then (decoded bytes, from the browser's resource timing).
* Pages (warm server): the app opened on a link holding 4, then 12 runs (trained by the first
  visit; the timed reload finds them in the server's cache); each page of the navigation
  clicked in turn, then a reload: until the heading, and until fully drawn. The peer app's
  reload in the same run is the part that is Streamlit's and Plotly's own.
* Sweep: `python main.py sweep --hidden 16,64,256 --lr 0.01,0.1 --epochs 20 --jobs N` against
  bench/sklearn_sweep.py N (six MLPClassifier fits in joblib.Parallel), whole processes, N = 1
  and 2, interleaved.
* Training: the default config with plain SGD and with Adam, ours against MLPClassifier (float64
  and float32), in this process, interleaved (bench/peers.py; bench/run.py adds PyTorch and the
  FLOP floor).

Nothing here asserts a time; the tables go to this script's section of bench/RESULTS.md.
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from report import replace_section, table  # noqa: E402
from timing import Timing  # noqa: E402

from support.appserver import Server, chromium_options  # noqa: E402

PEER_APP = "bench/peer_app.py"
SWEEP = ["--hidden", "16,64,256", "--lr", "0.01,0.1", "--epochs", "20"]
LIMIT_MS = 180_000
# Fully drawn: the script has finished, nothing is still loading (Streamlit's skeletons), every
# image has loaded and every Plotly chart has drawn its SVG.
DRAWN = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid=stSkeleton]')) return false;
  if ([...document.images].some(image => !image.complete)) return false;
  return [...document.querySelectorAll('[data-testid=stPlotlyChart]')].every(c => c.querySelector('.main-svg'));
}"""
SCRIPT_BYTES = """() => performance.getEntriesByType('resource')
  .filter(e => e.initiatorType === 'script' || /\\.m?js(\\?|$)/.test(e.name))
  .reduce((total, e) => total + (e.decodedBodySize || 0), 0)"""


def _span(timing):
    return f"{timing.median:.2f} [{timing.min:.2f}-{timing.max:.2f}]"


def _heading_then_drawn(page, started):
    """(seconds until the first heading is visible, until fully drawn), both from ``started``."""
    page.locator("h1").first.wait_for(state="visible", timeout=LIMIT_MS)
    heading = time.perf_counter() - started
    page.wait_for_timeout(100)  # a page switch's script run starts; then wait for it to end
    page.wait_for_function(DRAWN, timeout=LIMIT_MS, polling=50)
    return heading, time.perf_counter() - started


def cold_start(browser, rounds, logs):
    """{contender: {"heading"/"drawn"/"JavaScript MB": [...]}} over ``rounds`` fresh servers each."""
    results = {"ours": {}, "one-chart app": {}}
    scripts = {"ours": "streamlit_app.py", "one-chart app": PEER_APP}
    for round_ in range(rounds):
        order = list(scripts) if round_ % 2 == 0 else list(reversed(scripts))
        for name in order:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            server = Server(Path(logs) / f"cold-{name}-{round_}.log", script=scripts[name])
            try:
                server.wait_healthy(timeout=LIMIT_MS / 1000)
                page.goto(server.url)
                heading, drawn = _heading_then_drawn(page, server.started)
                page.wait_for_timeout(300)  # late chunks (a lazily loaded component) count too
                weight = page.evaluate(SCRIPT_BYTES) / 1e6
            finally:
                context.close()
                server.stop()
            for key, value in (("heading", heading), ("drawn", drawn), ("JavaScript MB", weight)):
                results[name].setdefault(key, []).append(value)
    return results


def _runs_link(count):
    import nncore
    from app.state import links

    linked = [links.LinkedRun(nncore.TrainConfig(seed=seed)) for seed in range(count)]
    return urlencode(links.to_params(nncore.TrainConfig(), linked, 0), doseq=True)


def pages(browser, counts, logs):
    """{(runs, what): (heading seconds, drawn seconds)} on one warm server of the app, and the peer
    app's reload."""
    found = {}
    with Server(Path(logs) / "pages.log") as server, Server(Path(logs) / "peer.log", script=PEER_APP) as peer:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(peer.url)
        _heading_then_drawn(page, time.perf_counter())
        started = time.perf_counter()
        page.reload()
        found[(0, "one-chart app: reload")] = _heading_then_drawn(page, started)
        for count in counts:
            page.goto(f"{server.url}/?{_runs_link(count)}")  # trains the runs: not timed
            _heading_then_drawn(page, time.perf_counter())
            held = parse_qs(urlsplit(page.url).query).get("run", [])  # the session writes its runs back
            found[(count, f"(the session holds {len(held)} of the link's {count} runs)")] = (float("nan"),) * 2
            started = time.perf_counter()
            page.reload()
            found[(count, "reload")] = _heading_then_drawn(page, started)
            links = page.locator("[data-testid=stSidebarNav] a")
            pages_ = [(links.nth(i).get_attribute("href"), links.nth(i).inner_text().strip().splitlines()[-1])
                      for i in range(links.count())]  # (address, title); the text starts with the icon's name
            for href, title in pages_[1:] + pages_[:1]:  # away from the first page, and back to it last
                started = time.perf_counter()
                page.locator(f'[data-testid=stSidebarNav] a[href="{href}"]').click()
                found[(count, title)] = _heading_then_drawn(page, started)
        context.close()
    return found


def how_it_learns(rounds, hidden=2048, epochs=5):
    """Server-side seconds of How it learns (AppTest) for a run of the largest hidden layer the
    sidebar allows: the first render after opening the page, and reruns with nothing new."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600).run()
    at.number_input(key="setting_hidden").set_value(hidden)
    at.number_input(key="setting_epochs").set_value(epochs)
    next(button for button in at.sidebar.button if button.label == "Train").click().run()
    at.switch_page("app_pages/how_it_works.py")
    seconds = []
    for _ in range(rounds + 1):
        started = time.perf_counter()
        at.run()
        seconds.append(time.perf_counter() - started)
    if at.exception:
        raise RuntimeError(f"the app raised: {at.exception[0].message}")
    return seconds[0], Timing(tuple(seconds[1:]))


def sweeps(rounds):
    """{contender: Timing} of the whole processes."""
    commands = {}
    for jobs in (1, 2):
        commands[f"ours, --jobs {jobs}"] = [sys.executable, "main.py", "sweep", *SWEEP, "--jobs", str(jobs)]
        commands[f"scikit-learn + joblib, n_jobs={jobs}"] = [sys.executable, "bench/sklearn_sweep.py", str(jobs)]
    seconds = {name: [] for name in commands}
    names = list(commands)
    for round_ in range(rounds):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            started = time.perf_counter()
            subprocess.run(commands[name], cwd=ROOT, check=True, capture_output=True, timeout=600)
            seconds[name].append(time.perf_counter() - started)
    return {name: Timing(tuple(values)) for name, values in seconds.items()}


def trainings(rounds):
    """{(optimizer, contender): Timing} and {(optimizer, contender): test accuracy} of the default
    config's training, ours and MLPClassifier's, SGD and Adam, interleaved in this process."""
    import peers
    from timing import interleaved

    contenders = {(optimizer, name): fn for optimizer, config in (("SGD", peers.SGD), ("Adam", peers.ADAM))
                  for name, fn in peers.contenders(config).items() if fn is not None and "PyTorch" not in name}
    return interleaved(contenders, max(5, rounds))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="fresh servers per app, and sweeps per contender")
    parser.add_argument("--no-pages", action="store_true", help="skip the page switches and reloads")
    parser.add_argument("--no-browser", action="store_true", help="the sweep only")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    parts = [f"Written by `python bench/speed.py --rounds {args.rounds}` (see its docstring for what is timed). "
             "Seconds: median [min-max].\n"]
    if not args.no_browser:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p, tempfile.TemporaryDirectory() as logs:
            browser = p.chromium.launch(headless=True, **chromium_options())
            cold = cold_start(browser, args.rounds, logs)
            found = {} if args.no_pages else pages(browser, (4, 12), logs)
            browser.close()
        ours, peer = ({k: Timing(tuple(v)) for k, v in cold[name].items()} for name in ("ours", "one-chart app"))
        words = {"heading": "the first heading is visible", "drawn": "the page is fully drawn"}
        rows = [[words[what], _span(ours[what]), _span(peer[what]), f"{ours[what].median / peer[what].median:.2f}x"]
                for what in words]
        mb = "JavaScript MB"
        rows.append(["JavaScript loaded by then, MB", f"{ours[mb].median:.2f}", f"{peer[mb].median:.2f}",
                     f"{ours[mb].median / peer[mb].median:.2f}x"])
        parts += ["## Cold start: fresh server -> first page, in Chromium (issue 24)\n",
                  f"{args.rounds} fresh servers of each, interleaved. Target: within 1.5x of the one-chart app.\n",
                  table(["from the spawn until", "ours, s", "one-chart app, s", "ours / peer"], rows), ""]
        if found:
            peer_reload = found[(0, "one-chart app: reload")]
            rows = [[f"{runs} runs" if runs else "-", what, *(["", "", ""] if math.isnan(d) else
                     [f"{h:.2f}", f"{d:.2f}", f"{d / peer_reload[1]:.2f}x"])] for (runs, what), (h, d) in found.items()]
            parts += ["## Pages on a warm server (issue 18)\n",
                      "One session at 1400x1000, opened on a link with 4 and then 12 runs (trained by the first "
                      "visit, not timed), then a reload and each page of the navigation clicked in turn. One "
                      "measurement each. Drawn / peer: against the one-chart app's reload in the same run.\n",
                      table(["runs", "action", "heading, s", "fully drawn, s", "drawn / peer reload"], rows), ""]
    first, reruns = how_it_learns(args.rounds)
    parts += ["## How it learns, server-side, on the largest network (issue 18)\n",
              "AppTest, a run of 2,048 hidden units (5 epochs). Target: under 1 s.\n",
              table(["render", "seconds"], [["first, on opening the page", f"{first:.2f}"],
                                            [f"rerun with nothing new ({args.rounds})", _span(reruns)]]), ""]
    timings = sweeps(args.rounds)
    rows = []
    for jobs in (1, 2):
        ours, theirs = timings[f"ours, --jobs {jobs}"], timings[f"scikit-learn + joblib, n_jobs={jobs}"]
        rows.append([f"{jobs}", _span(ours), _span(theirs), f"{theirs.median / ours.median:.2f}x"])
    two_vs_one = timings["ours, --jobs 2"].median / timings["ours, --jobs 1"].median
    rows.append(["2 vs 1", "", "", f"ours: --jobs 2 takes {two_vs_one:.2f}x the time of --jobs 1"])
    parts += ["## A sweep from a cold start: ours vs scikit-learn + joblib (issue 24)\n",
              f"`python main.py sweep {' '.join(SWEEP)} --jobs N` against `python bench/sklearn_sweep.py N` "
              f"(six MLPClassifier fits in joblib.Parallel(n_jobs=N)), whole processes, {args.rounds} rounds "
              "interleaved. Target: scikit-learn / ours >= 1.5x, and --jobs 2 faster than --jobs 1.\n",
              table(["jobs", "ours, s", "scikit-learn + joblib, s", "scikit-learn / ours"], rows), ""]
    import peers

    timings, accuracy = trainings(args.rounds)
    rows = []
    for optimizer in ("SGD", "Adam"):
        ours = timings[(optimizer, peers.OURS)].median
        rows += [[optimizer, name, _span(Timing(tuple(x * 1e3 for x in t.seconds))), f"{t.median / ours:.2f}x",
                  f"{accuracy[(which, name)]:.4f}"] for (which, name), t in timings.items() if which == optimizer]
    parts += ["## Training the default config: ours vs MLPClassifier (issue 24)\n",
              f"30 epochs, hidden 64, batch 64, seed 0; SGD lr {peers.SGD.lr:g} and Adam lr {peers.ADAM_LR:g} "
              "(bench/peers.py: ours end to end "
              "with a validation pass per epoch, the peer fit + test score); interleaved in this process. Time / ours "
              "above 1: ours is faster.\n",
              table(["optimizer", "contender", "ms", "time / ours", "test accuracy"], rows), ""]
    load_after = os.getloadavg()
    parts.insert(1, f"Load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in load_before)} at the start, "
                    f"{' '.join(f'{x:.2f}' for x in load_after)} at the end (2 cores).\n")
    body = "\n".join(parts)
    print(body)
    replace_section(HERE / "RESULTS.md", "bench/speed.py", body)


if __name__ == "__main__":
    main()
