"""Chart data for the views that look inside a run: plain data in, plain data out (no Streamlit).

The numbers about the network come from ``nncore.lab.inside`` (the network's own forward and
backward passes); this module arranges them for charts, adds the statistics the charts need
(PCA projections, calibration bins, confusion counts) and keeps per-run values in ``memo``.
"""

import io
import math
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

import nncore
from app.server.memo import per_result
from nncore.lab import inside as inspect
from nncore.lab.threads import single_threaded_blas
from nncore.training import HISTORY_KEYS

PROJECTIONS = ("PCA", "t-SNE")


def kept_epochs(result):
    """The epochs whose weights the run kept (0 = before training), in order: what a replay can show."""
    return sorted(result.snapshots) or [result.best_epoch]


def unit_order(result, X, index=0):
    """The hidden units of network ``index``, most important first, judged on raw rows X with the
    run's kept weights (one order for every epoch, so a unit keeps its place in a replay)."""
    def compute():
        model, _ = inspect.network(result, None, index)
        return inspect.importance_order(model, result.standardizer(X))
    return per_result(result, ("order", index, len(X)), compute)


@dataclass(frozen=True)
class UnitGrid:
    """Hidden units of one network at one epoch: images (k, 8, 8) of their input weights (W1
    columns), votes (k, 10) (their W2 rows), the unit numbers (k,), the epoch of the weights and
    ``scale``, the colour scale's half range, shared by the run's epochs; ``blank`` (64,) of bool:
    the pixels blank in every training digit, whose weights never learn (None: not marked)."""

    images: np.ndarray
    votes: np.ndarray
    units: np.ndarray
    epoch: int
    scale: float
    blank: np.ndarray = None


def unit_grid(result, epoch, units, index=0):
    """UnitGrid of ``units`` (unit numbers, in the order to draw) of network ``index`` after ``epoch``."""
    def compute():
        model, used = inspect.network(result, epoch, index)
        kept, _ = inspect.network(result, None, index)
        scale = float(np.percentile(np.abs(inspect.unit_images(kept)), 99.5)) or 1.0  # a few outliers saturate
        return UnitGrid(inspect.unit_images(model)[units], model.W2[units], np.asarray(units), used, scale,
                        blank_pixels(result))
    return per_result(result, ("grid", epoch, index, tuple(int(u) for u in units)), compute)


def blank_pixels(result):
    """nncore.lab.inside.blank_pixels of the run, kept per run (an augmented run's rows are rebuilt otherwise)."""
    return per_result(result, ("blank",), lambda: inspect.blank_pixels(result.config))


def blank_text(blank, l2=0.0):
    """Why the grey pixels of the unit images are grey, naming them (``blank``: (64,) bool), or ""."""
    count = int(blank.sum())
    if not count:
        return ""
    names = ", ".join(str(p) for p in np.flatnonzero(blank))
    return (f"Grey: {'pixels' if count > 1 else 'pixel'} {names} (row × 8 + column), blank in every training digit. "
            f"{'Their' if count > 1 else 'Its'} input is 0 for every digit the run learned from, so no gradient "
            f"reaches {'their weights' if count > 1 else 'its weight'} (dW1 = Xᵀ dZ1 is 0 there): "
            + ("they only shrink under L2 from their random start." if l2 else "they keep their random start."))


TOP_ROWS = 6  # the rows that make a unit fire most, kept per unit


def _activity(result, X, y, epoch, index):
    """For every hidden unit of network ``index`` after ``epoch``, over raw rows X with labels y:
    its mean activation per true digit (hidden, 10), and the TOP_ROWS rows that make it fire most
    with those activations (each (TOP_ROWS, hidden)). Kept per run; H itself (n, hidden: megabytes
    for wide layers) is not."""
    def compute():
        H = inspect.hidden_of(result, X, epoch, index)                # (n, hidden)
        response = np.stack([H[y == d].mean(axis=0) if np.any(y == d) else np.zeros(H.shape[1])
                             for d in range(10)], axis=1)
        top = np.argsort(-H, axis=0, kind="stable")[:TOP_ROWS]      # (TOP_ROWS, hidden)
        return response, top, np.take_along_axis(H, top, axis=0)
    return per_result(result, ("activity", epoch, index, X.shape, hash(X.tobytes())), compute)


