"""`HyperParameters`: the search space, and the values of one trial, as KerasTuner has them.

`hp.Int / Float / Choice / Boolean / Fixed(name, ...)` both declare a hyperparameter (the
first time a name is seen) and return its value for the current trial (its default when the
trial has none). A hyperparameter declared inside `with hp.conditional_scope(parent, values):`
(or with `parent_name=` / `parent_values=`) is active only when the parent's value is one of
`values`; an inactive one returns None and has no entry in `hp.values`.

Sampling maps a number `prob` in [0, 1) to a value (`prob_to_value`), so the oracles only draw
uniform numbers: "linear" spreads them evenly, "log" geometrically, "reverse_log" geometrically
from the top; an Int/Float with `step` snaps to the grid min_value + k * step (multiplied by
`step` for log sampling), as in KerasTuner.
"""
import contextlib
from numbers import Number

_SAMPLINGS = ("linear", "log", "reverse_log")
VALUE_TYPES = (bool, int, float, str)  # the only values a trial holds (and a results file)


def _check_name(name):
    if not isinstance(name, str) or not name:
        raise TypeError(f"a hyperparameter name must be a non-empty string, got {name!r}")
    return name


class Condition:
    """Active when the value of `name` is one of `values`."""

    def __init__(self, name, values):
        self.name = _check_name(name)
        values = list(values) if isinstance(values, (list, tuple, set)) else [values]
        if not values:
            raise ValueError(f"conditional_scope({name!r}, ...): parent_values must not be empty")
        self.values = values

    def is_active(self, values):
        return self.name in values and values[self.name] in self.values

    def __eq__(self, other):
        return isinstance(other, Condition) and (self.name, self.values) == (other.name, other.values)

    def get_config(self):
        return {"name": self.name, "values": list(self.values)}


class HyperParameter:
    """Base of the hyperparameter kinds: a name, conditions, a default."""

    def __init__(self, name, default=None, conditions=()):
        self.name = _check_name(name)
        self._default = default
        self.conditions = list(conditions)

    @property
    def default(self):
        return self._default

    def prob_to_value(self, prob):
        raise NotImplementedError(f"{type(self).__name__} has no sampling")

    def random_sample(self, rng):
        """A value drawn with the NumPy Generator `rng`."""
        return self.prob_to_value(float(rng.random()))

    def get_config(self):
        return {"name": self.name, "default": self._default,
                "conditions": [c.get_config() for c in self.conditions]}

    def summary_config(self):
        config = self.get_config()
        config.pop("name")
        config["default"] = self.default
        return config


class Numerical(HyperParameter):
    def __init__(self, name, min_value, max_value, step=None, sampling="linear", default=None,
                 conditions=()):
        super().__init__(name, default, conditions)
        if sampling not in _SAMPLINGS:
            raise ValueError(f"{type(self).__name__}({name!r}): sampling must be one of "
                             f"{list(_SAMPLINGS)}, got {sampling!r}")
        if not min_value <= max_value:
            raise ValueError(f"{type(self).__name__}({name!r}): min_value={min_value} must not "
                             f"exceed max_value={max_value}")
        if sampling != "linear" and min_value <= 0:
            raise ValueError(f"{type(self).__name__}({name!r}): sampling={sampling!r} needs "
                             f"min_value > 0, got {min_value}")
        if step is not None and step <= 0:
            raise ValueError(f"{type(self).__name__}({name!r}): step must be > 0, got {step}")
        if step is not None and sampling != "linear" and step <= 1:
            raise ValueError(f"{type(self).__name__}({name!r}): with sampling={sampling!r} the "
                             f"step multiplies, so it must be > 1, got {step}")
        self.min_value, self.max_value = min_value, max_value
        self.step, self.sampling = step, sampling

    @property
    def default(self):
        return self._default if self._default is not None else self.min_value

    def _continuous(self, prob):
        lo, hi = self.min_value, self.max_value
        if self.sampling == "linear":
            return lo + prob * (hi - lo)
        if self.sampling == "log":
            return lo * (hi / lo) ** prob
        return hi + lo - lo * (hi / lo) ** (1 - prob)  # reverse_log: dense near the top

    def _grid(self):
        """The values a stepped hyperparameter can take, in increasing order."""
        values, v = [], self.min_value
        while v <= self.max_value * (1 + 1e-12):
            values.append(v)
            v = v + self.step if self.sampling == "linear" else v * self.step
        return values

    def prob_to_value(self, prob):
        if self.step is None:
            return self._continuous(prob)
        grid = self._grid()  # evenly spaced, or geometric for log sampling: pick uniformly
        return grid[min(int(prob * len(grid)), len(grid) - 1)]

    def get_config(self):
        return {**super().get_config(), "min_value": self.min_value, "max_value": self.max_value,
                "step": self.step, "sampling": self.sampling}


