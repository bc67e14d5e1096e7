"""Any run as a Jupyter notebook that rebuilds it from nncore's own source.

``build(config)`` returns an nbformat notebook that needs only NumPy and scikit-learn: its code
cells carry nncore's definitions as they are at export time (``nncore.lab.source``: the
functions, the data split and standardization, ``MLP``, the optimizers, the epoch loop,
``train`` and whatever they use), between markdown cells that read like the notes, and every
setting of the run in one cell at the top. Run top to bottom it trains the run again: with the
same seed, the same numbers. ``exercise=True`` blanks the gradient lines of the backward pass
(each ``...`` with its formula in a comment) and a finite-difference check says, per gradient,
whether the learner's lines are right before anything trains.
"""

import re
from dataclasses import fields

from ..config import BOUNDS, TrainConfig
from .source import Bundle, SourceError, module

# What each part of the notebook shows, as nncore names it: (module, name). Whatever these use
# comes along (the rest of training's code in the cell before ``train``).
SETTINGS = [("config", "TrainConfig")]
ROWS = [("training", "training_rows")]  # the rows, labels and scaling a run trains on
NETWORK = [("model", "MLP"), ("model", "Ensemble")]
OPTIMIZERS = [("optim", "OPTIMIZERS"), ("optim", "make"), ("optim", "SCHEDULES")]
LOOP = [("training", "run_epoch")]
TRAIN = [("training", "train")]

# The gradient lines of the backward pass that the exercise blanks, with the formula each
# computes (the notes' notation). Every one must be found in MLP's source.
FORMULAS = {
    "dlogits": "(P - Y) / n, Y the one-hot rows of y: softmax and cross-entropy together",
    "dW2": "H^T dlogits",
    "db2": "dlogits summed over the batch (the rows)",
    "dH": "dlogits W2^T",
    "dZ1": "dH * f'(Z1), elementwise; DERIVATIVES[self.activation] gives f' in terms of H",
    "dW1": "X^T dZ1",
    "db1": "dZ1 summed over the batch (the rows)",
}
PENALTY = "+ l2 W{layer}: the gradient of l2/2 |W{layer}|^2"
GRADIENT_LINE = re.compile(r"^(?P<indent>\s*)(?P<name>\w+)\s*(?P<op>\+?=)\s*(?P<code>[^#]*?)\s*(?:#\s*(?P<note>.*))?$")
SHAPE_NOTE = re.compile(r"^\(.*\)$")


def blank_gradients(text):
    """MLP's source with each gradient line of FORMULAS (and the weight-decay additions) replaced
    by ``name = ...  # formula``, its shape comment kept. Raises SourceError naming a gradient
    whose line is not there (the exercise would then leave it filled in)."""
    found, lines = set(), []
    for line in text.splitlines():
        match = GRADIENT_LINE.match(line)
        name = match and match["name"]
        if name in FORMULAS and match["op"] == "=":
            formula = FORMULAS[name]
        elif name in ("dW1", "dW2") and match["op"] == "+=" and "l2" in match["code"]:
            formula = PENALTY.format(layer=name[2])
        else:
            lines.append(line)
            continue
        found.add(name)
        shape = f"  {match['note']}" if match["note"] and SHAPE_NOTE.match(match["note"]) else ""
        lines.append(f"{match['indent']}{name} {match['op']} ...  # {formula}{shape}")
    missing = [name for name in FORMULAS if name not in found]
    if missing:
        raise SourceError(f"MLP's source has no line computing {', '.join(missing)}: the exercise cannot blank it")
    return "\n".join(lines) + "\n"


def file_name(config, exercise=False):
    """A file name for the notebook of ``config``: 'digits-h64-lr0.1-b64-e30-s0.ipynb'."""
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", config.name).strip("-")
    return f"digits-{slug}{'-exercise' if exercise else ''}.ipynb"


def to_bytes(config, result=None, exercise=False):
    """The notebook of ``build`` as the bytes of an .ipynb file."""
    import nbformat  # imported when a notebook is built, not by every page that offers one

    return nbformat.writes(build(config, result, exercise)).encode("utf-8")


