"""Start here: short lessons that ask for a guess, train the runs that answer it, and explain the
outcome with those runs' own numbers; then the glossary."""

import streamlit as st

from app.server.memo import per_result
from app.state import runs
from app.state.links import config_token, settings_text
from app.widgets import sidebar
from app.widgets.controls import remember, remembered
from nncore.lab import glossary, lessons

LESSONS = lessons.LESSONS


def _guesses():
    return st.session_state.setdefault("lesson_guesses", {})


def _open(key):
    """The lesson chooser's callback (and Next's): the lesson shown, kept where the URL reads it."""
    st.session_state["lesson"] = key


def _chosen():
    st.session_state["lesson"] = st.session_state["lesson_choice"]


def _start(lesson):
    """The lesson's button: record the guess and ask for its runs (the trainer, which runs before
    this page, trains them on the rerun this click starts, or takes them from the shared cache)."""
    guess = st.session_state.get(f"guess_{lesson.key}")
    if guess is None:
        return
    _guesses()[lesson.key] = guess
    _request(lesson)


def _request(lesson):
    """Ask for every run of the lesson; those the learner has are made the newest first, so adding
    the others cannot drop them (a session keeps at most runs.MAX_RUNS)."""
    session = runs.current()
    for config in lesson.configs:
        if session.renew(config_token(config)) is None:
            session.request(config)
    st.session_state["lesson_ran"] = lesson.key  # its best run is shown once the explanation is there


def _show_best(lesson, found):
    """The lesson's run with the highest validation accuracy (its kept epoch's); once its runs are
    there after the button, the sidebar's shown run, rather than whichever run trained last (a run
    that diverged, in the learning-rate lesson)."""
    best = max(found, key=lambda run: run.result.best_val_accuracy if run.result.best_epoch else -1.0)
    if st.session_state.get("lesson_ran") == lesson.key:
        del st.session_state["lesson_ran"]
        if runs.selected() is not best:
            runs.select(best.key)
            st.rerun()
    return best


def _forget(lesson):
    """'Guess again': the lesson's guess is dropped (its runs stay among the learner's runs)."""
    _guesses().pop(lesson.key, None)
    remember(f"guess_{lesson.key}", None)


def _results(lesson):
    """The lesson's runs from the session (None for each not there, e.g. stopped or dropped)."""
    return [runs.get(config_token(config)) for config in lesson.configs]


def _outcome(lesson, found):
    key = ("lesson", lesson.key, tuple(run.key for run in found))
    return per_result(found[0].result, key, lambda: lesson.explain([run.result for run in found]))


def _chart(lesson, found):
    """The lesson's picture of its runs: a unit's weights, or the runs' validation loss on one axis.
    Charts are imported here, not at the top: they bring pandas (app/figures/__init__.py), which
    this page, the first one, does without until a lesson has run."""
    if lesson is lessons.UNIT:
        from app.analysis import inside
        from app.figures import inside as fig
        result = found[0].result
        unit = lessons.firing(result).unit
        grid = inside.unit_grid(result, None, [unit])
        left, right = st.columns(2)
        left.plotly_chart(fig.unit_detail(grid.images[0], grid.votes[0], unit, grid.scale, grid.epoch))
        layer = inside.unit_grid(result, None, range(result.config.hidden))
        right.plotly_chart(fig.unit_mosaic(layer, chosen=unit, title=f"The whole layer: {result.config.hidden} units "
                                           f"(unit {unit} outlined)"))
    elif lesson is not lessons.HANDWRITING:
        from app.figures import run as figures
        from app.widgets import views
        curves, beyond = views.overlaid_curves(found)
        st.plotly_chart(figures.training_curves(curves, "loss", title="Loss per epoch of the lesson's runs",
                                                beyond=beyond), key=f"lesson-chart-{lesson.key}")
        st.caption(f"Solid: validation; dashed: training; stars: each run's {figures.KEPT}, which is not always "
                   "the epoch of its lowest loss.")
        views.diverged_warning(found, beyond)


