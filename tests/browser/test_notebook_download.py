"""The "Download as a notebook" button in headless Chromium: the file it downloads is a valid
notebook that, executed in a fresh kernel where nncore cannot be imported, trains the run again
to the same best epoch and test accuracy; with the exercise ticked, backward is left to write."""

import nbformat
from playwright.sync_api import expect

import nncore
from support.notebooks import ending, execute, text
from support.sessions import run_heading
from tests.browser.test_app import go, no_errors, open_app, set_setting, train


def download(page, where, folder):
    """Click the page's "Download as a notebook" and save the file in ``folder``."""
    button = page.get_by_role("button", name="Download as a notebook")
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=120_000) as caught:
        button.click()
    path = folder / caught.value.suggested_filename
    caught.value.save_as(path)
    return path


def test_the_downloaded_notebook_executes_and_ends_with_the_runs_test_accuracy(page, server, shot, tmp_path):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_app(page, server)
    set_setting(page, "Epochs", 4)
    train(page)
    expect(page.get_by_role("heading", name=run_heading("h64 lr0.1 b64 e4 s0"))).to_be_visible()
    expect(page.get_by_role("button", name="Download as a notebook")).to_be_visible()
    no_errors(page)
    shot(page, "overview-1400")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)
    shot(page, "overview-390")
    page.set_viewport_size({"width": 1400, "height": 1000})

    path = download(page, "overview", tmp_path)
    assert path.name == "digits-h64-lr0.1-b64-e4-s0.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    run = nncore.train(nncore.TrainConfig(epochs=4))  # the app's run of these settings: the same numbers
    folder = tmp_path / "kernel"
    folder.mkdir()
    execute(nb, folder)
    assert ending(nb) == (run.best_epoch, run.test_accuracy)
    assert "the same as the run this notebook was made from" in text(nb)

    go(page, "How it learns")
    page.get_by_text("Exercise: leave backward() for me to write").click()
    page.wait_for_timeout(500)
    no_errors(page)
    shot(page, "how-1400")
    exercise = nbformat.read(download(page, "how", tmp_path), as_version=4)
    assert exercise.metadata.nncore == {"run": "h64 lr0.1 b64 e4 s0", "exercise": True}
    network = next(cell for cell in exercise.cells if "model.MLP" in cell.metadata.get("nncore", []))
    assert "db1 = ...  #" in network.source and "dZ1.sum(axis=0)" not in network.source
