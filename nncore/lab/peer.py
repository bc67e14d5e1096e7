"""The library beside us: scikit-learn's MLPClassifier with the settings closest to a TrainConfig.

It trains on exactly the rows our run trains on (its share of the training split of the config's seed, with
the same distorted copies and noisy labels), scaled as ours (``scaling``),
in float32 and with NumPy's BLAS on one thread as ours, and is scored on our test split. The
mapping, setting by setting:

    hidden -> hidden_layer_sizes=(hidden,)     activation relu/tanh/sigmoid -> relu/tanh/logistic
    optimizer sgd -> solver 'sgd', momentum 0  momentum -> solver 'sgd', momentum (not Nesterov's)
    optimizer adam -> solver 'adam' (the same beta_1, beta_2, epsilon as ours)
    lr -> learning_rate_init                   batch -> batch_size     epochs -> max_iter
    l2 -> alpha = l2 * batch: scikit-learn's penalty is alpha/2 |W|^2 divided by the batch size,
          ours l2/2 (|W1|^2 + |W2|^2) on the mean loss of a batch
    patience -> early_stopping (on scikit-learn's own terms); seed -> random_state

``differences(config)`` says, in sentences, what has no equivalent or differs.
"""

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np

from .. import data, training
from ..config import TrainConfig
from ..errors import ConfigError
from . import cost
from .threads import single_threaded_blas

ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "logistic", "leaky_relu": "relu"}
VALIDATION_FRACTION = 0.1  # scikit-learn's default share held out for its early stopping


@dataclass(frozen=True)
class PeerResult:
    """scikit-learn's run: the MLPClassifier ``parameters`` used, the ``rows`` it trained on, its
    test accuracy on our test split, ``seconds`` (fit and score), ``loss_curve`` (training loss per
    epoch, its L2 term included, as ours), ``validation_scores`` (accuracy per epoch on its own
    held-out share, only with early stopping) and ``differences``: sentences naming what has no
    equivalent or differs."""

    config: TrainConfig
    parameters: dict
    rows: int
    test_accuracy: float
    seconds: float
    loss_curve: tuple
    validation_scores: tuple
    differences: tuple

    @property
    def epochs_run(self):
        return len(self.loss_curve)


def training_rows(config):
    """(X_train, y_train, X_test, y_test) as our run of ``config`` sees them: its training rows
    (its share of the split and their distorted copies) with the labels it learns from (noisy ones
    when ``label_noise`` > 0), and the test split with its true labels, both scaled as our run
    scales them (``scaling``), float32."""
    X_fit, _, y_learn = training.training_rows(config)
    standardize = data.SCALINGS[config.scaling](X_fit)
    X_test, y_test = data.test_set(config.seed)
    return standardize(X_fit, np.float32), y_learn, standardize(X_test, np.float32), y_test


def sklearn_parameters(config, rows):
    """MLPClassifier's parameters closest to ``config`` for a training set of ``rows`` rows."""
    batch = min(config.batch, rows)
    parameters = dict(
        hidden_layer_sizes=(config.hidden,), activation=ACTIVATIONS[config.activation],
        solver="adam" if config.optimizer == "adam" else "sgd", learning_rate_init=config.lr,
        learning_rate="constant", batch_size=batch, max_iter=config.epochs, alpha=config.l2 * batch,
        shuffle=True, random_state=config.seed, tol=0.0)
    if config.optimizer != "adam":
        parameters.update(momentum=config.momentum if config.optimizer == "momentum" else 0.0,
                          nesterovs_momentum=False)
    if config.patience:
        # it stops once its count of epochs without improvement exceeds n_iter_no_change (ours: reaches patience)
        parameters.update(early_stopping=True, validation_fraction=VALIDATION_FRACTION,
                          n_iter_no_change=max(1, config.patience - 1))
    else:
        parameters.update(early_stopping=False, n_iter_no_change=config.epochs + 1)  # all epochs, as ours
    return parameters


def differences(config, rows):
    """Sentences, each naming a setting of ``config`` (or a habit of training) that scikit-learn's
    run cannot match or matches differently, for a training set of ``rows`` rows."""
    batch = min(config.batch, rows)
    said = []
    if config.activation == "leaky_relu":
        said.append("activation leaky_relu: scikit-learn has relu, tanh, logistic and identity, no leaky ReLU; "
                    "it trains with relu.")
    if config.schedule != "constant":
        said.append(f"schedule {config.schedule}: scikit-learn's learning rates are constant, invscaling "
                    "(lr / t^power_t) or adaptive (divided by 5 when the loss stalls), and apply to its sgd only; "
                    "it trains with a constant rate.")
    if config.optimizer == "momentum":
        said.append(f"momentum {config.momentum:g}: scikit-learn's update (v = μv − lr·g; p += v) equals ours "
                    "(PyTorch's: v = μv + g; p −= lr·v) while the learning rate is constant.")
    if config.l2:
        last = rows % batch
        uneven = (f" The last batch of each epoch has {last} rows, so scikit-learn decays it {batch / last:.2f}× "
                  "as much." if last else "")
        said.append(f"l2 {config.l2:g}: alpha = l2 × batch = {config.l2 * batch:g}, since scikit-learn divides its "
                    f"penalty alpha/2·|W|² by the batch size; that is our decay on every full batch.{uneven}")
    if config.ensemble > 1:
        said.append(f"ensemble {config.ensemble}: scikit-learn trains one network; ours averages the softmax "
                    f"outputs of {config.ensemble}.")
    if config.augment:
        said.append(f"augment {config.augment}: scikit-learn has no augmentation of its own; it is given the same "
                    f"{rows} rows ours trains on (the training split and {config.augment} distorted copies).")
    if config.patience:
        said.append(f"patience {config.patience}: scikit-learn's early stopping holds out "
                    f"{VALIDATION_FRACTION:.0%} of the rows it is given (it trains on the other "
                    f"{1 - VALIDATION_FRACTION:.0%}), watches accuracy on them instead of the loss on our validation "
                    "split, stops after n_iter_no_change + 1 epochs without improvement, then keeps the epoch that "
                    "scored best there.")
    else:
        said.append("best epoch: ours keeps the weights of the epoch with the best validation accuracy; "
                    "scikit-learn keeps its last epoch's.")
    said.append("val_share: scikit-learn never looks at our validation split; ours scores it after every epoch, "
                "which is part of our time.")
    said.append("initial weights: scikit-learn draws weights and biases uniformly in a Glorot range; ours draws "
                "the weights from a normal distribution (He's scale for relu, Glorot's for tanh and sigmoid) with "
                "zero biases, and shuffles with its own random numbers, so equal settings still give another run.")
    return tuple(said)


