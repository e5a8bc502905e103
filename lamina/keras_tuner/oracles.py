"""Oracles: which hyperparameter values to try next.

An oracle hands the tuner batches of trials (`create_trials()`): every trial in a batch can run
at once, and the next batch is asked for only when the previous one has finished. So a search
is the same sequence of trials whether the batches run one trial at a time or spread over
workers, and the same seed gives the same trials.

- `RandomSearchOracle`: `max_trials` random draws (one batch); a repeated set of values is
  drawn again (KerasTuner's rule), and the search stops early when the space is exhausted.
- `HyperbandOracle`: KerasTuner's bracket schedule. Bracket b (from the most exploratory down
  to 0) starts `size(b, 0)` random trials for `epochs(b, 0)` epochs; round r keeps the best
  `size(b, r)` of round r - 1 and trains them on to `epochs(b, r)` epochs, from their weights:
  size(b, r) = ceil(ceil(1 + log_factor(max_epochs)) / (b + 1) * factor ** (b - r)),
  epochs(b, r) = ceil(max_epochs / factor ** (b - r)).
- `BayesianOptimizationOracle`: random trials first, then, one trial at a time, the point of
  a Gaussian process (Matern 5/2 kernel on the [0, 1]-scaled values) with the best upper
  confidence bound (mean + beta * std of the predicted score) among random candidates.
"""
import hashlib
import json
import math

import numpy as np

from lamina import random as lrandom
from lamina.keras_tuner.hyperparameters import Boolean, Choice, Fixed, HyperParameters, Numerical
from lamina.keras_tuner.objective import to_objective

_MAX_COLLISIONS = 20  # draws of an already-tried set of values before giving up (KerasTuner's)


class Trial:
    """One set of values tried: `trial_id`, `hyperparameters`, `score`, `best_step`,
    `metrics` (name -> value at the best epoch, averaged over executions), `status`."""

    def __init__(self, trial_id, hyperparameters, seed):
        self.trial_id = trial_id
        self.hyperparameters = hyperparameters
        self.seed = seed
        self.score = None
        self.best_step = None
        self.metrics = {}
        self.status = "RUNNING"
        self.message = None

    def __repr__(self):
        return f"Trial(trial_id={self.trial_id!r}, score={self.score}, status={self.status!r})"


def values_hash(values):
    tuned = {k: v for k, v in values.items() if not k.startswith("tuner/")}
    return hashlib.sha256(json.dumps(tuned, sort_keys=True).encode()).hexdigest()[:32]


class Oracle:
    """Base: the objective, the space, the trials so far, the seeded generator of values."""

    def __init__(self, objective=None, max_trials=None, hyperparameters=None,
                 allow_new_entries=True, tune_new_entries=True, seed=None,
                 max_retries_per_trial=0, max_consecutive_failed_trials=3):
        self.objective = to_objective(objective)
        if max_trials is not None and (not isinstance(max_trials, int) or max_trials < 1):
            raise ValueError(f"max_trials must be a positive integer, got {max_trials!r}")
        self.max_trials = max_trials
        self.hyperparameters = hyperparameters.copy() if hyperparameters else HyperParameters()
        self.allow_new_entries = allow_new_entries
        self.tune_new_entries = tune_new_entries
        self.given = {hp.name for hp in self.hyperparameters.space}  # declared by the user
        if max_retries_per_trial:
            raise NotImplementedError(
                "lamina.keras_tuner: max_retries_per_trial > 0 (retrying a failed trial) is not "
                "supported; a failed trial is recorded and the search goes on")
        if seed is None:
            seed = int(lrandom.generator(None).integers(1, 10000))
        self.seed = int(seed)
        self.max_retries_per_trial = max_retries_per_trial
        self.max_consecutive_failed_trials = max_consecutive_failed_trials
        self.trials = {}  # trial_id -> Trial, in creation order
        self.reseed(self.seed)

    def reseed(self, seed):
        """Start the search afresh from `seed` (a resumed search replays its stored seed)."""
        if self.trials:
            raise RuntimeError("reseed() must come before the first trial")
        self.seed = int(seed)
        self._rng = np.random.default_rng(self.seed)
        self._tried = set()

    # --- values ---------------------------------------------------------------------------

    def _tunable(self, hp):
        """Fixed values are never searched, nor, with tune_new_entries=False, the ones the
        hypermodel declares beyond the `hyperparameters` given (they keep their default)."""
        if isinstance(hp, Fixed):
            return False
        return self.tune_new_entries or hp.name in self.given

    def _random_values(self):
        """A new random set of values (only active hyperparameters), or None when
        `_MAX_COLLISIONS` draws in a row repeat sets already tried."""
        for _ in range(_MAX_COLLISIONS):
            hps = self.hyperparameters.with_values({})
            values = {}
            for hp in self.hyperparameters.space:
                hps.values = values
                if hp.name in values or not hps.is_active(hp):
                    continue
                values[hp.name] = hp.random_sample(self._rng) if self._tunable(hp) else hp.default
            key = values_hash(values)
            if key not in self._tried:
                self._tried.add(key)
                return values
        return None

    def _new_trial(self, values):
        trial_id = f"{len(self.trials):02d}"
        seed = int(np.random.SeedSequence([self.seed, len(self.trials)]).generate_state(1)[0])
        trial = Trial(trial_id, self.hyperparameters.with_values(values), seed)
        self.trials[trial_id] = trial
        return trial

    # --- the search ------------------------------------------------------------------------

    def create_trials(self):
        """The next batch of trials that can run at once; [] when the search is over."""
        raise NotImplementedError(f"{type(self).__name__} must implement create_trials()")

    def completed(self):
        return [t for t in self.trials.values() if t.status == "COMPLETED"]

    def get_best_trials(self, num_trials=1):
        done = self.completed()
        done.sort(key=lambda t: self.objective.sort_key(t.score))  # stable: ties keep order
        return done[:num_trials]

    def get_space(self):
        return self.hyperparameters.copy()


