"""Several replicas of the app behind a load balancer (the README's "Deploying for a class"): a
session lives in one replica's memory, but its URL carries every run, so another replica that has
never seen the session brings the same run back from the URL alone."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from support.appserver import Server
from support.sessions import run_heading
from tests.browser.conftest import VIEWPORT
from tests.browser.test_app import no_errors, open_app, selected_runs, set_setting, settle, train

SEED = 11
RUN = "h64 lr0.1 b64 e30 s11"  # the default settings with SEED: well under a second to train


@pytest.fixture(scope="module")
def replicas(tmp_path_factory):
    """Two app servers, each on its own port with its own memory: replica A and replica B."""
    folder = tmp_path_factory.mktemp("replicas")
    servers = [Server(folder / f"replica-{name}.log") for name in "ab"]
    try:
        for server in servers:
            server.wait_healthy()
        yield servers
    finally:
        for server in servers:
            server.stop()
    tracebacks = [line for server in servers for line in server.output().splitlines() if "Traceback" in line]
    assert not tracebacks, "a replica logged a traceback:\n" + "\n".join(server.output() for server in servers)


def shown_accuracy(page):
    """The "Test accuracy" figure of the run shown on Train & overview."""
    metric = page.locator("[data-testid=stMetric]", has_text="Test accuracy").first
    return metric.locator("[data-testid=stMetricValue]").inner_text()


def test_a_run_trained_on_one_replica_comes_back_from_its_url_on_another(page, browser, replicas):
    a, b = replicas
    open_app(page, a)
    set_setting(page, "Seed", SEED)
    train(page)
    expect(page.get_by_role("heading", name=run_heading(RUN))).to_be_visible()
    trained_on_a = shown_accuracy(page)
    parts = urlsplit(page.url)

    other = browser.new_context(viewport=VIEWPORT).new_page()  # a new browser session, on replica B
    open_app(other, b, f"{parts.path.lstrip('/')}?{parts.query}")
    expect(other.get_by_role("heading", name=run_heading(RUN))).to_be_visible()
    settle(other)
    assert selected_runs(other) == [RUN]
    assert shown_accuracy(other) == trained_on_a
    assert other.get_by_label("Seed", exact=True).input_value() == str(SEED)
    no_errors(other)
    other.context.close()
