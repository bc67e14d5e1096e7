"""docs/how-it-learns.md stays true: the lines it quotes are in the code, the lines of the
network's passes are all quoted, and its figure's script trains nncore.train's network and
measures what the doc says."""

import ast
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

import nncore

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "how-it-learns.md"
# `nncore/<file>.py`: `<a line of that file>`
QUOTE = re.compile(r"`(nncore/\w+\.py)`: `([^`]+)`")


def squeeze(text):
    return re.sub(r"\s+", "", text)


def quotes():
    """[(file, quoted line)] of the doc."""
    return QUOTE.findall(DOC.read_text())


@pytest.fixture(scope="module")
def figure():
    spec = importlib.util.spec_from_file_location("standardization_figure",
                                                  ROOT / "scripts" / "standardization_figure.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_doc_quotes_many_lines_of_the_code():
    assert len(quotes()) >= 40
    assert {path for path, _ in quotes()} >= {"nncore/model.py", "nncore/functions.py", "nncore/optim.py",
                                              "nncore/training.py", "nncore/data.py"}


@pytest.mark.parametrize("path, line", quotes())
def test_every_quoted_line_is_in_its_file(path, line):
    lines = [squeeze(text) for text in (ROOT / path).read_text().splitlines()]
    assert any(squeeze(line) in text for text in lines), f"{path} no longer has: {line}"


def computing_statements():
    """The source of every statement of MLP.forward, backward and backprop that computes a value
    (an assignment whose right side holds arithmetic or a call), without its comment."""
    source = (ROOT / "nncore" / "model.py").read_text()
    mlp = next(node for node in ast.parse(source).body if isinstance(node, ast.ClassDef) and node.name == "MLP")
    found = []
    for function in mlp.body:
        if isinstance(function, ast.FunctionDef) and function.name in ("forward", "backward", "backprop"):
            for node in ast.walk(function):
                if isinstance(node, ast.Assign | ast.AugAssign) and any(
                        isinstance(part, ast.BinOp | ast.UnaryOp | ast.Call) for part in ast.walk(node.value)):
                    found.append(ast.get_source_segment(source, node))
    return found


def test_every_line_of_the_passes_is_quoted():
    statements = computing_statements()
    assert len(statements) >= 15
    quoted = [squeeze(line) for path, line in quotes() if path == "nncore/model.py"]
    missing = [s for s in statements if not any(squeeze(s) in q for q in quoted)]
    assert not missing, f"docs/how-it-learns.md does not derive: {missing}"


def test_the_doc_shows_the_figure_and_the_command_that_makes_it(figure):
    text = DOC.read_text()
    assert "](standardization.svg)" in text
    assert "python scripts/standardization_figure.py" in text
    assert figure.FIGURE.exists() and figure.FIGURE.read_text().startswith("<svg")


def test_the_standardized_run_is_nncore_train_step_for_step(figure):
    """The script trains with nncore.train itself (scaling), so its runs are the library's runs; the
    comparison allows for the last digits a BLAS may change, and the script has no loop of its own."""
    config = nncore.TrainConfig(epochs=3)
    ours, library = figure.train_run(config).history, nncore.train(config).history
    assert set(ours) == set(library)
    for key in ours:
        assert np.allclose(ours[key], library[key], rtol=1e-5, atol=1e-7), key
    source = (ROOT / "scripts" / "standardization_figure.py").read_text()
    assert "run_epoch" not in source and "nncore.train(config)" in source


def test_the_tables_in_the_doc_are_the_ones_the_script_measures_now(figure):
    assert figure.curve_table(figure.curves()) in DOC.read_text()


def test_raw_pixels_start_with_a_large_loss_and_standardized_ones_near_ln_10(figure):
    raw = figure.train_run(figure.scaled(False, epochs=1))
    standardized = figure.train_run(figure.scaled(True, epochs=1))
    assert raw.start[0] > 5
    assert 2 < standardized.start[0] < 3
    assert raw.row_norm2 > 50 * standardized.row_norm2


def test_a_step_that_suits_standardized_pixels_kills_the_relus_on_raw_ones(figure):
    raw = figure.train_run(figure.scaled(False, epochs=3, lr=0.3))
    standardized = figure.train_run(figure.scaled(True, epochs=3, lr=0.3))
    assert raw.dead_units > 0.9 and raw.history["val_acc"][-1] < 0.3
    assert standardized.dead_units == 0 and standardized.history["val_acc"][-1] > 0.9


def test_the_figure_has_a_line_per_run_and_two_for_the_sweep(figure):
    runs = figure.curves(epochs=2)
    svg = figure.figure_svg(runs, figure.sweep(lrs=(0.01, 0.1), seeds=(0,), epochs=2), lrs=(0.01, 0.1),
                             seeds=(0,))
    assert svg.count("<polyline") == 2 * len(runs) + 2
    assert all(run.label in svg for run in runs)
