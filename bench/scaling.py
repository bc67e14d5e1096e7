"""Scaling with the network's size and the batch, and the two latencies a user feels at once.

* seconds per epoch (the training pass and the validation pass after it, as the progress
  callback reports them) for hidden 16/64/256/1024 at batch 64 and batch 16/64/256/full at
  hidden 64, all other settings default; the configs are interleaved across repetitions;
* ``TrainResult.predict_proba`` of one raw 8x8 row;
* an uploaded 1000x1000 PNG (bytes in memory, as Streamlit's uploader hands them over) turned
  into a prediction: ``nncore.image_to_digit`` then ``predict_proba``.
"""

import io

import numpy as np
from PIL import Image, ImageDraw
from timing import Timing, per_call

import nncore
from nncore import data

HIDDEN = (16, 64, 256, 1024)
BATCHES = (16, 64, 256, "full")


def grid():
    """The scaling configs as (label, axis, value, TrainConfig); 'full' is the whole training split."""
    n_train = len(data.split(0).train)
    found = []
    for hidden in HIDDEN:
        found.append((f"hidden {hidden}, batch 64", "hidden", hidden, nncore.TrainConfig(hidden=hidden, epochs=6)))
    for batch in BATCHES:
        size = n_train if batch == "full" else batch
        found.append((f"hidden 64, batch {batch}" + (f" ({n_train})" if batch == "full" else ""), "batch", size,
                      nncore.TrainConfig(batch=size, epochs=6)))
    return found


def seconds_per_epoch(configs, repeats):
    """{label: Timing of the epochs}: each config trained ``repeats`` times, interleaved; the first
    epoch of each run (buffers warming up) is left out."""
    epochs = {label: [] for label, *_ in configs}
    for r in range(repeats):
        for label, _, _, config in configs[r % len(configs):] + configs[:r % len(configs)]:
            seen = []
            nncore.train(config, callback=lambda stats, seen=seen: seen.append(stats.seconds) and False)
            epochs[label].extend(seen[1:])
    return {label: Timing(tuple(s)) for label, s in epochs.items()}


def upload_png(side=1000):
    """PNG bytes of a dark, thick, hand-drawn-looking 3 on a white side x side canvas."""
    picture = Image.new("RGB", (side, side), "white")
    pen = ImageDraw.Draw(picture)
    width = side // 14
    pen.arc((side * 0.30, side * 0.12, side * 0.70, side * 0.50), 200, 450, fill=(20, 20, 30), width=width)
    pen.arc((side * 0.28, side * 0.46, side * 0.72, side * 0.88), 270, 520, fill=(20, 20, 30), width=width)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def latencies(result, repeats):
    """{name: Timing of one call}: single-row predict_proba and PNG upload to prediction."""
    X_test, _ = data.test_set(0)
    row = X_test[:1]
    png = upload_png()
    found = {
        "predict_proba, one 8x8 row": per_call(lambda: result.predict_proba(row), 2000, repeats),
        "1000x1000 PNG upload -> prediction": per_call(
            lambda: result.predict_proba(nncore.image_to_digit(png)), 10, repeats),
        "  of which PNG decoding (Pillow)": per_call(lambda: Image.open(io.BytesIO(png)).load(), 10, repeats),
    }
    found["upload prediction"] = int(np.argmax(result.predict_proba(nncore.image_to_digit(png))))
    found["png bytes"] = len(png)
    return found
