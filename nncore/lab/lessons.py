"""Lessons: a question, the runs that answer it, and the answer read off those runs.

Each Lesson names the runs it needs (TrainConfigs, trained like any other run) and an
``explain`` function that takes their TrainResults, in the same order, and returns an Outcome:
which of the lesson's answers the runs bear out, and sentences with the runs' own numbers.
Nothing here is canned: when a run does not show what a lesson expects (another seed, a
changed default), the sentences and the answer say what happened instead. No Streamlit here:
the "Start here" page (app_pages/start.py) draws these.
"""

from dataclasses import dataclass, replace

import numpy as np

from .. import data
from ..config import OPTIMIZER_NAMES, TrainConfig, number_text
from ..imaging import augment
from . import inside as inspect

DEFAULT = TrainConfig()


@dataclass(frozen=True)
class Outcome:
    """What a lesson's runs show: ``answer``, the position of the option they bear out, and
    ``lines``, sentences with their numbers."""

    answer: int
    lines: tuple

    def verdict(self, options, guess):
        """A sentence saying whether ``guess`` (a position in ``options``) was right."""
        if guess == self.answer:
            return f"Your guess was right: {options[self.answer]}."
        return f"Your guess was {options[guess]}; the runs say {options[self.answer]}."


@dataclass(frozen=True)
class Lesson:
    """One lesson: ``key`` (its name in a link), a title, what it is about (``intro``), a
    ``question`` with its ``options``, the ``configs`` it trains, ``explain(results) -> Outcome``,
    the settings "try it yourself" loads (``try_config``) and the page that shows more
    (``page``: the page's file, ``page_title``: its title)."""

    key: str
    title: str
    intro: str
    question: str
    options: tuple
    configs: tuple
    explain: object
    try_config: TrainConfig
    page: str
    page_title: str


def _pct(share):
    return f"{share:.0%}" if share >= 0.1 or share == 0 else f"{share:.1%}"


def _acc(share):
    return f"{share:.1%}"


def _lowest(history):
    """(epoch counting from 1, value) of the lowest validation loss."""
    losses = history["val_loss"]
    best = int(np.argmin(losses))
    return best + 1, losses[best]


SAME = 1.25  # lowest validation losses within this factor count as "about the same"


def worst_of(losses):
    """The position of the highest loss, or None when every loss is within SAME× of the lowest."""
    worst = int(np.argmax(losses))
    return None if losses[worst] <= SAME * min(losses) else worst


def worst_sentence(lr, names, losses):
    """The lesson's closing sentence at learning rate ``lr``: which of ``names`` (one per loss in
    ``losses``) did worst, and by how much, or that all ended within SAME× of each other."""
    worst = worst_of(losses)
    if worst is None:
        return (f"At learning rate {number_text(lr)} all three ended within {SAME}× of each other's lowest "
                "validation loss.")
    return (f"At learning rate {number_text(lr)}, {names[worst]} did worst: {losses[worst] / min(losses):.1f}× the "
            "lowest validation loss of the best.")


def _band(value, edges):
    """The position of the band [edges[i-1], edges[i]) that holds value (len(edges) + 1 bands)."""
    return int(np.searchsorted(edges, value, side="right"))


# --- 1. A hidden unit --------------------------------------------------------------------------------------------

# where a unit counts as firing: above 0 for ReLU-like and tanh units, above one half for sigmoid (its middle)
FIRE_LEVEL = {"relu": 0.0, "leaky_relu": 0.0, "tanh": 0.0, "sigmoid": 0.5}
FIRING_EDGES = (0.1, 0.4, 0.8)


@dataclass(frozen=True)
class Firing:
    """How the hidden units of a run respond to the test digits: ``share`` (mean share of units
    firing per digit), ``silent`` (units that fire on no test digit), the most selective
    ``unit``, the ``digit`` it prefers and its firing rate on that digit (``on``) and on the
    others (``off``)."""

    share: float
    silent: int
    unit: int
    digit: int
    on: float
    off: float


