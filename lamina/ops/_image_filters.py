"""keras.ops.image filters: gaussian_blur, sobel_edges, ssim and extract_patches_3d,
composed of differentiable convolutions (Keras 3's numerics)."""

import numpy as np

from lamina.backend import image_data_format
from lamina.ops import math, reduce
from lamina.ops.conv import conv, depthwise_conv
from lamina.ops.shape import expand_dims, getitem, pad, reshape, transpose
from lamina.ops._base import data_of, fdata


def _format(data_format):
    fmt = data_format or image_data_format()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}"
        )
    return fmt


def _batched_last(op, images, fmt, ranks=(3, 4)):
    """(images as (B, H, W, C) float, was it batched)."""
    nd = np.ndim(data_of(images))
    if nd not in ranks:
        raise ValueError(
            f"{op}: images must have rank 3 (one image) or 4 (a batch), got shape {np.shape(data_of(images))}"
        )
    if fdata(images).dtype != np.asarray(data_of(images)).dtype:
        from lamina.ops.core import cast  # noqa: PLC0415  (core imports shape ops)

        images = cast(images, fdata(images).dtype.name)
    if nd == 3:
        images = expand_dims(images, 0)
    if fmt == "channels_first":
        images = transpose(images, (0, 2, 3, 1))
    return images, nd == 4


def _restore(out, fmt, batched, moved_axes=(0, 3, 1, 2)):
    if fmt == "channels_first":
        out = transpose(out, moved_axes)
    return out if batched else getitem(out, 0)


def _gaussian_1d(size, sigma):
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur each channel with a Gaussian kernel (zero padding, same size out). As Keras,
    the rows use kernel_size[1]/sigma[1] and the columns kernel_size[0]/sigma[0]."""
    fmt = _format(data_format)
    x, batched = _batched_last("gaussian_blur", images, fmt)
    ks = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    sg = (sigma, sigma) if isinstance(sigma, (int, float)) else tuple(sigma)
    kernel = np.outer(
        _gaussian_1d(int(ks[1]), float(sg[1])), _gaussian_1d(int(ks[0]), float(sg[0]))
    )
    kh, kw = kernel.shape
    channels = x.shape[-1]
    dtype = fdata(x).dtype
    padded = pad(
        x,
        [
            (0, 0),
            ((kh - 1) // 2, kh - 1 - (kh - 1) // 2),
            ((kw - 1) // 2, kw - 1 - (kw - 1) // 2),
            (0, 0),
        ],
    )
    weights = np.tile(kernel[:, :, None, None], (1, 1, channels, 1)).astype(dtype)
    out = depthwise_conv(padded, weights, 1, "valid", "channels_last")
    return _restore(out, fmt, batched)


def sobel_edges(images, data_format=None):
    """Sobel derivatives (rows, columns) of each channel: (B, H, W, C, 2) (scipy.ndimage's
    sobel with reflected borders)."""
    fmt = _format(data_format)
    nd = np.ndim(data_of(images))
    if nd != 4:
        raise ValueError(
            f"sobel_edges: images must be a batch (rank 4), got shape {np.shape(data_of(images))}"
        )
    x, _ = _batched_last("sobel_edges", images, fmt, ranks=(4,))
    channels = x.shape[-1]
    dtype = fdata(x).dtype
    padded = pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="symmetric")
    d_rows = np.outer([-1.0, 0.0, 1.0], [1.0, 2.0, 1.0])
    kernel = np.stack([d_rows, d_rows.T], axis=-1)  # (3, 3, 2)
    weights = np.tile(kernel[:, :, None, :], (1, 1, channels, 1)).astype(dtype)
    out = depthwise_conv(padded, weights, 1, "valid", "channels_last")  # (B, H, W, C * 2)
    out = reshape(out, tuple(x.shape[:3]) + (channels, 2))
    return transpose(out, (0, 3, 1, 2, 4)) if fmt == "channels_first" else out


def ssim(
    image1,
    image2,
    max_val=1.0,
    filter_size=11,
    filter_sigma=1.5,
    k1=0.01,
    k2=0.03,
    data_format=None,
):
    """Structural similarity (Wang et al. 2004) with a Gaussian window (valid positions),
    averaged over positions and channels: one value per image."""
    fmt = _format(data_format)
    if np.shape(data_of(image1)) != np.shape(data_of(image2)):
        raise ValueError(
            f"ssim: image1 and image2 must have one shape, got {np.shape(data_of(image1))} and {np.shape(data_of(image2))}"
        )
    a, batched = _batched_last("ssim", image1, fmt)
    b, _ = _batched_last("ssim", image2, fmt)
    bsz, h, w, c = a.shape
    dtype = fdata(a).dtype
    g = _gaussian_1d(int(filter_size), float(filter_sigma))
    kernel = np.outer(g, g)[:, :, None, None].astype(dtype)

    def per_channel(t):  # (B, H, W, C) -> (B * C, H, W, 1)
        return reshape(transpose(t, (0, 3, 1, 2)), (-1, h, w, 1))

    def blur(t):
        return conv(t, kernel, 1, "valid", "channels_last")

    x, y = per_channel(a), per_channel(b)
    mu1, mu2 = blur(x), blur(y)
    mu1_sq, mu2_sq, mu12 = math.multiply(mu1, mu1), math.multiply(mu2, mu2), math.multiply(mu1, mu2)
    s1 = math.subtract(blur(math.multiply(x, x)), mu1_sq)
    s2 = math.subtract(blur(math.multiply(y, y)), mu2_sq)
    s12 = math.subtract(blur(math.multiply(x, y)), mu12)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    num = math.multiply(
        math.add(math.multiply(mu12, 2.0), c1), math.add(math.multiply(s12, 2.0), c2)
    )
    den = math.multiply(math.add(math.add(mu1_sq, mu2_sq), c1), math.add(math.add(s1, s2), c2))
    per_image = reduce.mean(
        reshape(reduce.mean(math.divide(num, den), axis=(1, 2, 3)), (bsz, c)), axis=-1
    )
    return per_image if batched else getitem(per_image, 0)


def extract_patches_3d(
    volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None
):
    """Every (depth, height, width) patch of (B, D, H, W, C) volumes, flattened in
    (depth, row, column, channel) order: (B, D', H', W', pd * ph * pw * C)."""
    fmt = _format(data_format)
    size = (size,) * 3 if isinstance(size, int) else tuple(size)
    if len(size) != 3:
        raise TypeError(f"extract_patches_3d: size must be an int or 3 ints, got {size!r}")
    strides = (
        size
        if strides is None
        else ((strides,) * 3 if isinstance(strides, int) else tuple(strides))
    )
    nd = np.ndim(data_of(volumes))
    if nd not in (4, 5):
        raise ValueError(
            f"extract_patches_3d: volumes must have rank 4 or 5, got shape {np.shape(data_of(volumes))}"
        )
    x = volumes if nd == 5 else expand_dims(volumes, 0)
    if fmt == "channels_first":
        x = transpose(x, (0, 2, 3, 4, 1))
    channels = x.shape[-1]
    out_dim = int(np.prod(size)) * channels
    kernel = np.eye(out_dim, dtype=fdata(x).dtype).reshape(*size, channels, out_dim)
    out = conv(x, kernel, strides, padding, "channels_last", dilation_rate)
    if fmt == "channels_first":
        out = transpose(out, (0, 4, 1, 2, 3))
    return out if nd == 5 else getitem(out, 0)
