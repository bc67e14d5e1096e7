"""Data augmentation: new training digits that look like the ones people draw and upload.

Each Digits sample is upsampled to a 24x24 ink image, its strokes made thinner or thicker,
rotated, slanted and stretched on a larger canvas, and reduced back to 8x8 by the very path
uploads take (``nncore.digitize``: crop, frame, thicken, count), with the frame's zoom and
centre jittered the way a stray mark or a loose crop moves an upload's. Every random draw
comes from the Generator passed in, and how far each distortion goes from an AugmentSettings
passed in; the work is done on whole batches with NumPy. What each distortion is worth on
handwriting the network never trains on is in bench/RESULTS.md.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import data, digitize

SOURCE = 24          # side of the upsampled Digits image (3 pixels per Digits cell)
CANVAS = 36          # side of the canvas it is transformed onto (room for rotation and stretch)
CHUNK = 128          # digits taken through at once: their arrays stay in the CPU's cache


@dataclass(frozen=True)
class AugmentSettings:
    """How far each distortion may go, either way, with the values measured best as defaults.

    ``rotation``: degrees; ``slant``: horizontal shear (handwriting leans); ``aspect``: log of
    the width/height stretch; ``zoom``: relative change of the frame's fill; ``shift``: frame
    pixels the digit moves off centre, each axis; ``thickness``: how far the ink level that
    becomes the stroke's edge moves from 0.5; ``digitization``: the DigitizeSettings of the
    image path that reduces the distorted digits to 8x8, the uploads' own. Raises ConfigError
    naming a setting out of its range."""

    rotation: float = 20.0
    slant: float = 0.25
    aspect: float = 0.25
    zoom: float = 0.1
    shift: float = 3.0
    thickness: float = 0.1
    digitization: digitize.DigitizeSettings = digitize.DEFAULTS

    def __post_init__(self):
        digitize.check_ranges(self, {"rotation": (0.0, 180.0), "slant": (0.0, 2.0), "aspect": (0.0, 1.0),
                                     "zoom": (0.0, 1.0), "shift": (0.0, 8.0), "thickness": (0.0, 0.25)})


DEFAULTS = AugmentSettings()


def _upsampling(n_in=8, n_out=SOURCE):
    """(n_out, n_in) bilinear interpolation matrix between pixel centres, edges clamped."""
    centres = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    weights = np.maximum(0.0, 1.0 - np.abs(centres[:, None] - np.arange(n_in)[None, :]))
    return weights / weights.sum(axis=1, keepdims=True)


def upsample(X):
    """(n, SOURCE, SOURCE) float32 ink images in 0..1 of Digits rows X (n, 64) in 0..16 (bilinear)."""
    U = _upsampling().astype(np.float32)
    return U @ (np.asarray(X, dtype=np.float32).reshape(-1, 8, 8) / 16) @ U.T


def _restroke(images, level):
    """Strokes thinned (level > 0.5) or thickened (level < 0.5): a soft threshold of blurry
    ink images (n, H, W) at each image's ``level`` (n,), 0.25 wide, back to 0..1."""
    return np.clip((images - level[:, None, None].astype(images.dtype)) / 0.25 + 0.5, 0.0, 1.0)


def _warp(images, matrices):
    """float32 images (n, S, S) drawn onto (n, CANVAS, CANVAS) canvases through the 2x2
    ``matrices`` (n, 2, 2) about the centres, with bilinear sampling (each canvas pixel looks
    up where it comes from: the inverse matrix); outside the source is background."""
    n, side = images.shape[0], images.shape[1]
    width = side + 2                                                       # a ring of background
    flat = np.pad(images, ((0, 0), (1, 1), (1, 1))).reshape(-1)
    grid = np.arange(CANVAS, dtype=np.float32) + 0.5 - CANVAS / 2          # canvas centre at 0
    inverse = np.linalg.inv(matrices).astype(np.float32)[:, :, :, None, None]
    # Where each canvas pixel (row i, column j) comes from, in padded-array coordinates where
    # pixel k's centre is k + 1; an affine map is the sum of a row part and a column part.
    y = inverse[:, 0, 0] * grid[:, None] + (inverse[:, 0, 1] * grid + (side / 2 + 0.5))  # (n, C, C)
    x = inverse[:, 1, 0] * grid[:, None] + (inverse[:, 1, 1] * grid + (side / 2 + 0.5))
    np.clip(y, 0, side + 1 - 1e-3, out=y)                                  # outside: the ring
    np.clip(x, 0, side + 1 - 1e-3, out=x)
    row, col = np.floor(y), np.floor(x)
    y -= row
    x -= col                                                               # now the fractions
    row *= width
    row += col
    index = row.astype(np.intp)                                            # of the top-left pixel
    index += (np.arange(n) * width * width)[:, None, None]                 # in image k of the batch
    # bilinear: across the top and the bottom pair, then down between them; flat[k:][index]
    # is the pixel k places after flat[index] (k = 1: right, width: below)
    top = _lerp(flat[index], flat[1:][index], x)
    bottom = _lerp(flat[width:][index], flat[width + 1:][index], x)
    return _lerp(top, bottom, y)