def firing(result):
    """Firing of ``result``'s first network on its test split (see Firing)."""
    X, y = data.test_set(result.config.seed)
    model, _ = inspect.network(result)
    fires = inspect.hidden(model, result.standardizer(X)) > FIRE_LEVEL[result.config.activation]  # (n, hidden)
    rate = np.stack([fires[y == d].mean(axis=0) for d in range(10)])                            # (10, hidden)
    others = np.stack([fires[y != d].mean(axis=0) for d in range(10)])
    gap = rate - others
    digit, unit = np.unravel_index(int(np.argmax(gap)), gap.shape)
    return Firing(float(fires.mean()), int((~fires.any(axis=0)).sum()), int(unit), int(digit),
                  float(rate[digit, unit]), float(others[digit, unit]))


def explain_unit(results):
    (result,) = results
    f = firing(result)
    hidden, level = result.config.hidden, number_text(FIRE_LEVEL[result.config.activation])
    lines = [f"On the {len(data.test_set(result.config.seed)[1])} test digits, on average {f.share * hidden:.0f} of "
             f"the {hidden} hidden units fired (gave an output above {level}): {_pct(f.share)} of the layer.",
             f"{f.silent} of the {hidden} units fired on no test digit at all." if f.silent else
             "Every unit fired on at least one test digit.",
             f"The most selective unit is unit {f.unit}: it fires on {_pct(f.on)} of the {f.digit}s but on only "
             f"{_pct(f.off)} of the other digits. Its 64 input weights, drawn as an 8×8 picture below, are the "
             "pattern it looks for."]
    return Outcome(_band(f.share, FIRING_EDGES), tuple(lines))


UNIT = Lesson(
    "unit", "A hidden unit",
    "A hidden unit takes a weighted sum of the 64 pixels (its 64 weights form an 8×8 picture), adds a bias and "
    "passes the sum through its activation: a ReLU unit outputs the sum when it is positive and 0 otherwise. It "
    "fires when a digit's ink matches its picture.",
    "A trained layer has 64 ReLU units. For one test digit, how many of them fire (output above 0)?",
    ("almost none (under 10%)", "a minority (10–40%)", "about half to most (40–80%)", "nearly all (over 80%)"),
    (DEFAULT,), explain_unit, DEFAULT, "app_pages/units.py", "Hidden units")


# --- 2. The learning rate ----------------------------------------------------------------------------------------

LEARNING_RATES = (0.001, 0.1, 1.0, 10.0)


def _run_story(result, what):
    """One sentence on how a run's validation loss went: diverged, still falling, rose, or settled."""
    h = result.history
    if result.diverged:
        done = result.epochs_run
        finished = f"after {done} finished epoch{'s' if done > 1 else ''}" if done else "before finishing an epoch"
        kept = (f"validation accuracy {_acc(result.best_val_accuracy)} at its best epoch, {result.best_epoch}"
                if result.best_epoch else f"test accuracy {_acc(result.test_accuracy)} with its random first weights")
        return f"{what} diverged at epoch {result.diverged_epoch} {finished}: the loss became NaN or infinite ({kept})."
    epoch, low = _lowest(h)
    last = h["val_loss"][-1]
    text = (f"{what}: validation loss {last:.3f} after {result.epochs_run} epochs, lowest {low:.3f} at epoch {epoch}; "
            f"validation accuracy {_acc(h['val_acc'][-1])}")
    if last > 1.2 * low:
        return f"{text} — it rose to {last / low:.1f}× its lowest."
    tail = h["val_loss"][-6:]
    if len(tail) > 1 and all(b < a for a, b in zip(tail[:-1], tail[1:], strict=True)):
        return (f"{text} — still falling every epoch when training ended ({1 - tail[-1] / tail[0]:.0%} lower over "
                f"the last {len(tail) - 1}): it needed more epochs.")
    return f"{text}."


def _lowest_loss(result):
    """The lowest validation loss a run reached (inf: no epoch finished)."""
    return min(result.history["val_loss"], default=np.inf)