def unit_response(result, X, y, epoch=None, index=0):
    """(hidden, 10): each hidden unit's mean activation over the raw rows X of each true digit y,
    in network ``index`` after ``epoch`` (None: the kept weights): what a unit fires for."""
    return _activity(result, X, y, epoch, index)[0]


def top_digits(result, X, y, unit, epoch=None, index=0):
    """Positions in X of the TOP_ROWS rows that make ``unit`` fire most, strongest first, with its
    activation on each: (positions, activations)."""
    _, top, values = _activity(result, X, y, epoch, index)
    return top[:, unit], values[:, unit]


def strongest_voters(result, epoch=None, index=0):
    """(10,): for each digit, the hidden unit of network ``index`` after ``epoch`` with the largest
    weight to it."""
    return inspect.strongest_voters(inspect.network(result, epoch, index)[0])


def unit_summary(unit, response, votes):
    """A sentence on one unit: the digit it fires most for (``response``: its mean activation per
    digit) and the digits it votes most for and against (``votes``: its W2 row)."""
    fires, best, worst = int(np.argmax(response)), int(np.argmax(votes)), int(np.argmin(votes))
    return (f"Unit **{unit}** fires most for **{fires}s** (mean activation {response[fires]:.2f}), votes most for "
            f"**{best}** (weight {votes[best]:+.2f}) and most against **{worst}** ({votes[worst]:+.2f}).")


def probabilities_at(result, X, epoch):
    """(probabilities (n, 10), epoch of the weights) of raw rows X after ``epoch``, kept per run."""
    key = ("probs", epoch, X.shape, hash(X.tobytes()))
    return per_result(result, key, lambda: inspect.probabilities_at(result, X, epoch))


@dataclass(frozen=True)
class Frame:
    """One epoch of a replay: the epoch of the weights, the test confusion counts (10, 10) and
    accuracy then, the followed digit's probabilities (10,), the history up to that epoch and how
    far the first network's weights had moved from their start (nncore.lab.inside.drift)."""

    epoch: int
    counts: np.ndarray
    accuracy: float
    digit_probs: np.ndarray
    history: dict
    drift: dict | None = None


def frame(result, evaluation, pixels, epoch):
    """The replay Frame of ``result`` after ``epoch`` on the test rows of ``evaluation`` and one
    digit's raw ``pixels`` (64,)."""
    probs, used = probabilities_at(result, evaluation.X, epoch)
    counts = confusion(evaluation.y, probs.argmax(axis=1))
    digit_probs, _ = probabilities_at(result, np.asarray(pixels, dtype=float)[None], epoch)
    drift = per_result(result, ("drift", used), lambda: inspect.drift(result, used))
    return Frame(used, counts, float(np.trace(counts) / max(counts.sum(), 1)), digit_probs[0],
                 history_until(result.history, used), drift)


def loss_span(history):
    """A fixed (lowest, highest) for a replay's log loss axis: the whole run's losses, with a margin."""
    values = [v for key in ("train_loss", "val_loss") for v in history[key] if np.isfinite(v) and v > 0]
    return (min(values) / 1.5, max(values) * 1.5) if values else (0.01, 3.0)


def confusion(y, predicted):
    """(10, 10) counts: row = true digit, column = predicted digit."""
    return np.bincount(10 * np.asarray(y, dtype=int) + np.asarray(predicted, dtype=int), minlength=100).reshape(10, 10)


def confusion_difference(first, second):
    """``second`` minus ``first`` (both (10, 10) counts): where the second run makes more (positive)
    or fewer (negative) of each mistake, and gets more or fewer of each digit right (diagonal)."""
    return np.asarray(second, dtype=int) - np.asarray(first, dtype=int)


