"""How long the views inside a run take to render, server-side, for the default run.

    python bench/views.py [--repeats 5]

For each repetition: a fresh AppTest session of the app, the shared caches emptied, Train
clicked at the default config (so the run, and every value the views keep per run, is new);
then each page that looks inside the run is opened, in an order rotated per repetition, and
timed twice: the first render (nothing computed yet for this run) and a rerun with nothing new
(what a click elsewhere on the page costs). Then one replay frame: Play pressed, and the time of
the script runs that each show the next epoch, asked for by the hidden Next button (a real server
reruns only the replay's fragment; AppTest reruns the page, so this is an upper bound). Prints a
Markdown table of medians with
their min and max: the target is under 1 s per page.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import replace_section  # noqa: E402  (bench/ modules, beside this script)
from timing import Timing  # noqa: E402

PAGES = {"Curves & confusion": "app_pages/curves.py", "Hidden units": "app_pages/units.py",
         "Watch it learn": "app_pages/replay.py", "One digit, step by step": "app_pages/digit_path.py",
         "How it learns": "app_pages/how_it_works.py", "Where the classes live": "app_pages/classes.py"}
FRAMES = 10


def _timed(at):
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"the app raised: {at.exception[0].message}")
    return seconds


def measure(repeats):
    """{(page, "first" | "again"): [seconds]} and the replay frames' seconds."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    seconds, frames, names = {}, [], list(PAGES)
    for r in range(repeats):
        st.cache_data.clear()
        st.cache_resource.clear()  # a new run: the views compute everything for it again
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
        next(b for b in at.sidebar.button if b.label == "Train").click().run()
        for name in names[r % len(names):] + names[:r % len(names)]:
            at.switch_page(PAGES[name])
            seconds.setdefault((name, "first"), []).append(_timed(at))
            seconds.setdefault((name, "again"), []).append(_timed(at))
        at.switch_page(PAGES["Watch it learn"]).run()
        at.button(key="replay_button").click().run()
        for _ in range(FRAMES):  # each as the browser asks for it, pressing Next once the last frame is drawn
            at.button(key="replay_next").click()
            frames.append(_timed(at))
    return {key: Timing(tuple(values)) for key, values in seconds.items()}, Timing(tuple(frames))


def ms(timing):
    return f"{timing.median * 1e3:.0f} ({timing.min * 1e3:.0f}–{timing.max * 1e3:.0f})"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bench/views.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="fresh sessions, each with a newly trained run")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    timings, frames = measure(args.repeats)
    rows = ["| page | first render, ms | rerun, ms | under 1 s |", "| --- | --- | --- | --- |"]
    for name in PAGES:
        first, again = timings[(name, "first")], timings[(name, "again")]
        rows.append(f"| {name} | {ms(first)} | {ms(again)} | {'yes' if first.median < 1 else 'no'} |")
    rows.append(f"| replay frame while playing (whole page) | {ms(frames)} |  | "
                f"{'yes' if frames.median < 0.25 else 'no'} (< 250 ms: 4 epochs/s) |")
    body = (f"## The views inside a run (issue 11)\n\nServer-side render of the inside views for the default run "
            f"(`python bench/views.py --repeats {args.repeats}`; AppTest, medians (min–max) of {args.repeats} fresh "
            f"sessions; load average {load} at start, {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end)."
            "\n\n" + "\n".join(rows))
    print(body)
    replace_section(ROOT / "bench" / "RESULTS.md", "bench/views.py", body)
    worst = max(statistics.median(t.seconds) for (_, kind), t in timings.items() if kind == "first")
    return 0 if worst < 1 else 1


if __name__ == "__main__":
    sys.exit(main())
