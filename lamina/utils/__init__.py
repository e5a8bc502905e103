"""`lamina.utils`: seeding, gradient checking, and (later) data helpers."""
from lamina.random import set_seed as set_random_seed  # noqa: F401
from lamina.utils.gradient_check import check_gradients  # noqa: F401
