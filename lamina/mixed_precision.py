"""`keras.mixed_precision`: the global dtype policy under its Keras 2 names and
`LossScaleOptimizer` (see lamina/dtype_policies.py and
lamina/optimizers/loss_scale_optimizer.py). It sits on the building blocks' floor because it
re-exports an optimizer."""

from lamina.dtype_policies import (  # noqa: F401
    DTypePolicy,
    Policy,
    dtype_policy,
    global_policy,
    set_dtype_policy,
    set_global_policy,
)
from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer  # noqa: F401
