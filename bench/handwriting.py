"""Handwriting benchmark (issue 6): how well the network reads digits people draw and upload.

    python bench/handwriting.py              # default config vs the handwriting preset
    python bench/handwriting.py --ablation   # also: what each choice of the preset is worth

For the default config and ``nncore.handwriting_config()``, trained on seeds 0-4: accuracy on
the Digits test split, and accuracy on the handwriting development set (500 MNIST digits by
people outside Digits, in ../shared/data/, see its README) taken through
``nncore.image_to_digit`` exactly as an upload: each 28x28 row encoded as a PNG file and its
bytes passed in. The set is only measured, never trained on. Prints Markdown tables and writes
them into bench/RESULTS.md between this script's own markers (other sections are kept).
"""

import argparse
import io
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]  # nncore and the bench/ modules, run from anywhere

from report import replace_section, table  # noqa: E402

import nncore  # noqa: E402
from nncore.imaging import augment, digitize  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "RESULTS.md"
SEEDS = (0, 1, 2, 3, 4)
ABLATION_SEEDS = (0, 1, 2)



def image(**changes):
    """The preset's augmentation with a variant of the image path: uploads are read with it and
    the training copies reduced through it."""
    return replace(augment.DEFAULTS, digitization=replace(digitize.DEFAULTS, **changes))


def distortion(**changes):
    """A variant of the preset's distortions."""
    return replace(augment.DEFAULTS, **changes)


# (what is changed, TrainConfig changes, AugmentSettings): each row of the ablation changes one
# choice of the preset back, the rest stays as shipped.
ABLATIONS = [
    ("frame 32x32, aspect kept (no squeeze)", {}, image(fit=(32, 32), squeeze=1.0)),
    ("frame 32x24 instead of 32x20", {}, image(fit=(32, 24))),
    ("wide digits shrunk, not squeezed", {}, image(squeeze=1.0)),
    ("no stroke thickening", {}, image(min_mass=0.0)),
    ("thickened to 260 (Digits' 5th percentile), not 313", {}, image(min_mass=260.0)),
    ("no augmentation (augment=0)", {"augment": 0}, augment.DEFAULTS),
    ("augment=5 instead of 10", {"augment": 5}, augment.DEFAULTS),
    ("augment=20 instead of 10", {"augment": 20}, augment.DEFAULTS),
    ("no rotation", {}, distortion(rotation=0.0)),
    ("no slant", {}, distortion(slant=0.0)),
    ("no aspect stretch", {}, distortion(aspect=0.0)),
    ("no zoom jitter", {}, distortion(zoom=0.0)),
    ("no shift jitter", {}, distortion(shift=0.0)),
    ("no stroke-thickness change", {}, distortion(thickness=0.0)),
    ("stroke-thickness change 0.2 instead of 0.1", {}, distortion(thickness=0.2)),
    ("hidden 64 instead of 256", {"hidden": 64}, augment.DEFAULTS),
    ("one network instead of 3 averaged (ensemble=1)", {"ensemble": 1}, augment.DEFAULTS),
    ("one network of 60 epochs instead of 3 of 20", {"ensemble": 1, "epochs": 60}, augment.DEFAULTS),
    ("30 epochs instead of 20", {"epochs": 30}, augment.DEFAULTS),
]


def load_dev(folder=DATA):
    """(rows, labels): the development set's (500, 784) uint8 rows and (500,) int labels.
    Exits with a sentence saying where the set was looked for when it is not there."""
    image, labels = folder / "handwriting-dev.png", folder / "handwriting-dev-labels.txt"
    if not image.is_file() or not labels.is_file():
        sys.exit(f"bench/handwriting.py: the handwriting development set is not there: expected "
                 f"{image.name} and {labels.name} in {folder} (../shared/data/ next to the project)")
    rows = np.asarray(Image.open(image).convert("L"), dtype=np.uint8)
    y = np.array(labels.read_text().split(), dtype=np.int64)
    if rows.shape[1] != 784 or len(rows) != len(y):
        sys.exit(f"bench/handwriting.py: {image} should hold one 28x28 digit per row, one label each; "
                 f"got {rows.shape} pixels and {len(y)} labels")
    return rows, y


