"""Every page, driven headless with AppTest, before and after training."""

import dataclasses
import io
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import nncore
from tests.app.conftest import PAGES, ROOT, errors, session_runs, train


@pytest.mark.parametrize("page", PAGES.values())
def test_every_page_runs_before_training_and_says_what_to_do(app, page):
    app.switch_page(page).run()
    assert not app.exception
    assert not errors(app)
    assert any("Train" in info.value for info in app.info), "the page should say to press Train"


def test_pages_before_training_show_the_data(app):
    assert any("**Examples per digit**" in m.value for m in app.markdown), "the overview gives the class counts"
    (gallery,) = [image for image in app.get("image") if "examples of each digit" in image.proto.imgs[0].caption]
    assert gallery, "and a grid of example digits, in one picture (it keeps its grid on a phone)"


def test_train_button_produces_a_run_with_its_figures(trained):
    assert not trained.exception
    runs = session_runs(trained)
    assert len(runs) == 1 and runs[0].result.test_accuracy >= 0.95
    assert len(trained.get("plotly_chart")) >= 2  # loss, accuracy (the class counts' chart only when asked for)
    assert trained.selectbox(key="selected_run").value == runs[0].name


@pytest.mark.parametrize("page", PAGES.values())
def test_every_page_runs_after_training(trained, page):
    trained.switch_page(page).run()
    assert not trained.exception and not errors(trained)
    assert trained.get("plotly_chart")


def test_page_switches_keep_the_runs(trained):
    name = session_runs(trained)[0].name
    for page in list(PAGES.values()) + [PAGES["overview"]]:
        trained.switch_page(page).run()
        assert [run.name for run in session_runs(trained)] == [name]


def test_curves_page_shows_confusion_matrix_of_the_whole_test_split(trained):
    trained.switch_page(PAGES["curves"]).run()
    run = session_runs(trained)[0]
    assert int(run.evaluation().confusion().sum()) == len(nncore.split(0).test)
    titles = [chart.proto.spec for chart in trained.get("plotly_chart")]
    assert any("Confusion matrix" in spec for spec in titles)
    assert any("Precision and recall" in spec for spec in titles)
    assert any("Misclassified" in h.value for h in trained.subheader)


def test_same_config_twice_is_one_run_from_the_cache(trained):
    first = session_runs(trained)[0].result
    train(trained)
    runs = session_runs(trained)
    assert len(runs) == 1 and runs[0].result is first


def test_two_runs_overlay_on_the_compare_page(trained):
    train(trained, hidden=16)
    trained.switch_page(PAGES["compare"]).run()
    assert not trained.exception
    names = [run.name for run in session_runs(trained)]
    assert len(names) == 2
    assert set(trained.multiselect(key="compare_runs").value) == set(names)
    loss_chart = trained.get("plotly_chart")[0].proto.spec
    assert all(name in loss_chart for name in names)


def overlaid(at):
    """The runs drawn on Compare's loss chart (its traces are named after the runs)."""
    return {trace["name"] for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
            if trace.get("mode") == "lines" and not trace["name"].endswith(" · training")}


def test_a_run_trained_on_compare_joins_the_overlay_and_a_removed_one_stays_out(app):
    train(app, epochs=3)
    app.switch_page(PAGES["compare"]).run()
    train(app, epochs=3, lr=0.5)
    a, b = [run.name for run in session_runs(app)]
    assert set(app.multiselect(key="compare_runs").value) == {a, b} == overlaid(app)
    app.multiselect(key="compare_runs").set_value([b]).run()
    train(app, epochs=3, hidden=16)
    c = session_runs(app)[-1].name
    assert set(app.multiselect(key="compare_runs").value) == {b, c} == overlaid(app), "the removed run stays out"


def test_a_run_trained_on_another_page_joins_the_overlay_but_a_cleared_overlay_stays_cleared(app):
    train(app, epochs=3)
    app.switch_page(PAGES["compare"]).run()
    app.multiselect(key="compare_runs").set_value([]).run()
    app.switch_page(PAGES["overview"]).run()
    train(app, epochs=3, lr=0.5)
    app.switch_page(PAGES["compare"]).run()
    a, b = [run.name for run in session_runs(app)]
    assert app.multiselect(key="compare_runs").value == [b]
    app.run()
    assert app.multiselect(key="compare_runs").value == [b], "a run is new once"


@pytest.mark.parametrize("count", [3, 4])
def test_a_first_visit_to_compare_overlays_the_three_newest_runs(app, count):
    """Both sides of the three: all of three runs, the newest three of four (it was the oldest)."""
    for hidden in range(8, 8 + count):
        train(app, epochs=2, hidden=hidden)
    app.switch_page(PAGES["compare"]).run()
    newest_first = [run.name for run in reversed(session_runs(app))]
    assert app.multiselect(key="compare_runs").value == newest_first[:3] and len(newest_first) == count


