"""nncore: a two-layer neural network in NumPy, trained on scikit-learn's 8x8 Digits.

No Streamlit or Plotly here: the app, the command line, the tests and the benchmarks all
call this same code.
"""

from .config import BOUNDS, TrainConfig, handwriting_config
from .cost import estimate_seconds
from .data import Standardizer, digits, split, test_set
from .errors import ConfigError, ImageError, NNCoreError, WeightsFileError
from .functions import cross_entropy, log_softmax, logsumexp, softmax
from .image import DigitSteps, digit_steps, image_to_digit
from .io import FORMAT_VERSION, load, save, to_bytes
from .model import MLP, Ensemble
from .training import EpochStats, TrainResult, train

__all__ = [
    "BOUNDS", "ConfigError", "DigitSteps", "Ensemble", "EpochStats", "FORMAT_VERSION", "ImageError", "MLP",
    "NNCoreError", "Standardizer", "TrainConfig", "TrainResult", "WeightsFileError", "cross_entropy", "digit_steps",
    "digits", "estimate_seconds", "handwriting_config", "image_to_digit", "load", "log_softmax", "logsumexp",
    "save", "softmax", "split", "test_set", "to_bytes", "train",
]
