"""Command line of Digits Playground.

    python main.py --epochs 30 --hidden 64 --lr 0.1 --batch 64     # train, save the best weights
    python main.py --compare-sklearn                                # ... and train scikit-learn's MLP beside it
    python main.py predict --weights runs/best.npz                  # load them, report test accuracy
    python main.py sweep --hidden 16,64,256 --lr 0.01,0.1 --seeds 0,1,2   # a grid of runs, in parallel
    python main.py notebook --out run.ipynb --hidden 128 [--exercise]    # a run as a Jupyter notebook
"""

import argparse
import os
import sys
import tempfile

import nncore
import nncore.lab.peer
import nncore.lab.pools
import nncore.lab.sweep
from nncore.config import BOUNDS, check_setting
from nncore.errors import shorten
from nncore.lab.cost import duration
from nncore.lab.threads import single_threaded_blas

DEFAULT_OUT = os.path.join("runs", "best.npz")


def bounded(name):
    """argparse type for setting ``name``: parsed and checked against nncore's BOUNDS."""
    setting = BOUNDS[name]

    def parse(text):
        if setting.choices:
            if text not in setting.choices:
                raise argparse.ArgumentTypeError(f"{shorten(repr(text))} is not one of {setting.allowed()}")
            return text
        try:
            value = setting.kind(text)
        except ValueError:
            kind = "whole number" if setting.kind is int else "number"
            raise argparse.ArgumentTypeError(f"{shorten(repr(text))} is not a {kind}") from None
        try:
            check_setting(name, value)
        except nncore.ConfigError:
            raise argparse.ArgumentTypeError(f"{shorten(text)} is outside {setting.allowed()}") from None
        return value

    parse.__name__ = name
    return parse


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block): 'main.py: error: ...', exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def train_parser():
    parser = Parser(prog="main.py", description="Train the NumPy MLP on scikit-learn's Digits.",
                                     epilog="Use 'main.py predict --weights PATH' to score saved weights.")
    defaults = nncore.TrainConfig()
    for name, setting in BOUNDS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=bounded(name),
                            default=getattr(defaults, name), metavar="{" + ",".join(setting.choices) + "}"
                            if setting.choices else None, help=f"{setting.label}: {setting.help} (default %(default)s)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="where to save the best weights (default %(default)s)")
    parser.add_argument("--compare-sklearn", action="store_true", help="also train scikit-learn's MLPClassifier "
                        "with the closest settings on the same split and show it beside the run")
    return parser


def predict_parser():
    parser = Parser(prog="main.py predict", description="Load saved weights and report test accuracy.")
    parser.add_argument("--weights", default=DEFAULT_OUT, help="a .npz written by training (default %(default)s)")
    return parser


def out_problem(path, example="best.npz", what="the weights"):
    """Why ``what`` cannot be saved at ``path`` (a sentence), or None if it can: checked before
    training, so a bad --out costs nothing. Creates the folder, as saving would."""
    if not path.strip():
        return f"--out is empty: give the file to save {what} to, such as runs/{example}"
    if os.path.isdir(path):
        return f"--out {path} is a folder: give a file in it, such as {os.path.join(path, example)}"
    if os.path.lexists(path) and not os.path.isfile(path):  # saving replaces it: a device or pipe would be lost
        return (f"--out {path} is not a regular file (a device, pipe or socket): give a new path or a file, such "
                f"as runs/{example}")
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):  # what saving does first: create a file in the folder
            pass
    except (FileExistsError, NotADirectoryError):
        return f"cannot save to --out {path}: part of its folder's path is a file, not a folder"
    except OSError as exc:
        return f"cannot save to --out {path}: {exc.strerror or exc}"
    return None