def test_newest_run_is_selected(trained):
    train(trained, hidden=16)
    assert trained.selectbox(key="selected_run").value.startswith("h16 ")


def test_delete_a_run(trained):
    train(trained, hidden=16)
    trained.switch_page(PAGES["compare"]).run()
    trained.selectbox(key="manage_run").set_value(session_runs(trained)[0].name).run()
    next(b for b in trained.button if b.label == "Delete").click().run()
    assert [run.config.hidden for run in session_runs(trained)] == [16]


def test_bad_weights_upload_shows_an_error_and_keeps_the_runs(trained):
    trained.switch_page(PAGES["compare"]).run()
    upload = ("weights.npz", b"not a zip file", "application/octet-stream")
    trained.file_uploader(key="weights_upload").set_value(upload)
    trained.run()
    assert not trained.exception
    assert any("Could not load" in e for e in errors(trained))
    assert len(session_runs(trained)) == 1


def test_saved_run_upload_brings_it_back(app):
    saved = nncore.train(nncore.TrainConfig(epochs=2, hidden=8, seed=3))
    app.switch_page(PAGES["compare"]).run()
    app.file_uploader(key="weights_upload").set_value(("run.npz", nncore.to_bytes(saved), "application/octet-stream"))
    app.run()
    assert not app.exception and not errors(app)
    runs = session_runs(app)
    assert [run.name for run in runs] == [saved.config.name] and runs[0].source == "uploaded"


def test_diverging_learning_rate_shows_a_diverged_run_and_the_app_keeps_working(app):
    train(app, lr=100.0)
    assert not app.exception
    run = session_runs(app)[0]
    assert run.result.diverged
    assert any("Diverged at epoch" in e for e in errors(app))
    train(app, lr=0.1)
    assert len(session_runs(app)) == 2 and not session_runs(app)[1].result.diverged


def test_probe_page_predicts_a_test_digit(trained):
    trained.switch_page(PAGES["probe"]).run()
    assert any(m.value.startswith("### **Prediction:") for m in trained.markdown)


@pytest.mark.parametrize("how", ["class", "random", "misclassified"])
def test_probe_page_picks_test_digits_every_way(trained, how):
    trained.switch_page(PAGES["probe"]).run()
    trained.radio(key="probe_pick").set_value(how).run()
    if how == "class":
        trained.selectbox(key="probe_class").set_value(4).run()
    assert not trained.exception and not errors(trained)
    truths = [m.value for m in trained.markdown if m.value.startswith("True digit:")] + [
        c.value for c in trained.caption if c.value.startswith("True digit:")]
    assert truths, "the true digit is shown"
    if how == "class":
        assert truths[0] == "True digit: **4**"
    if how == "misclassified":
        assert any("✗" in m.value for m in trained.markdown if m.value.startswith("### **Prediction:"))
    else:
        assert any(m.value.startswith("### **Prediction:") for m in trained.markdown)


def test_probe_page_compares_several_runs(trained):
    train(trained, hidden=16)
    trained.switch_page(PAGES["probe"]).run()
    names = [run.name for run in session_runs(trained)]
    trained.multiselect(key="probe_runs").set_value(names).run()
    assert sum(m.value.startswith("### **Prediction:") for m in trained.markdown) == 2


def png_of_digit(pixels, scale=16):
    from PIL import Image
    grid = (255 - np.asarray(pixels).reshape(8, 8) * 15).clip(0, 255).astype(np.uint8)  # dark ink on white
    buffer = io.BytesIO()
    Image.fromarray(grid).resize((8 * scale, 8 * scale), Image.NEAREST).save(buffer, format="PNG")
    return buffer.getvalue()


def test_probe_page_reads_an_uploaded_digit(trained):
    X, y = nncore.digits()
    index = int(np.flatnonzero(y == 7)[0])
    trained.switch_page(PAGES["probe"]).run()
    trained.segmented_control(key="probe_source").set_value("Upload").run()
    trained.file_uploader(key="probe_upload").set_value(("seven.png", png_of_digit(X[index]), "image/png"))
    trained.run()
    assert not trained.exception and not errors(trained)
    assert any(m.value.startswith("### **Prediction: 7**") for m in trained.markdown)


@pytest.mark.parametrize("payload", [b"", b"%PDF-1.4 not an image", b"\x89PNG\r\n\x1a\n truncated"])
def test_probe_page_shows_an_error_for_a_bad_upload(trained, payload):
    trained.switch_page(PAGES["probe"]).run()
    trained.segmented_control(key="probe_source").set_value("Upload").run()
    trained.file_uploader(key="probe_upload").set_value(("digit.png", payload, "image/png"))
    trained.run()
    assert not trained.exception
    assert any("Could not read a digit" in e for e in errors(trained))
    assert len(session_runs(trained)) == 1