class Int(Numerical):
    """An integer in [min_value, max_value] (inclusive); step defaults to 1."""

    def __init__(self, name, min_value, max_value, step=None, sampling="linear", default=None,
                 conditions=()):
        for arg, v in (("min_value", min_value), ("max_value", max_value), ("step", step)):
            if v is not None and (isinstance(v, bool) or not float(v).is_integer()):
                raise ValueError(f"Int({name!r}): {arg} must be an integer, got {v!r}")
        super().__init__(name, int(min_value), int(max_value),
                         None if step is None else int(step), sampling, default, conditions)
        if self.step is None and sampling == "linear":
            self.step = 1

    def prob_to_value(self, prob):
        if self.step is None:  # log sampling without a step: round the continuous value
            return int(min(max(round(self._continuous(prob)), self.min_value), self.max_value))
        return int(super().prob_to_value(prob))


class Float(Numerical):
    """A float in [min_value, max_value]; `sampling="log"` for scales such as learning rates."""

    def __init__(self, name, min_value, max_value, step=None, sampling="linear", default=None,
                 conditions=()):
        super().__init__(name, float(min_value), float(max_value),
                         None if step is None else float(step), sampling, default, conditions)

    def prob_to_value(self, prob):
        return float(super().prob_to_value(prob))


class Choice(HyperParameter):
    """One of `values` (all ints, all floats, all strings or all bools)."""

    def __init__(self, name, values, ordered=None, default=None, conditions=()):
        super().__init__(name, default, conditions)
        values = list(values) if isinstance(values, (list, tuple)) else None
        if not values:
            raise ValueError(f"Choice({name!r}): values must be a non-empty list")
        kinds = {type(v) for v in values}
        if len(kinds) > 1 and not kinds <= {int, float}:
            raise TypeError(f"Choice({name!r}): values must all be of one type (int, float, str "
                            f"or bool), got {sorted(k.__name__ for k in kinds)}")
        if not all(isinstance(v, VALUE_TYPES) for v in values):
            raise TypeError(f"Choice({name!r}): values must be ints, floats, strings or bools, "
                            f"got {values!r}")
        if default is not None and default not in values:
            raise ValueError(f"Choice({name!r}): default={default!r} is not one of {values}")
        numeric = all(isinstance(v, Number) and not isinstance(v, bool) for v in values)
        self.values = values
        self.ordered = numeric if ordered is None else bool(ordered)

    @property
    def default(self):
        return self._default if self._default is not None else self.values[0]

    def prob_to_value(self, prob):
        return self.values[min(int(prob * len(self.values)), len(self.values) - 1)]

    def get_config(self):
        return {**super().get_config(), "values": list(self.values), "ordered": self.ordered}


class Boolean(HyperParameter):
    def __init__(self, name, default=False, conditions=()):
        if not isinstance(default, bool):
            raise TypeError(f"Boolean({name!r}): default must be True or False, got {default!r}")
        super().__init__(name, default, conditions)

    def prob_to_value(self, prob):
        return prob >= 0.5


class Fixed(HyperParameter):
    """A constant: recorded with the trial, never searched."""

    def __init__(self, name, value, conditions=()):
        if not isinstance(value, VALUE_TYPES):
            raise TypeError(f"Fixed({name!r}): value must be an int, float, str or bool, got "
                            f"{value!r}")
        super().__init__(name, value, conditions)
        self.value = value

    def prob_to_value(self, prob):
        return self.value

    def get_config(self):
        return {**super().get_config(), "value": self.value}


