"""Digits Playground benchmarks, in one process: `python bench/run.py`.

Prints the tables and writes them to bench/RESULTS.md (its own section) with the scaling plot
bench/scaling.svg. Sections: the machine; training the default config with SGD and with Adam,
ours against scikit-learn and PyTorch; the FLOP floor of that training; scaling with hidden size
and batch; latencies; the app. Nothing here asserts a time: the machine is shared, so everything is interleaved and
reported as median [min-max] of one run, with ratios between medians of the same run.

    python bench/run.py               # everything (about 2-3 minutes)
    python bench/run.py --no-app      # without starting the app
    python bench/run.py --repeats 5   # fewer repetitions of the training comparison
"""

import argparse
import logging
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # nncore and the app's package, run from anywhere

import floor  # noqa: E402  (bench/ modules, found beside this script)
import peers  # noqa: E402
import report  # noqa: E402
import scaling  # noqa: E402
import timing  # noqa: E402
from report import span  # noqa: E402

import nncore  # noqa: E402
from nncore import data  # noqa: E402
from nncore.lab.threads import single_threaded_blas  # noqa: E402

OPTIMIZERS = {"SGD": peers.SGD, "Adam": peers.ADAM}
# NumPy calls of one training step besides its 5 products, counted in nncore/model.py and optim.py:
# forward 3, the batch's accuracy 3, backward 11 (log-softmax 7), backprop 4, and the update of 4 arrays.
OTHER_CALLS = {"SGD": 21 + 4 * 2, "Adam": 21 + 4 * 13}


def _peer_table(optimizer, timings, accuracy, missing):
    ours = timings[(optimizer, peers.OURS)].median
    rows = [[name, span(t), f"{t.median / ours:.2f}x", f"{accuracy[(which, name)]:.4f}"]
            for (which, name), t in timings.items() if which == optimizer]
    return report.table(["contender", "ms: median [min-max]", "time / ours", "test accuracy"],
                        rows + [[name, "not installed", "", ""] for which, name in missing if which == optimizer])