def build(config, result=None, exercise=False):
    """The notebook that trains ``config`` (a TrainConfig) from nncore's source.

    ``result``: the TrainResult of that run, when there is one (the app's, or a saved file's):
    its best epoch and test accuracy are written in, and the last cell says whether the notebook
    got the same. ``exercise``: blank the gradient lines for the learner and check them.
    Raises SourceError if nncore's source cannot be gathered."""
    import nbformat

    if not isinstance(config, TrainConfig):
        raise TypeError(f"build() takes a TrainConfig, got {type(config).__name__}")
    data, functions = _all_of("data"), _all_of("functions")
    bundle = Bundle(SETTINGS + data + ROWS + functions + NETWORK + OPTIMIZERS + LOOP + TRAIN)
    cells = []
    md, code = _markdown(cells), _code(cells)

    md(_title(config, result, exercise))
    md("## The settings\n\nEvery setting of the run, with what it does and its range. Change one, then "
       "*Run all*: the cells below train that run instead.")
    code(_settings(config))
    md("## Imports\n\nNumPy for the network, scikit-learn for the digits and the split, Python's standard "
       "library for the rest: nothing of Digits Playground needs installing. The cells below that define "
       "things are nncore's own source, as it was when this notebook was made (with module prefixes such as "
       "`data.` dropped, since everything here lives in one namespace).")
    code("\n".join(bundle.imports()))
    md("nncore's settings object checks each setting against its range, so a value out of range "
       "stops here with a sentence saying which one (open the cell to read it).")
    code(_definitions(bundle.take(SETTINGS)), hidden=True)
    code("config = TrainConfig(**settings)\nprint(config.name)")

    md(_data_text(config))
    code(_definitions(bundle.take(data)))
    md("The rows a run trains on: its share of the training split (`train_share`), then any distorted copies "
       "(`augment`, made by nncore's image code in the hidden cell), with the labels it learns from (`label_noise`).")
    code(_definitions(bundle.take(ROWS, only_needs=True)), hidden=True)
    code(_definitions(bundle.take(ROWS)))
    code(DATA_DEMO)

    md("## Activations and softmax\n\nSmall pure functions gathered in dicts: the hidden layer's nonlinearity "
       "`f` with its derivative written in terms of its output `H = f(Z1)`, and a softmax that takes the row "
       "maximum out before `exp` so no `exp` overflows.")
    code(_definitions(bundle.take(functions)))

    md(NETWORK_TEXT + (EXERCISE_TEXT if exercise else ""))
    network = bundle.take(NETWORK)
    if exercise:
        network = [(key, blank_gradients(text) if key == ("model", "MLP") else text) for key, text in network]
    code(_definitions(network))
    md("### One forward pass on five digits\n\nA fresh network of the run's size and activation (in float64, "
       "as the checks use), on the first five training digits; every array of the pass stays in `net.trace`.")
    code(FORWARD_DEMO)
    md("## The loss\n\nThe mean cross-entropy: minus the log of the probability given to the true digit. A "
       "network that guesses evenly scores log 10 = 2.30; the training adds `l2/2 (|W1|^2 + |W2|^2)` when "
       "`l2` > 0.")
    code(LOSS_DEMO)
    md(BACKWARD_TEXT)
    code(CHECK)
    code(BACKWARD_DEMO)

    md("## One optimizer step\n\nThe optimizer holds the parameter arrays and updates them in place from the "
       "gradients; `SCHEDULES` set its learning rate per epoch. One step of the run's optimizer on the five "
       "digits, with their loss before and after:")
    code(_definitions(bundle.take(OPTIMIZERS)))
    code(STEP_DEMO)

    md("## The epoch loop\n\nOne pass over the shuffled training rows, one step per batch: forward, backward, "
       "step.")
    code(_definitions(bundle.take(LOOP)))
    rest = bundle.take(TRAIN, only_needs=True)
    md("## The rest of nncore's training code\n\nWhat `train` uses besides the cells above: "
       + ", ".join(f"`{bundle.names[key]}`" for key, _ in rest) + ". Run it; open it if curious.")
    code(_definitions(rest), hidden=True)
    md("## Training\n\n`train` is the straight line: data, networks, epochs of the loop above, the epoch with the "
       "best validation accuracy kept, then the test split, once.")
    code(_definitions(bundle.take(TRAIN)))
    code(TRAIN_RUN)
    md("## The curves\n\nLoss and accuracy per epoch, on the training rows and on the validation rows.")
    code(CURVES)
    md("## A few mistakes\n\nTest digits the kept network gets wrong, drawn in text (darker characters: more ink).")
    code(MISTAKES)
    md("## Test accuracy\n\nMeasured once, on the test split, with the epoch chosen on the validation split.")
    code(_ending(result))

    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.update(kernelspec={"name": "python3", "display_name": "Python 3", "language": "python"},
                             language_info={"name": "python"}, nncore={"run": config.name, "exercise": exercise})
    nbformat.validate(notebook)
    return notebook


