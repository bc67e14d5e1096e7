"""Command line of Digits Playground.

    python main.py --epochs 30 --hidden 64 --lr 0.1 --batch 64     # train, save the best weights
    python main.py predict --weights runs/best.npz                  # load them, report test accuracy
"""

import argparse
import os
import sys
import tempfile

import nncore
from nncore.config import BOUNDS, check_setting
from nncore.errors import shorten

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
                            if setting.choices else None, help=f"{setting.help} (default %(default)s)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="where to save the best weights (default %(default)s)")
    return parser


def predict_parser():
    parser = Parser(prog="main.py predict", description="Load saved weights and report test accuracy.")
    parser.add_argument("--weights", default=DEFAULT_OUT, help="a .npz written by training (default %(default)s)")
    return parser


def out_problem(path):
    """Why a run cannot be saved at ``path`` (a sentence), or None if it can: checked before
    training, so a bad --out costs nothing. Creates the folder, as saving would."""
    if not path.strip():
        return "--out is empty: give the file to save the weights to, such as runs/best.npz"
    if os.path.isdir(path):
        return f"--out {path} is a folder: give a file in it, such as {os.path.join(path, 'best.npz')}"
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
    config = nncore.TrainConfig(**{k: v for k, v in vars(args).items() if k != "out"})
    print(f"training {config.name} on Digits")

    def report(stats):
        print(f"epoch {stats.epoch:3d}/{stats.epochs}  loss {stats.train_loss:.4f}  val_loss {stats.val_loss:.4f}  "
              f"train_acc {stats.train_acc:.4f}  val_acc {stats.val_acc:.4f}", flush=True)

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
    return 0


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