def explain_lr(results):
    best = int(np.argmin([_lowest_loss(r) for r in results]))
    lines = [_run_story(r, f"Learning rate {number_text(r.config.lr)}") for r in results]
    default = next((i for i, r in enumerate(results) if r.config.lr == DEFAULT.lr), None)
    if default is not None and best != default:
        ratio = _lowest_loss(results[default]) / _lowest_loss(results[best])
        lines.append(f"The lowest validation loss came at learning rate {number_text(results[best].config.lr)}: "
                     f"{ratio:.2f}× lower than the default {number_text(DEFAULT.lr)} reached.")
    else:
        lines.append(f"The lowest validation loss came at learning rate {number_text(results[best].config.lr)}.")
    return Outcome(best, tuple(lines))


LEARNING_RATE = Lesson(
    "lr", "The learning rate",
    "Each step moves every weight against its gradient, by the learning rate times the gradient. Small steps "
    "are safe but slow; large ones are fast until they overshoot.",
    "The default learning rate is 0.1. Which of these reaches the lowest validation loss in 30 epochs?",
    tuple(f"learning rate {number_text(lr)}" for lr in LEARNING_RATES),
    tuple(replace(DEFAULT, lr=lr) for lr in LEARNING_RATES), explain_lr, replace(DEFAULT, lr=1.0),
    "app_pages/compare.py", "Compare runs")


# --- 3. Standardization ------------------------------------------------------------------------------------------

SCALINGS = ("none", "divide", "standardize")
SCALING_NAMES = {"none": "raw pixels (0–16)", "divide": "pixels ÷ 16 (0–1)", "standardize": "standardized pixels"}
SCALING_RATES = (0.3, 0.1)


def _dead(result):
    """The share of dead hidden units after the run's last finished epoch (None: not recorded)."""
    dead = result.history.get("dead_units") or []
    return dead[-1] if dead else None


def explain_scaling(results):
    """Runs of SCALINGS at two learning rates; the answer is about the first rate."""
    by = {(r.config.scaling, r.config.lr): r for r in results}
    first, second = dict.fromkeys(r.config.lr for r in results)
    at_first = [_lowest_loss(by[(s, first)]) for s in SCALINGS]
    worst = worst_of(at_first)
    answer = len(SCALINGS) if worst is None else worst
    lines = []
    for name in SCALINGS:
        parts = []
        for lr in (first, second):
            r = by[(name, lr)]
            dead = _dead(r)
            parts.append(f"at learning rate {number_text(lr)}, test accuracy {_acc(r.test_accuracy)}, lowest "
                         f"validation loss {_lowest_loss(r):.3f}"
                         + ("" if dead is None else f", {_pct(dead)} of hidden units dead at the end")
                         + (f" (diverged at epoch {r.diverged_epoch})" if r.diverged else ""))
        lines.append(f"{SCALING_NAMES[name].capitalize()}: {'; '.join(parts)}.")
    lines.append(worst_sentence(first, [SCALING_NAMES[name] for name in SCALINGS], at_first))
    return Outcome(answer, tuple(lines))


STANDARDIZATION = Lesson(
    "scaling", "Standardization",
    "Raw pixels run from 0 to 16, and the blank border is 0 on almost every digit. Standardizing shifts and scales "
    "each pixel to mean 0 and spread 1 over the training digits, so every input starts on the same footing. A unit "
    "whose weighted sum is negative on every digit outputs 0 everywhere, gets no gradient and never recovers: a "
    "dead unit.",
    "The same network on raw 0–16 pixels, on pixels ÷ 16 and on standardized pixels: which trains worst at learning "
    "rate 0.3?",
    (*(SCALING_NAMES[s] for s in SCALINGS), "all about the same"),
    tuple(replace(DEFAULT, scaling=s, lr=lr) for s in SCALINGS for lr in SCALING_RATES), explain_scaling,
    replace(DEFAULT, scaling="none", lr=0.3), "app_pages/curves.py", "Curves & confusion")


# --- 4. Capacity -------------------------------------------------------------------------------------------------

SIZES = (2, 8, 64, 512)


