"""What a new learner trips over in the first ten minutes, driven headless with AppTest."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from app.widgets import views
from nncore import BOUNDS
from tests.app.conftest import PAGES, ROOT, errors, session_runs, train


def fresh_with(query):
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.query_params.update(query)
    return at.run()


def texts(at, kind):
    return [element.value for element in getattr(at, kind)]


def chart_specs(at):
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


# --- divergence teaches ------------------------------------------------------------------

def test_a_run_that_diverges_in_its_first_epoch_says_so_and_shows_its_batch_losses(app):
    train(app, lr=50.0)
    assert not app.exception
    assert any("No epoch finished" in w for w in texts(app, "warning"))
    titles = [spec["layout"]["title"]["text"] for spec in chart_specs(app)]
    assert any("Loss of each batch in epoch 1" in t for t in titles)
    assert not any(t.startswith("Accuracy per epoch") for t in titles), "no empty per-epoch axes"


def test_overfitting_is_flagged_in_words(app):
    train(app, hidden=256, label_noise=0.3, epochs=100)
    assert any("Validation accuracy fell too" in w and "(overfitting)" in w and "30% of their labels" in w
               for w in texts(app, "warning"))


def test_the_kept_epoch_says_how_it_was_chosen(trained):
    assert any("highest validation accuracy" in c for c in texts(trained, "caption"))


# --- settings never silently change ------------------------------------------------------

def test_a_value_out_of_range_is_explained_in_words_and_train_trains_nothing_else(app):
    app.number_input(key="setting_lr").set_value(200.0).run()
    assert any("Learning rate must be 0.00001 to 100" in m for m in texts(app.sidebar, "markdown"))
    train_button = next(b for b in app.sidebar.button if b.label == "Train")
    assert train_button.disabled
    assert app.number_input(key="setting_lr").value == 200.0, "the box keeps what was typed"
    assert not session_runs(app)


def test_the_shown_run_comes_first_in_the_sidebar_with_its_settings_and_can_be_loaded(trained):
    train(trained, hidden=16, lr=0.3)
    assert trained.sidebar.selectbox[0].label == "Showing run"
    trained.selectbox(key="selected_run").set_value("h64 lr0.1 b64 e30 s0").run()
    assert any("64 hidden units · learning rate 0.1" in c for c in texts(trained.sidebar, "caption"))
    assert trained.number_input(key="setting_hidden").value == 16, "the boxes keep the next run's settings"
    next(b for b in trained.sidebar.button if b.label == "Load these settings").click().run()
    assert trained.number_input(key="setting_hidden").value == 64
    assert trained.number_input(key="setting_lr").value == 0.1


def test_allowed_values_in_help_texts_are_written_as_numbers(app):
    lr_help = app.number_input(key="setting_lr").help
    assert "Allowed: 0.00001 to 100" in lr_help and "e-05" not in lr_help and lr_help.startswith("Learning rate")


# --- the probe page ----------------------------------------------------------------------

def test_the_hint_gives_the_figures_in_the_app_not_in_the_readme(trained):
    from tests.drawn import photo_of_digit

    trained.switch_page(PAGES["probe"]).run()
    trained.segmented_control(key="probe_source").set_value("Upload").run()
    trained.file_uploader(key="probe_upload").set_value(("seven.jpg", photo_of_digit(7), "image/jpeg"))
    trained.run()
    hint = next(i for i in texts(trained, "info") if "handwriting preset" in i)
    assert "71%" in hint and "85%" in hint and "README" not in hint


# --- links and reloads keep what the user had ----------------------------------------------

def test_a_link_opens_on_the_run_the_sender_had_selected_with_their_overlay(app):
    at = fresh_with({"run": ["default", "hidden:16", "hidden:32"], "selected": "0", "overlay": "0,2"})
    assert not at.exception
    assert at.selectbox(key="selected_run").value == "h64 lr0.1 b64 e30 s0"
    at.switch_page(PAGES["compare"]).run()
    assert at.multiselect(key="compare_runs").value == ["h64 lr0.1 b64 e30 s0", "h32 lr0.1 b64 e30 s0"]


def test_a_stopped_run_comes_back_stopped_where_it_was(app):
    at = fresh_with({"run": ["epochs:40,hidden:8,stopped:5"]})
    (run,) = session_runs(at)
    assert run.result.epochs_run == 5 and run.config.epochs == 40 and run.status == "stopped at 5/40"
    assert run.name == "h8 lr0.1 b64 e40 s0 · stopped at 5/40"


def test_an_uploaded_run_in_a_link_is_not_passed_off_as_trained(app):
    at = fresh_with({"run": ["default,uploaded:1"]})
    assert not session_runs(at)
    assert any("came from an uploaded file" in t.value for t in at.toast)


def test_each_run_keeps_its_colour_on_every_page(trained):
    train(trained, hidden=16)
    first, second = session_runs(trained)
    trained.switch_page(PAGES["compare"]).run()
    colours = {t["name"]: t["line"]["color"] for t in chart_specs(trained)[0]["data"] if "line" in t}
    assert colours[first.name] == first.color and colours[second.name] == second.color
    trained.multiselect(key="compare_runs").set_value([second.name]).run()
    again = {t["name"]: t["line"]["color"] for t in chart_specs(trained)[0]["data"] if "line" in t}
    assert again == {"training": second.color, "validation": second.color}, "alone in the overlay, the same colour"


# --- tables, charts and words --------------------------------------------------------------

def test_the_compare_table_shows_dashes_not_none_and_explains_its_headers(app):
    train(app, lr=50.0)
    train(app, lr=0.1)
    app.switch_page(PAGES["compare"]).run()
    table = app.dataframe[0].value
    assert "None" not in table.astype(str).to_string()
    assert "—" in table["best val acc (epoch)"].tolist()
    assert {"Hidden units", "Learning rate", "epochs (e)"} & set(table.columns) == {"Learning rate", "epochs (e)"}
    assert table["Learning rate"].tolist() == ["0.1", "50"], "the setting that differs, as people write it"
    assert table["run"].tolist() == ["default settings", "learning rate 50"], "each run in words"
    assert table["code"].tolist() == ["h64 lr0.1 b64 e30 s0", "h64 lr50 b64 e30 s0"], "and by its short code"


def test_pinned_runs_cannot_be_deleted_and_a_delete_can_be_undone(trained):
    train(trained, hidden=16)
    trained.switch_page(PAGES["compare"]).run()
    trained.selectbox(key="manage_run").set_value("h64 lr0.1 b64 e30 s0").run()
    next(b for b in trained.button if b.label == "Pin").click().run()
    assert next(b for b in trained.button if b.label == "Delete").disabled
    next(b for b in trained.button if b.label == "Unpin").click().run()
    next(b for b in trained.button if b.label == "Delete").click().run()
    assert [run.config.hidden for run in session_runs(trained)] == [16]
    next(b for b in trained.button if b.label == "Undo").click().run()
    assert sorted(run.config.hidden for run in session_runs(trained)) == [16, 64]


def test_empty_states_use_an_icon_every_browser_can_draw(app):
    assert all("👈" not in i.value for i in app.info)
    assert any(i.icon == ":material/arrow_back:" for i in app.info)


def test_a_run_stopped_half_way_says_so_in_its_name_not_as_fewer_epochs():
    from app.state.links import run_name
    from nncore import TrainConfig

    assert run_name(TrainConfig(epochs=500), 250).endswith("e500 s0 · stopped at 250/500")


@pytest.mark.parametrize("page", ["home", "curves"])
def test_every_run_page_shows_the_command_that_reproduces_it(app, page):
    train(app, hidden=32, activation="tanh")
    app.switch_page(PAGES["overview" if page == "home" else page]).run()
    assert any("`python main.py --hidden 32 --activation tanh" in text for text in texts(app, "caption"))
    assert not errors(app)


@pytest.mark.parametrize("page", ["probe", "units", "replay", "digit", "how", "classes"])
def test_the_command_line_is_only_on_the_runs_own_panel(trained, page):
    trained.switch_page(PAGES[page]).run()
    shown = [e.value for kind in ("code", "caption", "markdown") for e in getattr(trained, kind)]
    assert not any("Train it again" in text for text in shown), page  # (the notes of How it learns quote
    # the command line as documentation; the run's own command is what must not repeat on every page)



# --- a teacher's link ----------------------------------------------------------------------

def test_a_teachers_link_locks_or_hides_the_chosen_settings(app):
    at = fresh_with({"hidden": "32", "lock": "epochs,hidden,batch", "hide": "seed"})
    assert at.number_input(key="setting_hidden").value == 32 and at.number_input(key="setting_hidden").disabled
    assert at.number_input(key="setting_epochs").disabled and not at.number_input(key="setting_lr").disabled
    assert not any(box.key == "setting_seed" for box in at.number_input), "a hidden setting is not drawn"
    assert not any(b.label == "Handwriting preset" for b in at.sidebar.button), "the preset would change locked ones"
    train(at)
    assert [run.config.hidden for run in session_runs(at)] == [32]
    assert at.query_params["lock"] in ("epochs,hidden,batch", ["epochs,hidden,batch"]), "the link keeps its locks"


def test_the_share_box_writes_a_link_with_only_the_chosen_settings_free(app):
    app.session_state["share_open"] = True  # what opening the box does
    app.run()
    app.multiselect(key="teacher_free").set_value(["lr", "hidden"]).run()
    link = next(code.value for code in app.sidebar.code)
    assert "lock=epochs,batch,seed" in link and "hide=" not in link
    app.checkbox(key="teacher_hide").check().run()
    assert "hide=epochs,batch,seed" in next(code.value for code in app.sidebar.code)


def test_an_upload_is_decoded_once_however_often_the_page_reruns(trained, monkeypatch):
    import nncore
    from tests.drawn import photo_of_digit

    calls = []
    real = nncore.digit_steps
    monkeypatch.setattr(nncore, "digit_steps", lambda payload, *a: calls.append(1) or real(payload, *a))
    trained.switch_page(PAGES["probe"]).run()
    trained.segmented_control(key="probe_source").set_value("Upload").run()
    trained.file_uploader(key="probe_upload").set_value(("three.jpg", photo_of_digit(4, seed=3), "image/jpeg"))
    trained.run()
    trained.number_input(key="setting_epochs").set_value(12).run()  # one sidebar change: a rerun
    trained.run()
    assert len(calls) == 1


# --- a learning rate that suits one optimizer and not another ------------------------------

def test_choosing_adam_at_the_default_learning_rate_says_it_is_too_large_before_training(app):
    app.selectbox(key="setting_optimizer").set_value("adam").run()
    assert any("10× the top of what Adam usually learns well at" in c for c in texts(app, "caption"))
    app.selectbox(key="setting_optimizer").set_value("sgd").run()
    assert not any("usually learns well at" in c for c in texts(app, "caption"))


def test_a_rising_validation_loss_from_too_large_adam_steps_is_not_called_overfitting(app):
    train(app, optimizer="adam", lr=0.1)
    warnings = texts(app, "warning")
    assert any("Validation accuracy did not fall" in w and "more confident" in w for w in warnings)
    assert not any("(overfitting)" in w or "smaller learning rate" in w for w in warnings)


def test_the_sidebar_writes_optimizers_and_activations_as_people_do():
    names = [BOUNDS[name].choice_name(c) for name, c in (("optimizer", "sgd"), ("optimizer", "momentum"),
                                                            ("optimizer", "adam"), ("activation", "relu"),
                                                            ("activation", "leaky_relu"), ("activation", "tanh"))]
    assert names == ["SGD", "SGD with momentum", "Adam", "ReLU", "leaky ReLU", "tanh"]
    assert fresh_with({}).selectbox(key="setting_optimizer").options == ["SGD", "SGD with momentum", "Adam"]


def test_each_settings_box_is_drawn_with_the_value_it_holds_as_its_default():
    """A browser can draw a new box from its default before its value arrives: with a default of 0,
    an Epochs box opened from a link would read 0, and a click in that moment would train 0."""
    at = fresh_with({"epochs": "12", "hidden": "24", "lr": "0.05", "optimizer": "adam"})
    boxes = {box.key: box.proto.default for box in at.number_input}
    assert boxes["setting_epochs"] == 12 and boxes["setting_hidden"] == 24 and boxes["setting_lr"] == 0.05
    optimizer = at.selectbox(key="setting_optimizer")
    assert optimizer.proto.default == optimizer.options.index("Adam")


def test_a_probability_near_certainty_is_not_rounded_into_certainty():
    assert [views.probability_text(p) for p in (0.99996, 0.963, 0.00004)] == [">99.9%", "96.3%", "<0.1%"]


def test_the_new_settings_are_in_the_sidebar_train_into_the_run_and_its_curves_show_training_health(app):
    assert app.selectbox(key="setting_scaling").value == "standardize"
    train(app, scaling="none", lr=0.3, train_share=0.5, label_noise=0.1, epochs=5)
    assert not app.exception
    run = session_runs(app)[0]
    assert (run.config.scaling, run.config.train_share, run.config.label_noise) == ("none", 0.5, 0.1)
    assert any("· raw pixels (0-16) · 50% of the training digits · 10% of training labels wrong" in c
               for c in texts(app, "caption"))
    app.switch_page(PAGES["curves"]).run()
    titles = [spec["layout"]["title"]["text"] for spec in chart_specs(app)]
    assert "Training health per epoch" in titles
    health = next(c for c in texts(app, "caption") if "hidden units were dead" in c)
    dead = run.result.history["dead_units"][-1]
    assert f"In the last epoch (5), {dead:.0%} of the 64 hidden units were dead" in health and dead > 0.5
    assert "no blame reaches its weights" in health



# --- a light first page (issue 24) ---------------------------------------------------------

def test_the_first_page_needs_neither_plotly_nor_the_code_highlighter(app):
    # st.code loads a 1.5 MB highlighter and a Plotly chart 4.7 MB of JavaScript into the browser
    assert app.get("plotly_chart") == [] and app.code == [] and app.sidebar.code == []
    assert not app.sidebar.get("multiselect"), "the closed share box draws nothing"
    train(app)
    app.switch_page(PAGES["overview"]).run()
    assert app.code == [] and app.sidebar.code == [], "nor once a run is shown"


def test_the_class_counts_are_said_at_once_and_drawn_when_asked_for(app):
    assert any(text.startswith("**Examples per digit**: 0: 178, 1: 182") for text in texts(app, "markdown"))
    app.session_state["class_counts_open"] = True
    app.run()
    assert [spec["layout"]["title"]["text"] for spec in chart_specs(app)] == ["Digits per class"]


def test_the_share_box_draws_its_link_only_while_open(app):
    app.session_state["share_open"] = True
    app.run()
    assert len(app.sidebar.code) == 1
    app.session_state["share_open"] = False
    app.run()
    assert app.sidebar.code == []


@pytest.mark.parametrize("counts, balanced", [([95, 104] + [100] * 8, True), ([95, 105] + [100] * 8, False)])
def test_the_counts_sentence_calls_classes_balanced_when_they_differ_by_less_than_a_tenth(counts, balanced):
    import numpy as np

    text = views.counts_text(np.array(counts))
    assert "From 95 (digit 0) to 10" in text
    assert ("about as many of each digit" in text) is balanced
    assert ("much rarer" in text) is not balanced



def test_runs_are_offered_and_headed_in_words_with_their_short_code_beside(trained):
    train(trained, hidden=16, lr=0.3)
    assert trained.selectbox(key="selected_run").options == [
        "16 hidden units, learning rate 0.3 (h16 lr0.3 b64 e30 s0)", "default settings (h64 lr0.1 b64 e30 s0)"]
    assert trained.selectbox(key="selected_run").value == "h16 lr0.3 b64 e30 s0", "the value stays the run's name"
    trained.selectbox(key="selected_run").set_value("h64 lr0.1 b64 e30 s0").run()
    trained.switch_page(PAGES["curves"]).run()
    assert "Default settings :gray[(h64 lr0.1 b64 e30 s0)]" in [h.value for h in trained.subheader]
    compare = trained.switch_page(PAGES["compare"]).run()
    assert compare.multiselect(key="compare_runs").options[0].startswith("h"), "chips keep the short code"