def _explain(lesson, guess):
    found = _results(lesson)
    if any(run is None for run in found):
        missing = [config.name for config, run in zip(lesson.configs, found, strict=True) if run is None]
        st.info(f"Your guess: **{lesson.options[guess]}**. Not all of this lesson's runs are among your runs "
                f"(missing: {', '.join(missing)}): they may have been stopped or dropped.", icon=":material/info:")
        st.button("Train the missing runs", key=f"again_{lesson.key}", type="primary", on_click=_request,
                  args=(lesson,), icon=":material/play_arrow:")
        return
    outcome = _outcome(lesson, found)
    verdict = outcome.verdict(lesson.options, guess)
    (st.success if guess == outcome.answer else st.warning)(
        verdict, icon=":material/check_circle:" if guess == outcome.answer else ":material/lightbulb:")
    st.markdown("\n".join(f"- {line}" for line in outcome.lines))
    seconds = sum(run.result.seconds for run in found)
    best = _show_best(lesson, found)
    st.caption(f"{len(found)} run{'s' if len(found) > 1 else ''} ({', '.join(run.name for run in found)}), "
               f"{seconds:.1f} s of training in all; each is now among your runs, on every page."
               + (f" The sidebar showed the one with the highest validation accuracy, **{best.name}**, once they "
                  "were trained: choose another under *Showing run*." if len(found) > 1 else ""))
    _chart(lesson, found)
    cells = st.columns(3)
    cells[0].page_link(lesson.page, label=f"More on {lesson.page_title}", icon=":material/arrow_forward:")
    cells[1].button("Try it yourself", key=f"try_{lesson.key}", on_click=sidebar.load_settings,
                    args=(lesson.try_config,), icon=":material/tune:",
                    help=f"Loads {settings_text(lesson.try_config)} into the sidebar: change one thing "
                         "and press Train.")
    cells[2].button("Guess again", key=f"forget_{lesson.key}", on_click=_forget, args=(lesson,),
                    icon=":material/restart_alt:")


def lesson_view(lesson, number):
    st.header(f"{number}. {lesson.title}")
    st.markdown(lesson.intro)
    guess = _guesses().get(lesson.key)
    if guess is not None:
        remember(f"guess_{lesson.key}", guess)
    # remembered: a guess not yet run survives a page switch (Streamlit forgets a radio not drawn);
    # None: nothing chosen yet
    choice = remembered(st.radio, f"**Your guess:** {lesson.question}", f"guess_{lesson.key}", None,
                        options=range(len(lesson.options)), index=None, format_func=lesson.options.__getitem__,
                        disabled=guess is not None)
    if guess is None:
        count = len(lesson.configs)
        st.button(f"Run the experiment ({count} run{'s' if count > 1 else ''})", key=f"run_{lesson.key}",
                  type="primary", icon=":material/play_arrow:", disabled=choice is None, on_click=_start,
                  args=(lesson,), help="Guess first." if choice is None else "Trains the lesson's runs (or takes "
                  "them from the server's shared runs) and explains what they show.")
        return
    _explain(lesson, guess)
    if number < len(LESSONS):
        st.button(f"Next: {LESSONS[number].title}", key=f"next_{lesson.key}", on_click=_open,
                  args=(LESSONS[number].key,), icon=":material/arrow_forward:")


st.title("Start here")
st.markdown("Learn how this network learns by predicting. Each lesson asks a question; **guess first**, then one "
            "button trains the runs that answer it, and the answer is read off those runs, with their numbers.")
keys = [lesson.key for lesson in LESSONS]
if st.session_state.get("lesson") not in keys:
    st.session_state["lesson"] = keys[0]
st.session_state["lesson_choice"] = st.session_state["lesson"]
answered = _guesses()
st.selectbox("Lesson", keys, key="lesson_choice", on_change=_chosen,
             format_func=lambda key: f"{keys.index(key) + 1}. {lessons.BY_KEY[key].title}"
             + (" ✓" if key in answered else ""))
st.caption(f"{len(answered)} of {len(LESSONS)} lessons answered. The answered lessons, with your guesses, are kept "
           "in the page's address: a reload or a shared link keeps them.")
current = lessons.BY_KEY[st.session_state["lesson"]]
with st.container(border=True):
    lesson_view(current, keys.index(current.key) + 1)

st.header("Glossary")
st.caption("Every term the app uses, in one sentence each. The same sentences appear where a term first shows up "
           "on a page (hover the small question marks).")
st.markdown("\n\n".join(f"**{term}** — {sentence}" for term, sentence in glossary.GLOSSARY.items()))  # one element
