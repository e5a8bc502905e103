"""Layers that change the image size: `Resizing`, `CenterCrop` and `RandomCrop`."""
from lamina.layers.preprocessing.image_base import BaseImagePreprocessingLayer, check_choice
from lamina.ops import image

_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area",
                          "gaussian", "mitchellcubic")  # those of ops.image.resize


def _smart_resize(images, height, width):
    """The largest centred window of the target's aspect ratio, resized (bilinear)."""
    return image.resize(images, (height, width), crop_to_aspect_ratio=True,
                        data_format="channels_last")


class _SizedLayer(BaseImagePreprocessingLayer):
    """A layer whose output images are (height, width)."""

    def __init__(self, height, width, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("height", height), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{type(self).__name__}: `{name}` must be a positive integer, "
                                 f"got {value!r}")
        self.height, self.width = height, width

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        h_axis, w_axis = self._spatial_axes(len(shape))
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class Resizing(_SizedLayer):
    """Resize images to (height, width) (half-pixel centres, as tf.image.resize).

    interpolation: "bilinear" (default), "nearest", "bicubic", "lanczos3", "lanczos5", "area"
    (the formulas of `ops.image.resize`); antialias: widen the kernel when downsampling.
    crop_to_aspect_ratio: first crop the
    largest centred window with the target aspect ratio (no distortion).
    pad_to_aspect_ratio: first pad evenly with fill_value to the target aspect ratio.
    Input (B, H, W, C) or (H, W, C); output (B, height, width, C) or (height, width, C).
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(height, width, data_format=data_format, **kwargs)
        self.interpolation = check_choice(interpolation, _RESIZE_INTERPOLATIONS, "Resizing",
                                          "interpolation")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: only one of `crop_to_aspect_ratio` and "
                             "`pad_to_aspect_ratio` can be True")
        if fill_mode != "constant":
            raise ValueError(f"Resizing: only fill_mode='constant' is supported (as in Keras), "
                             f"got {fill_mode!r}")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def transform(self, images, training):
        return image.resize(images, (self.height, self.width), self.interpolation,
                            antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
                            fill_value=self.fill_value, data_format="channels_last")

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}


class CenterCrop(_SizedLayer):
    """Crop the central (height, width) window. An image smaller than the target is instead
    cropped to the largest centred window of the target's aspect ratio and resized
    (bilinear), as Keras does. Output (B, height, width, C), float32."""

    def transform(self, images, training):
        _, h, w, _ = images.shape
        if h >= self.height and w >= self.width:
            top, left = int((h - self.height) / 2), int((w - self.width) / 2)
            return image.crop_images(images, top, left, target_height=self.height,
                                     target_width=self.width, data_format="channels_last")
        return _smart_resize(images, self.height, self.width)


class RandomCrop(_SizedLayer):
    """Training: crop a random (height, width) window, one position for the whole batch
    (drawn per call), as Keras 3 does. Inference, or an image not larger than the target in
    both dimensions: crop the largest centred window of the target aspect ratio and resize
    it (bilinear) to (height, width). Output (B, height, width, C), float32."""

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(height, width, data_format=data_format, **kwargs)
        self._seed_generator(seed)

    def transform(self, images, training):
        _, h, w, _ = images.shape
        if training and h > self.height and w > self.width:
            top = int(self.rng.uniform(0, h - self.height + 1))
            left = int(self.rng.uniform(0, w - self.width + 1))
            return image.crop_images(images, top, left, target_height=self.height,
                                     target_width=self.width, data_format="channels_last")
        return _smart_resize(images, self.height, self.width)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
