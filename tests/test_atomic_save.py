"""Killing the program during a save leaves the old weights file or the new one, never half of one."""

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

import nncore

ROOT = Path(__file__).resolve().parents[1]

SAVER = textwrap.dedent("""
    import sys
    import nncore
    # A big run (hidden 2048) makes each save long enough to be killed half way.
    result = nncore.train(nncore.TrainConfig(epochs=1, hidden=2048, seed=int(sys.argv[2])))
    print("ready", flush=True)
    while True:
        nncore.save(result, sys.argv[1])
""")


def test_killing_a_save_in_progress_never_leaves_a_broken_file(tmp_path):
    path = tmp_path / "weights.npz"
    old = nncore.train(nncore.TrainConfig(epochs=1, hidden=2048, seed=1))
    nncore.save(old, path)
    rng = np.random.default_rng(0)
    for attempt in range(6):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(path), "2"], stdout=subprocess.PIPE, text=True,
                                 cwd=ROOT)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.0, 0.05)))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        loaded = nncore.load(path)  # raises if the file were half-written
        assert loaded.config.seed in (1, 2), f"attempt {attempt}: neither the old file nor the new one"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "weights.npz"]
    assert all(name.startswith(".tmp-") for name in leftovers)  # only a killed save's own temp file
