"""`keras.ops.image`: resizing, affine warps, point sampling, padding, cropping, colour
conversions and patch extraction, with Keras 3's signatures and defaults.

Images are one image (H, W, C) or a batch (B, H, W, C); `data_format="channels_first"`
means (C, H, W) / (B, C, H, W) (None: `keras.config.image_data_format()`, channels_last).
Float inputs keep their dtype (float32 in, float32 out); integer images are computed in
float32 and rounded back to their dtype, as Keras does for `resize`. Differentiable with
respect to the images: `resize`, `affine_transform`, `map_coordinates` (and its
coordinates, order 1), `pad_images`, `crop_images`, `rgb_to_grayscale`, `rgb_to_hsv`,
`hsv_to_rgb`, `extract_patches`, `perspective_transform`, `elastic_transform`,
`scale_and_translate` (lamina/ops/_image_warp.py). The transforms of `affine_transform` get no gradient
(as in Keras).
"""
import difflib as _difflib

import numpy as np

from lamina.engine import dtypes as _dtypes
from lamina.engine.tensor import Tensor as _Tensor
from lamina.engine.tensor import data_of as _data_of
from lamina.engine.tensor import record as _record
from lamina.ops import _image_resize as _R
from lamina.ops import _image_sampling as _S
from lamina.ops import _window as _W
from lamina.ops._image_args import check_images as _check_images
from lamina.ops._image_color import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv  # noqa: F401
from lamina.ops._image_filters import extract_patches_3d, gaussian_blur, sobel_edges, ssim  # noqa: F401
from lamina.ops._image_warp import elastic_transform, perspective_transform, scale_and_translate  # noqa: F401
from lamina.ops import shapes as _shape

# the module's attributes are the keras.ops.image namespace: helpers and imports are private

_AFFINE_INTERPOLATIONS = ("nearest", "bilinear")


