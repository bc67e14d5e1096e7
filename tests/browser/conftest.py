"""Browser tests: the app started with `streamlit run` on a free loopback port and driven in
headless Chromium through pytest-playwright, as a person would.

Chromium: Debian's /usr/bin/chromium when it is there (Playwright's own download is blocked on
some machines), else the one `python -m playwright install chromium` fetched. scripts/ensure-
browser.sh installs one of them; the README's test command runs it first.
Screenshots land in test-artifacts/screenshots/ to be looked at.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1400, "height": 1800}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run streamlit_app.py` in its own process group, on a free loopback port."""

    def __init__(self, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats",
             "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started = time.perf_counter()

    def wait_healthy(self, timeout=60):
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.1)
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


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("streamlit") / "server.log")
    try:
        srv.wait_healthy()
        yield srv
    finally:
        srv.stop()
    tracebacks = [line for line in srv.output().splitlines() if "Traceback" in line]
    assert not tracebacks, f"the server logged a traceback:\n{srv.output()}"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_type):
    """pytest-playwright's launch options: Debian's Chromium when present, with the flags it needs.
    No browser at all fails the tests (never skips them) with what to run."""
    args = {**browser_type_launch_args, "args": CHROMIUM_FLAGS}
    if DEBIAN_CHROMIUM.exists():
        args["executable_path"] = str(DEBIAN_CHROMIUM)
    elif not Path(browser_type.executable_path).exists():
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