def training_section(repeats):
    """The peers' tables (SGD and Adam, interleaved in one run), Adam's learning rate, and the floor
    of the default training with what a step costs beyond its products."""
    contenders = {(optimizer, name): fn for optimizer, config in OPTIMIZERS.items()
                  for name, fn in peers.contenders(config).items()}
    missing = [key for key, fn in contenders.items() if fn is None]
    contenders = {key: fn for key, fn in contenders.items() if fn is not None}
    parts = data.split(0)
    counts = floor.products(64, 64, len(parts.train), len(parts.val), len(parts.test), 30)
    timer = floor.ProductTimer(counts)
    passes = {"SGD": floor.training_pass("sgd", peers.SGD.lr), "Adam": floor.training_pass("adam", peers.ADAM_LR)}
    per_step = {optimizer: [] for optimizer in passes}

    def between():  # interleaved with the trainings: the products, and the training pass per step
        timer.round()
        for optimizer, (epoch, steps) in passes.items():
            per_step[optimizer].append(timing.per_call(epoch, 5, 1).median / steps)

    timings, accuracy = timing.interleaved(contenders, repeats, between=between)
    timed = timer.result()
    adam_lrs = peers.adam_accuracies()
    ours = {optimizer: timings[(optimizer, peers.OURS)].median for optimizer in OPTIMIZERS}
    text = ["## Training the default config: ours vs scikit-learn vs PyTorch", "",
            f"30 epochs, hidden 64, batch 64, no weight decay, seed-0 split and standardization, with plain SGD "
            f"(lr {peers.SGD.lr:g}, no momentum) and with Adam (lr {peers.ADAM_LR:g}, betas 0.9 and 0.999, eps 1e-8; "
            f"`MLPClassifier(solver='adam')` with the same); all {len(contenders)} contenders interleaved over "
            f"{repeats} repetitions in one process. Ratio = the contender's median / ours with the same optimizer "
            "(above 1: ours is faster). Ours is timed end to end (`nncore.train`, with a validation pass after every "
            "epoch and the test evaluation); the peers for fit + test score only (details in `bench/peers.py`).", "",
            f"### Plain SGD, lr {peers.SGD.lr:g}", "", _peer_table("SGD", timings, accuracy, missing), "",
            f"### Adam, lr {peers.ADAM_LR:g}", "", _peer_table("Adam", timings, accuracy, missing), "",
            "Adam's learning rate: our optimizer suggests 0.001 to 0.01. Mean test accuracy over seeds 0-2 "
            f"(one untimed training each, float64 rows for scikit-learn); the tables use {peers.ADAM_LR:g}.", "",
            report.table(["Adam lr", "ours", "scikit-learn"],
                         [[f"{lr:g}", f"{a:.4f}", f"{b:.4f}"] for lr, (a, b) in adam_lrs.items()])]

    total_flops = floor.flops(counts)
    best, plain = floor.floor_seconds(counts, timed, "best"), floor.floor_seconds(counts, timed, "matmul")
    shape_rows = []
    for shape, times in sorted(counts.items(), key=lambda item: -item[1] * 2 * item[0][0] * item[0][1] * item[0][2]):
        t = timed[shape]
        M, K, N = shape
        shape_rows.append([f"({M}, {K}) @ ({K}, {N})", times, f"{2 * M * K * N * times / 1e6:.1f}",
                           f"{t['matmul'] * 1e6:.2f}", f"{t['best'] * 1e6:.2f} ({t['best_how']})",
                           f"{2 * M * K * N / t['best'] / 1e9:.0f}"])
    text += ["", "## FLOP floor of the default training", "",
             f"The training's matrix products: **{total_flops / 1e9:.3f} GFLOP** (forward and backward of "
             f"{-(-len(parts.train) // 64)} batches per epoch "
             "x 30 epochs, the validation pass after each epoch, the test pass), the same with SGD and Adam. "
             "Floor = sum over the products of "
             "the time NumPy takes for one product of that exact shape on this machine, measured in the same "
             "run (interleaved with the training repetitions); elementwise work and Python are left out, so it "
             "is a lower bound (see `bench/floor.py`).", "",
             report.table(["floor", "ms", "effective GFLOP/s", "our SGD median / floor", "our Adam median / floor"],
                          [[how, f"{seconds * 1e3:.2f}", f"{total_flops / seconds / 1e9:.0f}",
                            f"**{ours['SGD'] / seconds:.2f}x**", f"{ours['Adam'] / seconds:.2f}x"]
                           for how, seconds in (("np.matmul, operands as the maths writes them", plain),
                                                ("fastest NumPy call per shape (matmul or dot, any operand layout, "
                                                 "1 or 2 BLAS threads)", best))]),
             "", "Per product (microseconds for one product; best GFLOP/s):", "",
             report.table(["product", "count", "MFLOP", "np.matmul us", "fastest us (how)", "GFLOP/s"], shape_rows)]
    # X@W1 and X.T@dZ1 are (64, 64, 64); H@W2 and H.T@dlogits (64, 64, 10); dlogits@W2.T (64, 10, 64)
    products = (2 * timed[(64, 64, 64)]["best"] + 2 * timed[(64, 64, 10)]["best"] + timed[(64, 10, 64)]["best"])
    steps = 30 * -(-len(parts.train) // 64)
    sgd, adam = (statistics.median(per_step[optimizer]) for optimizer in ("SGD", "Adam"))
    text += ["", f"Where the rest goes: one step (64 rows) is 5 products, {products * 1e6:.1f} us at their fastest. "
             f"The training pass as `nncore.train` runs it (`floor.training_pass`: per batch `MLP.forward`, "
             f"`MLP.backward`, the optimizer's step; measured in the same run) takes {sgd * 1e6:.1f} us per step with "
             f"SGD and {adam * 1e6:.1f} us with Adam. Besides the products a step makes {OTHER_CALLS['SGD']} NumPy "
             f"calls with SGD and {OTHER_CALLS['Adam']} with Adam (bias adds, ReLU and its mask, the log-softmax, "
             "P - onehot, the bias gradients' sums, the train accuracy, and the update: 2 calls per parameter array "
             "for SGD, 13 for Adam), on arrays of at most 64 x 64: with the Python around them that is "
             f"{(sgd - products) / OTHER_CALLS['SGD'] * 1e6:.1f} us per call (SGD) and "
             f"{(adam - products) / OTHER_CALLS['Adam'] * 1e6:.1f} us (Adam): the fixed cost of a call, not its "
             "arithmetic. Over the "
             f"run's {steps} steps that is {steps * sgd * 1e3:.1f} ms (SGD) and {steps * adam * 1e3:.1f} ms (Adam) of "
             f"training pass, {steps * products * 1e3:.1f} ms of it products; the whole runs take "
             f"{ours['SGD'] * 1e3:.1f} and {ours['Adam'] * 1e3:.1f} ms (the rest: 30 validation passes, the "
             "standardization, the test pass, setup)."]
    figures = {"ours": ours, "timings": timings, "accuracy": accuracy, "floor_best": best, "floor_matmul": plain}
    return "\n".join(text), figures


def scaling_section(repeats):
    """Seconds per epoch over the grid, with the floor of one epoch of each config."""
    configs = scaling.grid()
    per_epoch = scaling.seconds_per_epoch(configs, repeats)
    parts = data.split(0)
    counts = {label: floor.products(config.hidden, config.batch, len(parts.train), len(parts.val), 0, 1)
              for label, _, _, config in configs}
    timed = floor.time_products({shape for c in counts.values() for shape in c}, rounds=max(3, repeats))
    rows, points = [], []
    for label, axis, value, _ in configs:
        t = per_epoch[label]
        best = floor.floor_seconds(counts[label], timed, "best")
        rows.append([label, span(t, digits=2), f"{best * 1e3:.2f}", f"{t.median / best:.2f}x",
                     f"{floor.flops(counts[label]) / t.median / 1e9:.1f}"])
        points.append((axis, value, t, best))
    text = ["## Scaling: one epoch (training pass + validation pass)", "",
            f"Default settings but the one varied; {repeats} interleaved runs of 6 epochs per config, the first epoch "
            "of each run left out. Floor: as above (fastest NumPy call per product) for one epoch of that config.",
            "", report.table(["config", "ms per epoch: median [min-max]", "floor ms", "time / floor",
                              "achieved GFLOP/s"], rows),
            "", "![seconds per epoch](scaling.svg)"]
    panels = []
    for axis, title, x_label in (("hidden", "Hidden units (batch 64)", "hidden units"),
                                 ("batch", "Batch size (hidden 64)", "batch size (1077 = full split)")):
        chosen = [p for p in points if p[0] == axis]
        xs = [p[1] for p in chosen]
        panels.append((title, x_label, xs, [
            ("ours, median [min-max]", "#1f77b4", [p[2].median * 1e3 for p in chosen],
             [p[2].min * 1e3 for p in chosen], [p[2].max * 1e3 for p in chosen], False),
            ("FLOP floor", "#d62728", [p[3] * 1e3 for p in chosen], None, None, True)]))
    (HERE / "scaling.svg").write_text(report.scaling_svg(panels))
    return "\n".join(text), {"per_epoch": per_epoch}


def latency_section(repeats):
    result = nncore.train()
    found = scaling.latencies(result, repeats)
    png = scaling.upload_png()
    with single_threaded_blas():
        found["1000x1000 PNG upload -> prediction, BLAS on one thread"] = timing.per_call(
            lambda: result.predict_proba(nncore.image_to_digit(png)), 10, repeats)
    predicted, size = found.pop("upload prediction"), found.pop("png bytes")
    rows = [[name, span(t, 1e6, 1) if "8x8" in name else span(t, 1e3, 2), "us" if "8x8" in name else "ms"]
            for name, t in found.items()]
    text = ["## Latency", "",
            f"`TrainResult.predict_proba` of one raw row (blocks of 2000 calls), and an uploaded 1000x1000 PNG "
            f"({size:,} bytes in memory, a thick dark 3 on white, predicted: {predicted}) through "
            f"`nncore.image_to_digit` and `predict_proba` (blocks of 10 calls); {repeats} blocks each.", "",
            report.table(["what", "median [min-max]", "unit"], rows)]
    return "\n".join(text), found


def app_section(repeats, runs):
    import app_figures

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    clicks, charts = app_figures.apptest_figures(repeats)
    server, memory = app_figures.server_figures(max(2, repeats // 2), runs)
    rows = [[name, span(t, 1, 3)] for name, t in server.items()]
    rows += [[name, span(t, 1, 3)] for name, t in clicks.items()]
    rows += [[f"server resident memory (VmRSS), {when}", f"{mb:.0f} MB"] for when, mb in memory.items()]
    text = ["## The app", "",
            "`streamlit run streamlit_app.py` as a subprocess with headless Chromium (`bench/app_figures.py`); "
            f"server-side figures with `streamlit.testing.v1.AppTest` ({repeats} fresh sessions; plotly charts on the "
            f"page after the click: {charts}).", "",
            report.table(["what", "seconds: median [min-max]"], rows)]
    return "\n".join(text), {**server, **clicks, "memory": memory}


def _met(ok):
    return "met" if ok else "not met"


def targets_section(train, latency, app):
    t, acc, ours = train["timings"], train["accuracy"], train["ours"]
    rows = []
    for optimizer, goal, aim in (("SGD", 4, " (aim 6x)"), ("Adam", 3, "")):
        sklearn = [key for key in t if key[0] == optimizer and key[1].startswith(peers.SKLEARN)]
        torch = [key for key in t if key[0] == optimizer and key[1].startswith("PyTorch")]
        ratio = min(t[key].median for key in sklearn) / ours[optimizer]
        mine, theirs = acc[(optimizer, peers.OURS)], max(acc[key] for key in sklearn)
        rows += [[f"{optimizer} training >= {goal}x faster than scikit-learn's (its faster variant), same settings",
                  f"{ratio:.2f}x{aim}", _met(ratio >= goal)],
                 [f"{optimizer}: test accuracy no worse than scikit-learn's", f"{mine:.4f} vs {theirs:.4f}",
                  _met(mine >= theirs)]]
        if torch:
            ratio = min(t[key].median for key in torch) / ours[optimizer]
            theirs = max(acc[key] for key in torch)
            rows += [[f"{optimizer}: faster than PyTorch CPU (its faster variant)", f"{ratio:.2f}x", _met(ratio > 1)],
                     [f"{optimizer}: test accuracy no worse than PyTorch's", f"{mine:.4f} vs {theirs:.4f}",
                      _met(mine >= theirs)]]
        else:
            rows.append([f"{optimizer}: faster than PyTorch CPU", "PyTorch not installed", "not measured"])
    for name, floor_s in (("np.matmul", train["floor_matmul"]), ("fastest call", train["floor_best"])):
        rows.append([f"SGD within 3x of the FLOP floor ({name})", f"{ours['SGD'] / floor_s:.2f}x",
                     _met(ours["SGD"] / floor_s <= 3)])
    one = latency["predict_proba, one 8x8 row"].median
    upload = latency["1000x1000 PNG upload -> prediction"].median
    rows += [["single-row predict_proba < 50 us", f"{one * 1e6:.1f} us", _met(one < 50e-6)],
             ["upload -> prediction < 20 ms", f"{upload * 1e3:.1f} ms", _met(upload < 0.02)]]
    if app:
        health = app["start -> health endpoint answers"].median
        click = app["AppTest: Train click (default config) -> run finished with charts"].median
        rerun = app["AppTest: rerun with nothing new"].median
        rows += [["health endpoint within 3 s of start", f"{health:.2f} s", _met(health <= 3)],
                 ["Train click finished, charts included, < 0.3 s server-side", f"{click:.3f} s", _met(click < 0.3)],
                 ["rerun with nothing new < 50 ms (AppTest)", f"{rerun * 1e3:.0f} ms", _met(rerun < 0.05)]]
    else:
        rows.append(["app targets", "not measured (--no-app or no streamlit_app.py)", ""])
    return "\n".join(["## Targets (issue 5), from this run", "", report.table(["target", "measured", ""], rows)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=9, help="repetitions of the training comparison (9)")
    parser.add_argument("--no-app", action="store_true", help="skip the app figures")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"), help="results file (bench/RESULTS.md)")
    args = parser.parse_args(argv)
    os.chdir(ROOT)

    machine = timing.machine()
    sections = ["## Machine", "", report.table(["", ""], [[k, v] for k, v in machine.items()])]
    print("\n".join(sections), flush=True)
    train_text, train = training_section(args.repeats)
    print("\n" + train_text, flush=True)
    scaling_text, _ = scaling_section(max(3, args.repeats // 3))
    print("\n" + scaling_text, flush=True)
    latency_text, latency = latency_section(7)
    print("\n" + latency_text, flush=True)
    app = None
    if not args.no_app and (ROOT / "streamlit_app.py").exists():
        app_text, app = app_section(5, 10)
        print("\n" + app_text, flush=True)
    else:
        app_text = "## The app\n\nNot measured in this run (`--no-app`, or no streamlit_app.py)."
    targets_text = targets_section(train, latency, app)
    print("\n" + targets_text, flush=True)

    command = "python bench/run.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    body = "\n\n".join([f"Written by `{command}` (one process; see bench/run.py for what is timed and how). "
                        f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
                        targets_text, "\n".join(sections), train_text, scaling_text, latency_text, app_text])
    report.replace_section(args.out, "bench/run.py", body)
    print(f"\nwrote {args.out} and {HERE / 'scaling.svg'}")


if __name__ == "__main__":
    main()
