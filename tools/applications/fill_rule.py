"""The deterministic weights both sides of the applications fixtures use: Keras's side
(fixtures*.py, run in a Keras environment) and lamina's test (tests/test_applications.py)
fill a model's weights from its (name, shape) list by this one rule."""
import numpy as np


def fill(weights):
    """float32 arrays for [(weight name, shape), ...]: BN variances/gammas in [0.5, 1.5], counts 0,
    kernels scaled normals (fan-in), other vectors N(0, 0.1); one seeded stream in list order."""
    rng = np.random.default_rng(1234)
    out = []
    for name, shape in weights:
        name = name.split("/")[-1]
        shape = tuple(shape)
        if name.endswith("variance") or name == "gamma":
            v = rng.uniform(0.5, 1.5, shape)
        elif name == "count":
            v = np.zeros(shape)
        elif len(shape) >= 2:
            fan = np.prod(shape[:2]) if "depthwise" in name else np.prod(shape[:-1])
            v = rng.standard_normal(shape) / np.sqrt(fan)
        else:
            v = rng.normal(0.0, 0.1, shape)
        out.append(v.astype("float32"))
    return out
