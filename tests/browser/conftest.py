"""Browser tests: the app started with `streamlit run` on a free loopback port and driven in
headless Chromium through pytest-playwright, as a person would.

The server and the Chromium to use come from support/appserver.py; scripts/ensure-
browser.sh installs a Chromium, and the README's test command runs it first.
Screenshots land in test-artifacts/screenshots/ to be looked at.
"""

import os
from pathlib import Path

import pytest

from support.appserver import ROOT, Server, chromium_options

SHOTS = ROOT / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1800}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("streamlit") / "server.log") as srv:
        yield srv
    tracebacks = [line for line in srv.output().splitlines() if "Traceback" in line]
    assert not tracebacks, f"the server logged a traceback:\n{srv.output()}"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_type):
    """pytest-playwright's launch options: Debian's Chromium when present, with the flags it needs.
    No browser at all fails the tests (never skips them) with what to run."""
    args = {**browser_type_launch_args, **chromium_options()}
    if "executable_path" not in args and not Path(browser_type.executable_path).exists():
        pytest.fail("No Chromium for the browser tests: run `bash scripts/ensure-browser.sh` (or `python -m "
                    "playwright install chromium`, or `apt-get install chromium`), then the tests again.", False)
    return args


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT}


@pytest.fixture
def shot(request):
    """shot(page, name): a screenshot to test-artifacts/screenshots/<test>-<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
