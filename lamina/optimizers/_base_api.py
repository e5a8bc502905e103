"""The optimizer's bookkeeping API (Keras 3's BaseOptimizer minus the update step): the
constructor's checks, `iterations`, `learning_rate`, `variables` and their order, helpers
for custom optimizers, weight-decay exclusion, EMA finalization, state save/load, config.

`variables` follows Keras's order, which `.keras` files rely on (state is saved by index):
`iteration`, `learning_rate` (when a float was given), EMA `average`s, gradient
accumulators, then the rule's slots (e.g. Adam: momentum and velocity interleaved per
variable, then `velocity_hat`s with amsgrad).
"""
import re
import difflib
import inspect
import warnings

import numpy as np

from lamina.engine import dtypes
from lamina.engine.graph import Leaf
from lamina.engine.tensor import Tensor, Variable, data_of
from lamina.optimizers import schedules
from lamina.optimizers._serialization import auto_name, serialize_object


class OptimizerAPI:
    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        if "lr" in kwargs:  # Keras 2 spelling, still in older textbooks
            warnings.warn("`lr` is deprecated in Keras 3; use `learning_rate=`", DeprecationWarning, stacklevel=3)
            learning_rate = kwargs.pop("lr")
        if kwargs.pop("decay", None) is not None:
            warnings.warn(
                "Argument `decay` is no longer supported and will be ignored.", stacklevel=3
            )
        if kwargs:
            hint = ""
            known = list(inspect.signature(type(self).__init__).parameters) + [
                "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum",
                "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps"]
            close = difflib.get_close_matches(next(iter(kwargs)), known, n=1)
            if close and not hint:
                hint = f"; did you mean {close[0]!r}?"
            raise ValueError(f"{type(self).__name__}: argument(s) not recognized: {kwargs}{hint}")
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                f"gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(
                    "`ema_momentum` must be in the range [0, 1]. Received: "
                    f"ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.name = name if name is not None else auto_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._trainable_variables_indices = {}
        self._exclude_ids = set()
        self._exclude_pattern = None
        self._fast = self._uses_fast_path()
        self._iterations = self._new_variable(0, "iteration", "int64")
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            self._learning_rate = self._new_variable(
                _as_learning_rate(learning_rate), "learning_rate", dtypes.floatx()
            )

    # --- state ----------------------------------------------------------------------------
    def _new_variable(self, value, name, dtype):
        v = Variable(value, dtype=dtype, trainable=False, name=name)
        if np.ndim(value) == 0 and v.data.ndim != 0:
            # Variable() stores 0-d values as shape (1,) (np.ascontiguousarray); Keras keeps
            # scalars 0-d, and saved optimizer state must match its shapes.
            v.data = v.data.reshape(())
            v._leaf = Leaf((), v.data.dtype)
        v.path = f"{self.name}/{name}"
        self._variables.append(v)
        return v

    @property
    def iterations(self):
        """The number of `apply` calls (int64 variable); with gradient accumulation, the
        number of real updates (`calls // gradient_accumulation_steps`)."""
        k = self.gradient_accumulation_steps
        if k:
            return Tensor(np.asarray(self._iterations.data // k))
        return self._iterations

    @property
    def variables(self):
        """All optimizer state, in Keras's order (see the module docstring)."""
        return self._variables[:]

    @property
    def learning_rate(self):
        """The current learning rate: the float32 variable, or the schedule's value now."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            return lr(self._iterations)
        if isinstance(lr, Variable):
            return lr
        return lr()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous = self._learning_rate
        if isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
            if isinstance(previous, Variable):
                self._variables = [v for v in self._variables if v is not previous]
            return
        if not isinstance(previous, Variable):
            raise TypeError(
                f"This optimizer was created with a `{type(previous).__name__}` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. "
                "If you need the learning rate to be settable, you should instantiate the "
                "optimizer with a float `learning_rate` argument."
            )
        previous.assign(_as_learning_rate(learning_rate))

    def set_weights(self, weights):
        """Assign every entry of `variables` from a list of arrays (same order)."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Please call `optimizer.build(trainable_variables)` to create the optimizer "
                "weights before calling `set_weights()`."
            )
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(
                    f"Optimizer variable {variable.path!r} has shape {variable.shape} not "
                    f"compatible with provided weight shape {np.shape(weight)}."
                )
            variable.assign(weight)

    def save_own_variables(self, store):
        """Write the state into `store` (a dict-like) under keys "0", "1", ..."""
        for i, variable in enumerate(self._variables):
            store[str(i)] = np.array(variable.data)

    def load_own_variables(self, store):
        """Read the state written by `save_own_variables` (skipped, with a warning, if the
        number of variables differs, e.g. when the optimizer is not built yet)."""
        if len(store.keys()) != len(self._variables):
            msg = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self._variables)} variables whereas the saved optimizer has "
                f"{len(store.keys())} variables. "
            )
            if not self.built:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    # --- helpers for custom optimizers (Keras API) ----------------------------------------
    def add_variable(
        self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None, name=None
    ):
        """A new non-trainable state variable of `shape`, tracked in `variables`."""
        if isinstance(initializer, str) and initializer in ("zeros", "ones"):
            dtype = dtypes.standardize(dtype)
            value = (np.zeros if initializer == "zeros" else np.ones)(tuple(shape), dtype=dtype)
            return self._new_variable(value, name or "variable", dtype)
        v = Variable(initializer, shape=shape, dtype=dtype, trainable=False, name=name)
        v.path = f"{self.name}/{v.name}"
        self._variables.append(v)
        return v

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A state variable shaped like `reference_variable`, named `<its path>_<name>`."""
        ref = reference_variable
        full = str(getattr(ref, "path", ref.name)).replace("/", "_").replace(":", "_")
        return self.add_variable(
            ref.shape, initializer=initializer, dtype=ref.dtype, name=f"{full}_{name or 'var'}"
        )

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """One state variable per trainable variable and name; several names interleave."""
        names = [name] if isinstance(name, str) else list(name)
        inits = [initializer] * len(names) if not isinstance(initializer, list) else initializer
        if len(inits) != len(names):
            raise ValueError(
                "The number of provided names must match the number of provided initializers. "
                f"Received name={name!r}, initializer={initializer!r}"
            )
        out = tuple([] for _ in names)
        for v in trainable_variables:
            for k, (n, init) in enumerate(zip(names, inits)):
                out[k].append(self.add_variable_from_reference(v, n, init))
        return out[0] if isinstance(name, str) else out

    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    def _var_key(self, variable):
        return id(variable)

    def _get_variable_index(self, variable):
        try:
            return self._trainable_variables_indices[id(variable)]
        except KeyError:
            raise ValueError(
                f"{self.name}: variable {getattr(variable, 'path', variable)!r} is not one the "
                "optimizer was built with"
            ) from None

    # --- weight decay, EMA, loss scaling --------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempt `var_list` variables, and those whose name contains one of `var_names`
        (a regex search), from weight decay."""
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None
        if self.built:
            self._wd_mask = [self._use_weight_decay(v) for v in self._trainable_variables]

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return pattern is None or re.search(pattern, variable.name) is None

    def scale_loss(self, loss):
        """`loss * loss_scale_factor` when a factor is set (mixed precision), else `loss`."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def finalize_variable_values(self, var_list):
        """With `use_ema`, overwrite `var_list` with their moving averages (end of training)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        averages = self._model_variables_moving_average
        if len(trainable_variables) != len(averages):
            raise ValueError(
                f"The length of model variables ({len(trainable_variables)}) to override does "
                f"not match the length of model variables stored in the optimizer "
                f"({len(averages)}). Please check if the optimizer was called on your model."
            )
        for var, average in zip(trainable_variables, averages):
            var.assign(average)

    def swap_ema_weights(self, trainable_variables):
        """Exchange the values of `trainable_variables` and their moving averages (use_ema),
        in place: calling it twice restores both (keras.callbacks.SwapEMAWeights)."""
        if not self.use_ema:
            raise ValueError("swap_ema_weights: the optimizer was created without use_ema=True, so it "
                             "keeps no moving averages; pass use_ema=True to the optimizer")
        averages = getattr(self, "_model_variables_moving_average", None)
        if averages is None or len(averages) != len(trainable_variables):
            raise ValueError("swap_ema_weights: the optimizer has not been built on these variables yet "
                             "(train at least one step first)")
        for var, average in zip(trainable_variables, averages):
            value = var.numpy().copy()
            var.assign(average.numpy())
            average.assign(value)

    # --- config ---------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments (learning rate: a float, or a serialized schedule)."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif isinstance(lr, Variable):
            lr = lr.data.item()
        else:
            lr = serialize_object(lr, "schedule")
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new (unbuilt) optimizer from `get_config()`'s output."""
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):  # only a schedule: a file never names a callable to run
            config["learning_rate"] = schedules.deserialize(lr, custom_objects=custom_objects)
        elif lr is not None and not isinstance(lr, (schedules.LearningRateSchedule, int, float)):
            raise ValueError(
                f"{cls.__name__}.from_config: learning_rate must be a number or a serialized "
                f"LearningRateSchedule, got {str(lr)[:200]}")
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _as_learning_rate(value):
    """A Python float from a float, int, NumPy scalar or 0-d tensor; rejects the rest."""
    if isinstance(value, (bool, np.bool_, str)):
        raise ValueError(_LR_MESSAGE.format(value=value))  # noqa: TRY004  (Keras's error type)
    try:
        arr = np.asarray(data_of(value))
    except TypeError:
        raise ValueError(_LR_MESSAGE.format(value=value)) from None
    if arr.ndim != 0 or arr.dtype.kind not in "iuf":
        raise ValueError(_LR_MESSAGE.format(value=value))
    return float(arr)


_LR_MESSAGE = (
    "Argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a "
    "callable (that takes in the current iteration value and returns the corresponding "
    "learning rate value). Received instead: learning_rate={value}"
)
