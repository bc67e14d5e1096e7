"""main.py: the command line, end to end through a subprocess."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nncore
from tests.archives import damaged, zipped

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_train_then_predict_end_to_end(tmp_path):
    out = tmp_path / "w.npz"
    trained = cli("--epochs", "30", "--hidden", "64", "--lr", "0.1", "--batch", "64", "--out", str(out))
    assert trained.returncode == 0, trained.stderr
    lines = trained.stdout.splitlines()
    assert sum(line.startswith("epoch ") for line in lines) == 30
    summary = next(line for line in lines if "test_acc" in line)
    assert float(summary.split("test_acc")[1].split()[0]) >= 0.95
    assert out.exists()
    predicted = cli("predict", "--weights", str(out))
    assert predicted.returncode == 0, predicted.stderr
    assert float(predicted.stdout.split("test accuracy")[1].split()[0]) >= 0.95


def test_default_output_path_is_printed(tmp_path):
    done = cli("--epochs", "1", cwd=tmp_path)
    assert done.returncode == 0
    assert "runs/best.npz" in done.stdout and (tmp_path / "runs" / "best.npz").exists()


@pytest.mark.parametrize("args", [
    ["--epochs", "0"], ["--hidden", "0"], ["--lr", "0"], ["--lr", "-1"], ["--batch", "0"],
    ["--epochs", "abc"], ["--lr", "nan"], ["--epochs", "1000000000"], ["--hidden", "10000000"],
    ["--scaling", "minmax"], ["--train-share", "0.01"], ["--label-noise", "0.6"],
])
def test_out_of_range_arguments_exit_2_with_one_line(args):
    done = cli(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "error" in done.stderr


def test_predict_on_a_bad_file_says_so_without_traceback(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not weights")
    done = cli("predict", "--weights", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr and "not a saved run" in done.stderr


@pytest.mark.parametrize("out", ["", "{tmp}", "{tmp}/a-file/w.npz", "/proc/w.npz"],
                         ids=["empty", "a-folder", "under-a-file", "unwritable"])
def test_an_out_that_cannot_be_saved_to_exits_2_with_one_line_before_training(tmp_path, out):
    (tmp_path / "a-file").write_text("not a folder")
    done = cli("--epochs", "1", "--out", out.format(tmp=tmp_path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "--out" in done.stderr and not done.stdout  # nothing trained, nothing lost


def special_file(tmp_path, kind):
    """A private device node (a copy of /dev/null's: char 1,3; needs root, as the attack did) or a
    named pipe in tmp_path; never the real /dev/null."""
    path = tmp_path / kind
    if kind == "fakenull":
        if subprocess.run(["mknod", "-m", "666", str(path), "c", "1", "3"], capture_output=True).returncode:
            pytest.skip("mknod needs root")
        assert stat.S_ISCHR(path.stat().st_mode)
    else:
        os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["fakenull", "fifo"])
def test_an_out_that_is_a_device_or_a_pipe_is_refused_in_one_line_before_training(tmp_path, kind):
    """The save's rename turned the device node into a regular file."""
    path = special_file(tmp_path, kind)
    before = path.lstat()
    done = cli("--epochs", "1", "--hidden", "8", "--out", str(path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "not a regular file" in done.stderr and not done.stdout  # nothing trained
    after = path.lstat()
    assert (after.st_mode, after.st_ino, after.st_rdev) == (before.st_mode, before.st_ino, before.st_rdev)


def test_an_out_that_is_a_regular_file_or_a_link_to_one_is_replaced(tmp_path):
    """The other side of the rule above: an existing file is what --out is for."""
    (tmp_path / "old.npz").write_text("old")
    os.symlink(tmp_path / "old.npz", tmp_path / "link.npz")
    for name in ("old.npz", "link.npz"):
        done = cli("--epochs", "1", "--hidden", "8", "--out", str(tmp_path / name))
        assert done.returncode == 0, done.stderr
        assert (tmp_path / name).is_file() and (tmp_path / name).stat().st_size > 1000


@pytest.mark.parametrize("out", ["", "{tmp}", "{tmp}/a-file/sweep.csv", "/proc/sweep.csv"],
                         ids=["empty", "a-folder", "under-a-file", "unwritable"])
def test_a_sweep_out_that_cannot_be_written_exits_2_with_one_line_before_training(tmp_path, out):
    (tmp_path / "a-file").write_text("not a folder")
    done = cli("sweep", "--epochs", "1", "--hidden", "8", "--out", out.format(tmp=tmp_path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "--out" in done.stderr and not done.stdout  # nothing trained, nothing lost


def test_predict_on_a_file_with_a_corrupt_lzma_entry_says_so_without_traceback(tmp_path):
    out = tmp_path / "w.npz"
    assert cli("--epochs", "1", "--hidden", "8", "--out", str(out)).returncode == 0
    with np.load(out) as saved:
        entries = {name: saved[name] for name in saved.files}
    bad = tmp_path / "bad.npz"
    bad.write_bytes(damaged(zipped(entries, "lzma"), "W1.npy"))
    done = cli("predict", "--weights", str(bad))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "cannot be decompressed" in done.stderr


def test_the_new_settings_have_flags_and_reach_the_saved_run(tmp_path):
    out = tmp_path / "w.npz"
    done = cli("--epochs", "2", "--scaling", "divide", "--train-share", "0.5", "--label-noise", "0.2",
               "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "scaling=divide train0.5 noise0.2" in done.stdout
    config = nncore.load(out).config
    assert (config.scaling, config.train_share, config.label_noise) == ("divide", 0.5, 0.2)
