"""The pages that look inside a run, driven headless with AppTest after training the default run."""

import base64
import json
import threading

import numpy as np
import pytest
from streamlit import dataframe_util

import nncore
from app.analysis import inside
from app.analysis.digit import shown
from app.figures.inside import BAND, PITCH
from app.server import trainer
from tests.app.conftest import PAGES, errors, session_runs, train


def charts(at):
    """{title: figure JSON} of the page's Plotly charts."""
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {spec["layout"].get("title", {}).get("text", ""): spec for spec in specs}


def array(value):
    """A Plotly JSON array: a list, or Plotly's typed array {"dtype", "bdata", "shape"}."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value, dtype=float)


def chart(at, start):
    return next(spec for title, spec in charts(at).items() if title.startswith(start))


def ok(at):
    assert not at.exception, at.exception[0].message if at.exception else ""
    assert not errors(at)


def test_how_it_learns_shows_the_gradients_of_mlp_backward(trained):
    trained.switch_page(PAGES["how"]).run()
    ok(trained)
    result = session_runs(trained)[0].result
    X, y = nncore.test_set(0)
    model = result.model.copy(np.float64)  # test digit 0 with its true label, through the kept weights
    model.forward(result.standardizer(X[:1]))
    grads = model.backward(y[:1], result.config.l2)
    np.testing.assert_array_equal(array(chart(trained, "dW2")["data"][0]["z"]), grads["W2"])
    np.testing.assert_array_equal(array(chart(trained, "dW1 (")["data"][0]["z"]), grads["W1"])
    table = trained.dataframe[-1].value  # the largest entries of dW1
    for pixel, unit, value in table[["pixel", "unit", "value"]].itertuples(index=False):
        assert value == grads["W1"][pixel, unit]
    assert any(f"L = **{shown(model.loss)}**" in m.value for m in trained.markdown)


def test_how_it_learns_with_a_wrong_label_has_a_large_loss_and_a_step_that_lowers_it(trained):
    trained.switch_page(PAGES["how"]).run()
    trained.selectbox(key="how_label").set_value(7).run()
    ok(trained)
    loss = float(trained.metric[0].value)
    assert loss > 1
    assert not trained.info or all("already gives" not in i.value for i in trained.info)
    update = next(m.value for m in trained.markdown if "the loss goes from" in m.value)
    before, after = (float(v.strip("*.")) for v in update.split("goes from ")[1].split(" to "))
    assert after < before == pytest.approx(loss, rel=1e-3)


def shown_cells(frame):
    """The cells of an st.dataframe as the browser writes them (its Styler's display values), as str."""
    return dataframe_util.convert_arrow_bytes_to_pandas_df(frame.proto.arrow_data.styler.display_values)


def test_how_it_learns_writes_a_confident_digit_s_small_numbers_with_their_digits(trained):
    trained.switch_page(PAGES["how"]).run()
    evaluation = session_runs(trained)[0].evaluation()
    sure = int(np.argmax(evaluation.probs[np.arange(len(evaluation.y)), evaluation.y]))
    trained.number_input(key="inside_test_digit").set_value(sure).run()
    ok(trained)
    sentence = next(m.value for m in trained.markdown if "scaled by dZ1 = " in m.value)
    written = sentence.split("scaled by dZ1 = ")[1].rstrip(".")
    assert float(written) != 0  # it read -0.0000
    tables = [shown_cells(frame) for frame in trained.dataframe]
    units = next(t for t in tables if "dZ1" in t)  # step 9, the unit with the largest |dZ1| first
    assert float(written) == float(units["dZ1"][0])
    assert f"the column of dW1 for unit {units['unit'][0]} " in sentence
    classes = next(t for t in tables if "dlogits" in t)  # step 7: P, onehot, dlogits
    for P, onehot, dlogits in classes[["P", "onehot", "dlogits"]].astype(float).itertuples(index=False):
        assert (P != onehot) == (dlogits != 0)  # P = 1 beside dlogits = -0.00003 made the maths look wrong
        assert P - onehot == pytest.approx(dlogits, rel=1e-6, abs=1e-15)
    assert classes["P"][int(evaluation.y[sure])] != "1"
    update = next(m.value for m in trained.markdown if "the loss goes from" in m.value)
    before, after = (float(v.strip("*.")) for v in update.split("goes from ")[1].split(" to "))
    assert after < before  # a step on one digit lowers its loss, however little: not 0.00000474 to 0.00000474


def test_hidden_units_draws_every_unit_and_opens_one(trained):
    trained.switch_page(PAGES["units"]).run()
    ok(trained)
    mosaic = chart(trained, "Hidden units after epoch 30")
    assert len(mosaic["data"][1]["customdata"]) == 64
    trained.selectbox(key="units_unit").set_value(7).run()
    ok(trained)
    assert "Unit 7 after epoch 30" in charts(trained)
    assert any("Unit **7** fires most for" in m.value for m in trained.markdown)


def test_hidden_units_at_epoch_0_are_the_initial_weights(trained):
    trained.switch_page(PAGES["units"]).run()
    trained.select_slider(key="units_epoch").set_value(0).run()
    ok(trained)
    result = session_runs(trained)[0].result
    z = array(chart(trained, "Hidden units after epoch 0")["data"][0]["z"])
    first = int(chart(trained, "Hidden units after epoch 0")["data"][1]["customdata"][0])
    np.testing.assert_allclose(z[BAND:PITCH, 0:8].ravel(), result.snapshots[0][0]["W1"][:, first], rtol=1e-6)


def test_replay_plays_from_epoch_0_to_the_end_and_stops(trained):
    trained.switch_page(PAGES["replay"]).run()
    ok(trained)
    assert "Test confusion after epoch 30" in charts(trained)
    trained.button(key="replay_button").click().run()
    ok(trained)
    assert trained.session_state["replay_playing"]
    assert "Test confusion after epoch 0" in charts(trained)  # from the start
    seen = [0]
    for _ in range(40):  # each press of Next (the browser's, once a frame is drawn) is one frame
        trained.button(key="replay_next").click().run()
        if not trained.session_state["replay_playing"]:
            break
        seen.append(next(int(t.split()[-1]) for t in charts(trained) if t.startswith("Test confusion after epoch")))
    assert seen == list(range(31)) and not trained.session_state["replay_playing"]  # every epoch, once
    assert trained.select_slider(key="replay_epoch").value == 30


def test_a_replay_frame_is_one_epoch_throughout(trained):
    trained.switch_page(PAGES["replay"]).run()
    trained.button(key="replay_button").click().run()
    for _ in range(7):
        trained.button(key="replay_next").click().run()
    ok(trained)
    said = [m.value for m in trained.markdown] + [p.proto.text for p in trained.get("progress")]
    assert "Playing: epoch 7 of 30" in said and any(t.startswith("**After epoch 7**") for t in said), said
    assert [t for t in charts(trained) if "epoch" in t] == [
        "The 32 most important hidden units after epoch 7", "Loss up to epoch 7", "Accuracy up to epoch 7",
        "Test confusion after epoch 7"]


def test_the_replay_moves_on_only_when_the_browser_asks(trained):
    trained.switch_page(PAGES["replay"]).run()
    trained.button(key="replay_button").click().run()
    trained.run().run()  # reruns that are not a press of Next (a timer, a reload) draw the same frame
    assert trained.session_state["replay_at"] == 0
    trained.button(key="replay_next").click().run()
    assert trained.session_state["replay_at"] == 1


def test_replay_pause_keeps_the_epoch(trained):
    trained.switch_page(PAGES["replay"]).run()
    trained.button(key="replay_button").click().run()
    trained.button(key="replay_next").click().run()
    trained.button(key="replay_next").click().run()
    shown = trained.session_state["replay_at"]
    assert shown == 2
    trained.button(key="replay_button").click().run()
    ok(trained)
    assert not trained.session_state["replay_playing"] and trained.select_slider(key="replay_epoch").value == shown


def test_one_digit_follows_the_probed_digit(trained):
    trained.switch_page(PAGES["probe"]).run()
    trained.number_input(key="probe_index").set_value(5).run()
    trained.switch_page(PAGES["digit"]).run()
    ok(trained)
    assert trained.segmented_control(key="inside_digit_source").value == "probed"
    X, y = nncore.test_set(0)
    assert any(f"true digit {y[5]}" in c.value for c in trained.caption)
    path = chart(trained, "What built the logit of")
    assert path["data"][0]["x"][-1].startswith("logit of")
    assert any(title.startswith("Saliency: d logit(") for title in charts(trained))


def test_one_digit_saliency_for_another_digit_is_the_logit_gradient(trained):
    trained.switch_page(PAGES["digit"]).run()
    trained.selectbox(key="path_other_digit").set_value(3).run()
    ok(trained)
    result = session_runs(trained)[0].result
    X, _ = nncore.test_set(0)
    z = array(chart(trained, "d logit(3) / d pixel")["data"][0]["z"])
    np.testing.assert_allclose(z.ravel(), result.logit_gradient(X[0], 3))
    trained.toggle(key="path_per_std").set_value(True).run()
    z = array(chart(trained, "d logit(3) / d X")["data"][0]["z"])
    np.testing.assert_allclose(z.ravel(), result.logit_gradient(X[0], 3) * result.standardizer.std)


def test_the_followed_digit_survives_page_switches(trained):
    trained.switch_page(PAGES["digit"]).run()
    trained.number_input(key="inside_test_digit").set_value(12).run()
    for page in ("how", "overview", "replay", "digit"):
        trained.switch_page(PAGES[page]).run()
        ok(trained)
    assert trained.number_input(key="inside_test_digit").value == 12


def test_where_the_classes_live_projects_raw_and_hidden(trained):
    trained.switch_page(PAGES["classes"]).run()
    ok(trained)
    titles = charts(trained)
    assert {"PCA of the raw pixels", "PCA of the hidden layer"} <= set(titles)
    assert sum(len(trace["x"]) if isinstance(trace["x"], list) else len(array(trace["x"]))
               for trace in titles["PCA of the hidden layer"]["data"][:10]) == len(nncore.split(0).test)
    trained.number_input(key="classes_digit").set_value(4).run()
    assert "Test digit #4" in charts(trained)
    spread = [c.value for c in trained.caption if "These two directions hold" in c.value]
    assert len(spread) == 2 and "of the spread of the training digits' raw pixels" in spread[0]
    assert not any("Reading t-SNE" in i.value for i in trained.info)


def test_where_the_classes_live_with_tsne(trained):
    trained.switch_page(PAGES["classes"]).run()
    trained.segmented_control(key="classes_method").set_value("t-SNE").run(timeout=600)  # t-SNE: slow when busy
    ok(trained)
    assert "t-SNE of the hidden layer" in charts(trained)
    caution = next(i.value for i in trained.info if "Reading t-SNE" in i.value)
    assert "gaps between clusters mean nothing" in caution and "perplexity 30" in caution
    assert "raw pixels' view scores" in caution
    assert not any("These two directions hold" in c.value for c in trained.caption)


def test_tsne_waits_for_its_turn_in_the_training_queue(trained):
    """t-SNE must not run outside the queue, beside the trainings that wait in it.
    With every slot held by another session, the page's t-SNE waits, then runs once they are free."""
    trained.switch_page(PAGES["classes"]).run()
    queue = trainer.shared_queue()
    held = [queue.join("another session", 1.0) for _ in range(queue.slots)]
    assert all(queue.try_start(ticket) for ticket in held)
    page = threading.Thread(target=lambda: trained.segmented_control(key="classes_method").set_value("t-SNE")
                            .run(timeout=300))
    page.start()
    try:
        while queue.status()[1] == 0 and page.is_alive():  # a state, not a time: the page queued, or ended
            page.join(0.1)
        assert queue.status() == (queue.slots, 1), "the t-SNE did not wait for a slot"
    finally:
        for ticket in held:
            queue.leave(ticket)
    page.join(300)
    ok(trained)
    assert "t-SNE of the hidden layer" in charts(trained) and queue.status() == (0, 0)


def test_tsne_over_the_budget_places_a_sample_and_says_so(trained, monkeypatch):
    """Its announced duration comes from its estimate, not a fixed "a few seconds"."""
    hidden, digits = session_runs(trained)[0].config.hidden, len(nncore.split(0).test)
    budget = inside.tsne_seconds(150, 64) + inside.tsne_seconds(150, hidden)
    keep, _ = inside.tsne_plan(digits, hidden, budget)
    monkeypatch.setenv("DIGITS_TRAINING_BUDGET", str(budget))
    trained.switch_page(PAGES["classes"]).run()
    trained.segmented_control(key="classes_method").set_value("t-SNE").run()
    ok(trained)
    assert keep == 150 and any(f"t-SNE on {keep} of the {digits} test digits, drawn at random" in caption.value
                               for caption in trained.caption)
    placed = sum(len(array(trace["x"])) for trace in charts(trained)["t-SNE of the hidden layer"]["data"][:10])
    assert placed == keep


def test_curves_page_lists_the_digits_of_a_cell_and_calibration(trained):
    trained.switch_page(PAGES["curves"]).run()
    ok(trained)
    run = session_runs(trained)[0]
    evaluation = run.evaluation()
    trained.selectbox(key="cell_true").set_value(8).run()
    trained.selectbox(key="cell_predicted").set_value(8).run()
    members = int(((evaluation.y == 8) & (evaluation.predicted == 8)).sum())
    assert any(f"**{members}** test 8s read correctly" in m.value for m in trained.markdown)
    cell = next(frame.value for frame in trained.dataframe if "test digit" in frame.value)
    assert len(cell) == members and cell.filter(like="P(").sum(axis=1).round(6).eq(1).all()
    assert any(m.label == "ECE" for m in trained.metric)
    assert "Reliability: confidence against accuracy" in charts(trained)
    labels = [b.label for b in trained.get("download_button")]
    assert "This run's history (CSV)" in labels and "Test predictions (CSV)" in labels


def test_curves_page_compares_two_runs_confusion_matrices(trained):
    train(trained, hidden=16)
    trained.switch_page(PAGES["curves"]).run()
    ok(trained)
    names = [run.name for run in session_runs(trained)]
    title = next(t for t in charts(trained) if " minus " in t)
    assert title == f"{names[0]} minus {names[1]}"  # the other run minus the selected (newest) one


def test_an_ensemble_run_offers_each_of_its_networks(app):
    train(app, ensemble=2, hidden=16, epochs=5)
    for page in ("units", "replay", "digit", "how", "classes"):
        app.switch_page(PAGES[page]).run()
        ok(app)
        app.selectbox(key="inside_network").set_value(1).run()
        ok(app)
        assert app.get("plotly_chart")


def page_texts(at):
    return [element.value for kind in ("markdown", "caption", "info") for element in getattr(at, kind)]


def test_how_it_learns_speaks_of_the_run_s_activation_optimizer_batch_and_scaling(app):
    from app.analysis import digit as inside_digit
    train(app, activation="tanh", optimizer="adam", lr=0.001, batch=32, epochs=2, scaling="divide")
    app.switch_page(PAGES["how"]).run()
    ok(app)
    texts = " ".join(page_texts(app))
    assert inside_digit.BLAME_WORDS["tanh"] in texts and inside_digit.PASS_WORDS["tanh"] in texts
    assert "get no blame" not in texts and "only where the unit fired" not in texts
    assert "every batch of 32 digits" in texts and "34 batches an epoch" in texts
    assert "Adam's first step is ±η on every weight" in texts
    assert "divided by 16" in texts and "shifted by its mean" not in texts


def test_how_it_learns_for_the_default_relu_run_keeps_relu_s_words(trained):
    from app.analysis import digit as inside_digit
    trained.switch_page(PAGES["how"]).run()
    texts = " ".join(page_texts(trained))
    assert inside_digit.BLAME_WORDS["relu"] in texts and "every batch of 64 digits" in texts
    assert "±η" not in texts and "shifted by its mean" in texts


def test_one_digit_counts_firing_sigmoid_units_by_a_positive_weighted_sum(app):
    train(app, activation="sigmoid", epochs=2)
    app.switch_page(PAGES["digit"]).run()
    ok(app)
    caption = next(c.value for c in app.caption if "for this digit" in c.value)
    active, total = (int(n) for n in caption.split(" units ")[0].split(" of "))
    assert "activation above 0.5" in caption and 0 < active < total
