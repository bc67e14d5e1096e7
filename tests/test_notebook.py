"""nncore/lab/notebook.py and nncore/lab/source.py: a run as a notebook of nncore's own source.

The notebooks are executed with nbclient in a fresh kernel where nncore cannot be imported
(support/notebooks.py); each must end with the run's own best epoch and test accuracy."""

import inspect
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

import nncore
from nncore.lab import notebook
from nncore.lab.source import Bundle, SourceError, definition, module
from support.notebooks import ending, execute, text

ROOT = Path(__file__).resolve().parents[1]
GRADIENTS = ("dW2", "db2", "dW1", "db1")


def cell_of(nb, name):
    """The code cell carrying nncore definition ``name`` ('model.MLP')."""
    return next(cell for cell in nb.cells if name in cell.metadata.get("nncore", []))


def filled(exercise, reference):
    """The exercise notebook with each blanked line replaced by the reference notebook's line."""
    done, ref = cell_of(exercise, "model.MLP"), cell_of(reference, "model.MLP")
    lines, ref_lines = done.source.splitlines(), ref.source.splitlines()
    done.source = "\n".join(r if "= ...  #" in line else line for line, r in zip(lines, ref_lines, strict=True))
    return exercise


# --- the notebook runs the run -------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("config", [
    nncore.TrainConfig(),
    nncore.TrainConfig(epochs=6, optimizer="adam", lr=0.005, activation="tanh", l2=0.001),
    nncore.TrainConfig(epochs=3, hidden=32, ensemble=2, augment=1, seed=3),
    nncore.TrainConfig(epochs=3, scaling="divide", train_share=0.5, label_noise=0.1, augment=1, seed=1),
], ids=["default", "adam-tanh-l2", "ensemble-augmented", "divide-half-noisy"])
def test_the_notebook_run_in_a_fresh_kernel_ends_with_the_runs_best_epoch_and_test_accuracy(config, tmp_path):
    result = nncore.train(config)
    nb = execute(notebook.build(config, result), tmp_path)
    assert ending(nb) == (result.best_epoch, result.test_accuracy)
    assert "the same as the run this notebook was made from" in text(nb)


@pytest.mark.slow
def test_the_exercise_filled_with_the_reference_lines_passes_its_check_and_reproduces_the_run(tmp_path):
    config = nncore.TrainConfig(epochs=3, activation="leaky_relu", l2=0.0001)
    result = nncore.train(config)
    nb = execute(filled(notebook.build(config, result, exercise=True), notebook.build(config, result)), tmp_path)
    printed = text(nb)
    assert all(f"{name}: right" in printed for name in GRADIENTS)
    assert ending(nb) == (result.best_epoch, result.test_accuracy)


@pytest.mark.slow
def test_the_check_names_db1_summed_over_the_wrong_axis_and_stops_before_training(tmp_path):
    config = nncore.TrainConfig(epochs=2)
    nb = filled(notebook.build(config, exercise=True), notebook.build(config))
    mlp = cell_of(nb, "model.MLP")
    assert mlp.source.count("db1 = dZ1.sum(axis=0)") == 1
    mlp.source = mlp.source.replace("db1 = dZ1.sum(axis=0)", "db1 = dZ1.sum(axis=1)")
    with pytest.raises(CellExecutionError):
        execute(nb, tmp_path)
    printed = text(nb)
    assert "db1: wrong" in printed and "fix db1 in backward" in printed
    assert all(f"{name}: right" in printed for name in ("dW2", "db2", "dW1"))
    assert "epoch   1/" not in printed  # nothing trained


@pytest.mark.slow
def test_the_unfilled_exercise_says_every_gradient_is_not_written_yet(tmp_path):
    nb = notebook.build(nncore.TrainConfig(epochs=1), exercise=True)
    with pytest.raises(CellExecutionError):
        execute(nb, tmp_path)
    printed = text(nb)
    assert all(f"{name}: backward() failed" in printed for name in GRADIENTS) and "still '...'" in printed


# --- what the notebook carries ------------------------------------------------------------------

def test_the_code_cells_carry_nncores_source_as_it_is_now():
    nb = notebook.build(nncore.TrainConfig())
    assert inspect.getsource(nncore.model.MLP) in cell_of(nb, "model.MLP").source
    # what the loop reaches through a module of nncore ('health.gradient_norms') loses the prefix; nothing else changes
    prefixes = "|".join(module("training").nncore_modules)
    loop = re.sub(rf"\b({prefixes})\.(\w)", r"\2", inspect.getsource(nncore.training.run_epoch))
    assert loop in cell_of(nb, "training.run_epoch").source
    assert inspect.getsource(nncore.data.Standardizer) in cell_of(nb, "data.Standardizer").source
    carried = notebook.sources(nb)
    for name in ("functions.ACTIVATIONS", "model.MLP", "model.Ensemble", "optim.SGD", "optim.Momentum",
                 "optim.Adam", "data.split", "data.Standardizer", "training.run_epoch", "training.train"):
        assert name in carried
    assert len(carried) == len(set(carried))  # each definition once
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    assert "from ." not in code and "import nncore" not in code  # nothing of ours to import


def test_the_settings_cell_lists_every_setting_of_the_run_with_its_value():
    config = nncore.TrainConfig(hidden=96, lr=0.02, optimizer="momentum", schedule="cosine")
    settings = next(cell.source for cell in notebook.build(config).cells if cell.source.startswith("settings = dict("))
    for f in fields(nncore.TrainConfig):
        assert f"    {f.name}={getattr(config, f.name)!r}," in settings