def sources(notebook):
    """The nncore definitions a notebook of ``build`` carries: ['config.TrainConfig', ...]."""
    return [name for cell in notebook.cells for name in cell.metadata.get("nncore", [])]


def _all_of(module_name):
    """Every top-level definition of an nncore module, as (module, name)."""
    return [(module_name, name) for name in module(module_name).statements]


def _markdown(cells):
    import nbformat

    def add(text):
        cells.append(nbformat.v4.new_markdown_cell(text))
    return add


def _code(cells):
    import nbformat

    def add(source, hidden=False):
        definitions = source if isinstance(source, tuple) else None
        cell = nbformat.v4.new_code_cell(definitions[0] if definitions else source)
        if definitions:
            cell.metadata["nncore"] = definitions[1]
        if hidden:
            cell.metadata["jupyter"] = {"source_hidden": True}
        cells.append(cell)
    return add


def _definitions(taken):
    """(source, names) of definitions [(key, text)]: the texts under a comment naming their file."""
    parts, last = [], None
    for (module_name, _), text in taken:
        if module_name != last:
            parts.append(f"# nncore/{module_name.replace('.', '/')}.py\n")
            last = module_name
        parts.append(text + "\n")
    return "\n".join(parts).rstrip() + "\n", [f"{key[0]}.{key[1]}" for key, _ in taken]


def _settings(config):
    """The settings cell: every field of TrainConfig with its value, what it does and its range."""
    lines = ["settings = dict("]
    for f in fields(TrainConfig):
        setting = BOUNDS.get(f.name)
        note = f"  # {setting.help} ({setting.allowed()})" if setting else ""
        lines.append(f"    {f.name}={getattr(config, f.name)!r},{note}")
    lines.append(")")
    return "\n".join(lines)


def _title(config, result, exercise):
    lines = [f"# Digits: the run {config.name}",
             "",
             "A two-layer network in NumPy (64 pixels -> hidden layer -> 10 digits) trained on scikit-learn's 8x8 "
             "Digits, exported from Digits Playground with the code that trained it there. *Run all* trains it "
             "again; with the same seed it is the same run: the same epochs, the same test accuracy."]
    if result is not None:
        lines += ["", f"The run this notebook was made from: {result.ending}; best epoch {result.best_epoch}, "
                      f"test accuracy {result.test_accuracy:.4f}. The last cell compares."]
        if result.ended == "stopped":
            lines += ["", f"That run was stopped by hand after epoch {result.epochs_run}; this notebook trains all "
                          f"{config.epochs} epochs, so its numbers can differ (set epochs={result.epochs_run} "
                          "to train what was trained)."]
    lines += ["", "Training runs in float32, where the order of additions matters: a machine whose NumPy uses a "
                  "different BLAS library can differ in the last digits of the losses, and rarely in an epoch's "
                  "accuracy."]
    if exercise:
        lines += ["", "**Exercise:** the backward pass is yours to write. Fill in the lines marked `...` in "
                      "the network's cell, then run the gradient check: it says which gradients are right. "
                      "Training starts only when all are."]
    return "\n".join(lines)


def _data_text(config):
    return ("## The data\n\n1,797 digits of 8x8 pixels (0..16 of ink). A stratified split drawn with the run's seed "
            "keeps 20% for testing and `val_share` for validation (choosing the epoch); the network trains on the "
            f"rest. Then the pixels are scaled; this run's `scaling` is `{config.scaling}`: "
            f"{SCALING_TEXT[config.scaling]}")


SCALING_TEXT = {
    "standardize": "each pixel becomes `(x - mean) / std`, with the mean and std of the training rows, so every input "
                   "starts on the same scale.",
    "divide": "each pixel is divided by 16, into 0..1 (no centring).",
    "none": "the raw 0..16 pixels go in unchanged.",
}


def _ending(result):
    lines = ['print(f"best epoch {result.best_epoch} of {result.epochs_run}, '
             'test accuracy {result.test_accuracy:.4f} (exactly {result.test_accuracy!r})")']
    if result is not None:
        lines += [f"made_from = dict(best_epoch={result.best_epoch}, test_accuracy={result.test_accuracy!r})  "
                  "# the run this notebook was made from",
                  "same = (result.best_epoch, result.test_accuracy) == (made_from['best_epoch'], "
                  "made_from['test_accuracy'])",
                  'print("the same as the run this notebook was made from" if same else '
                  'f"different from the run this notebook was made from: {made_from}")']
    return "\n".join(lines)


