"""TrainConfig: every setting of a training run, validated once, at construction.

The config is the run's identity: it is the cache key of the app, the run's name, the URL's
query parameters, the command line's flags and what is saved with the weights. BOUNDS says,
for each setting, what it may be and what it means; all of those read it.
"""

import math
import numbers
import re
from dataclasses import asdict, dataclass, field, fields

from .errors import ConfigError, shorten


@dataclass(frozen=True)
class Setting:
    """What one setting may be and how it is written for people: numbers of ``kind`` (int or
    float) in [low, high], or one of ``choices`` (kind str). ``label`` names it ('Hidden units'),
    ``help`` says what it does, in a phrase; ``choice_names`` writes each choice for people
    ('adam' -> 'Adam'); ``words`` is a value in a sentence ('{} hidden units', formatted with the
    value or its choice name); ``step`` and ``format`` are its number box's step and format."""

    kind: type
    low: float = None
    high: float = None
    help: str = ""
    choices: tuple = ()
    label: str = ""
    choice_names: dict = field(default_factory=dict, hash=False)
    words: str = "{}"
    step: float = 1
    format: str = None
    percent: bool = False
    term: str = ""

    def choice_name(self, choice):
        """A choice as a person reads it: 'adam' -> 'Adam', 'leaky_relu' -> 'leaky ReLU'."""
        return self.choice_names.get(choice, choice)

    def text(self, value):
        """A value as a person writes it: its choice name ('Adam'), or the number (0.00001, 64)."""
        return self.choice_name(value) if self.choices else number_text(value)

    def describe(self, value):
        """A value of this setting in a phrase: '128 hidden units', 'learning rate 0.05', 'Adam',
        '25% validation' (a ``percent`` setting is written in percent)."""
        return self.words.format(number_text(round(value * 100, 8)) if self.percent else self.text(value))

    def allowed(self):
        """The allowed values in words: '1 to 500', '0.00001 to 100', 'relu, tanh, ...'."""
        if self.choices:
            return ", ".join(self.choices)
        return f"{number_text(self.low)} to {number_text(self.high)}"


def _short(value):
    """A float as short as it can be written and read back exactly: 0.1, 1e-05, 0.123456789."""
    text = f"{value:g}"
    return text if float(text) == value else repr(value)


