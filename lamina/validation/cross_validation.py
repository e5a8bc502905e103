"""`cross_validate`: K-fold (optionally iterated) validation of a model-building function.

The course's recipe for small datasets (Boston housing): split the training data into K
folds, train a fresh model on K - 1 of them and score it on the remaining one, K times,
and average the scores; iterated K-fold repeats this P times with reshuffled folds. The
folds are independent, so they can run in parallel on any `concurrent.futures` executor.

Reproducibility: fold f of round r seeds lamina with a number derived from `(seed, r, f)`
just before calling `build_model()`, so its weights, shuffling and dropout are the same
whether it runs here, in a process pool or on a Dask cluster.
"""
import os
import random as pyrandom
import threading
import time
from concurrent.futures import as_completed

import numpy as np

from lamina import random
from lamina.validation.splits import _permutation, check_int, fold_indices, num_samples_of
from lamina.validation.workers import check_executor, run_fold, ship

_RESERVED = ("x", "y", "validation_data", "validation_split")


class CrossValidationResult:
    """What `cross_validate` returns.

    - `scores`: metric name ("val_loss", "val_mae", ...) -> array `(repeats * k,)`, one
      score per fold (round-major), from `model.evaluate` on the held-out fold.
    - `mean`, `std`: metric name -> mean and (population) standard deviation of `scores`.
    - `histories`: one `History.history` dict per fold; `epochs`: epochs each fold ran.
    - `curves`, `curves_std`: key ("loss", "val_mae", ...) -> per-epoch mean and std across
      folds, shape `(max_epochs,)`; when folds stopped early, later epochs average the folds
      still running.
    - `folds`: per-fold dicts (round, fold, seed, val_indices, scores, seconds).
    - `k`, `repeats`, `shuffle`, `seed`, `seconds` (wall time).
    """

    def __init__(self, outputs, k, repeats, shuffle, seed, seconds):
        self.k, self.repeats, self.shuffle, self.seed = k, repeats, shuffle, seed
        self.seconds = seconds
        self.folds = outputs
        names = list(outputs[0]["scores"])
        self.scores = {m: np.array([o["scores"][m] for o in outputs]) for m in names}
        self.mean = {m: float(np.mean(v)) for m, v in self.scores.items()}
        self.std = {m: float(np.std(v)) for m, v in self.scores.items()}
        self.histories = [o["history"] for o in outputs]
        self.epochs = [o["epochs"] for o in outputs]
        self.curves, self.curves_std = {}, {}
        keys = sorted({key for h in self.histories for key in h})
        for key in keys:
            runs = [h.get(key, []) for h in self.histories]
            table = np.full((len(runs), max(len(r) for r in runs)), np.nan)
            for i, r in enumerate(runs):
                table[i, : len(r)] = r
            self.curves[key] = np.nanmean(table, axis=0)
            self.curves_std[key] = np.nanstd(table, axis=0)

    @property
    def metric_names(self):
        return list(self.scores)

    def summary(self):
        """One line per metric: `val_mae: 2.412 ± 0.198 over 4 folds`."""
        n = len(self.folds)
        what = f"{n} folds" if self.repeats == 1 else f"{n} folds ({self.repeats} x {self.k})"
        return "\n".join(f"{m}: {self.mean[m]:.4g} ± {self.std[m]:.3g} over {what}"
                         for m in self.scores)

    def __repr__(self):
        parts = ", ".join(f"{m}={self.mean[m]:.4g}±{self.std[m]:.3g}" for m in self.scores)
        return f"CrossValidationResult(k={self.k}, repeats={self.repeats}, {parts})"

    def plot(self, metric=None, path=None, **kwargs):
        """Mean ± std across folds of a per-epoch curve; see `lamina.plot.plot_cv_curves`."""
        from lamina.plot import plot_cv_curves  # noqa: PLC0415  (matplotlib is optional)

        return plot_cv_curves(self, metric=metric, path=path, **kwargs)


def _fold_seed(seed, round_, fold):
    return int(np.random.SeedSequence([seed, round_, fold]).generate_state(1)[0])


