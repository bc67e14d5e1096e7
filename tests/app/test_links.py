"""app.state.links: settings, runs (with their status), the selection and locks in the URL, read leniently."""

import pytest

from app.state import links
from app.state.links import MAX_LINKED_RUNS, LinkedRun, config_token, from_params, linked_run_from_token, to_params
from nncore import TrainConfig, train
from nncore.lab import lessons
from nncore.lab.sweep import Sweep


def test_round_trip_of_settings_runs_selection_overlay_and_locks():
    settings = TrainConfig(hidden=128, lr=1e-5, seed=2**31 - 1, activation="tanh", optimizer="adam")
    runs = [LinkedRun(TrainConfig()), LinkedRun(TrainConfig(hidden=16, val_share=0.3), stop_at=7),
            LinkedRun(TrainConfig(epochs=3), uploaded=True)]
    link = from_params(to_params(settings, runs, selected=1, overlay=[0, 2], lock=["epochs", "hidden"], hide=["seed"]))
    assert (link.settings, link.runs, link.selected, link.overlay) == (settings, runs, 1, [0, 2])
    assert (link.lock, link.hide, link.notes) == (["epochs", "hidden"], ["seed"], [])


def test_a_stopped_run_keeps_its_stop_and_its_full_length():
    linked, notes = linked_run_from_token("hidden:1024,epochs:500,stopped:250")
    assert linked.config.epochs == 500 and linked.stop_at == 250 and notes == []
    assert linked.name == "h1024 lr0.1 b64 e500 s0 · stopped at 250/500"
    assert linked.key == "epochs:500,hidden:1024,stopped:250"


def test_default_config_token_is_short():
    assert config_token(TrainConfig()) == "default"
    assert config_token(TrainConfig(hidden=16, activation="tanh")) == "hidden:16,activation:tanh"
    assert linked_run_from_token("hidden:16")[0].config == TrainConfig(hidden=16)


def test_bad_values_are_clamped_or_ignored_with_notes():
    link = from_params({"epochs": "1e9", "hidden": "-5", "lr": "nan", "seed": "x",
                        "run": ["garbage", "bogus:1", "epochs:0", "epochs:5,stopped:9"], "selected": "7",
                        "lock": "hidden,nonsense"})
    settings = link.settings
    assert (settings.epochs, settings.hidden, settings.lr, settings.seed) == (500, 1, 0.1, 0)
    assert [r.config for r in link.runs] == [TrainConfig(epochs=1), TrainConfig(epochs=5)]
    assert link.runs[1].stop_at is None, "a stop after the run's last epoch is ignored"
    assert link.selected is None and link.lock == ["hidden"]
    assert len(link.notes) == 10


def test_a_long_hostile_value_is_cut_short_in_its_note():
    link = from_params({"activation": "x" * 100_000})
    assert link.notes and max(len(note) for note in link.notes) < 200


def test_links_restore_a_bounded_number_of_runs():
    tokens = [f"seed:{s}" for s in range(MAX_LINKED_RUNS + 5)]
    link = from_params({"run": tokens})
    assert len(link.runs) == MAX_LINKED_RUNS and any("only the last" in n for n in link.notes)


def test_a_link_of_thousands_of_runs_reads_only_the_last_ones(monkeypatch):
    read = []
    parse = links.linked_run_from_token
    monkeypatch.setattr(links, "linked_run_from_token", lambda token: read.append(token) or parse(token))
    tokens = [f"hidden:{h},epochs:1" for h in range(1, 2049)] * 5  # 10,240 run parameters
    link = from_params({"run": tokens})
    assert len(read) <= links.MAX_READ_RUNS
    assert [r.config.hidden for r in link.runs] == list(range(2049 - links.MAX_LINKED_RUNS, 2049))
    assert any(f"lists 10240 runs; only the last {links.MAX_LINKED_RUNS}" in note for note in link.notes)


def test_a_link_carries_every_run_a_session_holds():
    from app.state import runs

    assert links.MAX_LINKED_RUNS == runs.MAX_RUNS == len(runs.COLORS)
    tokens = [f"seed:{s}" for s in range(runs.MAX_RUNS)]
    link = from_params({"run": tokens})
    assert len(link.runs) == runs.MAX_RUNS and not link.notes


def test_a_runs_colour_goes_through_a_link():
    run = LinkedRun(TrainConfig(hidden=16), color=11)
    assert run.token == "hidden:16,color:11"
    assert from_params(to_params(TrainConfig(), [run])).runs == [run]