def test_a_link_brings_back_settings_and_runs(app):
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.query_params.update({"hidden": "32", "lr": "0.05", "run": ["default", "hidden:16"]})
    at.run()
    assert not at.exception
    assert at.number_input(key="setting_hidden").value == 32
    assert at.number_input(key="setting_lr").value == 0.05
    assert sorted(run.config.hidden for run in session_runs(at)) == [16, 64]


def test_hostile_link_values_are_clamped_or_ignored(app):
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.query_params.update({"epochs": "1000000000", "hidden": "abc", "lr": "nan", "batch": "-3",
                            "run": ["epochs:nope", "garbage", "hidden:10000000,epochs:1"]})
    at.run()
    assert not at.exception
    assert at.number_input(key="setting_epochs").value == 500
    assert at.number_input(key="setting_hidden").value == 64
    assert at.number_input(key="setting_batch").value == 1
    assert [run.config.hidden for run in session_runs(at) if run.config.epochs == 1] == [2048]


def test_handwriting_preset_button_fills_in_the_settings(app):
    next(b for b in app.sidebar.button if b.label == "Handwriting preset").click().run()
    preset = nncore.handwriting_config()
    for name in ("epochs", "hidden", "augment", "ensemble"):
        assert app.number_input(key=f"setting_{name}").value == getattr(preset, name)
    assert not session_runs(app), "the preset fills in the settings; Train trains them"


def test_the_preset_button_says_what_it_did_and_offers_to_train_it(app):
    next(b for b in app.sidebar.button if b.label == "Handwriting preset").click().run()
    assert any(m.value.startswith("Filled in the handwriting preset: 256 hidden units") for m in app.sidebar.success)
    app.button(key="train_filled_preset").click().run()
    assert [run.config for run in session_runs(app)] == [nncore.handwriting_config()]
    assert not app.sidebar.success, "trained: nothing left to offer"


def test_the_preset_message_goes_once_a_box_no_longer_holds_the_preset(app):
    next(b for b in app.sidebar.button if b.label == "Handwriting preset").click().run()
    app.number_input(key="setting_seed").set_value(0).run()  # the preset's own value: still the preset
    assert app.sidebar.success
    app.number_input(key="setting_seed").set_value(1).run()
    assert not app.sidebar.success and not any(b.key == "train_filled_preset" for b in app.button)


def test_probe_page_reads_a_photo_of_a_handwritten_7_and_suggests_the_preset(trained):
    from tests.drawn import photo_of_digit
    trained.switch_page(PAGES["probe"]).run()
    trained.segmented_control(key="probe_source").set_value("Upload").run()
    trained.file_uploader(key="probe_upload").set_value(("seven.jpg", photo_of_digit(7), "image/jpeg"))
    trained.run()
    assert not trained.exception and not errors(trained)
    assert any(m.value.startswith("### **Prediction: 7**") for m in trained.markdown)
    assert any("handwriting preset" in i.value for i in trained.info)
    next(b for b in trained.button if b.label == "Train the handwriting preset").click().run()
    assert not trained.exception
    newest = session_runs(trained)[-1]
    assert newest.config == nncore.handwriting_config(), (  # (what the page said, if it ever fails again)
        [r.name for r in session_runs(trained)], [w.value for w in trained.warning], [e.value for e in trained.error])
    assert trained.selectbox(key="selected_run").value == newest.name
    assert trained.multiselect(key="probe_runs").value == [newest.name], "the answer shown is the new run's"
    assert not any("handwriting preset" in i.value for i in trained.info), "no suggestion for an augmented run"


def test_the_probe_pages_preset_keeps_a_teachers_locked_settings(app):
    from tests.drawn import photo_of_digit
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.query_params.update({"lr": "0.05", "lock": "lr"})
    at.run()
    train(at)
    at.switch_page(PAGES["probe"]).run()
    at.segmented_control(key="probe_source").set_value("Upload").run()
    at.file_uploader(key="probe_upload").set_value(("seven.jpg", photo_of_digit(7), "image/jpeg"))
    at.run()
    assert any("Your teacher fixed lr = 0.05" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Train the handwriting preset").click().run()
    assert session_runs(at)[-1].config == dataclasses.replace(nncore.handwriting_config(), lr=0.05)
    assert at.number_input(key="setting_lr").value == 0.05, "the locked box keeps the teacher's value"
    assert at.number_input(key="setting_hidden").value == 256