def _check_choice(value, choices, op, name):
    if value not in choices:
        close = _difflib.get_close_matches(str(value), choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{op}: `{name}` must be one of {choices}, got {value!r}{hint}")
    return value


def _hw_axes(ndim, fmt):
    return (ndim - 2, ndim - 1) if fmt == "channels_first" else (ndim - 3, ndim - 2)


def _compute_dtype(dtype):
    return dtype if dtype.kind == "f" else np.dtype(_dtypes.floatx())


def _restore_dtype(out, dtype):
    """Integer images come back rounded and clipped to their dtype (Keras's saturate_cast)."""
    if dtype.kind not in "iu":
        return out
    info = np.iinfo(dtype)
    return _Tensor(np.clip(np.round(out.data), info.min, info.max).astype(dtype))


def _separable(images, x, wh, ww, fmt):
    """out = W_h @ image @ W_w^T on the spatial axes; gradient W_h^T @ g @ W_w."""
    if fmt == "channels_first":
        first, second, back_first, back_second = (
            "ih,...hw->...iw", "jw,...iw->...ij", "jw,...ij->...iw", "ih,...iw->...hw")
    else:
        first, second, back_first, back_second = (
            "ih,...hwc->...iwc", "jw,...iwc->...ijc", "jw,...ijc->...iwc", "ih,...iwc->...hwc")
    out = np.einsum(second, ww, np.einsum(first, wh, x, optimize=True), optimize=True)

    def backward(g, need):
        return (np.einsum(back_second, wh, np.einsum(back_first, ww, g, optimize=True),
                          optimize=True).astype(g.dtype, copy=False),)

    return _record(out.astype(x.dtype, copy=False), (images,), backward)


def _crop_hw(images, ndim, fmt, top, left, height, width):
    key = [slice(None)] * ndim
    h_axis, w_axis = _hw_axes(ndim, fmt)
    key[h_axis], key[w_axis] = slice(top, top + height), slice(left, left + width)
    return _shape.getitem(images, tuple(key))


def _pad_hw(images, ndim, fmt, rows, cols, value=0.0):
    widths = [[0, 0]] * ndim
    h_axis, w_axis = _hw_axes(ndim, fmt)
    widths[h_axis], widths[w_axis] = list(rows), list(cols)
    return _shape.pad(images, widths, constant_values=value)


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize to `size` = (height, width) with half-pixel centres (`tf.image.resize`).

    interpolation: "bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
    "gaussian" or "mitchellcubic" (lamina/ops/_image_resize.py gives each formula);
    antialias: widen the kernel when downsampling. crop_to_aspect_ratio: first crop the
    largest centred window with the target's aspect ratio; pad_to_aspect_ratio: first pad
    the short side evenly with `fill_value` (fill_mode must be "constant").
    """
    x, fmt = _check_images(images, "resize", data_format)
    if isinstance(size, (str, int)) or np.ndim(size) != 1 or len(size) != 2:
        raise ValueError(f"resize: `size` must be (height, width), got {size!r}")
    out_h, out_w = int(size[0]), int(size[1])
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"resize: `size` must have a positive height and width, got {tuple(size)}")
    interpolation = _R.check_interpolation(interpolation, "resize")
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported (as in Keras), got "
                         f"{fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` "
                         "can be True")
    dtype = x.dtype
    work = _compute_dtype(dtype)
    if work != dtype:
        images = x = x.astype(work)
    h_axis, w_axis = _hw_axes(x.ndim, fmt)
    h, w = x.shape[h_axis], x.shape[w_axis]
    if crop_to_aspect_ratio:
        top, left, h, w = _R.aspect_crop_box(h, w, out_h, out_w)
        images = _crop_hw(images, x.ndim, fmt, top, left, h, w)
    elif pad_to_aspect_ratio:
        rows, cols = _R.aspect_pad(h, w, out_h, out_w)
        if rows or cols:
            images = _pad_hw(images, x.ndim, fmt, (rows, rows), (cols, cols), fill_value)
            h, w = h + 2 * rows, w + 2 * cols
    x = _data_of(images)
    if (h, w) == (out_h, out_w):
        out = images if isinstance(images, _Tensor) else _Tensor(x)
    else:
        wh = _R.cached_weights(h, out_h, interpolation, bool(antialias), x.dtype.str)
        ww = _R.cached_weights(w, out_w, interpolation, bool(antialias), x.dtype.str)
        out = _separable(images, x, wh, ww, fmt)
    return _restore_dtype(out, dtype)


def _float64(value):
    """A Tensor's value or an array-like as float64 (no float32 rounding of Python lists)."""
    return np.asarray(value.data if isinstance(value, _Tensor) else value, dtype=np.float64)


def _points(points):
    """(coordinates, their float64 value); a list holding Tensors is stacked (differentiably)."""
    if isinstance(points, (list, tuple)) and any(isinstance(p, _Tensor) for p in points):
        points = _shape.stack(points)
    return points, _float64(points)


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """`inputs` (any rank n) interpolated at `coordinates` (n, *O): an array of shape O.

    order: 0 (nearest, round half up) or 1 (linear); fill_mode: "constant" (fill_value),
    "nearest", "wrap", "mirror" or "reflect" for points outside (see _image_sampling.py).
    Differentiable with respect to `inputs`, and to `coordinates` for order 1.
    """
    x = _data_of(inputs)
    if not hasattr(x, "ndim"):
        x = np.asarray(x)
        inputs = x
    coordinates, coords = _points(coordinates)
    if coords.ndim < 1 or coords.shape[0] != x.ndim:
        raise ValueError(f"map_coordinates: `coordinates` must have shape (rank of inputs = "
                         f"{x.ndim}, ...), one row per input axis; got shape {coords.shape}")
    if coords.ndim < 2:
        raise ValueError(f"map_coordinates: `coordinates` must have rank >= 2 (rank of inputs, "
                         f"*output shape), got shape {coords.shape}; use coordinates[:, None] "
                         "for a single point")
    if order not in (0, 1) or isinstance(order, bool):
        raise ValueError(f"map_coordinates: `order` must be 0 (nearest) or 1 (linear), got "
                         f"{order!r}")
    _check_choice(fill_mode, _S.FILL_MODES, "map_coordinates", "fill_mode")
    dtype = x.dtype
    work = _compute_dtype(dtype)
    values = inputs if work == dtype else x.astype(work)
    coord_tensor = coordinates if isinstance(coordinates, _Tensor) else None
    out = _S.sample(values, list(coords), order, fill_mode, float(fill_value), coord_tensor)
    return _restore_dtype(out, dtype)


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Warp each image by a transform row [a0, a1, a2, b0, b1, b2, c0, c1] (or one row for
    all images): output pixel (x, y) (column, row) samples the input at
    ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1 (the map from
    output to input, as in Keras). interpolation: "bilinear" or "nearest"; fill_mode:
    "constant" (fill_value), "nearest", "wrap", "mirror" or "reflect".
    """
    x, fmt = _check_images(images, "affine_transform", data_format)
    _check_choice(interpolation, _AFFINE_INTERPOLATIONS, "affine_transform", "interpolation")
    _check_choice(fill_mode, _S.FILL_MODES, "affine_transform", "fill_mode")
    t = _float64(transform)
    if t.ndim not in (1, 2) or t.shape[-1] != 8:
        raise ValueError(f"affine_transform: `transform` must have shape (8,) or (batch, 8), got "
                         f"shape {t.shape}")
    batched = x.ndim == 4
    b = x.shape[0] if batched else 1
    t = t.reshape(-1, 8)
    if t.shape[0] not in (1, b):
        raise ValueError(f"affine_transform: {t.shape[0]} transforms for a batch of {b} images; "
                         "pass one row per image or a single row for all")
    dtype = x.dtype
    work = _compute_dtype(dtype)
    if work != dtype:
        images = x.astype(work)
    if not batched:
        images = _shape.getitem(images, (None,))
    if fmt == "channels_first":
        images = _shape.transpose(images, (0, 2, 3, 1))
    _, h, w, _ = _data_of(images).shape
    t = t[:, :, None, None]
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                         indexing="ij")
    src_x = t[:, 0] * xs + t[:, 1] * ys + t[:, 2]
    src_y = t[:, 3] * xs + t[:, 4] * ys + t[:, 5]
    if np.any(t[:, 6:]):
        k = t[:, 6] * xs + t[:, 7] * ys + 1.0
        src_x, src_y = src_x / k, src_y / k
    batch = np.arange(_data_of(images).shape[0])[:, None, None]
    order = _AFFINE_INTERPOLATIONS.index(interpolation)
    out = _S.sample(images, [batch, src_y, src_x], order, fill_mode, float(fill_value))
    if fmt == "channels_first":
        out = _shape.transpose(out, (0, 3, 1, 2))
    if not batched:
        out = _shape.getitem(out, 0)
    return _restore_dtype(out, dtype)


def _borders(op, kind, size, before, after, target):
    """(before, after) along one axis from exactly two of before / after / target."""
    side = ("top", "bottom", "height") if kind == "height" else ("left", "right", "width")
    word = "padding" if op == "pad_images" else "cropping"
    names = (f"{side[0]}_{word}", f"{side[1]}_{word}", f"target_{side[2]}")
    given = (before, after, target)
    if sum(v is None for v in given) != 1:
        raise ValueError(f"{op}: pass exactly two of {', '.join(names)}; got "
                         + ", ".join(f"{n}={v}" for n, v in zip(names, given)))
    change = (target - size if op == "pad_images" else size - target) if target is not None else 0
    if before is None:
        before = change - after
    elif after is None:
        after = change - before
    for name, value in zip(names[:2], (before, after)):
        if value < 0:
            raise ValueError(f"{op}: {name} must be >= 0, got {value} (the images' {kind} is "
                             f"{size}{'' if target is None else f', target {target}'})")
    if op == "crop_images" and before + after > size:
        raise ValueError(f"{op}: cropping {before} + {after} rows/columns from a {kind} of {size} "
                         "leaves nothing")
    return int(before), int(after)


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Pad with zeros: give exactly two of top/bottom/target_height and two of
    left/right/target_width."""
    x, fmt = _check_images(images, "pad_images", data_format)
    h_axis, w_axis = _hw_axes(x.ndim, fmt)
    rows = _borders("pad_images", "height", x.shape[h_axis], top_padding, bottom_padding,
                    target_height)
    cols = _borders("pad_images", "width", x.shape[w_axis], left_padding, right_padding,
                    target_width)
    return _pad_hw(images, x.ndim, fmt, rows, cols)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crop: give exactly two of top/bottom/target_height and two of left/right/target_width."""
    x, fmt = _check_images(images, "crop_images", data_format)
    h_axis, w_axis = _hw_axes(x.ndim, fmt)
    h, w = x.shape[h_axis], x.shape[w_axis]
    top, bottom = _borders("crop_images", "height", h, top_cropping, bottom_cropping, target_height)
    left, right = _borders("crop_images", "width", w, left_cropping, right_cropping, target_width)
    return _crop_hw(images, x.ndim, fmt, top, left, h - top - bottom, w - left - right)


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Every size[0] x size[1] patch, flattened in (row, column, channel) order into the
    channel axis: (B, H', W', ph * pw * C) (channels_first: (B, ph * pw * C, H', W')).

    strides default to `size` (non-overlapping); padding "valid" or "same" (TensorFlow's
    convention, zeros); dilation_rate spaces the patch's pixels.
    """
    if isinstance(size, (list, tuple)) and len(size) == 3:
        raise NotImplementedError("extract_patches: 3-D patches (size of length 3) are not "
                                  "implemented in lamina; pass a 2-D size (height, width)")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer, list, tuple)):
        raise TypeError(f"extract_patches: `size` must be an int or (height, width), got {size!r}")
    x, fmt = _check_images(images, "extract_patches", data_format)
    ksize = _W.as_tuple(size, 2, "size", "extract_patches")
    strides = _W.as_tuple(ksize if strides is None else strides, 2, "strides", "extract_patches")
    dilation = _W.as_tuple(dilation_rate, 2, "dilation_rate", "extract_patches")
    padding = _W.check_padding(padding, "extract_patches")
    batched = x.ndim == 4
    if not batched:
        images = _shape.getitem(images, (None,))
    if fmt == "channels_first":
        images = _shape.transpose(images, (0, 2, 3, 1))
    out = _patches(images, ksize, strides, dilation, padding)
    if fmt == "channels_first":
        out = _shape.transpose(out, (0, 3, 1, 2))
    return out if batched else _shape.getitem(out, 0)


def _patches(images, ksize, strides, dilation, padding):
    """(N, H, W, C) -> (N, H', W', kh * kw * C); gradient: the patches summed back."""
    x = _data_of(images)
    n, h, w, c = x.shape
    out_hw, pads = _W.geometry("extract_patches", (h, w), ksize, strides, dilation, padding)
    xp = _W.pad_hw(x, pads)
    view = _W.patches(xp, ksize, strides, dilation, out_hw)
    out = view.reshape(n, out_hw[0], out_hw[1], ksize[0] * ksize[1] * c)

    def backward(g, need):
        cols = g.reshape(n, out_hw[0], out_hw[1], ksize[0], ksize[1], c)
        return (_W.crop_hw(_W.col2im(cols, xp.shape, strides, dilation), pads),)

    return _record(out, (images,), backward)

