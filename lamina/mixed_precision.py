"""`keras.mixed_precision`: the dtype-policy functions under their Keras 2 names (see
lamina.dtype_policies; the mixed policies are not implemented yet)."""

from lamina.dtype_policies import (  # noqa: F401
    DTypePolicy,
    Policy,
    dtype_policy,
    global_policy,
    set_dtype_policy,
    set_global_policy,
)