def as_png(row):
    """The bytes of a PNG file of one 28x28 row, as a visitor would upload it."""
    buffer = io.BytesIO()
    Image.fromarray(row.reshape(28, 28)).save(buffer, format="PNG")
    return buffer.getvalue()


def uploads(rows, settings=digitize.DEFAULTS):
    """(n, 64) samples of the rows taken through ``nncore.image_to_digit`` (with ``settings``, a
    digitize.DigitizeSettings) as uploaded PNGs."""
    return np.stack([nncore.image_to_digit(as_png(row), settings) for row in rows])


def naive(rows):
    """(n, 64) samples of the rows cropped to their ink and resized to 8x8, nothing else: the
    'naive crop-and-resize' the issue compares with."""
    samples = []
    for row in rows:
        picture = Image.fromarray(row.reshape(28, 28))
        box = picture.getbbox() or (0, 0, 28, 28)
        small = picture.crop(box).resize((8, 8), Image.Resampling.BOX)
        samples.append(np.asarray(small, dtype=np.float64).reshape(64) / 255 * 16)
    return np.stack(samples)


def measure(config, seeds, samples, y, augmentation=augment.DEFAULTS):
    """Per seed: (Digits test accuracy, dev accuracy, training seconds, dev predictions). Each run
    builds its distorted copies (none kept from an earlier run), as a new seed in the app does."""
    runs = []
    for seed in seeds:
        augment.training_rows.cache_clear()
        run = nncore.train(replace(config, seed=seed), augmentation=augmentation)
        predicted = run.predict(samples)
        runs.append((run.test_accuracy, float((predicted == y).mean()), run.seconds, predicted))
    return runs


def summary(runs):
    """'seed 0' and 'mean [min-max]' of Digits test accuracy, dev accuracy and seconds."""
    cells = []
    for k in range(3):
        values = [run[k] for run in runs]
        fmt = "{:.2f}" if k == 2 else "{:.3f}"
        cells.append(fmt.format(values[0]))
        cells.append(f"{fmt.format(statistics.mean(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]")
    return cells


def confusion(y, predicted):
    """The 10x10 confusion matrix (rows: true digit, columns: predicted) as a Markdown table."""
    counts = np.zeros((10, 10), dtype=int)
    np.add.at(counts, (y, predicted), 1)
    rows = [[f"**{t}**", *counts[t], f"{counts[t, t] / max(counts[t].sum(), 1):.0%}"] for t in range(10)]
    return table(["true \\ predicted", *map(str, range(10)), "recall"], rows)


def augmentation_seconds(config, repeats=5):
    """Median seconds (of ``repeats``) that ``augment.augmented`` takes to build the distorted
    copies of ``config``'s training split, uncached: the preset's largest cost before its epochs."""
    X, y = nncore.digits()
    train = nncore.split(config.seed, config.val_share).train
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        augment.augmented(X[train], y[train], config.augment, np.random.default_rng([config.seed, 1]))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main_tables(rows, y):
    default, preset = nncore.TrainConfig(), nncore.handwriting_config()
    started = time.perf_counter()
    samples = uploads(rows)
    per_upload_ms = (time.perf_counter() - started) / len(rows) * 1e3
    results = {"default": measure(default, SEEDS, samples, y), "preset": measure(preset, SEEDS, samples, y)}
    baseline = measure(default, SEEDS[:1], naive(rows), y)[0]
    n_train = len(nncore.split(preset.seed, preset.val_share).train)
    header = ["config", "settings", "Digits test, seed 0", "Digits test, seeds 0-4", "dev (upload path), seed 0",
              "dev (upload path), seeds 0-4", "training s, seed 0", "training s, seeds 0-4"]
    body = [["default", f"`{default.name}`", *summary(results["default"])],
            ["preset `handwriting_config()`", f"`{preset.name}`", *summary(results["preset"])]]
    text = [f"500 digits of `../shared/data/handwriting-dev.png`, each encoded as a PNG and read by "
            f"`nncore.image_to_digit` ({per_upload_ms:.2f} ms per upload); accuracy = share of the 500 "
            f"predicted right. For scale: the default config on the rows naively cropped to their ink and "
            f"resized to 8x8 (aspect not kept, nothing else) gets {baseline[1]:.3f} (seed 0).", "",
            table(header, body), "",
            f"Preset targets: dev >= 0.80 (seed 0: {results['preset'][0][1]:.3f}), Digits test >= 0.96 (seed 0: "
            f"{results['preset'][0][0]:.3f}), training < 2 s (seed 0: {results['preset'][0][2]:.2f} s). Of its "
            f"training, building the {preset.augment} distorted copies of the {n_train:,} training digits takes "
            f"{augmentation_seconds(preset):.2f} s (seed 0, median of 5).", "",
            "Confusion matrix of the preset (seed 0) on the development set:", "",
            confusion(y, results["preset"][0][3])]
    return "\n".join(text)