NETWORK_TEXT = """## The network

`MLP` is the network: `forward` computes, for a batch `X` of `n` digits,

    Z1 = X W1 + b1          (n, hidden)
    H  = f(Z1)              (n, hidden)
    logits = H W2 + b2      (n, 10)

and `backward` goes back from the loss to every weight with the chain rule (`backprop` holds the lines after
`dlogits`). `Ensemble` averages the softmax outputs of several networks (a run of `ensemble` > 1)."""

EXERCISE_TEXT = """

**Your turn.** In `backward` and `backprop` below, each gradient line is `...` with its formula in a comment.
Replace each `...` with NumPy code (`@` multiplies matrices, `.T` transposes, `.sum(axis=0)` sums over the rows),
then run the check further down."""

BACKWARD_TEXT = """## Backward

Each gradient, from the loss back to `W1` (shapes for a batch of `n` digits):

| gradient | formula | shape |
|---|---|---|
| `dlogits` | `(P - Y) / n` (softmax and cross-entropy together) | (n, 10) |
| `dW2` | `H^T dlogits` (+ `l2 W2`) | (hidden, 10) |
| `db2` | `dlogits` summed over the rows | (10,) |
| `dH` | `dlogits W2^T` | (n, hidden) |
| `dZ1` | `dH * f'(Z1)` | (n, hidden) |
| `dW1` | `X^T dZ1` (+ `l2 W1`) | (64, hidden) |
| `db1` | `dZ1` summed over the rows | (hidden,) |

**The gradient check.** A gradient says how the loss changes when one weight moves a little; so move each
weight of a small float64 network by +-1e-6, measure the loss both times, and compare the slope with what
`backward` says. Each gradient is right when they agree to within 1e-5 (relative to the largest); training
starts only then."""

DATA_DEMO = """X_all, y_all = digits()
parts = split(config.seed, config.val_share)
X_fit, y_train, y_learn = training_rows(config)
standardizer = SCALINGS[config.scaling](X_fit)  # the run's scaling, fitted on its training rows
X_train = standardizer(X_fit)
print(f"{len(y_all)} digits: {len(parts.train)} in the training split, {len(parts.val)} to validate, "
      f"{len(parts.test)} to test; this run trains on {len(y_train)} rows")
print(f"{np.mean(y_learn != y_train):.0%} of the training labels it learns from are wrong (label_noise)")
print(f"the first training digit, raw (label {y_train[0]}):")
print(X_fit[0].reshape(8, 8).astype(int))
print(f"scaled ({config.scaling}): X_train {X_train.shape}, from {X_train.min():.2f} to {X_train.max():.2f}, "
      f"mean {X_train.mean():.3f}, std {X_train.std():.3f}")"""

FORWARD_DEMO = """net = MLP(64, config.hidden, 10, rng=config.seed, dtype=np.float64, activation=config.activation)
X5, y5 = X_train[:5], y_train[:5]
logits = net.forward(X5)
for name, array in net.trace.items():
    print(f"{name:7s} {array.shape}")
P = softmax(logits)
print("probabilities (a row per digit):")
print(P.round(3))
print("labels ", y5, "\\nguesses", P.argmax(axis=1))"""

LOSS_DEMO = """loss = cross_entropy(logits, y5)
print(f"mean cross-entropy of the five digits: {loss:.4f} (guessing evenly: {np.log(10):.4f})")"""

BACKWARD_DEMO = """net.forward(X5)
grads = net.backward(y5, config.l2)
print(f"loss {net.loss:.4f}")
for name, p in net.parameters().items():
    print(f"d{name:3s} {str(grads[name].shape):10s} largest |value| {np.abs(grads[name]).max():.4f}")"""

