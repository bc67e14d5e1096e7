"""The "Start here" page: lessons that ask for a guess, train their runs on one click, explain the
outcome with the runs' numbers, load their settings into the sidebar, and keep progress in the URL."""

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from app.state.links import config_token
from nncore.lab import glossary, lessons
from tests.app.conftest import PAGES, ROOT, errors, fresh_app, session_runs


@pytest.fixture
def app():
    """A fresh session opened at the app's address: on its first page, Start here."""
    return fresh_app()


START = "app_pages/start.py"


def lesson_page(at, key):
    at.selectbox(key="lesson_choice").set_value(key).run()
    return at


def answer(at, key, guess):
    at.radio(key=f"guess_{key}").set_value(guess).run()
    at.button(key=f"run_{key}").click().run()
    return at


def verdicts(at):
    """The verdicts shown: a right guess in green, a wrong one in amber (other warnings aside)."""
    return [s.value for s in at.success] + [w.value for w in at.warning if w.value.startswith("Your guess")]


def test_start_here_is_the_first_page_and_nothing_trains_before_a_guess_and_a_click(app):
    assert [t.value for t in app.title] == ["Start here"]
    assert not session_runs(app) and not errors(app)
    assert not app.get("plotly_chart"), "the first page draws no chart before a click"
    button = app.button(key="run_unit")
    assert button.disabled and button.label == "Run the experiment (1 run)"
    app.radio(key="guess_unit").set_value(0).run()
    assert not app.button(key="run_unit").disabled and not session_runs(app)


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=lambda lesson: lesson.key)
def test_each_lesson_trains_its_runs_explains_them_with_numbers_and_loads_its_settings(app, lesson):
    answer(lesson_page(app, lesson.key), lesson.key, 0)
    assert not app.exception and not errors(app)
    keys = {run.key for run in session_runs(app)}
    assert {config_token(c) for c in lesson.configs} <= keys
    by_key = {run.key: run.result for run in session_runs(app)}
    outcome = lesson.explain([by_key[config_token(c)] for c in lesson.configs])
    assert verdicts(app) == [outcome.verdict(lesson.options, 0)]
    lines = next(m.value for m in app.markdown if m.value.startswith("- "))
    assert lines == "\n".join(f"- {line}" for line in outcome.lines)
    assert re.search(r"\d%|\d\.\d", lines), "the explanation quotes the runs' numbers"
    app.button(key=f"try_{lesson.key}").click().run()
    for name, value in lesson.try_config.to_dict().items():
        assert app.session_state[f"setting_{name}"] == value, name
    assert app.query_params["lesson"] == lesson.key
    assert app.query_params["guesses"] == f"{lesson.key}:0"


def test_the_verdict_is_computed_from_the_runs_right_or_wrong():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300).run()
    answer(lesson_page(at, "lr"), "lr", 1)  # learning rate 0.1
    by_key = {run.key: run.result for run in session_runs(at)}
    outcome = lessons.explain_lr([by_key[config_token(c)] for c in lessons.LEARNING_RATE.configs])
    right = outcome.answer == 1
    shown = [w.value.startswith("Your guess") for w in at.warning]
    assert (len(at.success), shown.count(True)) == ((1, 0) if right else (0, 1))
    assert verdicts(at) == [outcome.verdict(lessons.LEARNING_RATE.options, 1)]


def test_guess_again_clears_the_guess_and_keeps_the_runs(app):
    answer(app, "unit", 2)
    app.button(key="forget_unit").click().run()
    assert app.radio(key="guess_unit").value is None and not app.radio(key="guess_unit").disabled
    assert "guesses" not in app.query_params and len(session_runs(app)) == 1


def test_a_shared_link_opens_on_its_lesson_with_its_guess_and_runs_and_explains_without_a_click():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.query_params["lesson"] = "capacity"
    at.query_params["guesses"] = "capacity:3,unit:1"
    at.query_params["run"] = [config_token(c) for c in lessons.CAPACITY.configs]
    at.run()
    assert not at.exception and not errors(at)
    assert at.header[0].value == "4. Capacity"
    assert at.radio(key="guess_capacity").value == 3 and at.radio(key="guess_capacity").disabled
    assert verdicts(at) and "hidden units" in next(m.value for m in at.markdown if m.value.startswith("- "))
    assert "2 of 8 lessons answered" in " ".join(c.value for c in at.caption)