class HyperParameters:
    """A search space (`space`, in declaration order) and one trial's values (`values`)."""

    def __init__(self):
        self._hps = {}  # name -> [HyperParameter] (one per distinct set of conditions)
        self._space = []
        self._conditions = []  # of the enclosing conditional scopes
        self.values = {}

    # --- scopes and state ------------------------------------------------------------------

    @contextlib.contextmanager
    def conditional_scope(self, parent_name, parent_values):
        """Hyperparameters declared inside are active only when `parent_name`'s value is one
        of `parent_values` (the parent must be declared first)."""
        if parent_name not in self._hps:
            raise ValueError(f"conditional_scope: `{parent_name}` must be declared before it "
                             f"is used as a parent (known: {sorted(self._hps)})")
        self._conditions.append(Condition(parent_name, parent_values))
        try:
            yield
        finally:
            self._conditions.pop()

    def _conditions_active(self, conditions):
        return all(c.is_active(self.values) for c in conditions)

    def is_active(self, hp):
        """Whether a hyperparameter (an object, or a name: any of that name) is active."""
        if isinstance(hp, HyperParameter):
            return self._conditions_active(hp.conditions)
        return any(self._conditions_active(h.conditions) for h in self._hps.get(hp, []))

    @property
    def space(self):
        return list(self._space)

    def get(self, name):
        if name in self.values:
            return self.values[name]
        if name in self._hps:
            raise ValueError(f"hyperparameter {name!r} is currently inactive (its condition's "
                             "parent has another value)")
        raise KeyError(f"no hyperparameter named {name!r}; known: {sorted(self._hps)}")

    def __getitem__(self, name):
        return self.get(name)

    def __contains__(self, name):
        try:
            self.get(name)
        except (KeyError, ValueError):
            return False
        return True

    # --- declaring -------------------------------------------------------------------------

    def _conditions_for(self, parent_name, parent_values):
        conditions = list(self._conditions)
        if parent_name is not None:
            if parent_values is None:
                raise ValueError(f"parent_name={parent_name!r} needs parent_values")
            conditions.append(Condition(parent_name, parent_values))
        return conditions

    def _retrieve(self, hp):
        known = self._hps.get(hp.name, [])
        if not any(h.conditions == hp.conditions for h in known):
            self._hps.setdefault(hp.name, []).append(hp)
            self._space.append(hp)
        if not self._conditions_active(hp.conditions):
            return None  # an inactive value must not be relied on
        if hp.name not in self.values:
            self.values[hp.name] = hp.default
        return self.values[hp.name]

    def Int(self, name, min_value, max_value, step=None, sampling="linear", default=None,
            parent_name=None, parent_values=None):
        return self._retrieve(Int(name, min_value, max_value, step, sampling, default,
                                  self._conditions_for(parent_name, parent_values)))

    def Float(self, name, min_value, max_value, step=None, sampling="linear", default=None,
              parent_name=None, parent_values=None):
        return self._retrieve(Float(name, min_value, max_value, step, sampling, default,
                                    self._conditions_for(parent_name, parent_values)))

    def Choice(self, name, values, ordered=None, default=None, parent_name=None,
               parent_values=None):
        return self._retrieve(Choice(name, values, ordered, default,
                                     self._conditions_for(parent_name, parent_values)))

    def Boolean(self, name, default=False, parent_name=None, parent_values=None):
        return self._retrieve(Boolean(name, default,
                                      self._conditions_for(parent_name, parent_values)))

    def Fixed(self, name, value, parent_name=None, parent_values=None):
        return self._retrieve(Fixed(name, value, self._conditions_for(parent_name, parent_values)))

    # --- copies ----------------------------------------------------------------------------

    def copy(self):
        new = HyperParameters()
        new._hps = {k: list(v) for k, v in self._hps.items()}
        new._space = list(self._space)
        new.values = dict(self.values)
        return new

    def with_values(self, values):
        """A copy of this space holding `values` (inactive entries dropped, missing active
        ones set to their defaults, in declaration order)."""
        new = self.copy()
        new.values = {}
        for hp in self._space:
            if hp.name in new.values or not new._conditions_active(hp.conditions):
                continue
            new.values[hp.name] = values.get(hp.name, hp.default)
        for key, value in values.items():  # entries the space does not declare (tuner/...)
            new.values.setdefault(key, value)
        return new

    def merge(self, other):
        """Declare `other`'s hyperparameters here too (values are not copied)."""
        for hp in other._space:
            known = self._hps.get(hp.name, [])
            if not any(h.conditions == hp.conditions for h in known):
                self._hps.setdefault(hp.name, []).append(hp)
                self._space.append(hp)

    def get_config(self):
        return {"space": [{"class_name": type(hp).__name__, "config": hp.get_config()}
                          for hp in self._space], "values": dict(self.values)}

    def __repr__(self):
        return f"HyperParameters(values={self.values})"
