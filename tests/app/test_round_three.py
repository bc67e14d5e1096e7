"""Issue 22, round three of hostile input, app side: links that crashed (8), link text shown as
markdown (9), a link's runs against one budget (5), the teacher's lock (7), uploads and memory (11)."""

import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import nncore
from app import links, runs, trainer
from app.cache import RunCache
from app.widgets.text import plain
from tests.app.conftest import ROOT, session_runs


def fresh_with(query):
    """A first visit to the app through a link, on a server whose caches are empty."""
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.query_params.update(query)
    return at.run()


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
    assert plain("[log in again](https://example.invalid)") == r"\[log in again\]\(https\:\/\/example\.invalid\)"
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
    return [nncore.estimate_seconds(links.config_from_token(token)[0]) for token in EIGHT]


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
