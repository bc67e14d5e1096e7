"""Chart data about one digit in a run: its path through a network, and the tables of the
forward and backward walkthrough. The numbers come from ``nncore.lab.inside``; this module picks
and arranges them (largest entries, representative units) and keeps them per run (``memo``)."""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.server.memo import per_result
from nncore.lab import inside as inspect

SIGNIFICANT = 3  # significant digits of every number the walkthrough shows
SMALLEST = 1e-6  # the smallest size written out in decimals: below it, 2.97e-09
FINEST = 16  # decimals a float64 near 1 can tell apart


def _places(value, significant):
    """Decimal places that show ``significant`` significant digits of ``value`` (0 for 0)."""
    return 0 if value == 0 else max(0, significant - 1 - math.floor(math.log10(abs(value))))


def shown(value, significant=SIGNIFICANT, plus=False):
    """``value`` as the walkthrough writes it, in its tables and its sentences: ``significant``
    significant digits of the value and of its distance to the nearest whole number, trailing
    zeros dropped (with ``plus``, a + before a positive value). A probability of 0.99997 reads
    0.99997, not 1, so that P - onehot(y) = -0.00003 can be checked by eye; a number smaller than
    SMALLEST reads in scientific notation. Returns a str."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    whole = round(value)
    places = min(max(_places(value, significant), _places(value - whole, significant)), FINEST)
    if 0 < abs(value) < SMALLEST:
        text = f"{value:.{significant}g}"
    else:
        text = f"{value:.{places}f}"
        text = text.rstrip("0").rstrip(".") if "." in text else text
        text = "0" if text == "-0" else text
    return ("+" if plus and value > 0 else "") + text


def shown_apart(first, second, significant=SIGNIFICANT):
    """Two numbers that are compared (a loss before and after a step), each written by ``shown``
    with the digits that keep ``significant`` significant digits of their difference too: a loss
    that falls from 0.0000047425 to 0.0000047412 does not read as staying at 0.00000474. Returns
    two str."""
    first, second = float(first), float(second)
    size, change = max(abs(first), abs(second)), abs(first - second)
    more = math.floor(math.log10(size)) - math.floor(math.log10(change)) if change > 0 else 0
    return shown(first, significant + more), shown(second, significant + more)


def styled(table):
    """A walkthrough table (a DataFrame) for st.dataframe: its values kept, its float columns
    written by ``shown``. Returns a pandas Styler."""
    floats = [name for name in table.columns if pd.api.types.is_float_dtype(table[name])]
    return table.style.format(shown, subset=floats)


def top_units(values, count=8):
    """Positions of the ``count`` largest |values|, largest first (a unit pushing up or down)."""
    return np.argsort(-np.abs(values), kind="stable")[:count]


def entries(array, count=6):
    """The ``count`` entries of ``array`` largest in size, as a table: their position and value."""
    array = np.atleast_2d(array)
    flat = np.argsort(-np.abs(array).ravel(), kind="stable")[:count]
    rows, columns = np.unravel_index(flat, array.shape)
    return pd.DataFrame({"row": rows, "column": columns, "value": array[rows, columns]})


@dataclass(frozen=True)
class DigitPath:
    """One raw digit through network ``index`` of a run: its standardized input X (64,), hidden
    activations H (hidden,), the network's logits (10,) and prediction, each unit's contribution
    to that prediction's logit (hidden,) with the logit's bias, the units that contributed most;
    and the run's probabilities (10,) (averaged over its networks), prediction, second guess and
    saliency map for its prediction (64,)."""

    X: np.ndarray
    H: np.ndarray
    logits: np.ndarray
    network_predicted: int
    contributions: np.ndarray
    b2: float
    top_units: np.ndarray
    probs: np.ndarray
    predicted: int
    runner_up: int
    saliency: np.ndarray
    activation: str = "relu"

    @property
    def active(self):
        """How many hidden units fire: their weighted sum Z1 is above 0 (FIRE_LEVEL)."""
        return int(np.count_nonzero(self.H > FIRE_LEVEL[self.activation]))


def digit_path(result, pixels, index=0, top=8, per_std=False):
    """The DigitPath of raw ``pixels`` (64,) through network ``index`` of ``result`` (kept weights);
    its saliency per raw pixel, or with ``per_std`` per standard deviation of each pixel."""
    model, _ = inspect.network(result, None, index)
    X = result.standardizer(np.reshape(pixels, (1, -1)))
    trace = inspect.forward(model, X)
    network_predicted = int(np.argmax(trace["logits"][0]))
    contributions = inspect.contributions(model, X[0], network_predicted)
    probs = result.predict_proba(np.reshape(pixels, (1, -1)))[0]
    first, second = np.argsort(-probs, kind="stable")[:2]
    return DigitPath(X[0], trace["H"][0], trace["logits"][0], network_predicted, contributions,
                     float(model.b2[network_predicted]), top_units(contributions, top), probs, int(first), int(second),
                     inspect.saliency(result, pixels, int(first), per_std), result.config.activation)


def saliency(result, pixels, digit, per_std=False):
    """nncore.lab.inside.saliency of raw ``pixels`` for ``digit``, kept per run."""
    pixels = np.asarray(pixels, dtype=float)
    return per_result(result, ("saliency", int(digit), per_std, hash(pixels.tobytes())),
                      lambda: inspect.saliency(result, pixels, int(digit), per_std))


def walkthrough(result, pixels, label, index=0):
    """nncore.lab.inside.walkthrough of raw ``pixels`` with ``label`` in network ``index`` (kept weights),
    kept per run."""
    pixels = np.asarray(pixels, dtype=float)
    key = ("walkthrough", int(label), index, hash(pixels.tobytes()))
    return per_result(result, key, lambda: inspect.walkthrough(result, pixels, label, None, index), keep=4)


SHOWN_UNITS = 128  # a (64, hidden) heatmap draws at most this many units: 64 x 2048 numbers weigh megabytes


def first_units(array, name, axis=1):
    """A weight-shaped array cut to its first SHOWN_UNITS hidden units (along ``axis``: 1 for W1's
    (64, hidden), 0 for W2's (hidden, 10)) for drawing, and its title: its name and full shape,
    and which units are drawn when not all are."""
    array = np.asarray(array)
    title = f"{name} ({' × '.join(str(n) for n in array.shape)})"
    if array.shape[axis] <= SHOWN_UNITS:
        return array, title
    return np.take(array, np.arange(SHOWN_UNITS), axis=axis), f"{title}: units 0–{SHOWN_UNITS - 1}"


def column(array, j):
    """Column ``j`` of a (64, hidden) array: one unit's 64 input weights (or their gradient or change)."""
    return np.asarray(array)[:, j]


def pixel_table(walk, count=6):
    """The ``count`` most inked pixels of a walkthrough: their raw value, mean, std and standardized X."""
    raw = walk["raw"][0]
    pixels = np.argsort(-raw, kind="stable")[:count]
    return pd.DataFrame({"pixel": pixels, "x (raw)": raw[pixels], "mean μ": walk["mean"][pixels],
                         "std σ": walk["std"][pixels], "X": walk["X"][0, pixels]})


# A unit "fires" when its weighted sum Z1 is above 0, which is where its activation passes f(0).
FIRE_LEVEL = {"relu": 0.0, "leaky_relu": 0.0, "tanh": 0.0, "sigmoid": 0.5}
# What firing means, what a unit that did not fire gets back (dW2 = H^T dlogits), and what the
# activation lets back into the hidden layer (dZ1 = dH f'(Z1)), per activation.
FIRE_WORDS = {
    "relu": "fire (weighted sum Z1 above 0, so activation above 0; the others output exactly 0)",
    "leaky_relu": "fire (weighted sum Z1 above 0; the others pass on 1% of their negative sum)",
    "tanh": "have a positive weighted sum (Z1 above 0, activation between 0 and 1; the others output a negative "
            "value, not silence)",
    "sigmoid": "have a positive weighted sum (Z1 above 0, activation above 0.5; every sigmoid unit outputs "
               "something between 0 and 1)",
}
BLAME_WORDS = {
    "relu": "units that did not fire (H = 0) get no blame.",
    "leaky_relu": "units that did not fire get only a sliver of blame (their H is 1% of a negative sum).",
    "tanh": "units near H = 0 get little blame, and a negative activation turns the change the other way.",
    "sigmoid": "every sigmoid unit outputs between 0 and 1, so every vote gets some blame, in proportion to H.",
}
PASS_WORDS = {
    "relu": "which passes it only where the unit fired (f′ = 1) and blocks it everywhere else (f′ = 0).",
    "leaky_relu": "which passes it fully where the unit fired and at 1% where it did not.",
    "tanh": "which passes it most where Z1 is near 0 (f′ = 1) and hardly at all where the unit is saturated near ±1.",
    "sigmoid": "which passes at most a quarter of it (f′ = 0.25 at Z1 = 0) and hardly any where the unit is "
               "saturated near 0 or 1.",
}


def active_units(walk):
    """How many hidden units fire (Z1 > 0) in a walkthrough."""
    return int(np.count_nonzero(walk["Z1"] > 0))


def busiest_unit(walk):
    """The hidden unit with the largest |dZ1|: the one whose input weights change most."""
    return int(np.argmax(np.abs(walk["dZ1"][0])))


def unit_table(walk, names, by="Z1", count=8):
    """Representative hidden units of a walkthrough: the ``count`` with the largest |``by``|, with
    their values of the (1, hidden) arrays ``names``."""
    units = top_units(walk[by][0], count)
    return pd.DataFrame({"unit": units, **{name: walk[name][0, units] for name in names}})


def class_table(walk, names):
    """The 10 digits with their values of the (1, 10) arrays ``names`` (logits, P, onehot, ...)."""
    return pd.DataFrame({"digit": np.arange(10), **{name: walk[name][0] for name in names}})
