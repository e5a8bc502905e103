"""Tuners: `RandomSearch`, `Hyperband`, `BayesianOptimization` over a base `Tuner`.

`tuner.search(x, y, epochs=..., validation_data=... or validation_split=..., callbacks=...)`
asks the oracle for batches of trials and trains each (`executions_per_trial` fresh models,
scores averaged), here one after another or, with `executor=`, spread over workers the way
`lamina.validation.cross_validate` does it: a Dask client (or `client.get_executor()`) gets
the data scattered once, a process pool gets it with each task. The same seed gives the same
trials and scores either way (each trial seeds lamina from its own seed).

Results are written under `<directory>/<project_name>` (see `storage.py`); a tuner created
again on the same folder (overwrite=False) replays the search from the stored seed and
reuses every trial already completed, training only the rest.
"""
import os
import shutil
from concurrent.futures import ProcessPoolExecutor

from lamina.keras_tuner import storage
from lamina.keras_tuner.execution import (
    KeptRandomState,
    as_hypermodel,
    build_model,
    check_picklable,
    first_rows,
    run_trial,
)
from lamina.keras_tuner.hyperparameters import Boolean, Choice, Int
from lamina.keras_tuner.oracles import (
    BayesianOptimizationOracle,
    HyperbandOracle,
    Oracle,
    RandomSearchOracle,
)

_DATA_KEYS = ("x", "y", "validation_data", "sample_weight")
_MAX_EXPLORING_BUILDS = 64


def _probe_values(hp):
    """Values worth one build each while discovering the space."""
    if isinstance(hp, (Boolean, Choice)):
        return [True, False] if isinstance(hp, Boolean) else list(hp.values)
    if isinstance(hp, Int):
        return [hp.min_value, hp.max_value]
    return []


def _dask_client(executor):
    """The Dask client behind `executor` (a Client, or its `get_executor()`), or None."""
    if hasattr(executor, "scatter") and hasattr(executor, "submit"):
        return executor
    client = getattr(executor, "_client", None)  # distributed's ClientExecutor
    return client if client is not None and hasattr(client, "scatter") else None