def test_a_colour_outside_the_palette_is_ignored_with_a_note():
    last, beyond, junk = (linked_run_from_token(f"default,color:{c}") for c in (MAX_LINKED_RUNS - 1,
                                                                                 MAX_LINKED_RUNS, "1e1"))
    assert last[0].color == MAX_LINKED_RUNS - 1 and not last[1]
    assert beyond[0].color is None and "not a whole number from 0 to" in beyond[1][0]
    assert junk[0].color is None and junk[1]


def test_a_link_cannot_flood_the_page_with_notes():
    link = from_params({"run": ["default"], "overlay": ",".join(["x"] * 100_000), "lock": ",".join(["lr"] * 1000)})
    assert len(link.notes) == links.MAX_NOTES and "more things the link got wrong" in link.notes[-1]
    assert link.lock == ["lr"]


def test_a_stop_point_must_be_before_the_runs_last_epoch():
    kept = from_params({"run": ["epochs:5,stopped:4", "epochs:5,stopped:1"]})
    assert [r.stop_at for r in kept.runs] == [4, 1] and kept.notes == []
    for stop in ("5", "0"):
        link = from_params({"run": [f"epochs:5,stopped:{stop}"]})
        assert link.runs[0].stop_at is None and any(f"ignored stopped={stop}" in n for n in link.notes)


def test_a_position_must_name_one_of_the_links_runs():
    two = ["seed:1", "seed:2"]
    assert from_params({"run": two, "selected": "1", "overlay": "0,1"}).selected == 1
    assert from_params({"run": two, "overlay": "0,1"}).overlay == [0, 1]
    beyond = from_params({"run": two, "selected": "2", "overlay": "1,2"})
    assert beyond.selected is None and beyond.overlay == [1]
    assert sum("not a run of the link" in n for n in beyond.notes) == 2


def test_a_runs_key_carries_its_stop_point():
    config = TrainConfig(epochs=6, hidden=8)
    stopped = train(config, callback=lambda stats: stats.epoch == 3)
    assert links.result_key(stopped) == links.run_key(config, 3) == "epochs:6,hidden:8,stopped:3"
    assert links.run_key(config) == "epochs:6,hidden:8" == links.result_key(train(config))
    assert LinkedRun(config, stop_at=3).key == links.result_key(stopped)



def test_round_trip_of_the_open_lesson_and_the_guesses():
    params = to_params(TrainConfig(), [], lesson="overfitting", guesses={"unit": 2, "lr": 0})
    assert params["lesson"] == "overfitting" and params["guesses"] == "unit:2,lr:0"
    link = from_params(params)
    assert (link.lesson, link.guesses, link.notes) == ("overfitting", {"unit": 2, "lr": 0}, [])
    assert "lesson" not in to_params(TrainConfig(), []) and "guesses" not in to_params(TrainConfig(), [])


def test_a_guess_must_be_a_lessons_answer_written_exactly():
    last = len(lessons.BY_KEY["lr"].options) - 1
    link = from_params({"guesses": f"lr:{last},unit:{len(lessons.BY_KEY['unit'].options)},LR:1,lr:1x,nope:0, :1,"
                                   "<b>x</b>:1"})
    assert link.guesses == {"lr": last}
    assert len(link.notes) == 6 and all(n.startswith("ignored guess ") for n in link.notes)
    assert any("'<b>x</b>:1'" in n for n in link.notes)  # quoted as text (the page shows notes escaped)


def test_an_unknown_lesson_is_ignored_with_a_note():
    link = from_params({"lesson": "lr "})
    assert link.lesson is None and link.notes == ["ignored lesson 'lr ': not a lesson"]
    assert from_params({"lesson": ["unit", "scaling"]}).lesson == "scaling"  # the last one, as for every setting


def test_the_new_settings_travel_in_links_and_are_clamped_when_out_of_range():
    settings = TrainConfig(scaling="divide", train_share=0.3, label_noise=0.25)
    runs = [LinkedRun(TrainConfig(scaling="none", train_share=0.05, label_noise=0.5))]
    link = from_params(to_params(settings, runs))
    assert (link.settings, link.runs, link.notes) == (settings, runs, [])
    assert config_token(runs[0].config) == "scaling:none,train_share:0.05,label_noise:0.5"
    bad = from_params({"train_share": "0.01", "label_noise": "0.9", "scaling": "<b>raw</b>"})
    assert (bad.settings.train_share, bad.settings.label_noise, bad.settings.scaling) == (0.05, 0.5, "standardize")
    assert len(bad.notes) == 3


