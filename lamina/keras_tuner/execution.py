"""Running one trial -- here, in a worker process, or on a Dask worker -- and what it returns.

A task carries the hypermodel, the trial's values, its seed and the fit settings; the data
travel separately (scattered once to a Dask cluster, see `tuners.py`). Each execution reseeds
lamina from `(trial seed, execution)` before building the model, so a trial's score is the
same wherever it runs. Trials that land in threads of the calling process (a Dask cluster with
`processes=False`, a thread pool) take turns under one lock: lamina's recording state and
random generator are process-wide, so two trials cannot train at once in one process.
"""
import copy
import os
import pickle
import random as pyrandom
import threading
import time

import numpy as np

from lamina import random as lrandom
from lamina.callbacks import Callback, History
from lamina.engine import tree
from lamina.utils import set_random_seed
from lamina.validation import limit_blas_threads

_IN_PROCESS = threading.Lock()


class HyperModel:
    """Subclass it: `build(hp)` returns a compiled model; `fit(hp, model, *args, **kwargs)`
    trains it (default: `model.fit(*args, **kwargs)`) and returns a History, a dict of
    metric values, or one number (the objective, to minimize unless the Objective says max)."""

    def __init__(self, name=None, tunable=True):
        self.name = name
        self.tunable = tunable

    def build(self, hp):
        raise NotImplementedError(f"{type(self).__name__} must implement build(hp)")

    def declare_hyperparameters(self, hp):
        """Declare hyperparameters outside `build` (optional; KerasTuner's hook)."""

    def fit(self, hp, model, *args, **kwargs):
        return model.fit(*args, **kwargs)


class FunctionHyperModel(HyperModel):
    """A `build(hp)` function as a HyperModel (module-level, so it pickles for workers)."""

    def __init__(self, build_fn):
        super().__init__(name=getattr(build_fn, "__name__", None))
        self.build_fn = build_fn

    def build(self, hp):
        return self.build_fn(hp)


def as_hypermodel(hypermodel):
    if isinstance(hypermodel, HyperModel):
        return hypermodel
    if callable(hypermodel):
        return FunctionHyperModel(hypermodel)
    raise TypeError(f"hypermodel must be a keras_tuner.HyperModel or a function build(hp) "
                    f"returning a compiled model, got {hypermodel!r}")


class _BestWeights(Callback):
    """Keeps the weights of the epoch with the best objective value (KerasTuner saves this
    checkpoint for `get_best_models` and Hyperband's next rounds)."""

    def __init__(self, objective):
        super().__init__()
        self.objective = objective
        self.best = None
        self.weights = None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.objective.name)
        if value is None or self.weights is None or self.objective.better(float(value), self.best):
            self.best = None if value is None else float(value)
            self.weights = self.model.get_weights()


def first_rows(x):
    """One sample of the inputs `x`, to build a model by calling it."""
    return tree.map_structure(lambda a: np.asarray(a)[:1], x)


def build_model(hypermodel, hp, sample_x=None, weights=None, compile_kwargs=None):
    """`hypermodel.build(hp)` (compiled again with the tuner's optimizer/loss/metrics if it
    has any), with `weights` set (building the model on `sample_x` first when it has no
    weights yet)."""
    model = hypermodel.build(hp)
    if model is None or not hasattr(model, "fit"):
        raise TypeError(f"the hypermodel's build(hp) must return a compiled model, got {model!r}")
    if compile_kwargs:
        model.compile(**compile_kwargs)
    if weights is not None:
        if not model.weights:
            if sample_x is None:
                raise ValueError("cannot restore a trial's weights into a model that is not "
                                 "built yet: give the model an Input, or run search() first")
            model(sample_x)
        model.set_weights(weights)
    return model


def _as_history(result, objective, execution):
    if isinstance(result, History):
        return {k: [float(v) for v in values] for k, values in result.history.items()}
    if isinstance(result, dict):
        return {k: [float(v)] for k, v in result.items()}
    if isinstance(result, (int, float, np.floating, np.integer)) and not isinstance(result, bool):
        return {objective.name: [float(result)]}
    raise TypeError(
        f"HyperModel.fit (execution {execution + 1}) must return a History, a dict of metric "
        f"values or a number, got {type(result).__name__}")


def _run(task, data):
    args, data_kwargs = data
    hypermodel, objective = task["hypermodel"], task["objective"]
    hp = task["space"].with_values(task["values"])
    values = hp.values
    sample_x = first_rows(args[0] if args else data_kwargs["x"])
    start = time.perf_counter()
    histories, per_execution, best_weights, best_step = [], [], None, 0
    for execution in range(task["executions"]):
        set_random_seed(int(np.random.SeedSequence([task["seed"], execution]).generate_state(1)[0]))
        model = build_model(hypermodel, hp, sample_x, task["init_weights"], task["compile"])
        keeper = _BestWeights(objective)
        kwargs = {**copy.deepcopy(task["fit_kwargs"]), **data_kwargs}
        kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [keeper]
        kwargs.setdefault("verbose", 0)
        initial_epoch = 0
        if "tuner/epochs" in values:
            kwargs["epochs"] = values["tuner/epochs"]
            kwargs["initial_epoch"] = initial_epoch = values["tuner/initial_epoch"]
        history = _as_history(hypermodel.fit(hp, model, *args, **kwargs), objective, execution)
        step, _ = objective.best_epoch(history)
        histories.append(history)
        per_execution.append({k: v[min(step, len(v) - 1)] for k, v in history.items() if v})
        best_weights, best_step = keeper.weights or model.get_weights(), initial_epoch + step
    names = set.intersection(*(set(m) for m in per_execution))
    metrics = {k: float(np.mean([m[k] for m in per_execution])) for k in sorted(names)}
    return {"trial_id": task["trial_id"], "score": metrics.get(objective.name),
            "best_step": best_step, "metrics": metrics, "histories": histories,
            "weights": best_weights, "space": hp,
            "seconds": time.perf_counter() - start}


class KeptRandomState:
    """Restore lamina's, Python's and NumPy's legacy generators after a trial run in this
    process (each trial reseeds them)."""

    def __enter__(self):
        self.saved = (lrandom.get_state(), pyrandom.getstate(), np.random.get_state())

    def __exit__(self, *exc):
        lamina_state, py_state, np_state = self.saved
        lrandom.set_state(None, lamina_state)
        pyrandom.setstate(py_state)
        np.random.set_state(np_state)
        return False


def run_trial(task, data):
    """Train and score one trial (all its executions); returns a picklable dict."""
    if os.getpid() == task["pid"]:
        with _IN_PROCESS, KeptRandomState():
            return _run(task, data)
    limit_blas_threads(1)
    return _run(task, data)


def check_picklable(hypermodel):
    try:
        pickle.dumps(hypermodel)
    except Exception as e:  # noqa: BLE001  (any pickling failure means the same thing)
        raise TypeError(
            f"the hypermodel ({hypermodel!r}) cannot be sent to worker processes ({e}). Define "
            "the build function (or HyperModel class) at module level in an importable module"
        ) from None