class Tuner:
    """Base tuner: `oracle` chooses values, `hypermodel` (a HyperModel or `build(hp)`
    function) builds compiled models. Not KerasTuner arguments: `executor` (see module doc)."""

    kind = "Tuner"

    def __init__(self, oracle, hypermodel=None, max_model_size=None, optimizer=None, loss=None,
                 metrics=None, distribution_strategy=None, directory=None, project_name=None,
                 logger=None, tuner_id=None, overwrite=False, executions_per_trial=1,
                 executor=None):
        if not isinstance(oracle, Oracle):
            raise TypeError(f"oracle must be a keras_tuner Oracle, got {oracle!r}")
        for name, value in (("max_model_size", max_model_size),
                            ("distribution_strategy", distribution_strategy), ("logger", logger)):
            if value is not None:
                raise NotImplementedError(f"lamina.keras_tuner: {name}= is not supported; use "
                                          "executor= to spread trials over workers")
        if hypermodel is None:
            raise ValueError("a tuner needs a hypermodel: a HyperModel or a build(hp) function")
        if not isinstance(executions_per_trial, int) or executions_per_trial < 1:
            raise ValueError(f"executions_per_trial must be a positive integer, got "
                             f"{executions_per_trial!r}")
        self.oracle = oracle
        self.hypermodel = as_hypermodel(hypermodel)
        self.compile_kwargs = {k: v for k, v in
                               (("optimizer", optimizer), ("loss", loss), ("metrics", metrics))
                               if v is not None}
        self.executions_per_trial = executions_per_trial
        self.executor = executor
        self.tuner_id = tuner_id or "tuner0"
        self.directory = os.fspath(directory) if directory is not None else "."
        self.project_name = project_name or "untitled_project"
        self.project_dir = os.path.join(self.directory, self.project_name)
        self._weights = {}  # trial_id -> best-epoch weights (also on disk)
        self._stored = {}  # trial_id -> stored record (resuming)
        self._sample_x = None
        if overwrite and os.path.isdir(self.project_dir):
            shutil.rmtree(self.project_dir)
        if os.path.exists(os.path.join(self.project_dir, "oracle.json")):
            self._reload()
        self._populate_space()

    # --- the search space ------------------------------------------------------------------

    def _populate_space(self):
        """Declare the space before the first trial: build once with the defaults, then once
        per value of every Choice/Boolean and per end of every Int range (and of every
        conditional scope's parent), until no new hyperparameter appears, so the ones declared
        under `if hp.Boolean(...)` or in a loop over `hp.Int("layers", ...)` are tuned from
        the first batch (KerasTuner finds them one trial at a time). The builds draw initial
        weights: the caller's random state is restored afterwards."""
        with KeptRandomState():
            self._explore(self.oracle.hyperparameters)

    def _explore(self, hp):
        self.hypermodel.declare_hyperparameters(hp)
        self.hypermodel.build(hp)
        new = [p.name for p in hp.space if p.name not in self.oracle.given]
        if not self.oracle.allow_new_entries and new:
            raise ValueError(
                f"allow_new_entries=False, but the hypermodel declares {new}, which the "
                "`hyperparameters` passed to the tuner do not have: declare them there, or "
                "allow new entries")
        explored = set()
        for _ in range(_MAX_EXPLORING_BUILDS):
            todo = [(p.name, v) for p in hp.space for v in _probe_values(p)
                    if (p.name, repr(v)) not in explored]
            todo += [(c.name, v) for p in hp.space for c in p.conditions for v in c.values
                     if (c.name, repr(v)) not in explored]
            if not todo:
                return
            name, value = todo[0]
            explored.add((name, repr(value)))
            trial_hp = hp.with_values({**hp.values, name: value})
            self.hypermodel.build(trial_hp)
            hp.merge(trial_hp)

    def search_space_summary(self, extended=False):
        hp = self.oracle.hyperparameters
        print("Search space summary")
        print(f"Default search space size: {len(hp.space)}")
        for p in hp.space:
            print(f"{p.name} ({type(p).__name__})")
            print(p.summary_config())

    # --- running trials --------------------------------------------------------------------

    def _reload(self):
        state = storage.load_oracle(self.project_dir)
        if state["tuner"] != self.kind:
            raise ValueError(
                f"{self.project_dir} holds a {state['tuner']} search, not a {self.kind} one: "
                "use another project_name, or overwrite=True to start afresh")
        objective = self.oracle.objective
        if state["objective"] != (objective.name, objective.direction):
            raise ValueError(
                f"{self.project_dir} was searched for objective {state['objective']}, not "
                f"{(objective.name, objective.direction)}: use overwrite=True to start afresh")
        self.oracle.reseed(state["seed"])
        for trial_id in state["trial_ids"]:
            record = storage.load_trial(self.project_dir, trial_id)
            if record is not None and record["status"] == "COMPLETED":
                self._stored[trial_id] = record

    def _task(self, trial, fit_kwargs):
        values = trial.hyperparameters.values
        parent = values.get("tuner/trial_id")
        return {"hypermodel": self.hypermodel, "trial_id": trial.trial_id, "values": values,
                "space": self.oracle.hyperparameters, "seed": trial.seed,
                "executions": self.executions_per_trial, "fit_kwargs": fit_kwargs,
                "objective": self.oracle.objective, "compile": self.compile_kwargs,
                "init_weights": None if parent is None else self._trial_weights(parent),
                "pid": os.getpid()}

    def _trial_weights(self, trial_id):
        if trial_id not in self._weights:
            self._weights[trial_id] = storage.load_weights(self.project_dir, trial_id)
        return self._weights[trial_id]

    def _run_batch(self, tasks, payload):
        """Outputs (or the exception raised) of each task, in order."""
        if self.executor is None:
            outputs = []
            for task in tasks:
                try:
                    outputs.append(run_trial(task, payload))
                except Exception as e:  # noqa: BLE001  (a failed trial is recorded, see below)
                    outputs.append(e)
            return outputs
        client = _dask_client(self.executor)
        if client is not None:
            futures = [client.submit(run_trial, task, payload, pure=False) for task in tasks]
        else:
            futures = [self.executor.submit(run_trial, task, payload) for task in tasks]
        outputs = []
        for future in futures:
            try:
                outputs.append(future.result())
            except Exception as e:  # noqa: BLE001
                outputs.append(e)
        return outputs

    def _reuse(self, trial):
        record = self._stored.get(trial.trial_id)
        if record is None:
            return False
        values = trial.hyperparameters.values
        if any(record["values"].get(k, object()) != v for k, v in values.items()):
            raise ValueError(
                f"{self.project_dir}: trial {trial.trial_id} was stored with values "
                f"{record['values']}, but the search now gives {trial.hyperparameters.values} "
                "(the search space changed): use overwrite=True or another project_name")
        trial.score, trial.best_step = record["score"], record["best_step"]
        trial.metrics, trial.status = record["metrics"], "COMPLETED"
        trial.hyperparameters = trial.hyperparameters.with_values(record["values"])
        return True

    def search(self, *fit_args, **fit_kwargs):
        """Run the search; arguments are `model.fit`'s (x, y, epochs, batch_size,
        validation_data / validation_split, callbacks, ...). `verbose` > 0 prints a line per
        trial."""
        verbose = fit_kwargs.pop("verbose", 1)
        data_kwargs = {k: fit_kwargs.pop(k) for k in _DATA_KEYS if k in fit_kwargs}
        if not fit_args and "x" not in data_kwargs:
            raise ValueError("search() needs the training data: search(x, y, epochs=..., ...)")
        self._sample_x = first_rows(fit_args[0] if fit_args else data_kwargs["x"])
        payload = (list(fit_args), data_kwargs)
        if isinstance(self.executor, ProcessPoolExecutor):
            check_picklable(self.hypermodel)
        client = _dask_client(self.executor)
        scattered = None
        if client is not None:
            # hash=False: a unique key per search, so releasing it cannot drop another's data
            [scattered] = client.scatter([payload], broadcast=True, hash=False)
        os.makedirs(self.project_dir, exist_ok=True)
        failures = 0
        try:
            while True:
                batch = self.oracle.create_trials()
                if not batch:
                    break
                todo = [t for t in batch if not self._reuse(t)]
                tasks = [self._task(t, fit_kwargs) for t in todo]
                outputs = self._run_batch(tasks, scattered if scattered is not None else payload)
                for trial, out in zip(todo, outputs):
                    failures = self._record(trial, out, failures)
                    if verbose:
                        print(f"Trial {trial.trial_id} {trial.status}: score {trial.score} "
                              f"{trial.hyperparameters.values}", flush=True)
                self._save_oracle()
        finally:
            if scattered is not None:
                scattered.release()

    def _record(self, trial, out, failures):
        if isinstance(out, Exception):
            trial.status, trial.message = "FAILED", f"{type(out).__name__}: {out}"
            storage.save_trial(self.project_dir, trial, None)
            failures += 1
            if failures >= self.oracle.max_consecutive_failed_trials:
                raise RuntimeError(
                    f"{failures} consecutive trials failed; the last one (trial "
                    f"{trial.trial_id}) with {trial.message}") from out
            return failures
        trial.score, trial.best_step = out["score"], out["best_step"]
        trial.metrics, trial.status = out["metrics"], "COMPLETED"
        self.oracle.hyperparameters.merge(out["space"])  # entries first declared in the trial
        trial.hyperparameters = out["space"]
        self._weights[trial.trial_id] = out["weights"]
        storage.save_trial(self.project_dir, trial, out["weights"])
        return 0

    def _save_oracle(self):
        storage.save_oracle(self.project_dir, self.kind, self.oracle.seed, self.oracle.objective,
                            list(self.oracle.trials))

    # --- results ---------------------------------------------------------------------------

    def get_best_hyperparameters(self, num_trials=1):
        return [t.hyperparameters for t in self.oracle.get_best_trials(num_trials)]

    def get_best_models(self, num_models=1):
        """The best trials' models, rebuilt with the weights of their best epoch."""
        models = []
        for trial in self.oracle.get_best_trials(num_models):
            weights = self._trial_weights(trial.trial_id)
            models.append(build_model(self.hypermodel, trial.hyperparameters, self._sample_x,
                                      weights, self.compile_kwargs))
        return models

    def results_summary(self, num_trials=10):
        print("Results summary")
        print(f"Results in {self.project_dir}")
        print(f"Showing {num_trials} best trials")
        print(self.oracle.objective)
        for trial in self.oracle.get_best_trials(num_trials):
            print()
            print(f"Trial {trial.trial_id} summary")
            print("Hyperparameters:")
            for name, value in trial.hyperparameters.values.items():
                print(f"{name}: {value}")
            print(f"Score: {trial.score}")


