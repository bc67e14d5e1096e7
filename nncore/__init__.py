"""nncore: a two-layer neural network in NumPy, trained on scikit-learn's 8x8 Digits.

No Streamlit or Plotly here: the app, the command line, the tests and the benchmarks all
call this same code.

Its top level is the network a learner reads: ``functions``, ``model``, ``optim``, ``data``,
``config``, ``training``, ``result``, ``errors``. The rest lives in subpackages: ``imaging``
(an uploaded picture -> an 8x8 digit, augmentation), ``files`` (a run as one .npz) and ``lab``
(sweeps and their pools, cost estimates, the scikit-learn peer, looking inside a run).
"""

import importlib
import importlib.abc
import importlib.util
import sys

from .config import BOUNDS, TrainConfig, handwriting_config
from .data import Standardizer, digits, split, test_set
from .errors import ConfigError, ImageError, NNCoreError, WeightsFileError
from .files.runfile import FORMAT_VERSION, load, save, to_bytes
from .functions import cross_entropy, log_softmax, logsumexp, softmax
from .imaging.image import DigitSteps, digit_steps, image_to_digit
from .lab.cost import estimate_seconds
from .model import MLP, Ensemble
from .training import EpochStats, TrainResult, train

__all__ = [
    "BOUNDS", "ConfigError", "DigitSteps", "Ensemble", "EpochStats", "FORMAT_VERSION", "ImageError", "MLP",
    "NNCoreError", "Standardizer", "TrainConfig", "TrainResult", "WeightsFileError", "cross_entropy", "digit_steps",
    "digits", "estimate_seconds", "handwriting_config", "image_to_digit", "load", "log_softmax", "logsumexp",
    "save", "softmax", "split", "test_set", "to_bytes", "train",
]

# Modules that moved into subpackages keep their old names (``import nncore.files.runfile``,
# ``from nncore.lab.pools import available_cpus``): the old name is the same module object, imported
# only when asked for, so code written against earlier releases keeps working.
MOVED = {
    "image": "imaging.image", "digitize": "imaging.digitize", "augment": "imaging.augment",
    "io": "files.runfile", "npz": "files.npz",
    "sweep": "lab.sweep", "pools": "lab.pools", "cost": "lab.cost", "peer": "lab.peer", "inspect": "lab.inside",
}


class _OldName(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``nncore.<old name>`` and answers with the module at its new place."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.rpartition(".")
        if package == __name__ and name in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module(f"{__name__}.{MOVED[spec.name.rpartition('.')[2]]}")
        spec.loader_state = module.__spec__  # the import system is about to give it the old name's spec
        return module

    def exec_module(self, module):
        # Already imported at its new place: give back its own spec, so that its relative imports
        # resolve from its own package.
        module.__spec__ = module.__spec__.loader_state


if not any(isinstance(finder, _OldName) for finder in sys.meta_path):
    sys.meta_path.append(_OldName())
