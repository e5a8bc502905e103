"""lamina: a NumPy deep-learning library with Keras 3's API and its own autodiff engine.

`import lamina as keras` runs textbook Keras code: `keras.Sequential`, `keras.layers`,
`keras.ops`, `keras.datasets`, `keras.GradientTape` (TensorFlow's name, kept here too).
"""
__version__ = "0.1.0"

from lamina import ops, random, utils  # noqa: E402,F401
from lamina.engine.tape import GradientTape  # noqa: E402,F401
from lamina.engine.tensor import Tensor, Variable  # noqa: E402,F401