class RandomSearch(Tuner):
    """Random values for `max_trials` trials."""

    kind = "RandomSearch"

    def __init__(self, hypermodel=None, objective=None, max_trials=10, seed=None,
                 hyperparameters=None, tune_new_entries=True, allow_new_entries=True,
                 max_retries_per_trial=0, max_consecutive_failed_trials=3, **kwargs):
        oracle = RandomSearchOracle(
            objective=objective, max_trials=max_trials, seed=seed,
            hyperparameters=hyperparameters, tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries, max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials)
        super().__init__(oracle, hypermodel, **kwargs)


class Hyperband(Tuner):
    """Successive halving over brackets (see `HyperbandOracle`); trials of later rounds
    continue from their parent trial's best weights."""

    kind = "Hyperband"

    def __init__(self, hypermodel=None, objective=None, max_epochs=100, factor=3,
                 hyperband_iterations=1, seed=None, hyperparameters=None, tune_new_entries=True,
                 allow_new_entries=True, max_retries_per_trial=0,
                 max_consecutive_failed_trials=3, **kwargs):
        oracle = HyperbandOracle(
            objective=objective, max_epochs=max_epochs, factor=factor,
            hyperband_iterations=hyperband_iterations, seed=seed,
            hyperparameters=hyperparameters, tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries, max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials)
        super().__init__(oracle, hypermodel, **kwargs)


class BayesianOptimization(Tuner):
    """Gaussian-process guided search (see `BayesianOptimizationOracle`); one trial at a time,
    since each depends on the scores before it."""

    kind = "BayesianOptimization"

    def __init__(self, hypermodel=None, objective=None, max_trials=10, num_initial_points=None,
                 alpha=1e-4, beta=2.6, seed=None, hyperparameters=None, tune_new_entries=True,
                 allow_new_entries=True, max_retries_per_trial=0,
                 max_consecutive_failed_trials=3, **kwargs):
        oracle = BayesianOptimizationOracle(
            objective=objective, max_trials=max_trials, num_initial_points=num_initial_points,
            alpha=alpha, beta=beta, seed=seed, hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries, allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials)
        super().__init__(oracle, hypermodel, **kwargs)