def weights_count(hidden, inputs=64, outputs=10):
    """Weights and biases of a network with ``hidden`` units."""
    return inputs * hidden + hidden + hidden * outputs + outputs


def explain_capacity(results):
    accuracy = [r.best_val_accuracy for r in results]
    best = int(np.argmax(accuracy))  # on a tie the smaller network
    lines = [f"{r.config.hidden} hidden units ({weights_count(r.config.hidden):,} weights): best validation accuracy "
             f"{_acc(r.best_val_accuracy)}, test accuracy {_acc(r.test_accuracy)}." for r in results]
    lines.append(f"The best validation accuracy came with {results[best].config.hidden} hidden units.")
    pairs = list(zip(results[:-1], results[1:], strict=True))
    gains = [(large.best_val_accuracy - small.best_val_accuracy) * 100 for small, large in pairs]
    steps = "; ".join(f"{small.config.hidden} → {large.config.hidden}: {gain:+.1f}"
                      for (small, large), gain in zip(pairs, gains, strict=True))
    shrinking = all(later < earlier for earlier, later in zip(gains[:-1], gains[1:], strict=True))
    lines.append(f"Validation accuracy gained per step, in points: {steps}. "
                 + ("Each step bought less than the one before: more units help less and less."
                    if shrinking else "The gains did not shrink step by step here."))
    return Outcome(best, tuple(lines))


CAPACITY = Lesson(
    "capacity", "Capacity",
    "The hidden layer's size is how many patterns the network can look for at once. Two units must squeeze "
    "all ten digits through two numbers.",
    "Which hidden layer reaches the best validation accuracy in 30 epochs?",
    tuple(f"{h} hidden units" for h in SIZES), tuple(replace(DEFAULT, hidden=h) for h in SIZES), explain_capacity,
    replace(DEFAULT, hidden=8), "app_pages/units.py", "Hidden units")


# --- 5. Overfitting and its cures ---------------------------------------------------------------------------------

NOISY = replace(DEFAULT, hidden=256, epochs=60, label_noise=0.3)
CURES = (NOISY, replace(NOISY, l2=0.01), replace(NOISY, patience=5), replace(NOISY, train_share=0.3))
RISE = 1.1      # a last validation loss this many times its lowest counts as risen
STILL = 0.9     # a lowest validation loss this late in the run (share of its epochs) counts as still falling


def validation_shape(result):
    """The answer position for a run's validation loss: 0 still falling, 1 levelled off, 2 rose again."""
    epoch, low = _lowest(result.history)
    if result.history["val_loss"][-1] > RISE * low:
        return 2
    return 0 if epoch >= STILL * result.epochs_run else 1


def _cure_story(result, what):
    epoch, low = _lowest(result.history)
    last = result.history["val_loss"][-1]
    text = (f"{what}: validation loss lowest at epoch {epoch} ({low:.3f}), {last / low:.2f}× that at its last epoch "
            f"({result.epochs_run}); test accuracy {_acc(result.test_accuracy)}")
    if result.ended == "early stopping":
        text += f"; early stopping ended it at epoch {result.epochs_run}"
    return text + "."


def explain_overfitting(results):
    noisy, *cures = results
    epoch, low = _lowest(noisy.history)
    train_loss = noisy.history["train_loss"]
    last = noisy.history["val_loss"][-1]
    shape = validation_shape(noisy)
    falling = train_loss[-1] < train_loss[epoch - 1]
    head = (f"With {_pct(noisy.config.label_noise)} of the training labels wrong, the validation loss was lowest at "
            f"epoch {epoch} ({low:.3f}) and {last / low:.2f}× that by epoch {noisy.epochs_run}, while the training "
            f"loss {'kept falling' if falling else 'did not fall'} ({train_loss[epoch - 1]:.3f} at epoch {epoch}, "
            f"{train_loss[-1]:.3f} at the end)")
    head += (": the network memorised wrong labels." if shape == 2 and falling else ".")
    names = {"l2": lambda c: f"With L2 {number_text(c.l2)}", "patience": lambda c: f"With patience {c.patience}",
             "train_share": lambda c: f"On {_pct(c.train_share)} of the training split"}
    lines = [head]
    for cure in cures:
        changed = next(name for name in names if getattr(cure.config, name) != getattr(noisy.config, name))
        lines.append(_cure_story(cure, names[changed](cure.config)))
    best = max(results, key=lambda r: r.test_accuracy)
    lines.append(f"Best test accuracy: {_acc(best.test_accuracy)}, {best.config.name}.")
    return Outcome(shape, tuple(lines))