def test_module_prefixes_are_dropped_and_a_name_two_modules_define_gets_its_modules_prefix():
    bundle = Bundle([("training", "train")])
    # train uses augment's DEFAULTS and training's training_rows directly, the others only through them
    assert bundle.names[("imaging.augment", "DEFAULTS")] == "DEFAULTS"
    assert bundle.names[("imaging.digitize", "DEFAULTS")] == "digitize_DEFAULTS"
    assert bundle.names[("training", "training_rows")] == "training_rows"
    assert bundle.names[("imaging.augment", "training_rows")] == "augment_training_rows"
    assert bundle.names[("data", "split")] == "split"
    train = bundle.text(("training", "train"))
    assert "augmentation=DEFAULTS" in train
    rows = bundle.text(("training", "prepare_rows"))
    assert "val = split(config.seed" in rows and "data.split(" not in rows
    assert bundle.text(("imaging.digitize", "DEFAULTS")).startswith("digitize_DEFAULTS = DigitizeSettings()")
    assert "X_fit, y_fit = augment_training_rows(config.seed" in bundle.text(("training", "training_rows"))
    assert "digitization: DigitizeSettings = digitize_DEFAULTS" in bundle.text(("imaging.augment", "AugmentSettings"))


def test_a_name_only_imported_by_a_module_is_taken_from_where_it_is_defined():
    bundle = Bundle([("training", "train")])
    assert ("health", "HEALTH_KEYS") in bundle.order and ("result", "HEALTH_KEYS") not in bundle.order


def test_a_name_nncore_does_not_define_is_refused_with_its_name():
    with pytest.raises(SourceError, match="nncore.model has no top-level definition of 'nope'"):
        definition(("model", "nope"))


def test_the_exercise_blanks_each_gradient_line_with_its_formula_and_keeps_the_rest():
    reference = cell_of(notebook.build(nncore.TrainConfig()), "model.MLP").source
    blanked = cell_of(notebook.build(nncore.TrainConfig(), exercise=True), "model.MLP").source
    for name in ("dlogits", "dW2", "db2", "dH", "dZ1", "dW1", "db1"):
        assert f"{name} = ...  # {notebook.FORMULAS[name]}" in blanked
    assert "db1 = dZ1.sum(axis=0)" in reference and "dZ1.sum(axis=0)" not in blanked
    assert "dW1 += ...  # + l2 W1" in blanked
    assert len(blanked.splitlines()) == len(reference.splitlines())
    assert "def forward" in blanked and "Z1 = X @ self.W1 + self.b1" in blanked


def test_the_exercise_is_refused_when_a_gradient_line_is_missing():
    source = inspect.getsource(nncore.model.MLP)
    assert notebook.blank_gradients(source)  # all there: blanked
    with pytest.raises(SourceError, match="no line computing db1"):
        notebook.blank_gradients(source.replace("db1 = dZ1.sum(axis=0)", "bias_grad = dZ1.sum(axis=0)"))


def test_a_run_stopped_by_hand_is_said_to_differ_and_a_completed_one_is_not():
    config = nncore.TrainConfig(epochs=3)
    completed = nncore.train(config)
    stopped = nncore.train(config, callback=lambda stats: stats.epoch == 2)
    assert "stopped by hand" not in notebook.build(config, completed).cells[0].source
    assert "stopped by hand after epoch 2; this notebook trains all 3 epochs" in notebook.build(config,
                                                                                              stopped).cells[0].source


def test_a_notebook_without_a_run_only_prints_its_own_ending():
    last = notebook.build(nncore.TrainConfig()).cells[-1].source
    assert "made_from" not in last and "exactly" in last


def test_a_file_name_is_made_of_the_runs_name():
    assert notebook.file_name(nncore.TrainConfig()) == "digits-h64-lr0.1-b64-e30-s0.ipynb"
    assert notebook.file_name(nncore.TrainConfig(l2=0.001), exercise=True).endswith("-l2-0.001-exercise.ipynb")


# --- main.py notebook ----------------------------------------------------------------------------

def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_main_notebook_writes_the_notebook_of_the_training_flags(tmp_path):
    done = cli("notebook", "--out", str(tmp_path / "run.ipynb"), "--hidden", "32", "--optimizer", "adam",
               "--lr", "0.01", "--exercise")
    assert done.returncode == 0, done.stderr
    nb = nbformat.read(tmp_path / "run.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.nncore == {"run": nncore.TrainConfig(hidden=32, optimizer="adam", lr=0.01).name,
                                  "exercise": True}


def test_main_notebook_of_a_saved_run_says_what_that_run_scored(tmp_path):
    result = nncore.train(nncore.TrainConfig(epochs=2, hidden=16))
    nncore.save(result, tmp_path / "w.npz")
    done = cli("notebook", "--weights", str(tmp_path / "w.npz"), "--out", str(tmp_path / "w.ipynb"))
    assert done.returncode == 0, done.stderr
    last = nbformat.read(tmp_path / "w.ipynb", as_version=4).cells[-1].source
    assert f"made_from = dict(best_epoch={result.best_epoch}, test_accuracy={result.test_accuracy!r})" in last


@pytest.mark.parametrize("args, status, message", [
    (["--weights", "w.npz", "--hidden", "32"], 2, "give either --weights or training flags, not both"),
    (["--weights", "missing.npz"], 1, "cannot read missing.npz"),
    (["--out", "."], 2, "is a folder"),
    (["--hidden", "0"], 2, "outside 1 to 2048"),
])
def test_main_notebook_bad_input_is_one_line_without_traceback(tmp_path, args, status, message):
    done = cli("notebook", *args, cwd=tmp_path)
    assert done.returncode == status and message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.ipynb"))