def test_a_teachers_link_opens_on_one_lesson_before_any_guess():
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.query_params["lesson"] = "overfitting"
    at.run()
    assert at.header[0].value == "5. Overfitting and its cures" and not session_runs(at)
    assert at.radio(key="guess_overfitting").value is None


def test_a_guess_whose_runs_are_gone_offers_to_train_them(app):
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.query_params["guesses"] = "unit:0"
    at.run()
    assert any("Not all of this lesson's runs" in i.value for i in at.info)
    at.button(key="again_unit").click().run()
    assert verdicts(at) and len(session_runs(at)) == 1


def test_the_glossary_lists_every_term_once(app):
    (shown,) = [m.value for m in app.markdown if m.value.startswith("**")]
    assert shown.split("\n\n") == [f"**{term}** — {sentence}" for term, sentence in glossary.GLOSSARY.items()]


def test_the_sidebar_settings_end_their_help_with_the_glossarys_sentence(app):
    from nncore import BOUNDS
    assert {setting.term for setting in BOUNDS.values() if setting.term} <= set(glossary.GLOSSARY)
    box = app.number_input(key="setting_epochs")
    assert box.help.endswith(f"\n\n**epoch**: {glossary.GLOSSARY['epoch']}")


def test_a_teacher_shares_a_link_that_opens_on_the_lesson_shown(app):
    lesson_page(app, "overfitting")
    app.session_state["share_open"] = True  # what opening the box does
    app.run()
    link = next(code.value for code in app.sidebar.code)
    assert "lesson=" not in link
    app.checkbox(key="teacher_lesson").check().run()
    link = next(code.value for code in app.sidebar.code)
    assert "&lesson=overfitting" in link and "guesses" not in link


def test_after_the_learning_rate_lesson_the_sidebar_shows_its_best_run_not_the_diverged_one(app):
    """The last run trained (learning rate 10, diverged) was the one shown, on every page after."""
    answer(lesson_page(app, "lr"), "lr", 1)
    found = {run.result.config.lr: run for run in session_runs(app)}
    assert found[10.0].result.diverged, "the lesson has a run that diverges"
    best = max(found.values(), key=lambda run: run.result.best_val_accuracy)
    assert app.session_state["selected_run"] in (best.key, best.name)
    assert any(f"highest validation accuracy, **{best.name}**" in c.value for c in app.caption)
    app.switch_page(PAGES["overview"]).run()
    assert app.session_state["selected_run"] in (best.key, best.name)  # kept on another page
    app.selectbox(key="selected_run").set_value(found[10.0].name).run()
    app.switch_page(START).run()  # the learner's own choice is not undone by the lesson
    assert app.selectbox(key="selected_run").value == found[10.0].name


def test_the_lessons_loss_chart_spans_the_runs_that_did_not_diverge_and_names_the_one_that_did(app):
    answer(lesson_page(app, "lr"), "lr", 1)
    diverged = next(run for run in session_runs(app) if run.result.diverged)
    (spec,) = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]
    low, high = spec["layout"]["yaxis"]["range"]
    assert high < 3  # log10: the axis stops below 1000, where the diverged loss of 1e21 would have taken it
    assert any(diverged.name in w.value and "leaves the loss chart at the top" in w.value for w in app.warning)


def test_a_guess_not_yet_run_is_kept_across_a_page_switch_and_another_lesson(app):
    """Streamlit forgets a radio that a script run does not draw: the guess vanished."""
    lesson_page(app, "scaling")
    app.radio(key="guess_scaling").set_value(2).run()
    app.switch_page(PAGES["curves"]).run()
    app.switch_page(START).run()
    assert app.radio(key="guess_scaling").value == 2 and not app.button(key="run_scaling").disabled
    lesson_page(app, "capacity")
    lesson_page(app, "scaling")
    assert app.radio(key="guess_scaling").value == 2
    assert not session_runs(app), "nothing trained without the click"