class RandomSearchOracle(Oracle):
    def __init__(self, objective=None, max_trials=10, **kwargs):
        super().__init__(objective=objective, max_trials=max_trials, **kwargs)

    def create_trials(self):
        batch = []
        while len(self.trials) < self.max_trials:
            values = self._random_values()
            if values is None:
                break  # the space is exhausted
            batch.append(self._new_trial(values))
        return batch


class HyperbandOracle(Oracle):
    def __init__(self, objective=None, max_epochs=100, factor=3, hyperband_iterations=1,
                 **kwargs):
        super().__init__(objective=objective, **kwargs)
        if not isinstance(factor, int) or factor < 2:
            raise ValueError(f"Hyperband: factor must be an integer >= 2, got {factor!r}")
        if not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(f"Hyperband: max_epochs must be a positive integer, got {max_epochs!r}")
        self.max_epochs, self.factor, self.min_epochs = max_epochs, factor, 1
        self.hyperband_iterations = hyperband_iterations or 1
        self._plan = self._batches()

    def reseed(self, seed):
        super().reseed(seed)
        self._plan = self._batches()

    def num_brackets(self):
        epochs, brackets = self.max_epochs, 0
        while epochs >= self.min_epochs:
            epochs /= self.factor
            brackets += 1
        return brackets

    def size(self, bracket, round_):
        bracket0_end_size = math.ceil(1 + math.log(self.max_epochs, self.factor))
        return math.ceil(bracket0_end_size / (bracket + 1) * self.factor ** (bracket - round_))

    def epochs(self, bracket, round_):
        return math.ceil(self.max_epochs / self.factor ** (bracket - round_))

    def schedule(self):
        """[(bracket, [(trials, epochs) per round])], in the order the brackets run."""
        return [(b, [(self.size(b, r), self.epochs(b, r)) for r in range(b + 1)])
                for b in range(self.num_brackets() - 1, -1, -1)]

    def _batches(self):
        for _ in range(self.hyperband_iterations):
            for bracket in range(self.num_brackets() - 1, -1, -1):
                previous = []
                for round_ in range(bracket + 1):
                    batch = []
                    if round_ == 0:
                        for _ in range(self.size(bracket, 0)):
                            values = self._random_values()
                            if values is None:
                                break
                            values.update({"tuner/epochs": self.epochs(bracket, 0),
                                           "tuner/initial_epoch": 0,
                                           "tuner/bracket": bracket, "tuner/round": 0})
                            batch.append(self._new_trial(values))
                    else:
                        done = [t for t in previous if t.status == "COMPLETED"]
                        done.sort(key=lambda t: self.objective.sort_key(t.score))
                        for parent in done[: self.size(bracket, round_)]:
                            values = {k: v for k, v in parent.hyperparameters.values.items()
                                      if not k.startswith("tuner/")}
                            values.update({"tuner/trial_id": parent.trial_id,
                                           "tuner/epochs": self.epochs(bracket, round_),
                                           "tuner/initial_epoch": self.epochs(bracket, round_ - 1),
                                           "tuner/bracket": bracket, "tuner/round": round_})
                            batch.append(self._new_trial(values))
                    if not batch:
                        break
                    yield batch
                    previous = batch

    def create_trials(self):
        return next(self._plan, [])