def cell_members(y, predicted, true_digit, predicted_digit):
    """Positions of the rows whose true digit and prediction fall in one confusion-matrix cell."""
    return np.flatnonzero((np.asarray(y) == true_digit) & (np.asarray(predicted) == predicted_digit))


def most_frequent_mistakes(counts):
    """The cells (true, predicted) off the diagonal of (10, 10) ``counts`` that hold the most test
    digits, several when they tie, in reading order; [] when there is no mistake."""
    off = np.asarray(counts) - np.diag(np.diag(counts))
    if off.max() <= 0:
        return []
    return [(int(true), int(predicted)) for true, predicted in np.argwhere(off == off.max())]


COUNT_WORDS = {2: "two", 3: "three"}  # ties this small name the other cells


def cell_sentence(counts, true, predicted):
    """The sentence (markdown) on one cell of (10, 10) ``counts``: how many test digits ``true``
    the network read as ``predicted`` (or correctly), and whether that is the most frequent
    mistake or, when several cells tie, one of them."""
    what = "read correctly" if true == predicted else f"read as {predicted}"
    sentence = f"**{int(counts[true][predicted])}** test {true}s {what}"
    top = most_frequent_mistakes(counts)
    if (true, predicted) not in top:
        return sentence
    if len(top) == 1:
        return sentence + " (the most frequent mistake)"
    others = [f"{t}s read as {p}" for t, p in top if (t, p) != (true, predicted)]
    if len(top) in COUNT_WORDS:
        return sentence + f" (one of the {COUNT_WORDS[len(top)]} most frequent mistakes, with {' and '.join(others)})"
    return sentence + f" (one of the {len(top)} most frequent mistakes, tied at {int(counts[true][predicted])} each)"


def history_until(history, epoch):
    """The first ``epoch`` epochs of a run's history (a dict of lists, as TrainResult.history)."""
    return {key: list(values[:epoch]) for key, values in history.items()}


@dataclass(frozen=True)
class Calibration:
    """Reliability of predicted confidences: per bin of the top probability, its edges (bins + 1,),
    the rows in it (bins,), their mean confidence and their accuracy (NaN for empty bins), and the
    expected calibration error: the row-weighted mean gap |accuracy - confidence| over the bins."""

    edges: np.ndarray
    counts: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    ece: float

    @property
    def mean_confidence(self):
        return float(np.nansum(self.confidence * self.counts) / max(self.counts.sum(), 1))


def calibration(probs, y, bins=10):
    """Calibration of predictions ``probs`` (n, k) against true labels y (n,) in ``bins`` equal bins
    of confidence (the top probability) from 0 to 1 (a confidence of exactly 1 goes in the last)."""
    probs = np.asarray(probs, dtype=float)
    confidence, right = probs.max(axis=1), probs.argmax(axis=1) == np.asarray(y)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, confidence, bins) / counts
        accuracy = np.bincount(which, right.astype(float), bins) / counts
    gaps = np.where(counts > 0, np.abs(accuracy - mean_conf), 0.0)
    return Calibration(edges, counts, mean_conf, accuracy, float(np.sum(gaps * counts) / max(len(y), 1)))


def calibration_table(calibration):
    """The non-empty bins of a Calibration as a table: confidence range, digits, mean confidence, accuracy."""
    c = calibration
    keep = c.counts > 0
    ranges = [f"{low:.0%}–{high:.0%}" for low, high in zip(c.edges[:-1], c.edges[1:], strict=True)]
    return pd.DataFrame({"confidence": np.array(ranges)[keep], "digits": c.counts[keep],
                         "mean confidence": c.confidence[keep], "accuracy": c.accuracy[keep]})


def calibration_verdict(calibration, accuracy):
    """A sentence on the run: over- or under-confident overall, and by how much."""
    gap = accuracy - calibration.mean_confidence
    if abs(gap) < 0.005:
        return f"This run's mean confidence ({calibration.mean_confidence:.1%}) matches its accuracy."
    kind = "under-confident" if gap > 0 else "over-confident"
    return (f"This run is **{kind}** on the whole: it is right on {accuracy:.1%} of the test digits but its mean "
            f"confidence is {calibration.mean_confidence:.1%}.")


