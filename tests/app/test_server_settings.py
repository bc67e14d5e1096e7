"""app/server/settings.py: every DIGITS_* setting read in one place, from the environment first and
then from Streamlit's secrets (TOML booleans and numbers too); a value that cannot be read is said
in the server's log and on the sidebar, and the safe default holds (issue 22, item 10; issue 21)."""

import logging

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app.server import machine, settings
from tests.app.conftest import ROOT, errors, session_runs, train

CPUS = machine.current().cpus


def resolve(environ=(), secrets=()):
    """(values, problems in words) for these raw values."""
    values, problems = settings._resolve(tuple(environ), tuple(secrets), None)
    return values, tuple(problem for problem, _ in problems)


def fresh(monkeypatch, environ=None, secrets=None):
    """A new session of the app, run once, under ``environ`` and ``secrets``."""
    for name in settings.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in (environ or {}).items():
        monkeypatch.setenv(name, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.secrets.update(secrets or {})
    return at.run()


def sidebar_warnings(at):
    return [w.value for w in at.sidebar.warning]


# The readers, on both sides of each bound.

@pytest.mark.parametrize("text", ["abc", "1.5", "", "0", "-2", " ", "1e3", "²", "9" * 5000])
def test_slots_that_are_not_a_whole_number_of_one_or_more_fall_back_to_the_cpus(text):
    values, problems = resolve([("DIGITS_TRAINING_SLOTS", text)])
    assert values["DIGITS_TRAINING_SLOTS"] == CPUS
    assert len(problems) == 1 and "DIGITS_TRAINING_SLOTS" in problems[0] and "whole number" in problems[0]


@pytest.mark.parametrize("text, slots", [("1", 1), (" 3 ", 3), ("16", 16)])
def test_slots_of_one_or_more_are_taken(text, slots):
    assert resolve([("DIGITS_TRAINING_SLOTS", text)]) == ({**resolve()[0], "DIGITS_TRAINING_SLOTS": slots}, ())


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "-inf", "0", "-5", "", "1e999"])
def test_a_budget_that_is_not_a_finite_number_above_zero_falls_back_to_60_seconds(text):
    values, problems = resolve([("DIGITS_TRAINING_BUDGET", text)])
    assert values["DIGITS_TRAINING_BUDGET"] == 60.0
    assert len(problems) == 1 and "DIGITS_TRAINING_BUDGET" in problems[0]


@pytest.mark.parametrize("text, seconds", [("0.000001", 1e-6), ("4", 4.0), ("2.5", 2.5), ("1e3", 1000.0)])
def test_a_finite_budget_above_zero_is_taken(text, seconds):
    values, problems = resolve([("DIGITS_TRAINING_BUDGET", text)])
    assert values["DIGITS_TRAINING_BUDGET"] == seconds and not problems


@pytest.mark.parametrize("text, shared", [("on", True), ("1", True), ("TRUE", True), ("yes", True),
                                          ("off", False), ("0", False), ("false", False), ("No", False)])
def test_shared_reads_on_and_off_in_their_usual_words(text, shared):
    values, problems = resolve([("DIGITS_SHARED", text)])
    assert values["DIGITS_SHARED"] is shared and not problems


@pytest.mark.parametrize("text", ["maybe", "", "2", "of"])
def test_shared_that_is_neither_on_nor_off_counts_as_on_and_is_said(text):
    values, problems = resolve([("DIGITS_SHARED", text)])
    assert values["DIGITS_SHARED"] is True
    assert len(problems) == 1 and "DIGITS_SHARED" in problems[0] and "using True" in problems[0]


def test_secrets_accept_toml_booleans_and_numbers():
    values, problems = resolve(secrets=[("DIGITS_SHARED", True), ("DIGITS_TRAINING_BUDGET", 5),
                                        ("DIGITS_TRAINING_SLOTS", 3)])
    assert (values["DIGITS_SHARED"], values["DIGITS_TRAINING_BUDGET"], values["DIGITS_TRAINING_SLOTS"]) == (True, 5, 3)
    assert not problems


def test_a_toml_float_of_slots_or_a_boolean_budget_is_refused():
    values, problems = resolve(secrets=[("DIGITS_TRAINING_SLOTS", 1.5), ("DIGITS_TRAINING_BUDGET", True)])
    assert (values["DIGITS_TRAINING_SLOTS"], values["DIGITS_TRAINING_BUDGET"]) == (CPUS, 60.0)
    assert len(problems) == 2


def test_the_environment_comes_before_the_secrets():
    values, _ = resolve(environ=[("DIGITS_SHARED", "0")], secrets=[("DIGITS_SHARED", True)])
    assert values["DIGITS_SHARED"] is False