def _value_to_prob(hp, value):
    """Where `value` sits in [0, 1] (the inverse of `prob_to_value`, at cell centres)."""
    if isinstance(hp, Choice):
        return (hp.values.index(value) + 0.5) / len(hp.values) if value in hp.values else 0.5
    if isinstance(hp, Boolean):
        return 0.75 if value else 0.25
    if isinstance(hp, Numerical):
        if hp.step is not None:
            grid = hp._grid()
            index = int(np.argmin([abs(g - value) for g in grid]))
            return (index + 0.5) / len(grid)
        lo, hi = hp.min_value, hp.max_value
        if hi == lo:
            return 0.5
        if hp.sampling == "linear":
            return (value - lo) / (hi - lo)
        if hp.sampling == "log":
            return math.log(value / lo) / math.log(hi / lo)
        return 1 - math.log((hi + lo - value) / lo) / math.log(hi / lo)
    return 0.5


def _matern52(a, b, length_scale=0.5):
    d = np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0)) / length_scale
    return (1 + math.sqrt(5) * d + 5.0 / 3.0 * d**2) * np.exp(-math.sqrt(5) * d)


class BayesianOptimizationOracle(Oracle):
    def __init__(self, objective=None, max_trials=10, num_initial_points=None, alpha=1e-4,
                 beta=2.6, **kwargs):
        super().__init__(objective=objective, max_trials=max_trials, **kwargs)
        self.num_initial_points = num_initial_points
        self.alpha, self.beta = float(alpha), float(beta)

    def _dims(self):
        seen, dims = set(), []
        for hp in self.hyperparameters.space:
            if hp.name not in seen and self._tunable(hp):
                seen.add(hp.name)
                dims.append(hp)
        return dims

    def _vector(self, dims, values):
        return [_value_to_prob(hp, values.get(hp.name, hp.default)) for hp in dims]

    def create_trials(self):
        if len(self.trials) >= self.max_trials:
            return []
        dims = self._dims()
        initial = self.num_initial_points or max(3 * len(dims), 2)
        done = [t for t in self.completed() if t.score is not None and np.isfinite(t.score)]
        if len(self.trials) < initial or len(done) < 2 or not dims:
            values = self._random_values()
            return [] if values is None else [self._new_trial(values)]
        x = np.array([self._vector(dims, t.hyperparameters.values) for t in done])
        y = np.array([t.score for t in done], dtype="float64")
        if self.objective.direction == "min":
            y = -y  # maximize internally
        mean, std = y.mean(), y.std() or 1.0
        y = (y - mean) / std
        k = _matern52(x, x) + self.alpha * np.eye(len(x))
        chol = np.linalg.cholesky(k + 1e-9 * np.eye(len(x)))
        weights = np.linalg.solve(chol.T, np.linalg.solve(chol, y))
        for _ in range(_MAX_COLLISIONS):
            candidates = self._rng.random((2000, len(dims)))
            ks = _matern52(candidates, x)
            mu = ks @ weights
            v = np.linalg.solve(chol, ks.T)
            sigma = np.sqrt(np.maximum(1.0 - (v**2).sum(0), 1e-12))
            best = candidates[int(np.argmax(mu + self.beta * sigma))]
            values = self._values_from_vector(dims, best)
            key = values_hash(values)
            if key not in self._tried:
                self._tried.add(key)
                return [self._new_trial(values)]
        return []

    def _values_from_vector(self, dims, vector):
        by_name = {hp.name: float(p) for hp, p in zip(dims, vector)}
        values = {}
        hps = self.hyperparameters.with_values({})
        for hp in self.hyperparameters.space:
            hps.values = values
            if hp.name in values or not hps.is_active(hp):
                continue
            values[hp.name] = hp.prob_to_value(min(by_name[hp.name], 1 - 1e-12)) \
                if hp.name in by_name else hp.default
        return values
