"""From an ink map to a Digits sample, the way scikit-learn's Digits were made.

Digits (UCI optdigits) are 32x32 bitmaps of scanned handwriting reduced to 8x8 counts of ink
in 4x4 blocks. Measured on Digits itself: the ink spans the full height of the frame and
about 6 of the 8 block columns, centred, and covers about 30% of the 1,024 pixels (313 on
average, 5th-95th percentile 261-368), whatever the digit. So an ink map is cropped to its
bounding box; scaled to the frame's full height and at most 20 of its 32 pixels wide (aspect
kept, except that a wider digit is squeezed rather than shrunk); centred; its strokes
thickened when they carry less ink than Digits' average; binarised and counted in 4x4 blocks.
Each choice was measured on handwriting the network never trains on (bench/RESULTS.md); the
tunable ones are a DigitizeSettings passed in, today's choices by default.

Everything works on a batch (n, H, W) of ink maps (ink 1, background 0) with plain NumPy, so
an upload (n = 1) and thousands of augmented training digits take the very same path.
"""

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError

FRAME = 32          # side of the Digits bitmap
BLOCK = 4           # 32 / 8: each sample pixel counts the ink of a 4x4 block


@dataclass(frozen=True)
class DigitizeSettings:
    """The image path's tunable choices, with the values measured best as defaults.

    ``fit``: (height, width) of the box the ink's bounding box is scaled to fit; ``squeeze``:
    how many times narrower than its aspect ratio a too-wide digit may be made; ``ink_level``:
    a map pixel is ink (for the bounding box) above this share of full ink; ``min_mass``: frame
    pixels of ink the strokes are thickened to (Digits' mean; 0 = no thickening);
    ``max_dilations``: 3x3 dilations allowed to reach it; ``binarise``: frame level above which
    a pixel counts as ink (Digits counts on/off pixels). Raises ConfigError naming a setting
    out of its range."""

    fit: tuple = (32, 20)
    squeeze: float = 3.0
    ink_level: float = 0.3
    min_mass: float = 313.0
    max_dilations: int = 4
    binarise: float = 0.5

    def __post_init__(self):
        if len(self.fit) != 2 or not all(0 < side <= FRAME for side in self.fit):
            raise ConfigError(f"fit must be (height, width), each in (0, {FRAME}], got {self.fit!r}")
        check_ranges(self, {"squeeze": (1.0, math.inf), "ink_level": (0.0, 1.0), "min_mass": (0.0, FRAME * FRAME),
                            "max_dilations": (1, FRAME), "binarise": (0.0, 1.0)})


def check_ranges(settings, ranges):
    """Raises ConfigError naming the first field of ``settings`` outside its (low, high) in
    ``ranges`` (both ends allowed)."""
    for name, (low, high) in ranges.items():
        value = getattr(settings, name)
        if not low <= value <= high:
            raise ConfigError(f"{name} must be in [{low:g}, {high:g}], got {value!r}")


DEFAULTS = DigitizeSettings()


def bounding_boxes(ink, level):
    """(n, 4) int array of top, bottom, left, right (bottom and right exclusive) of the pixels of
    ``ink`` (n, H, W) above ``level``, and an (n,) bool array saying which maps have any."""
    mask = ink > level
    rows, cols = mask.any(axis=2), mask.any(axis=1)        # (n, H), (n, W)
    H, W = ink.shape[1:]
    boxes = np.stack([rows.argmax(axis=1), H - rows[:, ::-1].argmax(axis=1),
                      cols.argmax(axis=1), W - cols[:, ::-1].argmax(axis=1)], axis=1)
    return boxes, rows.any(axis=1)


def _resampling(start, stop, scale, offset, n_in, dtype, n_out=FRAME):
    """(n, n_out, n_in) weights of ``dtype`` mapping source pixels [start, stop) to output
    pixels, with the source pixel ``start`` landing at output coordinate ``offset`` and
    ``scale`` output pixels per source pixel. A triangle filter widened on downscaling (as
    Pillow's bilinear resize), so thin strokes are averaged, not skipped; source pixels outside
    [start, stop) count as background, as if the map had been cropped there."""
    out_centres = np.arange(n_out) + 0.5                                      # (n_out,)
    src = start[:, None] + (out_centres[None, :] - offset[:, None]) / scale[:, None]  # (n, n_out)
    radius = np.maximum(1.0, 1.0 / scale).astype(dtype)[:, None, None]
    centres = np.arange(n_in, dtype=dtype) + 0.5
    weights = np.abs(centres[None, None, :] - src[:, :, None].astype(dtype))  # (n, n_out, n_in)
    weights /= radius
    np.subtract(1.0, weights, out=weights)
    np.maximum(weights, 0.0, out=weights)
    total = weights.sum(axis=2, keepdims=True)
    total[total == 0] = 1.0                                                   # rows of 0 stay 0
    weights /= total
    inside = (centres[None, :] >= start[:, None]) & (centres[None, :] < stop[:, None])  # (n, n_in)
    weights *= inside[:, None, :]
    return weights