def _lerp(a, b, t):
    """a + t * (b - a), computed in the memory of ``a`` and ``b`` (both are overwritten)."""
    b -= a
    b *= t
    a += b
    return a


def _random_matrices(rng, n, settings):
    """(n, 2, 2) random rotation @ slant @ stretch matrices acting on (y, x) coordinates."""
    angle = np.deg2rad(rng.uniform(-settings.rotation, settings.rotation, n))
    slant = rng.uniform(-settings.slant, settings.slant, n)
    stretch = np.exp(rng.uniform(-settings.aspect, settings.aspect, n))
    cos, sin = np.cos(angle), np.sin(angle)
    rotate = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], axis=1)
    shear = np.zeros((n, 2, 2))
    shear[:, 0, 0] = shear[:, 1, 1] = 1.0
    shear[:, 1, 0] = slant                                                  # x moves with y
    scale = np.zeros((n, 2, 2))
    scale[:, 0, 0], scale[:, 1, 1] = 1.0 / np.sqrt(stretch), np.sqrt(stretch)
    return rotate @ shear @ scale


def distort(X, rng, settings=DEFAULTS):
    """One random distortion of each Digits row X (n, 64) in 0..16, drawn from ``rng`` (a
    numpy Generator) within ``settings`` (an AugmentSettings): returns (n, 64) float64 rows in
    0..16, made by the uploads' path."""
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    levels = 0.5 + rng.uniform(-settings.thickness, settings.thickness, n)
    matrices = _random_matrices(rng, n, settings)
    zoom = np.exp(rng.uniform(-settings.zoom, settings.zoom, n))
    shift = rng.uniform(-settings.shift, settings.shift, (n, 2))
    out = np.empty((n, 64))
    for start in range(0, n, CHUNK):
        part = slice(start, start + CHUNK)
        canvas = _warp(_restroke(upsample(X[part]), levels[part]), matrices[part])
        out[part] = digitize.ink_to_samples(canvas, zoom[part], shift[part], settings.digitization)
    return out


def augmented(X, y, copies, rng, settings=DEFAULTS):
    """The rows X (n, 64) and labels y (n,) followed by ``copies`` distorted copies of each
    (within ``settings``, an AugmentSettings): returns (X, y) with n * (1 + copies) rows.
    ``rng`` is a numpy Generator (or a seed)."""
    rng = np.random.default_rng(rng)
    X = np.asarray(X, dtype=np.float64)
    if copies <= 0:
        return X, np.asarray(y)
    new = distort(np.tile(X, (copies, 1)), rng, settings)
    return np.concatenate([X, new]), np.concatenate([y] * (1 + copies))


@lru_cache(maxsize=4)
def training_rows(seed, val_share, copies, settings=DEFAULTS, train_share=1.0):
    """(X, y): the rows a training run of ``seed``, ``val_share``, ``augment=copies`` and
    ``train_share`` trains on -- its training rows (``data.training_indices``) followed by
    ``copies`` distorted copies of them (``augmented``, drawn from the stream ``[seed, 1]``), with
    their true labels. Read-only arrays, built once and kept for the last few (seed, val_share,
    copies, settings, train_share), so runs that differ only in the network's settings share them."""
    X, y = data.digits()
    train = data.training_indices(seed, val_share, train_share)
    X_fit, y_fit = augmented(X[train], y[train], copies, np.random.default_rng([seed, 1]), settings)
    X_fit.flags.writeable = False
    y_fit.flags.writeable = False
    return X_fit, y_fit

