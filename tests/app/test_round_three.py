"""Hostile input, app side: links that must not crash, link text shown as text (not markdown), a
link's runs against one budget, the teacher's lock, uploads and memory."""

import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import nncore
import nncore.lab.sweep
from app.server import lock, sweeps, trainer
from app.server.cache import RunCache
from app.state import links, runs
from app.widgets.text import plain
from nncore.lab.cost import duration
from tests.app.conftest import PAGES, ROOT, errors, session_runs, train


def fresh_with(query):
    """A first visit to the app through a link, on a server whose caches are empty."""
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.query_params.update(query)
    return at.run()


def shown(markdown):
    """The text a reader sees of escaped markdown (each backslash escape undone)."""
    return re.sub(r"\\(.)", r"\1", markdown)


# 8. Link values that crash --------------------------------------------------------------------

@pytest.mark.parametrize("value", ["²", "①", "٣", pytest.param("9" * 5000, id="5000-digits"), "-1", "1.0", "0x1"])
def test_a_selected_or_overlay_value_that_is_not_plain_digits_is_ignored_with_a_note(value):
    for key in ("selected", "overlay"):
        link = links.from_params({"run": ["hidden:16"], key: value})
        assert link.selected is None and link.overlay == []
        assert any("not a run of the link" in note for note in link.notes)


@pytest.mark.parametrize("value", ["²", "٣", pytest.param("9" * 5000, id="5000-digits")])
def test_a_stop_that_is_not_plain_digits_is_ignored_with_a_note(value):
    link = links.from_params({"run": [f"epochs:10,stopped:{value}"]})
    assert link.runs[0].stop_at is None and any("not a whole number" in note for note in link.notes)


def test_positions_and_stops_in_plain_digits_are_read_on_both_sides_of_their_bounds():
    link = links.from_params({"run": ["hidden:16", "hidden:32"], "selected": " 1 ", "overlay": "0,1,2"})
    assert link.selected == 1 and link.overlay == [0, 1]
    assert links.from_params({"run": ["epochs:10,stopped:9"]}).runs[0].stop_at == 9
    assert links.from_params({"run": ["epochs:10,stopped:10"]}).runs[0].stop_at is None
    assert links.whole_number("9" * 6) == 999999 and links.whole_number("9" * 7) is None


def test_a_link_with_a_superscript_selection_opens_the_app_with_its_run():
    at = fresh_with({"run": ["hidden:8,epochs:2"], "selected": "²"})
    assert not at.exception
    assert [run.config.hidden for run in session_runs(at)] == [8]


# 9. Markdown injection through link notes ----------------------------------------------------

