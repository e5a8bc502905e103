"""Image files <-> arrays (Keras's `load_img`, `img_to_array`, `array_to_img`, `save_img`).

Reading and writing image files needs Pillow (`pip install pillow`), imported on first use.
Arrays are (height, width, channels) float32 in the 0-255 range ("channels_last"), or
(channels, height, width) with `data_format="channels_first"`.
"""
import io
import os
import warnings

import numpy as np

from lamina.layers.convolutional.conv_utils import standardize_data_format
from lamina.engine import dtypes
from lamina.utils.image_resize import crop_box, resize

COLOR_MODES = {"grayscale": 1, "rgb": 3, "rgba": 4}
# Pillow's resampling filters, by Keras's `load_img` names
PIL_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image():
    """Pillow's `PIL.Image` module, or an ImportError that says how to install it."""
    try:
        from PIL import Image  # noqa: PLC0415  (optional: Pillow)
    except ImportError as e:
        raise ImportError(
            "reading and writing image files needs Pillow: pip install pillow"
        ) from e
    return Image


def check_image_data_format(data_format):
    return standardize_data_format(data_format, "image")


def _float_dtype(dtype):
    return np.dtype(dtypes.floatx() if dtype is None else dtype)


def convert_mode(img, color_mode):
    """`img` converted to 1 ("grayscale"), 3 ("rgb") or 4 ("rgba") channels, as Keras does.

    Grayscale keeps 16/32-bit grayscale images as they are; conversions are Pillow's
    (RGB -> L weights .299/.587/.114; dropping alpha does not blend).
    """
    if color_mode not in COLOR_MODES:
        raise ValueError(f"color_mode must be 'grayscale', 'rgb' or 'rgba', got {color_mode!r}")
    if color_mode == "grayscale":
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    target = color_mode.upper()
    return img if img.mode == target else img.convert(target)


def open_image(path):
    """A Pillow image read fully from `path` (str, bytes, PathLike) or a BytesIO."""
    Image = pil_image()
    if isinstance(path, io.BytesIO):
        return Image.open(path)
    if isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as f:
            img = Image.open(io.BytesIO(f.read()))
            img.load()
            return img
    raise TypeError(f"load_img: path must be a file path or io.BytesIO, got {type(path).__name__}")


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """A Pillow image from `path`, converted to `color_mode` and resized to `target_size`.

    `target_size` is (height, width); `interpolation` is a Pillow filter name (default
    "nearest", as Keras). `keep_aspect_ratio=True` crops the largest centred window with the
    target's aspect ratio before resizing.
    """
    Image = pil_image()
    img = convert_mode(open_image(path), color_mode)
    if target_size is None:
        return img
    th, tw = int(target_size[0]), int(target_size[1])
    if img.size == (tw, th):
        return img
    if interpolation not in PIL_INTERPOLATIONS:
        raise ValueError(
            f"load_img: interpolation must be one of {PIL_INTERPOLATIONS}, got {interpolation!r}"
        )
    resample = getattr(getattr(Image, "Resampling", Image), interpolation.upper())
    if keep_aspect_ratio:
        width, height = img.size
        # Keras uses integer division here (smart_resize truncates a float: same result)
        top, left, ch, cw = crop_box(height, width, th, tw)
        return img.resize((tw, th), resample, box=(left, top, left + cw, top + ch))
    return img.resize((tw, th), resample)


def img_to_array(img, data_format=None, dtype=None):
    """A Pillow image as a 3-D float32 array (grayscale gets a channel axis of 1)."""
    data_format = check_image_data_format(data_format)
    x = np.asarray(img, dtype=_float_dtype(dtype))
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array as a Pillow image (1, 3 or 4 channels -> "L"/"I", "RGB", "RGBA").

    `scale=True` maps the array's min..max to 0..255 first (a constant image becomes 0).
    """
    Image = pil_image()
    data_format = check_image_data_format(data_format)
    x = np.array(x, dtype=_float_dtype(dtype))
    if x.ndim != 3:
        raise ValueError(f"array_to_img expects one image of rank 3, got shape {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        top = x.max()
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype(np.uint8), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype(np.uint8), "RGB")
    if channels == 1:
        if x.max() > 255:  # beyond 8 bits: 32-bit integer grayscale
            return Image.fromarray(x[:, :, 0].astype(np.int32), "I")
        return Image.fromarray(x[:, :, 0].astype(np.uint8), "L")
    raise ValueError(f"array_to_img: images have 1, 3 or 4 channels, got {channels} (shape {x.shape})")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write the array `x` as an image file; the format comes from the extension or `file_format`.

    RGBA arrays saved as JPEG lose their alpha channel (JPEG has none), with a warning.
    """
    if file_format is not None and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    ext = os.path.splitext(os.fspath(path))[1].lower() if isinstance(path, (str, os.PathLike)) else ""
    is_jpeg = (file_format or "").lower() == "jpeg" or (file_format is None and ext in (".jpg", ".jpeg"))
    if img.mode == "RGBA" and is_jpeg:
        warnings.warn("JPEG has no alpha channel: saving the RGBA image as RGB", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resize without distorting: crop the largest centred window of the target's aspect ratio,
    then resize it. `x` is (h, w, c) or (batch, h, w, c); returns float32 NumPy."""
    if len(size) != 2:
        raise ValueError(f"smart_resize: size must be (height, width), got {size}")
    x = np.asarray(getattr(x, "data", x))
    if x.ndim not in (3, 4):
        raise ValueError(f"smart_resize expects (h, w, c) or (batch, h, w, c), got shape {x.shape}")
    if data_format == "channels_first":
        x = np.moveaxis(x, -3, -1)
    out = resize(x, size, interpolation, crop_to_aspect_ratio=True)
    return np.moveaxis(out, -1, -3) if data_format == "channels_first" else out