def test_the_older_secret_dask_scheduler_is_still_read():
    values, _ = resolve(secrets=[("dask_scheduler", "tcp://somewhere:8786")])
    assert values["DIGITS_DASK_SCHEDULER"] == "tcp://somewhere:8786"


def test_a_bad_value_is_logged_once(caplog):
    with caplog.at_level(logging.WARNING, logger="digits.server"):
        for _ in range(3):
            resolve([("DIGITS_TRAINING_SLOTS", "once-only")])
    assert sum("once-only" in record.getMessage() for record in caplog.records) == 1


def test_our_words_are_escaped_and_a_value_is_a_code_span_that_its_backticks_cannot_close():
    assert settings.plain("[a](b) `c` <d> $e$") == r"\[a\]\(b\) \`c\` \<d\> \$e\$"
    assert settings.code("[x](https://e.invalid)") == "` [x](https://e.invalid) `"
    assert settings.code("a``b`") == "``` a``b` ```"


def test_a_link_in_a_setting_is_shown_as_text_on_the_sidebar(monkeypatch):
    at = fresh(monkeypatch, {"DIGITS_TRAINING_BUDGET": "[log in](https://e.invalid) ![x](http://127.0.0.1:9/t.png)"})
    [shown] = sidebar_warnings(at)
    assert "` '[log in](https://e.invalid) ![x](http://127.0.0.1:9/t.png)' `" in shown


# The app: what was a traceback, a silent 'off' or a budget turned off.

@pytest.mark.parametrize("text", ["abc", "1.5", ""])
def test_slots_that_cannot_be_read_train_anyway_and_tell_the_teacher(monkeypatch, text):
    at = fresh(monkeypatch, {"DIGITS_TRAINING_SLOTS": text})
    train(at, epochs=1, hidden=8)
    assert not at.exception
    assert len(session_runs(at)) == 1
    assert any("DIGITS\\_TRAINING\\_SLOTS" in w and "whole number" in w for w in sidebar_warnings(at))


@pytest.mark.parametrize("text", ["abc", "nan", "inf"])
def test_a_budget_that_cannot_be_read_keeps_the_default_so_a_long_run_still_asks(monkeypatch, text):
    at = fresh(monkeypatch, {"DIGITS_TRAINING_BUDGET": text})
    train(at, epochs=500, hidden=2048, batch=1)  # minutes: over the default 60 s budget
    assert not at.exception
    assert not session_runs(at) and any("Training takes a while" in w.value for w in at.warning)
    assert any("DIGITS\\_TRAINING\\_BUDGET" in w for w in sidebar_warnings(at))


def test_shared_on_refuses_runs_over_the_budget(monkeypatch):
    at = fresh(monkeypatch, {"DIGITS_SHARED": "on", "DIGITS_TRAINING_BUDGET": "0.000001"})
    train(at, epochs=2, hidden=8)
    assert not session_runs(at) and any("This server is shared" in e for e in errors(at))
    assert not sidebar_warnings(at)


def test_a_toml_boolean_secret_makes_the_server_shared(monkeypatch):
    at = fresh(monkeypatch, {"DIGITS_TRAINING_BUDGET": "0.000001"}, secrets={"DIGITS_SHARED": True})
    train(at, epochs=2, hidden=8)
    assert not session_runs(at) and any("This server is shared" in e for e in errors(at))


def test_good_settings_say_nothing_on_the_sidebar(monkeypatch):
    at = fresh(monkeypatch, {"DIGITS_TRAINING_SLOTS": "2", "DIGITS_TRAINING_BUDGET": "60", "DIGITS_SHARED": "0"})
    assert not sidebar_warnings(at) and not at.exception


def test_a_lock_in_the_secrets_fixes_the_box_as_one_in_the_environment_does(monkeypatch):
    at = fresh(monkeypatch, secrets={"DIGITS_LOCK": "hidden=16"})
    box = at.number_input(key="setting_hidden")
    assert box.value == 16 and box.disabled
    at = fresh(monkeypatch, {"DIGITS_LOCK": "hidden=32"}, secrets={"DIGITS_LOCK": "hidden=16"})
    assert at.number_input(key="setting_hidden").value == 32  # the environment comes first


def test_a_lock_that_is_not_text_is_said_on_the_sidebar_and_locks_nothing(monkeypatch):
    at = fresh(monkeypatch, secrets={"DIGITS_LOCK": 64})
    assert not at.number_input(key="setting_hidden").disabled
    assert any("DIGITS\\_LOCK" in warning and "not text" in warning for warning in sidebar_warnings(at))
    assert resolve(secrets=[("DIGITS_LOCK", 64)])[1] == (
        'the secret DIGITS_LOCK is 64, which is not text, such as "hidden=64, lr": using none instead',)