OVERFITTING = Lesson(
    "overfitting", "Overfitting and its cures",
    "A network with enough units can learn its training digits by heart, mistakes included. Here 30% of the "
    "training labels are replaced by a wrong digit (validation and test labels stay true). Cures: L2 weight decay "
    "pulls weights towards 0; early stopping ends training when validation loss stops improving. A smaller "
    "training share is tried too.",
    "A 256-unit network trains 60 epochs with 30% of its training labels wrong. What does its validation loss do?",
    ("keeps falling", "falls, then levels off", "falls, then rises again"),
    CURES, explain_overfitting, NOISY, "app_pages/curves.py", "Curves & confusion")


# --- 6. Activations ----------------------------------------------------------------------------------------------

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")
ACTIVATION_NAMES = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}


def _health(result):
    """', 3% of hidden units dead at the end; gradient reaching W1 0.61× W2's' (empty when not recorded)."""
    dead, g1, g2 = (result.history.get(key) or [] for key in ("dead_units", "grad_W1", "grad_W2"))
    if not (dead and g1 and g2):
        return ""
    return (f"; {_pct(dead[-1])} of hidden units dead at the end; the gradient reaching W1 was "
            f"{np.mean(g1) / np.mean(g2):.2f}× the size of W2's (mean over the run)")


def explain_activations(results):
    final = [r.history["val_loss"][-1] if r.epochs_run else np.inf for r in results]
    slowest = int(np.argmax(final))
    lines = [f"{ACTIVATION_NAMES[r.config.activation]}: validation loss {r.history['val_loss'][0]:.3f} after epoch 1 "
             f"and {r.history['val_loss'][-1]:.3f} after epoch {r.epochs_run}; test accuracy "
             f"{_acc(r.test_accuracy)}{_health(r)}." for r in results]
    others = [f for i, f in enumerate(final) if i != slowest]
    lines.append(f"Slowest: {ACTIVATION_NAMES[results[slowest].config.activation]}, ending at "
                 f"{final[slowest] / min(others):.1f}× the lowest final validation loss of the others.")
    return Outcome(slowest, tuple(lines))


ACTIVATION = Lesson(
    "activations", "Activations",
    "The activation bends each unit's weighted sum: ReLU keeps positive sums and zeroes the rest, leaky ReLU lets "
    "a little of the negative part through, tanh and sigmoid squash the sum into (−1, 1) and (0, 1). Backprop "
    "multiplies the gradient by the activation's slope on its way to W1, and sigmoid's slope is at most 0.25.",
    "With the same settings (learning rate 0.1, 30 epochs), which activation learns slowest (highest validation "
    "loss at the end)?",
    tuple(ACTIVATION_NAMES[a] for a in ACTIVATIONS), tuple(replace(DEFAULT, activation=a) for a in ACTIVATIONS),
    explain_activations, replace(DEFAULT, activation="sigmoid"), "app_pages/curves.py", "Curves & confusion")


# --- 7. Optimizers -----------------------------------------------------------------------------------------------

