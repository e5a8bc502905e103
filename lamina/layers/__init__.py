"""`lamina.layers`: Keras 3 layer classes (`from lamina import layers`)."""
from lamina.layers.activation import Activation, LeakyReLU, ReLU, Softmax  # noqa: F401
from lamina.layers.dense import Dense  # noqa: F401
from lamina.layers.dropout import Dropout  # noqa: F401
from lamina.layers.input_layer import Input, InputLayer  # noqa: F401
from lamina.layers.lambda_layer import Lambda  # noqa: F401
from lamina.layers.layer import InputSpec, Layer  # noqa: F401
from lamina.layers.merging import (  # noqa: F401
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average,
    concatenate, dot, maximum, minimum, multiply, subtract,
)
from lamina.layers.normalization import Normalization  # noqa: F401
from lamina.layers.reshaping import Flatten, Permute, RepeatVector, Reshape  # noqa: F401
from lamina.layers.rescaling import Rescaling  # noqa: F401
