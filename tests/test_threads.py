"""nncore/lab/threads.py: every BLAS the process has loaded runs on one thread inside
single_threaded_blas(), including one loaded after the first training (SciPy's own, with t-SNE)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import json
from threadpoolctl import threadpool_info
from nncore.lab.threads import single_threaded_blas
with single_threaded_blas():  # a first training, before SciPy is imported
    pass
import sklearn.manifold  # noqa: F401  (loads SciPy's BLAS)
def blas():
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
with single_threaded_blas():
    inside = blas()
print(json.dumps({"inside": inside, "after": blas()}))
"""


def test_a_blas_loaded_after_the_first_training_is_limited_too_and_given_back():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={"OPENBLAS_NUM_THREADS": "2", "PATH": "/usr/bin:/bin"}, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(seen["inside"]) >= 2, "NumPy's and SciPy's BLAS are both loaded"  # else this test proves nothing
    assert set(seen["inside"]) == {1}, seen
    assert set(seen["after"]) == {2}, seen  # each given back its 2 threads
