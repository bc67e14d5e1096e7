"""The FLOP floor: the matrix products a training does, and how fast NumPy does each one here.

A training run is, in FLOPs, almost only its matrix products (bias adds, ReLU and softmax are
O(n * hidden), not O(n * hidden * 64)). The floor of a run is the sum over its products of the
time NumPy takes for one product of that exact shape, timed here, on preallocated operands:

* "matmul": ``np.matmul(A, B, out=C)`` with A (M, K) and B (K, N) contiguous, the product as
  the maths writes it (on one BLAS thread or the default number, whichever is faster);
* "best": the fastest of np.matmul and np.dot, each operand stored as written or transposed,
  on one BLAS thread or the default number -- a stricter lower bound, since OpenBLAS's small
  matrix kernels are much faster for some layouts than others.

Elementwise work and Python are left out, so the floor is a lower bound of any NumPy training.
What they add is measured on the training pass itself (``training_pass``).
"""

import itertools

import numpy as np
from threadpoolctl import threadpool_limits
from timing import per_call

from nncore import MLP, data, optim
from nncore.lab.threads import single_threaded_blas
from nncore.training import run_epoch

N_IN, N_OUT = 64, 10


def products(hidden, batch, n_train, n_val, n_test, epochs):
    """{(M, K, N): count} of the matrix products of a training run as ``nncore.train`` does it.

    Per batch of m rows, ``MLP.forward``: X @ W1 (m,64,h) and H @ W2 (m,h,10); ``MLP.backward``:
    H.T @ dlogits (h,m,10), dlogits @ W2.T (m,10,h) and X.T @ dZ1 (64,m,h); the optimizer's step
    has none. Per epoch the validation forward pass; once, the test forward pass.
    """
    counts = {}

    def add(shape, times):
        if times and min(shape) > 0:
            counts[shape] = counts.get(shape, 0) + times

    batch = min(batch, n_train)
    sizes = [batch] * (n_train // batch) + ([n_train % batch] if n_train % batch else [])
    for m in sizes:
        for shape in ((m, N_IN, hidden), (m, hidden, N_OUT), (hidden, m, N_OUT), (m, N_OUT, hidden),
                      (N_IN, m, hidden)):
            add(shape, epochs)
    for rows, times in ((n_val, epochs), (n_test, 1)):
        add((rows, N_IN, hidden), times)
        add((rows, hidden, N_OUT), times)
    return counts


def flops(counts):
    """Multiply-adds times two, over all products."""
    return sum(2 * M * K * N * times for (M, K, N), times in counts.items())


def _operands(M, K, N, a_transposed, b_transposed, dtype):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((K, M) if a_transposed else (M, K)).astype(dtype)
    B = rng.standard_normal((N, K) if b_transposed else (K, N)).astype(dtype)
    return (A.T if a_transposed else A), (B.T if b_transposed else B), np.empty((M, N), dtype)


def _calls_for(M, K, N):
    """Back-to-back calls per timing block: about a millisecond of work at ~100 GFLOP/s."""
    return int(min(2000, max(5, 5e7 / (M * K * N))))


def variants(M, K, N):
    """The ways of doing one product that the 'best' floor tries: (label, threads, fn)."""
    found = []
    many_threads = M * K * N > 64 ** 3  # below this OpenBLAS uses one thread anyway
    for a_t, b_t in itertools.product((False, True), repeat=2):
        A, B, C = _operands(M, K, N, a_t, b_t, np.float32)
        layout = ("A.T" if a_t else "A") + "@" + ("B.T" if b_t else "B")
        for name, function in (("matmul", np.matmul), ("dot", np.dot)):
            for threads in ((1, None) if many_threads else (1,)):
                found.append((f"{name} {layout} {threads or 'all'} thr", threads,
                              lambda f=function, A=A, B=B, C=C: f(A, B, out=C)))
    return found


class ProductTimer:
    """Times the products of ``shapes`` in every variant, one block of each per ``round()``, so
    that rounds can be interleaved with other measurements and a noisy moment of the machine
    touches all of them alike."""

    def __init__(self, shapes):
        self.plans = {shape: variants(*shape) for shape in shapes}
        self.samples = {(shape, label): [] for shape, found in self.plans.items() for label, _, _ in found}

    def round(self):
        for shape, found in self.plans.items():
            for label, threads, fn in found:
                with threadpool_limits(threads, user_api="blas"):
                    timing = per_call(fn, _calls_for(*shape), 1)
                self.samples[(shape, label)].append(timing.median)

    def result(self):
        """{shape: {"matmul": s, "best": s, "best_how": label}}: median seconds of one product."""
        found = {}
        for shape, plan in self.plans.items():
            medians = {label: float(np.median(self.samples[(shape, label)])) for label, _, _ in plan}
            best = min(medians, key=medians.get)
            plain = min(seconds for label, seconds in medians.items() if label.startswith("matmul A@B "))
            found[shape] = {"matmul": plain, "best": medians[best], "best_how": best}
        return found


def time_products(shapes, rounds=5):
    """ProductTimer(shapes).result() after ``rounds`` rounds."""
    timer = ProductTimer(shapes)
    for _ in range(rounds):
        timer.round()
    return timer.result()


def floor_seconds(counts, timed, kind):
    """Sum over the products of count x the timed seconds of one product (kind 'matmul' or 'best')."""
    return sum(times * timed[shape][kind] for shape, times in counts.items())


def training_pass(optimizer, lr, hidden=64, batch=64):
    """(epoch, steps): a function running one epoch of ``nncore.training.run_epoch`` -- the
    training pass as ``nncore.train`` runs it: one shuffle, then per batch ``MLP.forward``,
    ``MLP.backward`` and the optimizer's step -- on the seed-0 training split in float32 with BLAS
    on one thread, and the number of steps in that epoch. Whatever the floor leaves out is in it."""
    X, y = data.digits()
    train = data.split(0).train
    X_train = data.Standardizer.fit(X[train])(X[train], np.float32)
    Y_train = np.eye(N_OUT, dtype=np.float32)[y[train]]
    model = MLP(N_IN, hidden, N_OUT, rng=0, dtype=np.float32)
    step = optim.make(optimizer, model.parameters(), lr)
    rng = np.random.default_rng(0)

    def epoch():
        with single_threaded_blas():
            run_epoch(model, step, X_train, y[train], Y_train, batch, 0.0, rng)

    return epoch, -(-len(train) // batch)