def run_train(args):
    config = nncore.TrainConfig(**{k: v for k, v in vars(args).items() if k in BOUNDS})
    print(f"training {config.name} on Digits")

    def report(stats):
        print(f"epoch {stats.epoch:3d}/{stats.epochs}  loss {stats.train_loss:.4f}  val_loss {stats.val_loss:.4f}  "
              f"train_acc {stats.train_acc:.4f}  val_acc {stats.val_acc:.4f}", flush=True)

    with single_threaded_blas():  # small matrices: a second BLAS thread only waits for a core
        result = nncore.train(config, callback=report)
    if result.diverged:
        print(f"{result.ending}: try a smaller --lr")
    elif result.ended == "early stopping":
        print(result.ending)
    nncore.save(result, args.out)
    best = (f"best epoch {result.best_epoch}  val_acc {result.best_val_accuracy:.4f}" if result.best_epoch
            else "no epoch finished: the initial weights are kept")
    print(f"{best}  test_acc {result.test_accuracy:.4f}  time {result.seconds:.2f}s")
    print(f"saved best weights to {args.out}")
    if args.compare_sklearn:
        print_beside(result, nncore.lab.peer.train_sklearn(config))
    return 0


def print_beside(ours, peer):
    """Our run and scikit-learn's side by side, then what differs."""
    settings = ", ".join(f"{k}={v!r}" for k, v in peer.parameters.items())
    print(f"\nbeside scikit-learn's MLPClassifier({settings}), on the same training rows and test split:")
    print_table(["", "ours", "scikit-learn"], [
        ["test accuracy", f"{ours.test_accuracy:.4f}", f"{peer.test_accuracy:.4f}"],
        ["seconds", f"{ours.seconds:.2f}", f"{peer.seconds:.2f}"],
        ["epochs", ours.epochs_run, peer.epochs_run],
        ["last training loss", f"{ours.history['train_loss'][-1]:.4f}" if ours.epochs_run else "-",
         f"{peer.loss_curve[-1]:.4f}"],
    ])
    print("what differs:")
    for sentence in peer.differences:
        print(f"  - {sentence}")


def print_table(headers, rows):
    """Rows of cells as left-aligned columns under their headers."""
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    for row in [headers, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def notebook_parser():
    parser = Parser(prog="main.py notebook", description="Write a Jupyter notebook that trains a run from nncore's "
                    "own source (needs only NumPy and scikit-learn to run): the settings given as training flags, "
                    "or those of a saved run (--weights).")
    for name, setting in BOUNDS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=bounded(name), default=argparse.SUPPRESS,
                            metavar="{" + ",".join(setting.choices) + "}" if setting.choices else None,
                            help=f"{setting.label}: {setting.help} (default {getattr(nncore.TrainConfig(), name)})")
    parser.add_argument("--weights", help="a .npz written by training: the notebook trains that run's settings and "
                        "says whether it got the same best epoch and test accuracy")
    parser.add_argument("--exercise", action="store_true", help="blank the gradient lines of backward for the "
                        "learner to write, and check them with finite differences before training")
    parser.add_argument("--out", default="run.ipynb", help="where to write the notebook (default %(default)s)")
    return parser


def run_notebook(args, parser):
    from nncore.lab import notebook  # nbformat only for this command

    flags = {name: getattr(args, name) for name in BOUNDS if hasattr(args, name)}
    if args.weights and flags:
        parser.error(f"give either --weights or training flags, not both (got {', '.join('--' + n for n in flags)})")
    problem = out_problem(args.out, "run.ipynb", "the notebook")
    if problem:
        parser.error(problem)
    result = None
    if args.weights:
        try:
            result = nncore.load(args.weights)
        except nncore.WeightsFileError as exc:
            print(f"main.py notebook: error: cannot read {args.weights}: {exc}", file=sys.stderr)
            return 1
    config = result.config if result else nncore.TrainConfig(**flags)
    with open(args.out, "wb") as file:
        file.write(notebook.to_bytes(config, result, exercise=args.exercise))
    print(f"wrote the notebook of {config.name}{' (exercise)' if args.exercise else ''} to {args.out}; "
          f"open it in Jupyter or Colab and run all")
    return 0


