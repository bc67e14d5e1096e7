"""Killing the program during a save leaves the old weights file or the new one, never half of one;
the temporary file a killed save leaves is removed by a later save."""

import os
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
    result = nncore.load(sys.argv[2])
    print("ready", flush=True)
    while True:
        nncore.save(result, sys.argv[1])
""")
ATTEMPTS = 8


def temporaries(folder):
    return {path.name for path in folder.iterdir() if path.name.endswith(".tmp")}


def kill_while_saving(path, source, rng, when):
    """Start a process saving ``source`` to ``path`` over and over and SIGKILL it: after a random
    pause (``when`` = "random") or as soon as one of its temporary files exists ("temporary")."""
    child = subprocess.Popen([sys.executable, "-c", SAVER, str(path), str(source)], stdout=subprocess.PIPE,
                             text=True, cwd=ROOT)
    before = temporaries(path.parent)
    assert child.stdout.readline().strip() == "ready"
    if when == "random":
        time.sleep(float(rng.uniform(0.0, 0.01)))
    else:
        give_up = time.monotonic() + 30  # not a timing assertion: only keeps a broken save from hanging the test
        while not temporaries(path.parent) - before and time.monotonic() < give_up:
            pass
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    return temporaries(path.parent) - before


def test_killing_a_save_in_progress_never_leaves_a_broken_file(tmp_path):
    folder, sources = tmp_path / "runs", tmp_path / "sources"
    folder.mkdir()
    sources.mkdir()
    path, source = folder / "weights.npz", sources / "new.npz"
    # A big run (hidden 2048, about 600 KB) makes each save long enough to be killed half way.
    nncore.save(nncore.train(nncore.TrainConfig(epochs=1, hidden=2048, seed=1)), path)
    nncore.save(nncore.train(nncore.TrainConfig(epochs=1, hidden=2048, seed=2)), source)
    rng = np.random.default_rng(0)
    mid_write = 0
    for attempt in range(ATTEMPTS):
        left = kill_while_saving(path, source, rng, "random" if attempt % 2 else "temporary")
        loaded = nncore.load(path)  # raises if the file were half-written
        assert loaded.config.seed in (1, 2), f"attempt {attempt}: neither the old file nor the new one"
        assert all(name.startswith(".weights.npz.") for name in left), left
        mid_write += bool(left)  # a temporary file left: killed between its creation and the rename
    assert mid_write >= 1, "no kill landed while a save was writing"

    # The next save removes what killed saves left, once they are older than a save in progress can be.
    leftovers = temporaries(folder)
    assert len(leftovers) == mid_write
    an_hour_ago = time.time() - 3600
    for name in leftovers:
        os.utime(folder / name, (an_hour_ago, an_hour_ago))
    nncore.save(nncore.load(source), path)
    assert temporaries(folder) == set() and nncore.load(path).config.seed == 2
