"""`BaseImagePreprocessingLayer`: what the image preprocessing layers share, as in Keras 3.

- Inputs are one image (H, W, C) or a batch (B, H, W, C) (channels_first: C before H, W),
  of any dtype; outputs are floats (the layer's dtype, float32 by default).
- `training`: the augmentation layers transform only when training. As in Keras 3, a call
  that neither passes `training` nor runs inside a model call that sets it uses the default
  of `call`, True, so `data_augmentation(images)` augments (as the textbook's plots of
  augmented images expect), while `model.predict`/`evaluate` and `training=False` give the
  identity (a float cast).
- Randomness: `seed=` makes a layer's draws repeatable; without it the layer's stream is
  seeded from lamina's global generator when the layer is created, so
  `lamina.utils.set_random_seed(n)` before building a model repeats a run. Each call draws
  anew (different transforms per call and per image).
- Gradients: every transform is differentiable with respect to its input (flips and crops
  are slicing, the geometric transforms are fixed sparse linear maps, contrast and
  brightness are arithmetic and clipping).
"""
import difflib

from lamina import ops, random
from lamina.engine.tensor import Tensor
from lamina.layers.convolutional.conv_utils import standardize_data_format
from lamina.layers.base.call_api import CallContext
from lamina.layers.base.layer import Layer
from lamina.symbolic.keras_tensor import any_symbolic
from lamina.ops import image

# what Keras's RandomRotation / RandomZoom / RandomTranslation accept (ops.image also has "mirror")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def check_factor(factor, bounds, layer, name="factor"):
    """(lower, upper) from a number f (-> (max(-|f|, bounds[0]), |f|)) or a pair (sorted),
    with Keras's range checks."""
    lo, hi = bounds
    msg = (f"{layer}: `{name}` should be a number (or a list of two numbers) in the range "
           f"[{lo}, {hi}]. Received: {name}={factor!r}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(_is_number(f) for f in factor):
            raise ValueError(msg)
        if factor[0] > hi or factor[1] < lo:
            raise ValueError(msg)
        lower, upper = sorted(float(f) for f in factor)
        return lower, upper
    if not _is_number(factor) or factor < lo or factor > hi:
        raise ValueError(msg)
    factor = abs(float(factor))
    return max(-factor, float(lo)), factor


def check_symmetric_factor(factor, layer, name):
    """RandomZoom / RandomTranslation factors: each bound in [-1, 1]; a number f -> (-|f|, |f|)."""
    msg = (f"{layer}: `{name}` should be a number (or a list of two numbers) in the range "
           f"[-1.0, 1.0]. Received: {name}={factor!r}")
    values = factor if isinstance(factor, (tuple, list)) else [factor]
    if (isinstance(factor, (tuple, list)) and len(factor) != 2) or not all(
            _is_number(v) and -1.0 <= v <= 1.0 for v in values):
        raise ValueError(msg)
    if isinstance(factor, (tuple, list)):
        lower, upper = sorted(float(v) for v in factor)
        return lower, upper
    return -abs(float(factor)), abs(float(factor))


def check_choice(value, choices, layer, name):
    if value not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"{layer}: unknown `{name}` {value!r}; expected one of {choices}.{hint}")
    return value


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class BaseImagePreprocessingLayer(Layer):
    """Base of the image layers: subclasses implement `transform(images, training)` on a
    float (B, H, W, C) batch and, when the size changes, `compute_output_shape`."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, type(self).__name__)
        self.built = True

    def __call__(self, *args, **kwargs):
        if (kwargs.get("training") is None and CallContext.training is None
                and not any_symbolic(args, kwargs)):
            kwargs["training"] = True  # Keras 3: the default of `call`, when nothing sets it
        return super().__call__(*args, **kwargs)

    def _seed_generator(self, seed):
        self.seed = seed
        self.generator = random.SeedGenerator(seed)

    @property
    def rng(self):
        return self.generator.rng

    def call(self, inputs, training=True):
        x = ops.cast(inputs, self.compute_dtype)
        rank = x.ndim
        if rank not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: expected one image of rank 3 "
                f"(height, width, channels) or a batch of rank 4, got shape {tuple(x.shape)}; "
                "add the channel axis of grayscale images (e.g. x[..., None])")
        if rank == 3:
            x = ops.expand_dims(x, 0)
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        out = self.transform(x, bool(training))
        if self.data_format == "channels_first":
            out = ops.transpose(out, (0, 3, 1, 2))
        if rank == 3:
            out = ops.squeeze(out, 0)
        return out if isinstance(out, Tensor) else Tensor(out)

    def transform(self, images, training):
        raise NotImplementedError(f"{type(self).__name__} must implement transform()")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def _spatial_axes(self, rank):
        """(height axis, width axis) of an input of this rank."""
        first = self.data_format == "channels_first"
        return (rank - 2, rank - 1) if first else (rank - 3, rank - 2)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class AffineAugmentation(BaseImagePreprocessingLayer):
    """Base of RandomRotation / RandomZoom / RandomTranslation: a random affine map per
    image (training only), sampled with `ops.image.affine_transform`. Subclasses give
    `_transforms(batch, height, width)`: the (batch, 8) transform rows of this call."""

    def _init_sampling(self, fill_mode, interpolation, fill_value, seed):
        kind = type(self).__name__
        self.fill_mode = check_choice(fill_mode, FILL_MODES, kind, "fill_mode")
        self.interpolation = check_choice(interpolation, INTERPOLATIONS, kind, "interpolation")
        self.fill_value = fill_value
        self._seed_generator(seed)

    def _transforms(self, batch, height, width):
        raise NotImplementedError(f"{type(self).__name__} must implement _transforms()")

    def transform(self, images, training):
        if not training:
            return images
        b, h, w, _ = images.shape
        return image.affine_transform(images, self._transforms(b, h, w), self.interpolation,
                                      self.fill_mode, self.fill_value, data_format="channels_last")

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}