MARKDOWN_LINK = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(")   # [text]( not escaped
IMAGE = re.compile(r"(?<!\\)!(?<!\\)\[")


def test_plain_text_escapes_every_markdown_sign():
    joiner = "\u2060"  # invisible: keeps a bare address from being drawn as a link
    assert plain("[log in again](https://example.invalid)") == (r"\[log in again\]\(https" + joiner
                                                                + r"\:\/\/example\.invalid\)")
    assert plain("www.x.org a@b.co") == "www" + joiner + r"\.x\.org a\@" + joiner + r"b\.co"
    assert plain(":red[x] $y$ **z**") == r"\:red\[x\] \$y\$ \*\*z\*\*"
    assert plain("h64 lr0 b64") == "h64 lr0 b64"  # letters, digits and spaces stay as they are


@pytest.mark.parametrize("query", [{"lock": "[log in again](https://example.invalid)"},
                                   {"hidden": "![x](http://127.0.0.1:9/t.png)"},
                                   {"run": ["hidden:16,stopped:[a](https://example.invalid)"]}])
def test_a_links_text_shows_as_text_in_its_notes(query):
    at = fresh_with(query)
    toasts = [toast.value for toast in at.toast]
    assert toasts, "the link's mistake is told"
    for text in toasts:
        assert not MARKDOWN_LINK.search(text) and not IMAGE.search(text), text
        assert "https://" not in text and "http://" not in text, text  # not even a bare link


# 5. A link's runs together are one request against the budget --------------------------------

EIGHT = [f"epochs:1,hidden:{8 * i}" for i in range(1, 9)]


def eight_runs_seconds():
    return [nncore.estimate_seconds(links.linked_run_from_token(token)[0].config) for token in EIGHT]


def test_a_links_runs_each_under_the_budget_but_over_it_together_wait_for_a_click(monkeypatch):
    seconds = eight_runs_seconds()
    monkeypatch.setenv("DIGITS_TRAINING_BUDGET", repr(sum(seconds) / 2))  # each run is well under it
    assert max(seconds) < sum(seconds) / 2
    at = fresh_with({"run": EIGHT})
    assert not session_runs(at), "nothing trained without a click"
    warning = next(w.value for w in at.warning if "Training takes a while here" in w.value)
    assert "The link's 8 runs count as one request" in warning and "on an idle core" in warning
    next(b for b in at.button if b.label.startswith("Train (")).click().run()
    assert len(session_runs(at)) == 8


def test_a_links_runs_under_the_budget_together_train_at_once(monkeypatch):
    monkeypatch.setenv("DIGITS_TRAINING_BUDGET", repr(2 * sum(eight_runs_seconds())))
    at = fresh_with({"run": EIGHT})
    assert len(session_runs(at)) == 8 and not any("Training takes a while" in w.value for w in at.warning)


def test_a_shared_server_refuses_a_link_whose_runs_together_are_over_the_budget(monkeypatch):
    monkeypatch.setenv("DIGITS_TRAINING_BUDGET", repr(sum(eight_runs_seconds()) / 2))
    monkeypatch.setenv("DIGITS_SHARED", "1")
    at = fresh_with({"run": EIGHT})
    assert not session_runs(at)
    assert any("a link's runs together, may take at most" in e.value for e in at.error)
    assert not any(b.label.startswith("Train (") for b in at.button)


def test_the_links_total_is_held_to_the_budget_on_both_sides_of_it(monkeypatch):
    monkeypatch.setattr(trainer, "estimate", lambda config: float(config.hidden))
    requests = [runs.Request(nncore.TrainConfig(hidden=h), source="link") for h in (8, 16)]
    clicked = runs.Request(nncore.TrainConfig(hidden=32), source="trained")
    empty = RunCache(4, 2**20)
    every = requests + [clicked]
    assert trainer.waiting_for_a_click(every, empty, 32.0) == []                    # 32 is at the budget
    assert trainer.waiting_for_a_click(every, empty, 31.0) == [clicked]             # a single run over it
    assert trainer.waiting_for_a_click(every, empty, 24.0) == [clicked]             # 8 + 16: the link at it
    assert trainer.waiting_for_a_click(every, empty, 23.0) == every                 # the link over it waits
    confirmed = [runs.Request(r.config, r.stop_at, r.source, True) for r in requests]
    assert trainer.waiting_for_a_click(confirmed, empty, 1.0) == []                     # after the click


# 7. The teacher's lock, honoured by every way the app starts a run ------------------------------

def test_the_sweep_page_offers_no_locked_setting_to_sweep():
    at = fresh_with({"lock": "hidden,lr", "epochs": "2"})
    at.switch_page(PAGES["sweep"]).run()
    offered = at.selectbox(key="sweep_first").options
    assert "Hidden units" not in offered and "Learning rate" not in offered and "Batch size" in offered
    assert "Learning rate" not in at.selectbox(key="sweep_second").options
    assert any("not swept" in caption.value and "Hidden units" in caption.value for caption in at.caption)


def test_without_a_lock_every_setting_can_be_swept(app):
    app.switch_page(PAGES["sweep"]).run()
    assert "Hidden units" in app.selectbox(key="sweep_first").options


def test_a_sweep_of_a_locked_setting_is_refused_by_any_caller(monkeypatch):
    monkeypatch.setattr(sweeps, "locked", lambda: {"hidden"})
    grid = nncore.lab.sweep.Sweep(nncore.TrainConfig(epochs=1), (nncore.lab.sweep.Axis("hidden", (8, 16)),))
    with pytest.raises(nncore.ConfigError, match="hidden is fixed for this class"):
        sweeps.run(grid, area=None, where="here")


def test_the_share_dialog_says_the_lock_is_guidance_not_security(app):
    app.session_state["share_open"] = True  # what opening the box does
    app.run()
    assert any("guidance, not security" in caption.value and "DIGITS_LOCK" in caption.value
               for caption in app.sidebar.caption)


@pytest.mark.parametrize(("text", "fixed", "problems"), [
    ("hidden=64, lr", {"hidden": 64, "lr": 0.1}, 0),
    ("activation=tanh,", {"activation": "tanh"}, 0),
    ("", {}, 0),
    ("hidden=2048", {"hidden": 2048}, 0),
    ("hidden=2049", {"hidden": 64}, 1),              # over its bound: fixed at the default, and said
    ("hidden=abc, lr=1e9, foo", {"hidden": 64, "lr": 0.1}, 3),
    ("epochs=1.5", {"epochs": 30}, 1),
])
def test_digits_lock_reads_names_and_values_and_says_what_it_cannot_read(text, fixed, problems):
    settings, found = lock.read(text)
    assert settings == fixed and len(found) == problems


@pytest.fixture
def server_lock(monkeypatch):
    monkeypatch.setenv("DIGITS_LOCK", "hidden=16, epochs=2")


def test_a_server_lock_fixes_the_boxes_and_no_link_lifts_it(server_lock):
    at = fresh_with({"hidden": "2048", "lock": "", "run": ["hidden:2048,epochs:2", "hidden:16,epochs:2"]})
    assert at.number_input(key="setting_hidden").value == 16 and at.number_input(key="setting_hidden").disabled
    assert [run.config.hidden for run in session_runs(at)] == [16]
    assert any("ignored run h2048" in shown(toast.value) and "this server fixes hidden=16" in shown(toast.value)
               for toast in at.toast)


def test_a_server_lock_refuses_any_request_that_breaks_it(server_lock):
    at = fresh_with({})
    at.session_state["session_runs"].request(nncore.handwriting_config())  # as Probe's preset button asks
    at.run()
    assert not session_runs(at)
    assert any("This server fixes hidden=16, epochs=2 for everyone" in e for e in errors(at))
    train(at)  # the boxes hold the locked values: Train trains them
    assert [(run.config.hidden, run.config.epochs) for run in session_runs(at)] == [(16, 2)]


def test_the_sweep_page_offers_no_setting_the_server_locks(server_lock):
    at = fresh_with({})
    at.switch_page(PAGES["sweep"]).run()
    assert "Hidden units" not in at.selectbox(key="sweep_first").options


# Estimates under load: an estimate says what it assumes ------------------------------------------

def test_the_presets_estimate_is_computed_and_says_it_assumes_an_idle_core(app):
    (preset,) = [b for b in app.sidebar.button if b.label == "Handwriting preset"]
    seconds = duration(nncore.estimate_seconds(nncore.handwriting_config()))
    assert f"(about {seconds} to train on an idle core)" in preset.help


def test_the_sweeps_estimate_says_it_assumes_idle_workers(app):
    app.switch_page(PAGES["sweep"]).run()
    (said,) = [m.value for m in app.markdown if " runs** (" in m.value]
    assert "if they are idle" in said and "other people's trainings on this server add their time" in said