def measured_step(hidden, batch, activation="relu", optimizer="sgd"):
    """Measured CPU seconds of one step of scikit-learn's MLPClassifier on ``batch`` rows with
    ``hidden`` units: one epoch of a few such steps (at most 4,096 rows in all), the fastest of 3,
    on one BLAS thread as it trains. Its steps cost more than ours (its bookkeeping per batch), so
    ours cannot stand in for it. Uncached: a cost.StepModel calls it on a few sizes."""
    from sklearn.neural_network import MLPClassifier

    steps = min(max(4096 // batch, 1), 64)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch * steps, 64)).astype(np.float32)
    y = np.arange(batch * steps) % 10
    best = math.inf
    with warnings.catch_warnings(), single_threaded_blas():
        warnings.simplefilter("ignore")  # one epoch: "maximum iterations reached", as asked
        for _ in range(3):
            model = MLPClassifier(hidden_layer_sizes=(hidden,), activation=ACTIVATIONS[activation], batch_size=batch,
                                  solver="adam" if optimizer == "adam" else "sgd", max_iter=1, random_state=0)
            started = time.thread_time()  # this thread's CPU: other processes' load does not count
            model.fit(X, y)
            best = min(best, (time.thread_time() - started) / steps)
    return max(best, 1e-7)


def seconds_per_step(hidden, batch, activation="relu", optimizer="sgd"):
    """Seconds of one step of scikit-learn's MLPClassifier, from the server's cost.StepModel of its
    measured steps (as ours: a few sizes measured once, any size read off them)."""
    return cost.step_model(activation, optimizer, measured_step)(hidden, batch)


def estimate_seconds(config):
    """Estimated seconds for ``train_sklearn(config)`` on this machine: its epochs of steps over the
    rows ours trains on (one network: scikit-learn trains no ensemble), plus building their
    distorted copies. Raises ConfigError when ``config`` is not a TrainConfig."""
    if not isinstance(config, TrainConfig):
        raise ConfigError(f"estimate_seconds() takes a TrainConfig, got {type(config).__name__}")
    return config.epochs * cost.epoch_seconds(config, seconds_per_step) + cost.augmentation_seconds(config)


class _Stopped(Exception):
    """Raised out of scikit-learn's epoch loop when ``stop`` asked for it (not a KeyboardInterrupt,
    which scikit-learn catches and trains on past)."""


def _stoppable(MLPClassifier, stop):
    """An MLPClassifier that asks ``stop(epoch, epochs)`` after each epoch. scikit-learn has no
    epoch callback; its stochastic solvers (sgd and adam, the only ones used here) call
    ``_update_no_improvement_count`` once at the end of every epoch."""

    class Stoppable(MLPClassifier):
        def _update_no_improvement_count(self, *args, **kwargs):
            super()._update_no_improvement_count(*args, **kwargs)
            if stop(self.n_iter_, self.max_iter):
                raise _Stopped

    return Stoppable


def train_sklearn(config, stop=None):
    """Train scikit-learn's MLPClassifier as close to ``config`` as it allows. Returns a PeerResult,
    or None when ``stop(epoch, epochs)``, asked after each epoch when given, returned True (a
    closed tab's training ends there instead of running to its end)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    if not isinstance(config, TrainConfig):
        raise ConfigError(f"train_sklearn() takes a TrainConfig, got {type(config).__name__}")
    X_train, y_train, X_test, y_test = training_rows(config)
    parameters = sklearn_parameters(config, len(y_train))
    started = time.perf_counter()
    model = (MLPClassifier if stop is None else _stoppable(MLPClassifier, stop))(**parameters)
    with warnings.catch_warnings(), single_threaded_blas():  # BLAS on one thread, as ours trains
        warnings.simplefilter("ignore", ConvergenceWarning)  # "maximum iterations reached": as asked
        try:
            model.fit(X_train, y_train)
        except _Stopped:
            return None
        accuracy = float(model.score(X_test, y_test))
    seconds = time.perf_counter() - started
    losses = tuple(float(loss) for loss in model.loss_curve_)
    scores = tuple(float(score) for score in (model.validation_scores_ or ()))
    return PeerResult(config, parameters, len(y_train), accuracy, seconds, losses, scores,
                      differences(config, len(y_train)))