def cross_validate(build_model, x, y, k=4, repeats=1, fit_kwargs=None, shuffle=True, seed=None,
                   executor=None, verbose=0):
    """K-fold cross-validation: `repeats * k` fresh models from `build_model()`.

    build_model: a function with no arguments returning a compiled model (module-level,
        i.e. picklable, to run in worker processes).
    x, y: the training data (arrays, scipy.sparse matrices, or lists/dicts of them).
    k: folds, 2 <= k <= samples. repeats: rounds of iterated K-fold, reshuffled each round
        (needs `shuffle=True`). shuffle=False keeps the data order (time series).
    fit_kwargs: passed to `model.fit` (epochs, batch_size, callbacks, ...); the validation
        fold is passed as `validation_data`, so the histories hold `val_*` curves.
    seed: seeds the shuffles and every fold's model (drawn from lamina's generator when
        None; the value used is `result.seed`).
    executor: None (run here, one fold after another) or a `concurrent.futures.Executor`
        running processes: `lamina.validation.process_pool()`, a `ProcessPoolExecutor`, or
        a Dask client's `client.get_executor()`. Same seed, same scores, in any of them.
    verbose: 1 prints one line per finished fold.
    Returns a `CrossValidationResult`.
    """
    if not callable(build_model):
        raise TypeError(
            f"build_model must be a function returning a compiled model, got {build_model!r}")
    x, y, n = num_samples_of(x, y)
    if y is None:
        raise ValueError("cross_validate needs targets `y` to score each fold")
    k = check_int("k", k, 2)
    if k > n:
        raise ValueError(f"cross_validate: k={k} folds need at least {k} samples, got {n}; "
                         f"use k <= {n}")
    repeats = check_int("repeats", repeats, 1)
    if repeats > 1 and not shuffle:
        raise ValueError(
            f"cross_validate: repeats={repeats} with shuffle=False would repeat identical folds; "
            "iterated K-fold reshuffles each round, so pass shuffle=True (or repeats=1)"
        )
    fit_kwargs = dict(fit_kwargs or {})
    if "sample_weight" in fit_kwargs:
        raise ValueError(
            "fit_kwargs must not contain sample_weight: its rows would not follow the folds. "
            "Use class_weight, or weight the samples inside build_model's loss"
        )
    bad = [key for key in fit_kwargs if key in _RESERVED]
    if bad:
        raise ValueError(
            f"fit_kwargs must not contain {bad}: cross_validate passes each fold's data and its "
            "validation fold itself"
        )
    if seed is None:
        seed = int(random.generator(None).integers(2**31))
    check_executor(executor, build_model)

    tasks = []
    for r in range(repeats):
        order = _permutation(n, seed if r == 0 else [seed, r]) if shuffle else np.arange(n)
        for f, (train, val) in enumerate(fold_indices(order, k)):
            tasks.append({
                "build_model": build_model, "train": train, "val": val, "round": r, "fold": f,
                "seed": _fold_seed(seed, r, f), "fit_kwargs": fit_kwargs,
                "pid": os.getpid(), "thread": threading.get_ident(),
            })

    start = time.perf_counter()
    data, cleanup = ship(executor, (x, y))
    try:
        if executor is None:
            outputs = []
            with _kept_random_state():
                for task in tasks:
                    outputs.append(_labelled(task, run_fold, task, data))
                    _report(verbose, outputs[-1], k)
        else:
            outputs = _run_parallel(executor, tasks, data, verbose, k)
    finally:
        cleanup()
    for out, task in zip(outputs, tasks):
        out["val_indices"] = task["val"]
    return CrossValidationResult(outputs, k, repeats, shuffle, seed, time.perf_counter() - start)


def _run_parallel(executor, tasks, data, verbose, k):
    futures = {executor.submit(run_fold, task, data): i for i, task in enumerate(tasks)}
    outputs = [None] * len(tasks)
    try:
        for fut in as_completed(futures):
            i = futures[fut]
            outputs[i] = _labelled(tasks[i], fut.result)
            _report(verbose, outputs[i], k)
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    return outputs


def _labelled(task, fn, *args):
    """Call `fn`, adding the fold to any error's message."""
    try:
        return fn(*args)
    except Exception as e:
        if hasattr(e, "add_note"):
            e.add_note(f"(in cross_validate, round {task['round'] + 1}, fold {task['fold'] + 1})")
        raise


def _report(verbose, out, k):
    if verbose:
        scores = ", ".join(f"{m} {v:.4g}" for m, v in out["scores"].items())
        print(f"round {out['round'] + 1} fold {out['fold'] + 1}/{k}: {scores} "
              f"({out['epochs']} epochs, {out['seconds']:.1f}s)", flush=True)


class _kept_random_state:
    """Restore lamina's, NumPy's legacy and Python's generators after the serial folds (each
    fold reseeds them; the caller's session should not be changed by cross-validation)."""

    def __enter__(self):
        self.saved = (random._Global.rng, pyrandom.getstate(), np.random.get_state())

    def __exit__(self, *exc):
        random._Global.rng, py_state, np_state = self.saved
        pyrandom.setstate(py_state)
        np.random.set_state(np_state)
        return False