def test_runs_added_past_a_full_session_each_take_a_colour_of_their_own():
    """A full session drops its oldest run for each new one: the new run takes the colour the dropped
    one freed, so no two runs share a colour (and a reload's link keeps every colour)."""
    from app.state import runs

    session = runs._Session()
    for seed in range(runs.MAX_RUNS + 2):
        session.add(train(TrainConfig(hidden=16, epochs=1, seed=seed)))
    assert len(session.runs) == runs.MAX_RUNS
    assert sorted(run.color for run in session.runs) == sorted(runs.COLORS)
    assert [run.config.seed for run in session.runs] == list(range(2, runs.MAX_RUNS + 2))


# --- the session's last sweep: its grid, never its scores -------------------------------------------

def test_round_trip_of_a_sweeps_grid_and_its_fixed_settings():
    sweep = Sweep.of(TrainConfig(epochs=3, hidden=8, l2=1e-5), hidden=(8, 16, 2048), lr=(1e-5, 0.1))
    params = to_params(TrainConfig(), [], sweep=sweep)
    assert params["sweep"] == "hidden:8/16/2048,lr:1e-05/0.1" and params["sweep_base"] == "epochs:3,hidden:8,l2:1e-05"
    link = from_params(params)
    assert link.sweep == sweep and link.notes == []
    choices = Sweep.of(TrainConfig(epochs=2), activation=("tanh", "relu"))
    assert from_params(to_params(TrainConfig(), [], sweep=choices)).sweep == choices


def test_a_link_without_a_sweep_has_none_and_writes_none():
    assert "sweep" not in to_params(TrainConfig(), []) and from_params({}).sweep is None


def test_a_sweep_without_its_fixed_settings_takes_the_links_settings():
    link = from_params({"epochs": "3", "sweep": "seed:0/1"})
    assert link.sweep == Sweep.of(TrainConfig(epochs=3), seed=(0, 1)) and link.notes == []


@pytest.mark.parametrize("sweep, base, words", [
    ("hidden:0/8", None, "hidden must be 1 to 2048, got 0"),
    ("hidden:8/2049", None, "hidden must be 1 to 2048"),
    ("bogus:1/2", None, "there is no setting 'bogus'"),
    ("hidden:8/x", None, "'x' is not a whole number"),
    ("hidden:8/16", "epochs:501", "its fixed settings: epochs=501 is outside 1 to 500"),
    ("hidden:8/16", "bogus:1", "unknown setting(s) bogus"),
    ("hidden:8/16", "garbage", "expected name:value pairs"),
    ("hidden", None, "expected setting:value/value/…"),
    ("hidden:1:64:3", None, "expected setting:value/value/…"),
    ("hidden:8,hidden:16", None, "a setting may be swept once"),
    ("hidden:8,lr:0.1,seed:1", None, "one or two settings, not 3"),
    ("hidden:" + "/".join(str(h) for h in range(1, 52)), None, "at most 50 values, got 51"),
])
def test_a_sweep_a_link_gets_wrong_is_ignored_with_a_note(sweep, base, words):
    params = {"sweep": sweep} | ({"sweep_base": base} if base is not None else {})
    link = from_params(params)
    assert link.sweep is None
    assert len(link.notes) == 1 and link.notes[0].startswith("ignored sweep") and words in link.notes[0], link.notes


def test_a_sweep_of_more_cells_than_the_app_runs_is_ignored_and_one_of_as_many_is_read():
    six = "/".join(str(h) for h in range(1, 7))
    assert from_params({"sweep": f"hidden:{six},seed:{six}"}).sweep.cells == links.MAX_SWEEP_CELLS == 36
    link = from_params({"sweep": f"hidden:{six},seed:{six}/7"})
    assert link.sweep is None and "42 runs is more than a sweep of the app may have (36)" in link.notes[0]


def test_a_huge_sweep_parameter_is_not_read_and_its_note_is_short():
    for params in ({"sweep": "hidden:" + "8/" * 100_000}, {"sweep": "hidden:8", "sweep_base": "x" * 100_000}):
        link = from_params(params)
        assert link.sweep is None and len(link.notes) == 1 and len(link.notes[0]) < 300
        assert "longer than 1000 characters" in link.notes[0]
    padded = "epochs:3".ljust(links.MAX_SWEEP_TEXT)  # spaces around a value are allowed
    read = from_params({"sweep": "hidden:8", "sweep_base": padded}).sweep
    assert read == Sweep.of(TrainConfig(epochs=3), hidden=(8,))
    assert from_params({"sweep": "hidden:8", "sweep_base": padded + " "}).sweep is None