def listed(name):
    """argparse type for setting ``name`` in a sweep: one value, a list '16,64,256' or a range
    'LOW:HIGH:COUNT' or 'LOW:HIGH:COUNT:log' (nncore.lab.sweep.parse_values)."""

    def parse(text):
        try:
            return nncore.lab.sweep.parse_values(name, text)
        except nncore.NNCoreError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name
    return parse


def jobs(text):
    """argparse type of --jobs: a whole number from 1 to 256."""
    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"{shorten(repr(text))} is not a whole number from 1 to 256")
    return int(text)


def sweep_parser():
    parser = Parser(prog="main.py sweep", description="Train a grid of runs in parallel. Each setting takes one "
                    "value, a list (16,64,256) or a range (LOW:HIGH:COUNT, or LOW:HIGH:COUNT:log); the settings "
                    "given several values are swept, every combination one run.")
    defaults = nncore.TrainConfig()
    for name, setting in BOUNDS.items():
        flags = [f"--{name.replace('_', '-')}", *(["--seeds"] if name == "seed" else [])]
        parser.add_argument(*flags, dest=name, type=listed(name), default=(getattr(defaults, name),),
                            metavar="VALUES",
                            help=f"{setting.label}: {setting.help} (default {getattr(defaults, name)})")
    parser.add_argument("--jobs", type=jobs, help="cells trained at once (default: one per core here; every "
                        "worker thread of a Dask cluster)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://HOST:PORT): train every "
                        "cell on its workers instead of here (needs: pip install distributed)")
    parser.add_argument("--out", metavar="FILE.csv", help="also write the table of cells to this CSV file")
    return parser


def run_sweep(args, parser):
    fixed = {name: getattr(args, name)[0] for name in BOUNDS if len(getattr(args, name)) == 1}
    swept = [name for name in BOUNDS if name != "seed" and len(getattr(args, name)) > 1]
    swept += ["seed"] if len(args.seed) > 1 else []  # seeds last: the cells of one setting come together
    try:
        sweep = nncore.lab.sweep.Sweep(nncore.TrainConfig(**fixed),
                                   tuple(nncore.lab.sweep.Axis(name, getattr(args, name)) for name in swept))
    except nncore.NNCoreError as exc:
        parser.error(str(exc))
    problem = args.out is not None and out_problem(args.out, "sweep.csv", "the table")
    if problem:  # before training: a CSV that cannot be written must not cost the sweep
        parser.error(problem)
    try:
        with nncore.lab.pools.connect(args.scheduler) as client:
            return sweep_cells(sweep, args, client)
    except nncore.NNCoreError as exc:
        print(f"main.py sweep: error: {exc}", file=sys.stderr)
        return 1


def sweep_cells(sweep, args, client):
    """Train the sweep's cells, a line per cell as it finishes; then the summary and the CSV."""
    value_text = nncore.lab.sweep.value_text
    axes = " × ".join(f"{axis.name} {', '.join(map(value_text, axis.values))}" for axis in sweep.axes)
    others = sweep.base.command().removeprefix("python main.py").strip()
    print(f"sweep of {sweep.cells} runs: {axes or 'one run'}; other settings: {others or 'the defaults'}")
    slots = nncore.lab.pools.workers(client, args.jobs)
    here = client is None and nncore.lab.sweep.in_process(sweep, slots, "forked")
    estimate = sweep.estimate(1 if here else slots)
    if here:
        where = "in this process, one after the other (starting workers would cost more than they save)"
    elif client:
        where = f"on {estimate.workers} worker thread(s) of the Dask cluster at {args.scheduler}"
    else:
        where = f"on {estimate.workers} worker processes forked from this one"
    print(f"estimated {duration(estimate.training)} of training on an idle core: about "
          f"{duration(estimate.wall)} {where}", flush=True)
    cells, status = [], 0
    try:
        for cell in nncore.lab.sweep.run(sweep, n_jobs=args.jobs, scheduler=client, local="forked"):
            cells.append(cell)
            ended = "" if cell.ended == "completed" else f"  ({cell.ended})"
            print(f"[{len(cells)}/{sweep.cells}] {sweep.label(cell.config) or cell.config.name}  "
                  f"val {cell.val_accuracy:.4f}  test {cell.test_accuracy:.4f}  {cell.seconds:.2f} s{ended}"
                  f"{f'  on {cell.worker}' if client else ''}", flush=True)
    except KeyboardInterrupt:
        print(f"stopped: {len(cells)} of {sweep.cells} cells finished")
        status = 130
    print_summary(sweep, cells)
    if args.out and cells:
        folder = os.path.dirname(os.path.abspath(args.out))
        os.makedirs(folder, exist_ok=True)
        with open(args.out, "w", newline="") as file:
            nncore.lab.sweep.write_csv(cells, file)
        print(f"wrote {len(cells)} cells to {args.out}")
    return status


