"""Command line: `python -m lamina demo [boston|mnist|imdb] [options]`, `python -m lamina run
script.py|notebook.ipynb [args...]`; `--help` for more."""
import argparse
import difflib
import sys

from lamina import __version__
from lamina.demo import DATASETS


def _dataset(name):
    if name in DATASETS:
        return name
    close = difflib.get_close_matches(name, DATASETS, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    raise argparse.ArgumentTypeError(f"unknown dataset {name!r}{hint} Choose from: "
                                     f"{', '.join(DATASETS)}")


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def make_parser():
    parser = argparse.ArgumentParser(
        prog="python -m lamina",
        description="lamina: a NumPy deep-learning library with the Keras 3 API.",
    )
    parser.add_argument("--version", action="version", version=f"lamina {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo", help="train a course model end to end (boston by default, offline)",
        description=(
            "Train one of the course's models end to end and save its curves to a PNG. "
            "boston (default, data included): 4-fold cross-validation of the 13-64-64-1 "
            "regression network, then a final model and its test MAE. mnist: the 512-unit "
            "MLP and its test accuracy. imdb: the 16-16-1 review classifier on sparse "
            "multi-hot vectors, retrained for its best epoch count. mnist and imdb read "
            "$LAMINA_DATASETS or download the data once."
        ),
    )
    demo.add_argument("dataset", nargs="?", default="boston", type=_dataset,
                      help="boston (default), mnist or imdb")
    demo.add_argument("--epochs", type=_positive,
                      help="training epochs (boston: per fold, default 100; mnist 5; imdb 20)")
    demo.add_argument("--final-epochs", type=_positive,
                      help="boston: epochs of the final model (default 130)")
    demo.add_argument("--folds", type=_positive, help="boston: K in K-fold (default 4)")
    demo.add_argument("--workers", type=_positive,
                      help="boston: run the folds in this many processes (default: serially)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--output", metavar="PNG",
                      help="where to save the figure (default lamina_demo_<dataset>.png here)")
    parser.demo_parser = demo
    run = commands.add_parser(
        "run", help="run a script or notebook with keras/tensorflow imports resolving to lamina",
        description=(
            "Run a Python script (as __main__, with the arguments that follow it) or the code "
            "cells of a Jupyter notebook, with `import keras`, `tensorflow.keras`, `tf_keras` "
            "resolving to lamina and `import tensorflow` to lamina's TensorFlow subset "
            "(lamina.compat.tensorflow). Only this run is affected; see docs/compat.md."
        ),
    )
    run.add_argument("--keep-going", action="store_true",
                     help="notebooks: run the remaining cells after a failing cell")
    run.add_argument("--no-alias", action="store_true",
                     help="do not alias keras/tensorflow (run the script with the real ones)")
    run.add_argument("--seed", type=int, default=None,
                     help="call lamina.utils.set_random_seed(SEED) first (Python, NumPy and lamina's "
                          "streams), so an unseeded script repeats")
    run.add_argument("path", metavar="FILE", help="a .py script or an .ipynb notebook")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    return parser


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command == "run":
        from lamina.compat import runner  # noqa: PLC0415  (only the run command needs it)

        if args.seed is not None:
            from lamina.utils import set_random_seed  # noqa: PLC0415  (loads lamina: only when asked)

            set_random_seed(args.seed)
        return runner.run(args.path, args.args, keep_going=args.keep_going, alias=not args.no_alias)
    if args.command != "demo":
        parser.print_help()
        return 2
    from lamina import demo  # noqa: PLC0415  (loads lamina: not for --help or a bad command)

    kwargs = {"seed": args.seed, "output": args.output}
    if args.epochs is not None:
        kwargs["epochs"] = args.epochs
    boston_only = {"final_epochs": args.final_epochs, "folds": args.folds, "workers": args.workers}
    given = {k: v for k, v in boston_only.items() if v is not None}
    if args.dataset != "boston" and given:
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        parser.demo_parser.error(f"{flags}: only for the boston demo")
    if given.get("folds", 2) < 2:
        parser.demo_parser.error("--folds must be at least 2")
    kwargs.update(given)
    demo.main(args.dataset, **kwargs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
