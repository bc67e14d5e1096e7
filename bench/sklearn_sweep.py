"""The peer of `python main.py sweep --hidden 16,64,256 --lr 0.01,0.1 --epochs 20 --jobs N`
(bench/speed.py times both as whole processes): the same six settings as scikit-learn
MLPClassifier fits in joblib.Parallel(n_jobs=N), on the seed-0 split of the same digits
(train_test_split as nncore.data draws it), standardized on the training rows; each fit scores
the test rows. Plain SGD, batches of 64, 20 epochs, no early stopping, as nncore.lab.peer maps ours.

    python bench/sklearn_sweep.py [N]
"""

import sys
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

HIDDEN, LRS, EPOCHS = (16, 64, 256), (0.01, 0.1), 20


def fit(hidden, lr, X_train, y_train, X_test, y_test):
    model = MLPClassifier(hidden_layer_sizes=(hidden,), solver="sgd", learning_rate_init=lr, learning_rate="constant",
                          momentum=0.0, nesterovs_momentum=False, batch_size=64, max_iter=EPOCHS, alpha=0.0,
                          random_state=0, tol=0.0, n_iter_no_change=EPOCHS + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # "maximum iterations reached": as asked
        model.fit(X_train, y_train)
    return hidden, lr, model.score(X_test, y_test)


def main(n_jobs):
    X, y = load_digits(return_X_y=True)
    rest, test = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=0)
    train, _ = train_test_split(rest, test_size=0.25, stratify=y[rest], random_state=0)
    scaler = StandardScaler().fit(X[train])
    rows = (scaler.transform(X[train]).astype(np.float32), y[train], scaler.transform(X[test]).astype(np.float32),
            y[test])
    for hidden, lr, accuracy in Parallel(n_jobs=n_jobs)(delayed(fit)(h, lr, *rows) for h in HIDDEN for lr in LRS):
        print(f"hidden {hidden} lr {lr}: test {accuracy:.4f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
