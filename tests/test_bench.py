"""bench/: the results file keeps what other scripts wrote; the handwriting benchmark reads the
development set as uploads, says where it looked when the set is missing, and its ablation
measures real changes."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import nncore
from nncore.imaging import augment

ROOT = Path(__file__).resolve().parents[1]


def script(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def handwriting():
    return script("handwriting")


def test_a_section_of_the_results_file_is_replaced_and_the_rest_kept(tmp_path):
    report = script("report")
    path = tmp_path / "RESULTS.md"
    report.replace_section(path, "bench/run.py", "run")
    report.replace_section(path, "bench/handwriting.py", "first")
    path.write_text(path.read_text() + "\nwritten by hand\n")
    report.replace_section(path, "bench/handwriting.py", "second")
    text = path.read_text()
    assert text.startswith("# Benchmark results\n") and "run" in text and "written by hand" in text
    assert "second" in text and "first" not in text
    assert text.count("<!-- begin: bench/handwriting.py") == 1


def test_a_missing_development_set_is_reported_with_the_folder_looked_in(handwriting, tmp_path):
    with pytest.raises(SystemExit, match=str(tmp_path)):
        handwriting.load_dev(tmp_path)


def test_uploads_are_pngs_read_by_image_to_digit_with_the_variants_image_path(handwriting):
    row = np.zeros(784, dtype=np.uint8)
    row.reshape(28, 28)[4:24, 12:14] = 255
    payload = handwriting.as_png(row)
    assert payload.startswith(b"\x89PNG")
    thin = handwriting.image(min_mass=0.0).digitization
    assert np.array_equal(handwriting.uploads(row[None])[0], nncore.image_to_digit(payload))
    assert np.array_equal(handwriting.uploads(row[None], thin)[0], nncore.image_to_digit(payload, thin))
    assert not np.array_equal(handwriting.uploads(row[None], thin), handwriting.uploads(row[None]))


def test_every_ablation_row_changes_something_of_the_preset(handwriting):
    for label, changes, augmentation in handwriting.ABLATIONS:
        preset = nncore.handwriting_config()
        assert any(getattr(preset, k) != v for k, v in changes.items()) or augmentation != augment.DEFAULTS, label


@pytest.mark.parametrize("seconds", [0.31, 3.2, 35, 250, 720, 7500])
def test_the_load_test_reads_back_every_duration_the_app_writes(seconds):
    """A sweep of the load test that took over a minute said '4 min 10 s', which the test once could
    not read (every sweep session then failed)."""
    from nncore.lab.cost import duration
    from support.sessions import seconds_said

    said = seconds_said(f"Finished: 4 of 4 runs in {duration(seconds)} on 1 thread of the server.")
    assert said == pytest.approx(seconds, rel=0.05, abs=1)  # duration() rounds: 250 s is '4 min 10 s'
