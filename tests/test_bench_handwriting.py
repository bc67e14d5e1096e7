"""bench/handwriting.py: finds the development set or says where it looked; writes only its section."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import nncore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("handwriting_bench", ROOT / "bench" / "handwriting.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_missing_development_set_is_reported_with_the_folder_looked_in(bench, tmp_path):
    with pytest.raises(SystemExit, match=str(tmp_path)):
        bench.load_dev(tmp_path)


def test_the_development_set_is_looked_for_next_to_the_project(bench):
    assert bench.DATA == ROOT.parent / "shared" / "data"


def test_an_upload_is_a_png_read_by_image_to_digit(bench):
    row = np.zeros(784, dtype=np.uint8)
    row.reshape(28, 28)[4:24, 12:16] = 255
    payload = bench.as_png(row)
    assert payload.startswith(b"\x89PNG")
    assert np.array_equal(bench.uploads(row[None])[0], nncore.image_to_digit(payload))


def test_only_this_benchmarks_section_is_replaced(bench, tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\n<!-- begin: bench/run.py -->\nothers\n<!-- end: bench/run.py -->\n")
    bench.replace_section(path, "bench/handwriting.py", "first")
    bench.replace_section(path, "bench/handwriting.py", "second")
    text = path.read_text()
    assert "others" in text and "second" in text and "first" not in text
    assert text.count("<!-- begin: bench/handwriting.py") == 1
