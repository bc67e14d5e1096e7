"""Training the default config: ours against scikit-learn's MLPClassifier and PyTorch on the CPU.

All three train 64 -> 64 ReLU -> 10 with softmax cross-entropy, plain SGD (lr 0.1, no momentum,
no weight decay), batches of 64 reshuffled every epoch, 30 epochs, on the same training split
of seed 0 standardized by the same ``nncore.data.Standardizer``, and are scored on the same
test split. What is timed:

* ours: ``nncore.train(TrainConfig())`` end to end: standardization, 30 epochs each followed by
  a validation pass and best-epoch bookkeeping, and the test-split evaluation;
* scikit-learn: ``fit`` on the prepared float64 (its default) or float32 training rows, then
  ``score`` on the test rows; its learning-rate schedule is 'constant' and tol=0 with a huge
  n_iter_no_change, so all 30 epochs run;
* PyTorch: the same network (``nn.Sequential``, initialised with our seed-0 weights), the
  idiomatic fast loop (index the shuffled tensors, zero_grad, loss.backward, SGD step), then
  the test forward pass. Timed on one thread and on its default number of threads.

The peers do no validation pass per epoch; ours does. Ours keeps the best-validation epoch's
weights, the peers their last ones.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import nncore
from nncore import data

CONFIG = nncore.TrainConfig()  # 30 epochs, hidden 64, lr 0.1, batch 64, seed 0


def prepared(seed=CONFIG.seed):
    """(X_train, y_train, X_test, y_test) of ``seed``, standardized on the training rows, float64."""
    X, y = data.digits()
    parts = data.split(seed, CONFIG.val_share)
    standardize = data.Standardizer.fit(X[parts.train])
    return standardize(X[parts.train]), y[parts.train], standardize(X[parts.test]), y[parts.test]


def ours():
    """Train with nncore; returns the test accuracy."""
    return nncore.train(CONFIG).test_accuracy


def sklearn_contender(dtype):
    X_train, y_train, X_test, y_test = (a.astype(dtype) if a.dtype.kind == "f" else a for a in prepared())

    def fit_and_score():
        model = MLPClassifier(hidden_layer_sizes=(CONFIG.hidden,), solver="sgd", momentum=0.0, alpha=0.0,
                              learning_rate="constant", learning_rate_init=CONFIG.lr, batch_size=CONFIG.batch,
                              max_iter=CONFIG.epochs, tol=0.0, n_iter_no_change=10**9, shuffle=True,
                              random_state=CONFIG.seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # "30 iterations reached": as asked
            model.fit(X_train, y_train)
        return model.score(X_test, y_test)

    return fit_and_score


def torch_contender(threads):
    """A PyTorch CPU training on ``threads`` threads (None: its default), or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    default_threads = torch.get_num_threads()
    X_train, y_train, X_test, y_test = prepared()
    X_train, X_test = torch.from_numpy(X_train.astype(np.float32)), torch.from_numpy(X_test.astype(np.float32))
    y_train = torch.from_numpy(y_train)
    init = nncore.MLP(64, CONFIG.hidden, 10, seed=np.random.default_rng(CONFIG.seed), dtype=np.float32)

    def fit_and_score():
        torch.set_num_threads(threads or default_threads)
        generator = torch.Generator().manual_seed(CONFIG.seed)
        net = torch.nn.Sequential(torch.nn.Linear(64, CONFIG.hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(CONFIG.hidden, 10))
        with torch.no_grad():
            for layer, W, b in ((net[0], init.W1, init.b1), (net[2], init.W2, init.b2)):
                layer.weight.copy_(torch.from_numpy(W.T.copy()))
                layer.bias.copy_(torch.from_numpy(b))
        optimizer = torch.optim.SGD(net.parameters(), lr=CONFIG.lr)
        loss_function = torch.nn.CrossEntropyLoss()
        n = len(y_train)
        for _ in range(CONFIG.epochs):
            order = torch.randperm(n, generator=generator)
            X, y = X_train[order], y_train[order]
            for start in range(0, n, CONFIG.batch):
                optimizer.zero_grad()
                loss = loss_function(net(X[start:start + CONFIG.batch]), y[start:start + CONFIG.batch])
                loss.backward()
                optimizer.step()
        with torch.no_grad():
            accuracy = (net(X_test).argmax(dim=1) == torch.from_numpy(y_test)).double().mean().item()
        torch.set_num_threads(default_threads)
        return accuracy

    fit_and_score.threads = threads or default_threads
    return fit_and_score


def contenders():
    """name -> fn returning the test accuracy; PyTorch's entries are None when it is not installed."""
    found = {"ours (nncore, float32)": ours,
             "scikit-learn MLPClassifier, float64": sklearn_contender(np.float64),
             "scikit-learn MLPClassifier, float32": sklearn_contender(np.float32)}
    one = torch_contender(1)
    default = torch_contender(None)
    found["PyTorch CPU, 1 thread"] = one
    if default is None or default.threads != 1:
        found[f"PyTorch CPU, {default.threads if default else 'default'} threads"] = default
    return found
