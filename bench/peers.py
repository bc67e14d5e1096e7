"""Training the default config, with plain SGD and with Adam: ours against scikit-learn's
MLPClassifier and PyTorch on the CPU.

All train 64 -> 64 ReLU -> 10 with softmax cross-entropy, no weight decay, batches of 64
reshuffled every epoch, 30 epochs, on the same training split of seed 0 standardized by the same
``nncore.data.Standardizer``, and are scored on the same test split. The optimizer is plain SGD
(lr 0.1, no momentum) or Adam (lr ADAM_LR, betas 0.9 and 0.999, eps 1e-8). What is timed:

* ours: ``nncore.train(config)`` end to end: standardization, 30 epochs each followed by a
  validation pass and best-epoch bookkeeping, and the test-split evaluation;
* scikit-learn: ``fit`` on the prepared float64 (its default) or float32 training rows, then
  ``score`` on the test rows; its learning rate is constant and tol=0 with a huge
  n_iter_no_change, so all 30 epochs run;
* PyTorch: the same network (``nn.Sequential``, initialised with our seed-0 weights), the
  idiomatic fast loop (index the shuffled tensors, zero_grad, loss.backward, optimizer step),
  then the test forward pass. Timed on one thread and on its default number of threads.

The peers do no validation pass per epoch; ours does. Ours keeps the best-validation epoch's
weights, the peers their last ones.
"""

import warnings
from dataclasses import replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import nncore
from nncore import data
from nncore.lab.threads import single_threaded_blas

SGD = nncore.TrainConfig()  # 30 epochs, hidden 64, lr 0.1, batch 64, seed 0, plain SGD
ADAM_LRS = (0.001, 0.003, 0.01)  # the range our optimizer's docstring recommends, checked every run
ADAM_LR = 0.003  # both ours and scikit-learn's do well there (RESULTS.md, "Adam's learning rate")
ADAM = replace(SGD, optimizer="adam", lr=ADAM_LR)


def prepared(seed=0):
    """(X_train, y_train, X_test, y_test) of ``seed``, standardized on the training rows, float64."""
    X, y = data.digits()
    parts = data.split(seed, SGD.val_share)
    standardize = data.Standardizer.fit(X[parts.train])
    return standardize(X[parts.train]), y[parts.train], standardize(X[parts.test]), y[parts.test]


def ours(config):
    """Train with nncore; the function returns the test accuracy."""
    def run():
        with single_threaded_blas():  # as the app, the command line and a sweep train
            return nncore.train(config).test_accuracy

    return run


def sklearn_contender(config, dtype=np.float64):
    """``MLPClassifier`` with ``config``'s settings, fitted on rows of ``dtype``; the function
    returns the test accuracy."""
    X_train, y_train, X_test, y_test = (a.astype(dtype) if a.dtype.kind == "f" else a for a in prepared(config.seed))
    if config.optimizer == "sgd":
        solver = {"solver": "sgd", "momentum": 0.0, "learning_rate": "constant"}
    else:
        solver = {"solver": "adam", "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}

    def fit_and_score():
        model = MLPClassifier(hidden_layer_sizes=(config.hidden,), alpha=0.0, learning_rate_init=config.lr,
                              batch_size=config.batch, max_iter=config.epochs, tol=0.0, n_iter_no_change=10**9,
                              shuffle=True, random_state=config.seed, **solver)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # "30 iterations reached": as asked
            model.fit(X_train, y_train)
        return model.score(X_test, y_test)

    return fit_and_score


def torch_contender(config, threads):
    """A PyTorch CPU training on ``threads`` threads (None: its default), or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    default_threads = torch.get_num_threads()
    X_train, y_train, X_test, y_test = prepared(config.seed)
    X_train, X_test = torch.from_numpy(X_train.astype(np.float32)), torch.from_numpy(X_test.astype(np.float32))
    y_train = torch.from_numpy(y_train)
    init = nncore.MLP(64, config.hidden, 10, rng=np.random.default_rng(config.seed), dtype=np.float32)

    def fit_and_score():
        torch.set_num_threads(threads or default_threads)
        generator = torch.Generator().manual_seed(config.seed)
        net = torch.nn.Sequential(torch.nn.Linear(64, config.hidden), torch.nn.ReLU(),
                                  torch.nn.Linear(config.hidden, 10))
        with torch.no_grad():
            for layer, W, b in ((net[0], init.W1, init.b1), (net[2], init.W2, init.b2)):
                layer.weight.copy_(torch.from_numpy(W.T.copy()))
                layer.bias.copy_(torch.from_numpy(b))
        if config.optimizer == "sgd":
            optimizer = torch.optim.SGD(net.parameters(), lr=config.lr)
        else:
            optimizer = torch.optim.Adam(net.parameters(), lr=config.lr, betas=(0.9, 0.999), eps=1e-8)
        loss_function = torch.nn.CrossEntropyLoss()
        n = len(y_train)
        for _ in range(config.epochs):
            order = torch.randperm(n, generator=generator)
            X, y = X_train[order], y_train[order]
            for start in range(0, n, config.batch):
                optimizer.zero_grad()
                loss = loss_function(net(X[start:start + config.batch]), y[start:start + config.batch])
                loss.backward()
                optimizer.step()
        with torch.no_grad():
            accuracy = (net(X_test).argmax(dim=1) == torch.from_numpy(y_test)).double().mean().item()
        torch.set_num_threads(default_threads)
        return accuracy

    fit_and_score.threads = threads or default_threads
    return fit_and_score


OURS = "ours (nncore, float32)"
SKLEARN = "scikit-learn MLPClassifier"


def contenders(config):
    """name -> fn returning the test accuracy, for ``config``; PyTorch's are None when it is not installed."""
    found = {OURS: ours(config),
             f"{SKLEARN}, float64": sklearn_contender(config, np.float64),
             f"{SKLEARN}, float32": sklearn_contender(config, np.float32)}
    one, default = torch_contender(config, 1), torch_contender(config, None)
    found["PyTorch CPU, 1 thread"] = one
    if default is None or default.threads != 1:
        found[f"PyTorch CPU, {default.threads if default else 'default'} threads"] = default
    return found


def adam_accuracies(seeds=(0, 1, 2)):
    """{lr: (our mean test accuracy, scikit-learn's)} over ``seeds`` for each of ADAM_LRS."""
    found = {}
    for lr in ADAM_LRS:
        configs = [replace(ADAM, lr=lr, seed=seed) for seed in seeds]
        found[lr] = (float(np.mean([ours(config)() for config in configs])),
                     float(np.mean([sklearn_contender(config)() for config in configs])))
    return found
