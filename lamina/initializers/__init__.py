"""`keras.initializers`: weight initializers by class and by name.

`get("glorot_uniform")` -> a `GlorotUniform()` instance; `Variable("he_normal", shape=...)`
uses the same lookup. Calling an initializer `init(shape, dtype=None)` returns a lamina
Tensor (float32 unless `dtype` says otherwise).
"""
import re

from lamina.initializers.constant_initializers import Constant, Identity, Ones, Zeros
from lamina.initializers.initializer import Initializer  # noqa: F401
from lamina.initializers.random_initializers import (  # noqa: F401
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomInitializer,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    compute_fans,
)
from lamina.initializers.stft_initializer import STFT  # noqa: E402
from lamina.registry import Registry

# Keras exports every class under its snake_case name too (`keras.initializers.he_normal`).
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal = HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity
STFTInitializer = stft = STFT

_CLASSES = (
    Constant, Identity, Ones, Zeros, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
    LecunNormal, LecunUniform, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
    VarianceScaling, STFT,
)  # fmt: skip


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_snake(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update(
    uniform=RandomUniform, normal=RandomNormal, one=Ones, zero=Zeros,
    OrthogonalInitializer=Orthogonal, orthogonal_initializer=Orthogonal,
    IdentityInitializer=Identity, STFTInitializer=STFT,
)  # fmt: skip


_REGISTRY = Registry("initializer", ALL_OBJECTS_DICT,
                     "a name such as 'glorot_uniform', a config dict, an Initializer or a callable(shape, dtype)")
serialize, deserialize, get = _REGISTRY.serialize, _REGISTRY.deserialize, _REGISTRY.get