CHECK = """def gradient_check(activation=config.activation, l2=0.01, hidden=7, n=6, eps=1e-6, tolerance=1e-5):
    \"\"\"Compare backward's gradients with finite differences on a small float64 network (l2 > 0, so the
    weight-decay lines are checked too). Returns {gradient: None if right, else why it is wrong}.\"\"\"
    check_net = MLP(64, hidden, 10, rng=config.seed, dtype=np.float64, activation=activation)
    X, y = X_train[:n].astype(np.float64), y_train[:n]

    def loss():
        penalty = l2 / 2 * (np.sum(check_net.W1 ** 2) + np.sum(check_net.W2 ** 2))
        return cross_entropy(check_net.forward(X, remember=False), y) + penalty

    check_net.forward(X)
    try:
        grads = check_net.backward(y, l2)
    except Exception as error:  # a line still '...', or a shape that does not fit
        failed = f"backward() failed ({type(error).__name__}: {error}): is a line still '...'?"
        return {f"d{name}": failed for name in ("W2", "b2", "W1", "b1")}
    verdicts = {}
    for name in ("W2", "b2", "W1", "b1"):
        p, g = check_net.parameters()[name], grads.get(name) if isinstance(grads, dict) else None
        if not isinstance(g, np.ndarray) or g.shape != p.shape:
            shape = g.shape if isinstance(g, np.ndarray) else type(g).__name__
            verdicts[f"d{name}"] = f"wrong: it is {shape}, and it must have {name}'s shape {p.shape}"
            continue
        numeric = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            kept = p[i]
            p[i] = kept + eps
            up = loss()
            p[i] = kept - eps
            down = loss()
            p[i] = kept
            numeric[i] = (up - down) / (2 * eps)
        error = np.abs(g - numeric).max() / max(np.abs(numeric).max(), 1e-12)
        verdicts[f"d{name}"] = None if error <= tolerance else f"wrong: largest relative error {error:.2g}"
    return verdicts


verdicts = gradient_check()
for name, problem in verdicts.items():
    print(f"{name}: {problem or 'right'}")
wrong = [name for name, problem in verdicts.items() if problem]
if wrong:
    raise AssertionError(f"fix {', '.join(wrong)} in backward/backprop, run that cell again, then this one")
print("all four gradients are right: on to training")"""

STEP_DEMO = """momentum = {"momentum": config.momentum} if config.optimizer == "momentum" else {}
optimizer = make(config.optimizer, net.parameters(), config.lr, **momentum)
before = cross_entropy(net.forward(X5), y5)
optimizer.step(net.backward(y5, config.l2))
after = cross_entropy(net.forward(X5), y5)
print(f"{config.optimizer}, lr {config.lr}: loss of the five {before:.4f} -> {after:.4f} after one step")"""

TRAIN_RUN = """def report(stats):
    print(f"epoch {stats.epoch:3d}/{stats.epochs}  loss {stats.train_loss:.4f}  val_loss {stats.val_loss:.4f}  "
          f"train_acc {stats.train_acc:.4f}  val_acc {stats.val_acc:.4f}")


result = train(config, callback=report)
print(result.ending)
print(f"kept: epoch {result.best_epoch}, validation accuracy {result.best_val_accuracy:.4f}")"""

CURVES = """history = result.history
try:
    import matplotlib.pyplot as plt
except ImportError:  # no matplotlib: the numbers instead
    print("epoch  train_loss  val_loss  train_acc  val_acc")
    for epoch, row in enumerate(zip(*(history[k] for k in ("train_loss", "val_loss", "train_acc", "val_acc"))), 1):
        print(f"{epoch:5d}  " + "  ".join(f"{value:9.4f}" for value in row))
else:
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
    epochs = range(1, len(history["val_loss"]) + 1)
    left.plot(epochs, history["train_loss"], label="training")
    left.plot(epochs, history["val_loss"], label="validation")
    left.set(xlabel="epoch", ylabel="loss")
    right.plot(epochs, history["train_acc"], label="training")
    right.plot(epochs, history["val_acc"], label="validation")
    right.axvline(result.best_epoch, color="grey", linestyle=":", label="kept")
    right.set(xlabel="epoch", ylabel="accuracy")
    left.legend()
    right.legend()
    plt.show()"""

MISTAKES = """X_test, y_test = test_set(config.seed)
guesses = result.predict(X_test)
wrong = np.flatnonzero(guesses != y_test)
print(f"{len(wrong)} of {len(y_test)} test digits wrong")
INK = " .:-=+*#%@"
for i in wrong[:4]:
    print(f"\\ntrue {y_test[i]}, guessed {guesses[i]}:")
    for row in X_test[i].reshape(8, 8):
        print(" ".join(INK[int(v * (len(INK) - 1) / 16)] * 2 for v in row))"""
