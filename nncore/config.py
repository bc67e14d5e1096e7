"""TrainConfig: every setting of a training run, validated once, at construction.

The config is the run's identity: it is the cache key of the app, the run's name, the URL's
query parameters, the command line's flags and what is saved with the weights.
"""

import math
import numbers
from dataclasses import asdict, dataclass, fields

from .errors import ConfigError

# name -> (type, lowest, highest, help); both ends are allowed.
BOUNDS = {
    "epochs": (int, 1, 500, "passes over the training split"),
    "hidden": (int, 1, 2048, "units in the hidden ReLU layer"),
    "lr": (float, 1e-5, 100.0, "SGD learning rate (step size); large values make training diverge"),
    "batch": (int, 1, 4096, "examples per SGD step (larger than the split = full batch)"),
    "seed": (int, 0, 2**31 - 1, "seeds the weights, the shuffling and the validation split"),
    "val_share": (float, 0.05, 0.5, "share of all digits held out for validation"),
    "augment": (int, 0, 20, "distorted copies of each training digit (rotated, slanted, stretched, "
                            "thinner or thicker) added to training; helps with drawn and uploaded digits; 0 = off"),
    "ensemble": (int, 1, 5, "networks trained side by side (each with its own initial weights and shuffling) "
                            "whose softmax outputs are averaged; steadier on new handwriting, N times the training"),
}


def check_setting(name, value):
    """``value`` converted to setting ``name``'s type; raises ConfigError if it is out of bounds."""
    kind, low, high, _ = BOUNDS[name]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be a number, got {value!r}")
    try:
        as_float = float(value)
    except OverflowError:  # an int beyond float's range: certainly out of bounds
        raise ConfigError(f"{name} must be in [{low:g}, {high:g}], got a number far outside it") from None
    if kind is int:
        if not math.isfinite(as_float) or as_float != int(as_float):
            raise ConfigError(f"{name} must be a whole number between {low} and {high}, got {value!r}")
        value = int(value)
    else:
        value = as_float
        if not math.isfinite(value):
            raise ConfigError(f"{name} must be a finite number, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be in [{low:g}, {high:g}], got {value!r}")
    return value


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run; raises ConfigError naming the setting and its range."""

    epochs: int = 30
    hidden: int = 64
    lr: float = 0.1
    batch: int = 64
    seed: int = 0
    val_share: float = 0.2
    augment: int = 0
    ensemble: int = 1

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, check_setting(f.name, getattr(self, f.name)))

    @property
    def name(self):
        """Short human name of the run, e.g. 'h64 lr0.1 b64 e30 s0'."""
        text = f"h{self.hidden} lr{self.lr:g} b{self.batch} e{self.epochs} s{self.seed}"
        if self.val_share != 0.2:
            text += f" v{self.val_share:g}"
        if self.augment:
            text += f" a{self.augment}"
        if self.ensemble > 1:
            text += f" n{self.ensemble}"
        return text

    def to_dict(self):
        """Plain dict of the settings (JSON-safe)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Build from a dict; unknown keys are refused, missing keys take their defaults."""
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(map(str, unknown)))}")
        return cls(**values)

    @classmethod
    def clamped(cls, values, base=None):
        """Lenient construction for untrusted text (URL query parameters).

        Each value is parsed as a number and clamped to its bounds; a value that is not a
        number, or NaN, falls back to ``base``'s (or the default). Returns (config, notes), where
        notes are sentences saying what was changed.
        """
        base = base or cls()
        result, notes = base.to_dict(), []
        for name, raw in values.items():
            if name not in BOUNDS:
                continue
            kind, low, high, _ = BOUNDS[name]
            try:
                number = float(raw)
            except (TypeError, ValueError):
                notes.append(f"ignored {name}={raw!r}: not a number")
                continue
            if not math.isfinite(number):
                notes.append(f"ignored {name}={raw!r}: not a finite number")
                continue
            if kind is int:
                number = int(round(number))
            fixed = min(max(number, low), high)
            if fixed != number:
                notes.append(f"{name}={raw} is outside [{low:g}, {high:g}]; used {fixed:g}")
            result[name] = kind(fixed)
        return cls(**result), notes


def handwriting_config():
    """The preset for digits people draw or upload: a TrainConfig with 10 distorted copies of
    each training digit, a 256-unit hidden layer, 30 epochs, and 3 such networks averaged.
    Measured with ``python bench/handwriting.py`` (see bench/RESULTS.md): far better on new
    handwriting taken through ``image_to_digit`` than the default, as good on the Digits test
    split, a few seconds to train."""
    return TrainConfig(epochs=30, hidden=256, augment=10, ensemble=3)