def projection(points, method="PCA", seed=0, fit_on=None):
    """2-D coordinates (n, 2) of ``points`` (n, d): PCA (a linear view: the two directions of
    largest spread among ``fit_on``'s rows, default ``points``) or t-SNE (keeps near neighbours
    near; it places only the points it is given, and takes seconds, not milliseconds: on one
    thread, as training, since its threads only wait for a core on a shared server)."""
    from sklearn.decomposition import PCA  # scikit-learn is imported by the pages that project, not by every page
    from sklearn.manifold import TSNE

    points = np.asarray(points, dtype=float)
    if method == "PCA":
        return PCA(n_components=2, random_state=seed).fit(points if fit_on is None else fit_on).transform(points)
    if method == "t-SNE":
        perplexity = tsne_perplexity(len(points))
        with single_threaded_blas(), _single_threaded_openmp():
            return TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed,
                        n_jobs=1).fit_transform(points)
    raise ValueError(f"method must be one of {', '.join(PROJECTIONS)}, got {method!r}")


_openmp_lock, _openmp = threading.Lock(), {"users": 0, "limiter": None}


@contextmanager
def _single_threaded_openmp():
    """OpenMP (t-SNE's gradient) on one thread for the duration; counted, as
    nncore.lab.threads.single_threaded_blas, so overlapping t-SNEs give the threads back only at the end."""
    with _openmp_lock:
        if _openmp["users"] == 0:
            _openmp["limiter"] = threadpool_limits(limits=1, user_api="openmp")
        _openmp["users"] += 1
    try:
        yield
    finally:
        with _openmp_lock:
            _openmp["users"] -= 1
            if _openmp["users"] == 0:
                _openmp["limiter"].restore_original_limits()


TSNE_MIN_POINTS = 50  # fewer, and t-SNE's neighbourhoods (perplexity up to 30) say little
TSNE_PROBE_POINTS = 100  # the t-SNEs timed once per server to fit tsne_seconds


MIN_SECONDS_PER_VALUE = 1e-9


@lru_cache(maxsize=1)
def _tsne_costs():
    """(seconds per n·log n point, seconds per n²·d): t-SNE's iterations grow as n log n, its
    neighbour search and PCA start as n² d. Fitted once per server from two t-SNEs of
    TSNE_PROBE_POINTS points timed in CPU seconds on one thread: digits (64 values) and as many
    points of 2,048 values."""
    n = TSNE_PROBE_POINTS
    X, _ = nncore.digits()
    wide = np.random.default_rng(0).standard_normal((n, 2048))
    seconds = []
    for points in (X[:n], wide):
        started = time.thread_time()
        projection(points, "t-SNE")
        seconds.append(time.thread_time() - started)
    per_point = seconds[0] / (n * math.log(n))
    per_value = max(seconds[1] - seconds[0], 0.0) / (n * n * (2048 - 64))
    # at least the pairwise distances' multiply-adds at 1 per ns on one thread: two timings this
    # close can come out in either order, which would make wider points look free
    return per_point, max(per_value, MIN_SECONDS_PER_VALUE)


def tsne_seconds(points, dims):
    """Estimated seconds of the t-SNE of ``points`` points of ``dims`` values on this server."""
    per_point, per_value = _tsne_costs()
    return per_point * points * math.log(max(points, 2)) + per_value * points * points * dims