def print_summary(sweep, cells):
    """The cells in grid order, the best marked; with seeds swept, the mean over them too (and
    the best is the best on average: one lucky seed is not a better setting)."""
    if not cells:
        return
    names, text = sweep.names, nncore.lab.sweep.value_text
    seeds = "seed" in names
    best = None if seeds else nncore.lab.sweep.best(cells)
    print(f"\nsummary{'' if seeds else ' (* the highest validation accuracy; the test split only reports)'}:")
    print_table(["cell", *names, "val", "test", "seconds", *([] if seeds else ["best"])], [
        [cell.index + 1, *(text(getattr(cell.config, n)) for n in names), f"{cell.val_accuracy:.4f}",
         f"{cell.test_accuracy:.4f}", f"{cell.seconds:.2f}", *([] if seeds else ["*" if cell is best else ""])]
        for cell in sorted(cells, key=lambda c: c.index)])
    if best is not None:
        print(f"best: {sweep.label(best.config) or best.config.name}: val {best.val_accuracy:.4f}, test "
              f"{best.test_accuracy:.4f}; train it again with: {best.config.command()}")
        return
    points = nncore.lab.sweep.over_seeds(sweep, cells)
    top = nncore.lab.sweep.best_point(points)
    print("\nover the seeds (mean ± standard deviation; * the highest mean validation accuracy):")
    print_table([*(n for n in names if n != "seed"), "seeds", "val", "test", "best"], [
        [*(text(v) for _, v in point.settings), point.seeds, f"{point.val_mean:.4f} ± {point.val_std:.4f}",
         f"{point.test_mean:.4f} ± {point.test_std:.4f}", "*" if point is top else ""] for point in points])
    if len(points) > 1:
        print(f"best on average over the seeds: {top.label}: val {top.val_mean:.4f} ± {top.val_std:.4f}, test "
              f"{top.test_mean:.4f} ± {top.test_std:.4f}")


def run_predict(args):
    try:
        result = nncore.load(args.weights)
    except nncore.WeightsFileError as exc:
        print(f"main.py predict: error: cannot read {args.weights}: {exc}", file=sys.stderr)
        return 1
    X, y = nncore.test_set(result.config.seed)
    accuracy = float((result.predict(X) == y).mean())
    print(f"loaded {result.config.name} from {args.weights}")
    print(f"test accuracy {accuracy:.4f} on {len(y)} test digits")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["predict"]:
        return run_predict(predict_parser().parse_args(argv[1:]))
    if argv[:1] == ["sweep"]:
        parser = sweep_parser()
        return run_sweep(parser.parse_args(argv[1:]), parser)
    if argv[:1] == ["notebook"]:
        parser = notebook_parser()
        return run_notebook(parser.parse_args(argv[1:]), parser)
    if argv[:1] == ["train"]:
        argv = argv[1:]
    parser = train_parser()
    args = parser.parse_args(argv)
    problem = out_problem(args.out)
    if problem:
        parser.error(problem)
    return run_train(args)


if __name__ == "__main__":
    sys.exit(main())