OPTIMIZERS = ("sgd", "momentum", "adam")
OPTIMIZER_RATES = (0.1, 0.003)
def explain_optimizers(results):
    """Runs of OPTIMIZERS at two learning rates; the answer is about the first rate."""
    by = {(r.config.optimizer, r.config.lr): r for r in results}
    first, second = dict.fromkeys(r.config.lr for r in results)
    at_first = [_lowest_loss(by[(o, first)]) for o in OPTIMIZERS]
    worst = worst_of(at_first)
    answer = len(OPTIMIZERS) if worst is None else worst
    lines = []
    for name in OPTIMIZERS:
        pair = [by[(name, lr)] for lr in (first, second)]
        words = [f"{_lowest_loss(r):.3f} at learning rate {number_text(r.config.lr)}"
                 + (f" (diverged at epoch {r.diverged_epoch})" if r.diverged else "") for r in pair]
        better = min(pair, key=_lowest_loss)
        lines.append(f"{OPTIMIZER_NAMES[name]}: lowest validation loss {words[0]}, {words[1]} — better at "
                     f"{number_text(better.config.lr)}.")
    lines.append(worst_sentence(first, [OPTIMIZER_NAMES[name] for name in OPTIMIZERS], at_first))
    return Outcome(answer, tuple(lines))


OPTIMIZER = Lesson(
    "optimizers", "Optimizers",
    "SGD steps against the gradient. Momentum keeps part of the last step, so steps that agree add up. Adam divides "
    "each weight's step by the size of its recent gradients, so every weight moves about the learning rate per "
    "step, whatever its gradient.",
    "SGD, momentum and Adam each train at learning rate 0.1 (SGD's default) and at 0.003. Which does worst at 0.1?",
    (*(OPTIMIZER_NAMES[o] for o in OPTIMIZERS), "all about the same"),
    tuple(replace(DEFAULT, optimizer=o, lr=lr) for o in OPTIMIZERS for lr in OPTIMIZER_RATES), explain_optimizers,
    replace(DEFAULT, optimizer="adam", lr=0.003), "app_pages/compare.py", "Compare runs")


# --- 8. Real handwriting -----------------------------------------------------------------------------------------

DROP_EDGES = (0.05, 0.2)


def distorted_accuracy(result, seed=0):
    """Accuracy of ``result`` on its test digits, each rotated, slanted, stretched and shifted once
    the way nncore.imaging.augment distorts training digits (drawn from a Generator seeded ``seed``)."""
    X, y = data.test_set(result.config.seed)
    bent = augment.distort(X, np.random.default_rng([seed, 7]))
    return float((result.predict(bent) == y).mean())


def explain_handwriting(results):
    plain, trained = results
    bent = [distorted_accuracy(r) for r in results]
    drop = plain.test_accuracy - bent[0]
    lines = [f"The default network ({plain.config.name}): {_acc(plain.test_accuracy)} on the test scans, "
             f"{_acc(bent[0])} on the same digits distorted — {drop * 100:.1f} points lower.",
             f"Trained with {trained.config.augment} distorted copies of each training digit ({trained.config.name}):"
             f" {_acc(trained.test_accuracy)} on the scans, {_acc(bent[1])} distorted."]
    gain = bent[1] - bent[0]
    lines.append(f"On distorted digits the network trained on distorted copies read {abs(gain) * 100:.1f} points "
                 f"{'more' if gain >= 0 else 'fewer'} correctly than the default network.")
    return Outcome(_band(drop, DROP_EDGES), tuple(lines))


AUGMENTED = replace(DEFAULT, hidden=128, epochs=20, augment=5)
HANDWRITING = Lesson(
    "handwriting", "Real handwriting",
    "The Digits scans are centred, upright and of one thickness. Digits people draw are not: rotated, slanted, "
    "shifted, thinner or thicker. A network only knows what it was trained on; augmentation trains it on distorted "
    "copies of the training digits too (the sidebar's Handwriting preset goes further, averaging three networks).",
    "Take the default network's test digits and rotate, slant and shift each a little, as people draw. Compared "
    "with the scans as they are, how many does it read correctly?",
    ("about as many (within 5 points)", "somewhat fewer (5–20 points lower)", "far fewer (over 20 points lower)"),
    (DEFAULT, AUGMENTED), explain_handwriting, AUGMENTED, "app_pages/probe.py", "Probe a digit")


LESSONS = (UNIT, LEARNING_RATE, STANDARDIZATION, CAPACITY, OVERFITTING, ACTIVATION, OPTIMIZER, HANDWRITING)
BY_KEY = {lesson.key: lesson for lesson in LESSONS}
