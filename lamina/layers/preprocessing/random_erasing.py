"""`RandomErasing` (Zhong et al. 2017) and `MaxNumBoundingBoxes`, as Keras 3.

RandomErasing (training only): with a probability drawn from [factor[0], factor[1]] per
image, a box is replaced by `fill_value` (None: Gaussian noise * value_range[1]), clipped to
`value_range`. The box's side ratios are sqrt(u), u ~ U(scale) per axis, its position
uniform inside the image.

MaxNumBoundingBoxes: pads (with fill_value) or truncates the boxes (B, N, 4) and labels
(B, N) of a {"images", "bounding_boxes": {"boxes", "labels"}} input to `max_number`;
images pass through.
"""
import numpy as np

from lamina import ops
from lamina.engine.tensor import Tensor, data_of
from lamina.layers.preprocessing.color_transforms import _value_range
from lamina.layers.preprocessing.image_base import BaseImagePreprocessingLayer, check_factor


class RandomErasing(BaseImagePreprocessingLayer):
    """Erase a random box of each image with some probability (see the module docstring).

    factor: in [0, 1] (a number f gives [0, f]); scale: the box's area ratio range, in
    [0, 1]; fill_value: None (noise), a number, or one value per channel (3).
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = check_factor(factor, (0, 1), "RandomErasing")
        self.scale = check_factor(scale, (0, 1), "RandomErasing", "scale")
        if fill_value is not None and not (
                isinstance(fill_value, (int, float)) and not isinstance(fill_value, bool)
                or isinstance(fill_value, (list, tuple)) and len(fill_value) == 3):
            raise ValueError("RandomErasing: `fill_value` should be None, a number or a list of "
                             f"three numbers. Received: fill_value={fill_value!r}")
        self.fill_value = fill_value
        self.value_range = value_range
        self._range = _value_range(value_range, "RandomErasing")
        self._seed_generator(seed)

    def _bounds(self, batch, length, ratio):
        size = ratio * length
        start = self.rng.uniform(0, 1, size=batch) * (length - size)
        return start, start + size

    def transform(self, images, training):
        if not training:
            return images
        b, h, w, c = images.shape
        ratio = np.sqrt(self.rng.uniform(self.scale[0], self.scale[1], size=(b, 2)))
        x0, x1 = self._bounds(b, w, ratio[:, 0])
        y0, y1 = self._bounds(b, h, ratio[:, 1])
        ys, xs = np.arange(h)[None, :, None, None], np.arange(w)[None, None, :, None]

        def col(v):
            return v[:, None, None, None]

        inside = (xs >= col(x0)) & (xs < col(x1)) & (ys >= col(y0)) & (ys < col(y1))
        probability = self.rng.uniform(self.factor[0], self.factor[1], size=b)
        apply = (self.rng.uniform(0, 1, size=b) < probability)[:, None, None, None]
        if self.fill_value is None:
            fill = self.rng.standard_normal((b, h, w, c)) * self._range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, np.float64), (b, h, w, c))
        fill = np.clip(fill, *self._range).astype(self.dtype)
        return ops.where(inside & apply, fill, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "fill_value": self.fill_value, "value_range": self.value_range,
                "seed": self.seed}


class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Boxes and labels padded with `fill_value` or truncated to `max_number` per image."""

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_number, bool) or int(max_number) <= 0:
            raise ValueError(f"MaxNumBoundingBoxes: `max_number` must be a positive integer, got "
                             f"{max_number!r}")
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def _fit(self, array, tail):
        a = np.asarray(data_of(array))
        n = a.shape[1]
        a = a[:, :self.max_number]
        if n < self.max_number:
            pad = [(0, 0), (0, self.max_number - n)] + [(0, 0)] * tail
            a = np.pad(a, pad, constant_values=self.fill_value)
        return Tensor(a)

    def call(self, inputs, training=True):
        if not isinstance(inputs, dict):
            return super().call(inputs, training)
        out = dict(inputs)
        if "images" in inputs:
            out["images"] = super().call(inputs["images"], training)
        if "bounding_boxes" in inputs:
            boxes = dict(inputs["bounding_boxes"])
            extra = set(boxes) - {"boxes", "labels"}
            if extra or "boxes" not in boxes or "labels" not in boxes:
                raise KeyError("MaxNumBoundingBoxes: `bounding_boxes` must hold exactly 'boxes' "
                               f"and 'labels', got keys {sorted(boxes)}")
            boxes["boxes"] = self._fit(boxes["boxes"], 1)
            boxes["labels"] = self._fit(boxes["labels"], 0)
            out["bounding_boxes"] = boxes
        return out

    def transform(self, images, training):
        return images

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            shape = dict(input_shape)
            boxes = dict(shape["bounding_boxes"])
            boxes["boxes"] = (boxes["boxes"][0], self.max_number, *boxes["boxes"][2:])
            boxes["labels"] = (boxes["labels"][0], self.max_number)
            shape["bounding_boxes"] = boxes
            return shape
        return input_shape

    def get_config(self):
        # Keras's keys, plus fill_value (Keras leaves it out, so its round trip loses it)
        return {**super().get_config(), "max_number": self.max_number,
                "fill_value": self.fill_value}