def frame(ink, zoom=None, shift=None, settings=DEFAULTS):
    """The 32x32 frames (n, 32, 32), values 0..1, of ink maps ``ink`` (n, H, W): each map's ink
    (above ``settings.ink_level``) cropped to its bounding box, scaled to fit ``settings.fit`` =
    (height, width), and centred. The aspect ratio is kept, except that a digit too wide for the
    frame is squeezed (up to ``settings.squeeze`` times) rather than shrunk, as in Digits, whose
    ink always spans the full height. A map without ink gives an empty frame. Computed in
    float32 for float32 maps (augmentation's thousands), in float64 otherwise (uploads).

    Augmentation (not uploads) may pass ``zoom`` (n,), a factor on each fitted size, and
    ``shift`` (n, 2), frame pixels (down, right) to move each digit off centre."""
    ink = np.asarray(ink)
    dtype = np.float32 if ink.dtype == np.float32 else np.float64
    ink = ink.astype(dtype, copy=False)
    n = len(ink)
    zoom = np.ones(n) if zoom is None else np.asarray(zoom, dtype=np.float64)
    shift = np.zeros((n, 2)) if shift is None else np.asarray(shift, dtype=np.float64)
    boxes, has_ink = bounding_boxes(ink, settings.ink_level)
    top, bottom, left, right = (boxes[:, i].astype(np.float64) for i in range(4))
    height, width = np.maximum(bottom - top, 1), np.maximum(right - left, 1)
    fit_height, fit_width = settings.fit
    across = np.minimum(fit_height / height, fit_width / width)              # frame px per map px
    down = np.minimum(fit_height / height, across * settings.squeeze)
    across, down = across * zoom, down * zoom
    rows = _resampling(top, bottom, down, (FRAME - height * down) / 2 + shift[:, 0], ink.shape[1], dtype)
    cols = _resampling(left, right, across, (FRAME - width * across) / 2 + shift[:, 1], ink.shape[2], dtype)
    framed = rows @ ink @ cols.transpose(0, 2, 1)                             # (n, 32, 32)
    framed[~has_ink] = 0.0
    return np.clip(framed, 0.0, 1.0, out=framed)


def _dilate(frames):
    """3x3 grey dilation (maximum over each pixel's neighbourhood) of frames (n, 32, 32)."""
    padded = np.pad(frames, ((0, 0), (1, 1), (1, 1)))
    rows = np.maximum(padded[:, :-2], padded[:, 1:-1])
    np.maximum(rows, padded[:, 2:], out=rows)
    out = np.maximum(rows[:, :, :-2], rows[:, :, 1:-1])
    return np.maximum(out, rows[:, :, 2:], out=out)


def thicken(frames, settings=DEFAULTS):
    """Frames whose strokes are thickened until they hold ``settings.min_mass`` pixels of ink.

    Digits were written with a pen, scanned and normalised so that every digit carries about
    the same amount of ink; a digit drawn with a thin line, or a large photo scaled down, has
    far less. Frames are dilated step by step and blended between the last two steps to reach
    it exactly (or stop after ``settings.max_dilations``); frames with enough ink are kept.
    Strokes thinner than a frame pixel were averaged to grey: their contrast is restored first,
    so that each frame's strongest ink is 1. float32 frames stay float32, others are float64."""
    frames = np.asarray(frames)
    frames = frames.astype(np.float32 if frames.dtype == np.float32 else np.float64)  # a copy
    peak = frames.max(axis=(1, 2), keepdims=True)
    np.divide(frames, peak, out=frames, where=peak > 0)
    # Only the frames still short of ink are dilated again: most need one step, few need three.
    thin = np.flatnonzero(frames.sum(axis=(1, 2)) < settings.min_mass)
    low = frames[thin]
    low_mass = low.sum(axis=(1, 2))
    for step in range(1, settings.max_dilations + 1):
        high = _dilate(low)
        high_mass = high.sum(axis=(1, 2))
        done = (high_mass >= settings.min_mass) | (step == settings.max_dilations)  # or as far as allowed
        share = np.divide(settings.min_mass - low_mass[done], high_mass[done] - low_mass[done],
                          out=np.zeros(done.sum(), frames.dtype), where=high_mass[done] > low_mass[done])
        share = np.clip(share, 0, 1)[:, None, None]
        frames[thin[done]] = low[done] + share * (high[done] - low[done])
        thin, low, low_mass = thin[~done], high[~done], high_mass[~done]
    return frames


def counts(frames, settings=DEFAULTS):
    """Digits samples (n, 64) in 0..16 of frames (n, 32, 32): the pixels of each 4x4 block
    above ``settings.binarise``."""
    ink = (np.asarray(frames) > settings.binarise).astype(np.float32)
    # (8, 32): row k adds up pixels 4k to 4k+3, so blocks @ ink @ blocks.T adds up each 4x4 block
    blocks = np.kron(np.eye(FRAME // BLOCK, dtype=np.float32), np.ones(BLOCK, dtype=np.float32))
    return (blocks @ ink @ blocks.T).reshape(len(ink), -1).astype(np.float64)   # whole counts: exact


def framed(ink, zoom=None, shift=None, settings=DEFAULTS):
    """The thickened 32x32 frames (n, 32, 32) of ink maps (n, H, W): ``frame`` then ``thicken``."""
    return thicken(frame(ink, zoom, shift, settings), settings)


def ink_to_samples(ink, zoom=None, shift=None, settings=DEFAULTS):
    """Digits samples (n, 64), float64 in 0..16, of ink maps (n, H, W) with values 0..1: the
    path every upload takes (``zoom`` and ``shift`` as in ``frame``, for augmentation;
    ``settings`` a DigitizeSettings)."""
    return counts(framed(ink, zoom, shift, settings), settings)
