"""`RandomContrast` and `RandomBrightness`: per-image intensity jitter during training."""
from lamina import ops
from lamina.layers.preprocessing.image_base import BaseImagePreprocessingLayer, check_factor


def _check_value_range(value_range, layer):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"{layer}: `value_range` should be a list of two numbers "
                         f"(low, high), e.g. (0, 255) or (0, 1). Received: {value_range!r}")
    return value_range


class _ColorLayer(BaseImagePreprocessingLayer):
    def __init__(self, factor, value_range, seed, layer, **kwargs):
        super().__init__(**kwargs)
        self.factor = check_factor(factor, self._FACTOR_BOUNDS, layer)
        self._seed_generator(seed)

    def get_config(self):
        config = {**super().get_config(), "factor": self.factor,
                  "value_range": self.value_range, "seed": self.seed}
        config.pop("data_format")  # not among Keras's keys for these layers
        return config


class RandomContrast(_ColorLayer):
    """x -> clip((x - mean) * c + mean, value_range), with `mean` per image and channel and
    one contrast factor c per image, drawn uniformly from [1 - factor[0], 1 + factor[1]].

    factor: in [0, 1]. As Keras 3 parses it, a single number f gives factor = (0, f), so
    c lies in [1, 1 + f] (contrast only increases); pass (a, b) for the range
    [1 - a, 1 + b]. value_range: the images' (low, high) range, (0, 255) by default.
    Output: the input's shape, float32.
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor, value_range, seed, "RandomContrast", **kwargs)
        self.value_range = _check_value_range(value_range, "RandomContrast")

    def transform(self, images, training):
        if not training:
            return images
        low, high = 1.0 - self.factor[0], 1.0 + self.factor[1]
        c = self.rng.uniform(low, high, size=(images.shape[0], 1, 1, 1)).astype(self.compute_dtype)
        mean = ops.mean(images, axis=(1, 2), keepdims=True)
        out = ops.add(ops.multiply(ops.subtract(images, mean), c), mean)
        return ops.clip(out, float(self.value_range[0]), float(self.value_range[1]))


class RandomBrightness(_ColorLayer):
    """x -> clip(x + d, value_range), one d per image drawn uniformly from
    [factor[0], factor[1]] * (high - low).

    factor: f (-> [-f, f]) or (lower, upper), in [-1, 1]: -1 makes the image black, +1
    white. value_range: the images' (low, high) range, (0, 255) by default; outputs are
    clipped to it. Output: the input's shape, float32.
    """

    _FACTOR_BOUNDS = (-1, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor, value_range, seed, "RandomBrightness", **kwargs)
        self.value_range = sorted(_check_value_range(value_range, "RandomBrightness"))

    def transform(self, images, training):
        if not training:
            return images
        low, high = self.value_range
        delta = self.rng.uniform(self.factor[0], self.factor[1], size=(images.shape[0], 1, 1, 1))
        out = ops.add(images, (delta * (high - low)).astype(self.compute_dtype))
        return ops.clip(out, float(low), float(high))
