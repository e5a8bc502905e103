"""Resizing for the image utilities: NumPy images in, float32 NumPy out.

A thin adapter over `lamina.ops.image.resize`, the one resize of lamina (its formulas are in
lamina/ops/_image_resize.py): `tf.image.resize` numerics (antialias off) for the eight
methods of `image_dataset_from_directory`, and `tf.image.resize_with_pad` for padding.
"""
import math

import numpy as np

from lamina.ops import image
from lamina.ops._image_resize import INTERPOLATIONS, check_interpolation  # noqa: F401
from lamina.ops._image_resize import aspect_crop_box as crop_box  # noqa: F401


def resize(images, size, interpolation="bilinear", crop_to_aspect_ratio=False):
    """`images` (h, w, c) or (batch, h, w, c), any dtype, resized to `size` = (height, width).

    Returns a new float32 array, like `tf.image.resize`; values are not clipped (bicubic
    may overshoot). crop_to_aspect_ratio: Keras's `smart_resize` (crop, then resize).
    """
    x = np.asarray(images, dtype=np.float32)
    out = image.resize(x, size, interpolation, crop_to_aspect_ratio=crop_to_aspect_ratio,
                       data_format="channels_last").numpy()
    return out.copy() if np.shares_memory(out, images) else out


def resize_image(image_array, size, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False):
    """One (h, w, c) image to `size`, optionally cropping or zero-padding to keep its aspect.

    Cropping takes the largest centred window with the target's aspect ratio (Keras's
    `smart_resize`); padding scales the image to fit inside and centres it on zeros
    (`tf.image.resize_with_pad`, as Keras's dataset loader does).
    """
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True")
    th, tw = int(size[0]), int(size[1])
    if not pad_to_aspect_ratio:
        return resize(image_array, (th, tw), interpolation, crop_to_aspect_ratio)
    h, w = image_array.shape[0], image_array.shape[1]
    ratio = max(w / tw, h / th)
    rh, rw = max(math.floor(h / ratio), 1), max(math.floor(w / ratio), 1)
    inner = resize(image_array, (rh, rw), interpolation)
    return image.pad_images(inner, (th - rh) // 2, (tw - rw) // 2, target_height=th,
                            target_width=tw).numpy()