def tsne_plan(points, hidden, budget):
    """(points to place, estimated seconds) for the two t-SNE views of a run (``points`` test
    digits: their 64 pixels and their ``hidden`` activations): all of them when that fits in
    ``budget`` seconds, else the most that fit (at least TSNE_MIN_POINTS)."""
    def cost(n):
        return tsne_seconds(n, 64) + tsne_seconds(n, hidden)

    keep = points
    if cost(points) > budget:
        low, high = min(TSNE_MIN_POINTS, points), points  # cost(low) is what is paid at the least
        while low < high:  # the largest n with cost(n) <= budget
            middle = (low + high + 1) // 2
            low, high = (middle, high) if cost(middle) <= budget else (low, middle - 1)
        keep = low
    return keep, cost(keep)


def subsample(count, keep, seed=0):
    """Positions of ``keep`` of ``count`` rows, in order, drawn with ``seed`` (all when keep >= count)."""
    if keep >= count:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, keep, replace=False))


def projections(result, X, method="PCA", index=0, keep=None, turn=nullcontext):
    """{"raw pixels": (n, 2), "hidden layer": (n, 2)}: the projections of raw rows X (or of the
    ``keep`` of them ``subsample`` picks with the run's seed) and of their hidden activations in
    network ``index`` (kept weights), computed once per run. PCA finds its directions on the run's
    training split and places X in them. The computing (not the finding of it computed) happens
    inside ``turn()``: the page passes a turn in the training queue for t-SNE."""
    seed = result.config.seed
    rows = X[subsample(len(X), len(X) if keep is None else keep, seed)]

    def compute():
        X_all, _ = nncore.digits()
        train = X_all[nncore.split(seed, result.config.val_share).train]
        with turn():
            return {"raw pixels": projection(rows, method, seed, train),
                    "hidden layer": projection(inspect.hidden_of(result, rows, None, index), method, seed,
                                               inspect.hidden_of(result, train, None, index))}
    return per_result(result, ("projection", method, index, rows.shape, hash(rows.tobytes())), compute)


def explained_spread(result, index=0):
    """{"raw pixels": share, "hidden layer": share}: the share of the variance of the run's training
    digits (their pixels, their hidden activations in network ``index``) that PCA's two directions
    hold -- how much of the picture a 2-D PCA view shows. Computed once per run."""
    def compute():
        from sklearn.decomposition import PCA

        X_all, _ = nncore.digits()
        train = X_all[nncore.split(result.config.seed, result.config.val_share).train]
        return {name: float(PCA(n_components=2).fit(points).explained_variance_ratio_.sum())
                for name, points in (("raw pixels", train),
                                     ("hidden layer", inspect.hidden_of(result, train, None, index)))}
    return per_result(result, ("spread", index), compute)


def tsne_perplexity(n):
    """The perplexity ``projection`` gives t-SNE for n points."""
    return min(30.0, (n - 1) / 3)


def view_box(xy, share=0.98, margin=0.15):
    """A view of 2-D points that keeps their central ``share`` on each axis (plus ``margin`` of the
    span either side): ((x0, x1), (y0, y1)) and how many points fall outside it."""
    tail = (1 - share) / 2
    low, high = np.quantile(xy, tail, axis=0), np.quantile(xy, 1 - tail, axis=0)
    pad = margin * (high - low)
    low, high = low - pad, high + pad
    outside = int(np.count_nonzero(np.any((xy < low) | (xy > high), axis=1)))
    return ((float(low[0]), float(high[0])), (float(low[1]), float(high[1]))), outside


def separation(xy, y, neighbours=5):
    """How well the digits are separated in a 2-D view: the 5-fold cross-validated accuracy of a
    nearest-neighbour classifier on the coordinates xy (n, 2) with labels y."""
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    return float(cross_val_score(KNeighborsClassifier(neighbours), xy, y, cv=5).mean())


def history_table(runs):
    """The histories of (name, history) pairs as one long table: run, epoch, and HISTORY_KEYS."""
    frames = [pd.DataFrame({"run": name, "epoch": np.arange(1, len(history["val_acc"]) + 1),
                            **{key: history[key] for key in HISTORY_KEYS}}) for name, history in runs]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["run", "epoch", *HISTORY_KEYS])


def csv_bytes(table):
    """A table as UTF-8 CSV bytes (for a download button)."""
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")
