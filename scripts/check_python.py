"""Does the pinned requirements.txt install into a fresh Python 3.12 (Streamlit Community Cloud's
default) and does the app start there and render every page? As a new user would: a new venv,
`requirements.txt` only, `streamlit run` with that venv's Python, then every page opened in headless
Chromium (driven from this Python), one run trained, no exception on any page, nothing in the
server's log. Prints what it did; exits 1 on the first thing that fails.

    python scripts/check_python.py                      # the newest ~/.pyenv/versions/3.12.*
    python scripts/check_python.py --python /usr/bin/python3.13 --venv /tmp/v313
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from support import pythons  # noqa: E402
from support.appserver import Server, chromium_options, log_errors  # noqa: E402

PATHS = {"": "Train & overview", "curves": "Curves & confusion", "probe": "Probe a digit", "units": "Hidden units",
         "replay": "Watch it learn", "digit": "One digit, step by step", "how": "How it learns",
         "classes": "Where the classes live", "compare": "Compare runs", "sweep": "Sweep settings"}
IDLE = '[data-testid=stApp][data-test-script-state="notRunning"]'
ERRORS = "[data-testid=stException]"


def settle(page):
    page.wait_for_timeout(300)  # let the rerun start
    page.wait_for_selector(IDLE, timeout=120_000)


def check_pages(url, shots):
    """Open every page at ``url`` in Chromium (trains one run first, so the pages have one to
    show). Returns the problems found, one line each."""
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**chromium_options())
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.wait_for_selector("[data-testid=stSidebarNav]", timeout=120_000)
        settle(page)
        page.get_by_role("button", name="Train", exact=True).click()
        settle(page)
        expect(page.get_by_text("Nothing trained yet")).to_have_count(0, timeout=120_000)
        for path, title in PATHS.items():
            page.locator("[data-testid=stSidebarNav] a", has_text=title).click()
            settle(page)
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"check_python-{path or 'root'}.png"), full_page=True)
            heading = page.get_by_role("heading", level=1).first
            exceptions = page.locator(ERRORS).all_inner_texts()
            if exceptions:
                problems.append(f"{title}: an exception on the page: {exceptions[0][:300]}")
            elif not heading.is_visible():
                problems.append(f"{title}: no heading shown")
            else:
                print(f"  {title}: rendered ({heading.inner_text().strip()})")
        browser.close()
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="the interpreter (default: the newest ~/.pyenv/versions/3.12.*)")
    parser.add_argument("--venv", default="/tmp/v312", help="where to make the fresh venv (replaced)")
    args = parser.parse_args(argv)
    python = Path(args.python) if args.python else pythons.interpreter("3.12")
    if python is None or not python.exists():
        print(f"No Python 3.12 found (looked for {pythons.PYENV}/3.12.*/bin/python); give one with --python.")
        return 1
    folder = Path(args.venv)
    started = time.perf_counter()
    print(f"Python {pythons.version(python)} ({python}): a fresh venv at {folder} with requirements.txt ...")
    with open(folder.with_name(folder.name + "-install.log"), "w") as log:
        try:
            venv_python = pythons.venv(python, folder, ["requirements.txt"], log)
        except Exception as exc:  # noqa: BLE001 (said in words, with where to read more)
            print(f"FAILED to install requirements.txt: {exc}; see {log.name}")
            return 1
    print(f"  installed in {time.perf_counter() - started:.0f} s (log: {log.name})")
    server_log = folder / "server.log"
    with Server(server_log, python=venv_python) as server:
        print(f"  streamlit run answers /_stcore/health at {server.url}")
        problems = check_pages(server.url, pythons.ROOT / "test-artifacts" / "screenshots")
        problems += [f"server log: {line}" for line in log_errors(server.output())]
    for problem in problems:
        print(f"FAILED {problem}")
    print("OK: every page rendered" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
