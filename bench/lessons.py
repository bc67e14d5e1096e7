"""Lessons benchmark: what each lesson of "Start here" trains, how long its runs take on this
machine, and what its runs show (seed 0), computed by the lesson itself.

    python bench/lessons.py

Trains each lesson's runs with ``nncore.train`` one after the other (no cache), then its
``explain``. Prints a Markdown section and writes it into bench/RESULTS.md between this script's
own markers (other sections are kept). The app's button also waits for its queue turn and
redraws the page; the browser test (tests/browser/test_lessons_browser.py) measures that.
"""

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]  # nncore and the bench/ modules, run from anywhere

from report import replace_section, table  # noqa: E402

import nncore  # noqa: E402
from nncore.lab import lessons  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"


def main():
    rows, details = [], []
    for number, lesson in enumerate(lessons.LESSONS, 1):
        started = time.perf_counter()
        results = [nncore.train(config) for config in lesson.configs]
        trained = time.perf_counter() - started
        outcome = lesson.explain(results)
        rows.append([f"{number}. {lesson.title}", len(results), f"{trained:.1f} s", lesson.options[outcome.answer]])
        details.append(f"**{number}. {lesson.title}**\n\n" + "\n".join(f"- {line}" for line in outcome.lines))
    body = "\n\n".join(["## Lessons (seed 0)", table(["lesson", "runs", "training", "the runs say"], rows), *details])
    print(body)
    replace_section(RESULTS, "bench/lessons.py", body)


if __name__ == "__main__":
    main()
