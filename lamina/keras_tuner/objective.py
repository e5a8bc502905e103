"""`Objective(name, direction)`: what a search optimizes, and how a trial's score is read from
its training histories (KerasTuner's rule: each execution scores the best epoch's value of the
objective; a trial scores the mean over its executions)."""
import numpy as np

_MAX_WORDS = ("acc", "auc", "precision", "recall", "f1", "iou", "r2", "score")
_MIN_WORDS = ("loss", "error", "mae", "mse", "mape", "msle", "crossentropy", "hinge",
              "divergence", "poisson", "cosh", "rmse")


class Objective:
    """`name`: a key of `History.history` ("val_accuracy", "loss", ...); `direction`: "min"
    or "max"."""

    def __init__(self, name, direction):
        if not isinstance(name, str) or not name:
            raise TypeError(f"Objective: name must be a metric name string, got {name!r}")
        if direction not in ("min", "max"):
            raise ValueError(f"Objective({name!r}): direction must be 'min' or 'max', got "
                             f"{direction!r}")
        self.name, self.direction = name, direction

    def better(self, a, b):
        """True when score `a` is strictly better than `b` (None is worst)."""
        if b is None:
            return a is not None
        if a is None:
            return False
        return a > b if self.direction == "max" else a < b

    def sort_key(self, score):
        """Ascending key: best first (None last)."""
        if score is None or not np.isfinite(score):
            return float("inf")
        return -score if self.direction == "max" else score

    def best_epoch(self, history):
        """(epoch index, value) of the best value of this objective in `history` (a dict)."""
        if self.name not in history:
            raise ValueError(
                f"objective {self.name!r} is not among the values training reported "
                f"({sorted(history)}); for a 'val_' objective pass validation_data= or "
                "validation_split= to search(), or choose an objective from that list")
        values = np.asarray(history[self.name], dtype="float64")
        finite = np.where(np.isfinite(values), values, np.nan)
        if np.all(np.isnan(finite)):
            return len(values) - 1, float("nan")
        i = int(np.nanargmax(finite) if self.direction == "max" else np.nanargmin(finite))
        return i, float(values[i])

    def __eq__(self, other):
        return isinstance(other, Objective) and (self.name, self.direction) == (
            other.name, other.direction)

    def __repr__(self):
        return f'Objective(name="{self.name}", direction="{self.direction}")'

    def get_config(self):
        return {"name": self.name, "direction": self.direction}


def infer_direction(name):
    """"max" for accuracy-like names, "min" for loss-like ones, else None."""
    base = name[4:] if name.startswith("val_") else name
    base = base.lower()
    if any(word in base for word in _MIN_WORDS):
        return "min"
    if any(word in base for word in _MAX_WORDS):
        return "max"
    return None


def to_objective(objective):
    """An `Objective` from a string (direction inferred), an Objective, or None
    ("val_loss")."""
    if objective is None:
        return Objective("val_loss", "min")
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        direction = infer_direction(objective)
        if direction is None:
            raise ValueError(
                f"objective={objective!r}: cannot tell whether to minimize or maximize it; "
                f"pass keras_tuner.Objective({objective!r}, direction='min' or 'max')")
        return Objective(objective, direction)
    if isinstance(objective, (list, tuple)):
        raise NotImplementedError(
            "lamina.keras_tuner: several objectives at once are not supported yet; pass one "
            "Objective (or combine the metrics into one in your model)")
    raise TypeError(f"objective must be a string or a keras_tuner.Objective, got {objective!r}")