def number_text(value):
    """A number as a person writes it: 500, 0.1, 0.00001 (never 1e-05), 2147483647."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.10f}".rstrip("0")


# The learning rates each optimizer learns these digits well at, measured: the default network, 30
# epochs, seeds 0-2, over a grid of rates (SGD 0.005-3, momentum 0.001-0.3, Adam 0.0001-0.1); a rate
# is in when every seed reaches test accuracy 0.95 and its lowest validation loss stays within twice
# the best rate's. SGD: 0.955 mean at 0.05, 0.975 at 1, but at 2 seed 0's validation loss is 4x the
# best and at 3 it diverges; momentum 0.9 shifts the range ten times lower (0.2: validation loss 2.2x);
# Adam rescales every step by the gradient's own size (0.03: validation loss 2.3x).
SUGGESTED_LR = {"sgd": (0.05, 1.0), "momentum": (0.005, 0.1), "adam": (0.001, 0.01)}
OPTIMIZER_NAMES = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}  # BOUNDS' choice names


def lr_advice(optimizer, lr):
    """A sentence when learning rate ``lr`` lies outside the range ``optimizer`` learns well at, else None."""
    low, high = SUGGESTED_LR[optimizer]
    name, usual = OPTIMIZER_NAMES[optimizer], f"{number_text(low)}-{number_text(high)}"
    if lr > high:
        return (f"Learning rate {number_text(lr)} is {lr / high:.3g}× the top of what {name} usually learns well at "
                f"({usual}): expect jumpy curves and a validation loss that climbs (or a run that diverges).")
    if lr < low:
        return (f"Learning rate {number_text(lr)} is below what {name} usually learns well at ({usual}): expect "
                "slow learning (more epochs needed).")
    return None


BOUNDS = {
    "epochs": Setting(int, 1, 500, "passes over the training split", label="Epochs", words="{} epochs",
                      term="epoch"),
    "hidden": Setting(int, 1, 2048, "units in the hidden layer", label="Hidden units", words="{} hidden units",
                      step=8, term="hidden unit"),
    "lr": Setting(float, 1e-5, 100.0, "learning rate (step size); " + ", ".join(
        f"{OPTIMIZER_NAMES[name]} learns well at {number_text(low)}-{number_text(high)}"
        for name, (low, high) in SUGGESTED_LR.items()) + "; too large and training diverges",
        label="Learning rate", words="learning rate {}", step=0.01, format="%g", term="learning rate"),
    "batch": Setting(int, 1, 4096, "examples per gradient step (larger than the split = full batch)",
                     label="Batch size", words="batches of {}", step=8, term="batch"),
    "seed": Setting(int, 0, 2**31 - 1, "seeds the weights, the shuffling, the validation and test splits, the "
                                        "training share and the noisy labels", label="Seed", words="seed {}"),
    "val_share": Setting(float, 0.05, 0.5, "share of all digits held out for validation", label="Validation share",
                         words="{}% validation", percent=True, step=0.05, format="%.2f", term="validation split"),
    "augment": Setting(int, 0, 20, "distorted copies of each training digit (rotated, slanted, stretched, "
                                   "thinner or thicker) added to training; helps with drawn and uploaded digits; "
                                   "0 = off", label="Augmented copies", words="{} augmented copies",
                       term="augmentation"),
    "ensemble": Setting(int, 1, 5, "networks trained side by side (each with its own initial weights and "
                                   "shuffling) whose softmax outputs are averaged; steadier on new handwriting, "
                                   "N times the training", label="Averaged networks", words="{} networks averaged",
                        term="ensemble"),
    "activation": Setting(str, help="the hidden layer's nonlinearity f in H = f(X W1 + b1)",
                          choices=("relu", "leaky_relu", "tanh", "sigmoid"), label="Activation",
                          choice_names={"relu": "ReLU", "leaky_relu": "leaky ReLU", "tanh": "tanh",
                                        "sigmoid": "sigmoid"}, words="{} units", term="activation"),
    "optimizer": Setting(str, help="how the gradient moves the weights: plain SGD, SGD with momentum, or Adam "
                                   "(wants a learning rate near 0.001-0.01)",
                         choices=("sgd", "momentum", "adam"), label="Optimizer", choice_names=OPTIMIZER_NAMES,
                         term="optimizer"),
    "momentum": Setting(float, 0.0, 0.999, "share of the previous step kept in the next (momentum optimizer "
                                           "only): v = momentum * v + gradient", label="Momentum",
                        words="momentum {}", step=0.05, format="%g"),
    "l2": Setting(float, 0.0, 1.0, "weight decay: adds l2/2 * (|W1|^2 + |W2|^2) to the loss, pulling weights "
                                   "towards 0; 0.0001-0.01 is typical; 0 = off", label="L2 weight decay",
                  words="L2 {}", step=0.0001, format="%g", term="L2 weight decay"),
    "schedule": Setting(str, help="the learning rate over the epochs: constant, halved every third of the run "
                                  "(step), or falling to 0 along a cosine", choices=("constant", "step", "cosine"),
                        label="Learning-rate schedule", words="{} schedule",
                        choice_names={"constant": "constant", "step": "step", "cosine": "cosine"}),
    "patience": Setting(int, 0, 500, "early stopping: stop when the validation loss has not improved for this "
                                     "many epochs; 0 = off", label="Early-stopping patience",
                        words="early-stopping patience {}", term="early stopping"),
    "scaling": Setting(str, help="how pixels are scaled before the network sees them: standardized per pixel "
                                 "((x - mean) / std over the training rows), divided by 16 (0 to 1), or left raw "
                                 "(0 to 16)", choices=("standardize", "divide", "none"), label="Pixel scaling",
                       choice_names={"standardize": "standardized pixels", "divide": "pixels divided by 16 (0-1)",
                                     "none": "raw pixels (0-16)"}, term="standardization"),
    "train_share": Setting(float, 0.05, 1.0, "share of the training split trained on (a seeded subset with every "
                                             "digit in proportion); validation and test are unchanged; 1 = all",
                           label="Share of training digits used", words="{}% of the training digits",
                           percent=True, step=0.05, format="%.2f"),
    "label_noise": Setting(float, 0.0, 0.5, "share of training labels replaced by a wrong digit before training "
                                            "(seeded); validation and test labels are never changed and every "
                                            "accuracy is against the true labels; 0 = off",
                           label="Share of wrong training labels", words="{}% of training labels wrong",
                           percent=True, step=0.05, format="%.2f", term="overfitting"),
}


def check_setting(name, value):
    """``value`` converted to setting ``name``'s type; raises ConfigError if it is not allowed."""
    setting = BOUNDS[name]
    if setting.choices:
        if not isinstance(value, str) or value not in setting.choices:
            raise ConfigError(f"{name} must be one of {setting.allowed()}, got {shorten(repr(value), 60)}")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be a number, got {shorten(repr(value), 60)}")
    try:
        as_float = float(value)
    except OverflowError:  # an int beyond float's range: certainly out of bounds
        raise ConfigError(f"{name} must be {setting.allowed()}, got a number far outside that") from None
    if setting.kind is int:
        if not math.isfinite(as_float) or as_float != int(as_float):
            raise ConfigError(f"{name} must be a whole number from {setting.allowed()}, got {shorten(repr(value), 60)}")
        value = int(value)
    else:
        value = as_float
        if not math.isfinite(value):
            raise ConfigError(f"{name} must be a finite number, got {value!r}")
    if not setting.low <= value <= setting.high:
        raise ConfigError(f"{name} must be {setting.allowed()}, got {shorten(repr(value), 60)}")
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
    activation: str = "relu"
    optimizer: str = "sgd"
    momentum: float = 0.9
    l2: float = 0.0
    schedule: str = "constant"
    patience: int = 0
    scaling: str = "standardize"
    train_share: float = 1.0
    label_noise: float = 0.0

    def __post_init__(self):
        for f in fields(self):
            object.__setattr__(self, f.name, check_setting(f.name, getattr(self, f.name)))

    @property
    def name(self):
        """Short name of the run: 'h64 lr0.1 b64 e30 s0', then the settings that differ from
        the defaults ('tanh', 'adam', 'l2=0.001', 'cosine', ...). Two configs never share a name."""
        text = f"h{self.hidden} lr{_short(self.lr)} b{self.batch} e{self.epochs} s{self.seed}"
        extras = [
            self.val_share != 0.2 and f"v{_short(self.val_share)}",
            self.augment and f"a{self.augment}",
            self.ensemble > 1 and f"n{self.ensemble}",
            self.activation != "relu" and self.activation,
            (self.optimizer == "momentum" or self.momentum != 0.9) and f"momentum{_short(self.momentum)}",
            self.optimizer == "adam" and "adam",
            self.l2 and f"l2={_short(self.l2)}",
            self.schedule != "constant" and self.schedule,
            self.patience and f"patience{self.patience}",
            self.scaling != "standardize" and f"scaling={self.scaling}",
            self.train_share != 1.0 and f"train{_short(self.train_share)}",
            self.label_noise and f"noise{_short(self.label_noise)}",
        ]
        return " ".join([text, *(extra for extra in extras if extra)])

    def describe(self):
        """The run in words, by what differs from the defaults: 'learning rate 1, Adam', or
        'default settings'. (``name`` is the short code, for where space is tight.)"""
        defaults = TrainConfig()
        words = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(defaults, f.name):
                continue
            phrase = BOUNDS[f.name].describe(value)
            if f.name == "momentum" and self.optimizer != "momentum":
                phrase += f" (unused by {BOUNDS['optimizer'].choice_name(self.optimizer)})"
            words.append(phrase)
        return ", ".join(words) or "default settings"

    def command(self):
        """The command line that trains this run: 'python main.py --hidden 128 --lr 0.05' (the
        settings that differ from the defaults; every setting has its flag)."""
        defaults = TrainConfig()
        flags = [f"--{f.name.replace('_', '-')} {getattr(self, f.name)}" for f in fields(self)
                 if getattr(self, f.name) != getattr(defaults, f.name)]
        return " ".join(["python main.py", *flags])

    def to_dict(self):
        """Plain dict of the settings (JSON-safe)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Build from a dict; unknown keys are refused, missing keys take their defaults (so a run
        saved before a setting existed still loads)."""
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {shorten(', '.join(sorted(map(str, unknown))))}")
        return cls(**values)

    @classmethod
    def clamped(cls, values, base=None):
        """Lenient construction for untrusted text (URL query parameters).

        Each number is parsed and clamped to its bounds; a value that is not a number, or NaN,
        or not one of a setting's choices, falls back to ``base``'s (or the default). Returns
        (config, notes), where notes are sentences saying what was changed.
        """
        base = base or cls()
        result, notes = base.to_dict(), []
        for name, raw in values.items():
            if name not in BOUNDS:
                continue
            setting = BOUNDS[name]
            if setting.choices:
                if raw in setting.choices:
                    result[name] = raw
                else:
                    notes.append(f"ignored {name}={shorten(repr(raw), 60)}: not one of {setting.allowed()}")
                continue
            try:
                if isinstance(raw, str) and not ASCII_NUMBER.fullmatch(raw):
                    raise ValueError(raw)  # float() would also read '１２', '٣' and '1_000'
                number = float(raw)
            except (TypeError, ValueError, OverflowError):
                notes.append(f"ignored {name}={shorten(repr(raw), 60)}: not a number")
                continue
            if not math.isfinite(number):
                notes.append(f"ignored {name}={shorten(repr(raw), 60)}: not a finite number")
                continue
            if setting.kind is int:
                number = int(round(number))
            fixed = min(max(number, setting.low), setting.high)
            if fixed != number:
                notes.append(f"{name}={shorten(str(raw), 60)} is outside {setting.allowed()}; "
                             f"used {number_text(fixed)}")
            result[name] = setting.kind(fixed)
        return cls(**result), notes


ASCII_NUMBER = re.compile(r"\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*")  # text clamped reads


def handwriting_config():
    """The preset for digits people draw or upload: a TrainConfig with 10 distorted copies of
    each training digit, a 256-unit hidden layer, 20 epochs, and 3 such networks averaged.
    Measured with ``python bench/handwriting.py`` (bench/RESULTS.md): far better than the
    default on new handwriting taken through ``image_to_digit``, as good on the Digits test
    split, and trained in under 2 s (what a learner waits for before drawing)."""
    return TrainConfig(epochs=20, hidden=256, augment=10, ensemble=3)