def ablation_table(rows, y):
    preset = nncore.handwriting_config()
    samples = {}  # the 500 uploads read with each image path

    def row(label, changes, augmentation):
        digitization = augmentation.digitization
        if digitization not in samples:
            samples[digitization] = uploads(rows, digitization)
        runs = measure(replace(preset, **changes), ABLATION_SEEDS, samples[digitization], y, augmentation)
        test, dev = (statistics.mean(run[k] for run in runs) for k in (0, 1))
        print(f"  {label}: dev {dev:.3f}", flush=True)
        return test, dev, statistics.median(run[2] for run in runs)

    base = row("the preset as shipped", {}, augment.DEFAULTS)
    lines = [["the preset as shipped", f"{base[0]:.3f}", f"{base[1]:.3f}", "", f"{base[2]:.2f}"]]
    for label, changes, augmentation in ABLATIONS:
        test, dev, seconds = row(label, changes, augmentation)
        lines.append([label, f"{test:.3f}", f"{dev:.3f}", f"{(base[1] - dev) * 100:+.1f}", f"{seconds:.2f}"])
    return "\n".join([
        f"Each row changes one choice of the preset back (image path: a `digitize.DigitizeSettings` variant, "
        f"used for the uploads and the training copies alike; distortions: an `augment.AugmentSettings` variant; "
        f"the rest: `handwriting_config()`), retrains on seeds {ABLATION_SEEDS[0]}-{ABLATION_SEEDS[-1]} and "
        f"re-reads the 500 uploads. 'worth' = the preset's dev accuracy minus the row's, in points (positive: "
        f"the choice helps). With 500 digits one digit is 0.2 points and seed-to-seed spread is about 1-2 "
        f"points, so differences under ~1.5 points are noise. Training s: median over the seeds, building the "
        f"distorted copies included.", "",
        table(["change from the preset", "Digits test, mean", "dev, mean", "worth (points)", "training s"], lines)])


def _load():
    """'; load average at the end: ...' (the machine is shared: training seconds vary with it)."""
    return "; load average at the end: " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None):
    parser = argparse.ArgumentParser(prog="bench/handwriting.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--ablation", action="store_true", help="also measure what each choice is worth (minutes)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results file (default bench/RESULTS.md)")
    parser.add_argument("--data", type=Path, default=DATA, help="development set folder (default ../shared/data)")
    args = parser.parse_args(argv)
    rows, y = load_dev(args.data)
    text = main_tables(rows, y)
    print(text, flush=True)
    replace_section(args.out, "bench/handwriting.py", "## Handwriting: digits people draw and upload (issue 6)\n\n"
                    f"Written by `python bench/handwriting.py`{_load()}.\n\n{text}")
    if args.ablation:
        print("\nablation:", flush=True)
        text = ablation_table(rows, y)
        print(text)
        replace_section(args.out, "bench/handwriting.py --ablation", "### What each choice is worth\n\n"
                        f"Written by `python bench/handwriting.py --ablation`{_load()}.\n\n{text}")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
