"""Argument checks and shape arithmetic shared by the convolution and pooling layers.

Keras conventions: `kernel_size`, `strides`, ... are an int or a tuple of `rank` ints;
padding is "valid" or "same" ("causal" for 1-D convolutions); data_format is
"channels_last" (N, *spatial, C) or "channels_first" (N, C, *spatial).
"""

import difflib

from lamina.backend import image_data_format
from lamina.ops._window import LAYOUTS, SPATIAL_AXES


def standardize_tuple(value, rank, name, layer, allow_zero=False):
    """An int or a sequence of `rank` ints -> a tuple of `rank` ints (positive by default)."""
    if isinstance(value, bool):
        raise TypeError(f"{layer}: {name} must be an int or a tuple of {rank} ints, got {value!r}")
    if isinstance(value, int):
        out = (value,) * rank
    else:
        try:
            out = tuple(int(v) for v in value)
        except TypeError:
            raise TypeError(
                f"{layer}: {name} must be an int or a tuple of {rank} ints, got {value!r}"
            ) from None
        if len(out) != rank:
            raise ValueError(
                f"{layer}: {name} must be an int or a tuple of {rank} ints, got {value!r}"
            )
    low = 0 if allow_zero else 1
    if any(v < low for v in out):
        what = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{layer}: {name} must be {what}, got {value!r}")
    return out


def standardize_padding(padding, layer, allow_causal=False):
    valid = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    p = padding.lower() if isinstance(padding, str) else padding
    if p not in valid:
        close = difflib.get_close_matches(str(padding).lower(), valid, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{layer}: padding must be one of {valid}, got {padding!r}{hint}")
    return p


def standardize_data_format(data_format, layer):
    fmt = image_data_format() if data_format is None else str(data_format).lower()
    valid = ("channels_last", "channels_first")
    if fmt not in valid:
        close = difflib.get_close_matches(fmt, valid, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"{layer}: data_format must be 'channels_last' or 'channels_first', "
            f"got {data_format!r}{hint}"
        )
    return fmt


def check_positive_int(value, name, layer):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return value


def output_length(
    size, window, stride, padding, dilation=1, what="window", axis="width", layer="layer"
):
    """Length of one spatial axis after a sliding window (None stays None).

    valid: floor((size - (window - 1) * dilation - 1) / stride) + 1; same/causal:
    ceil(size / stride) (causal pads on the left only).
    """
    if size is None:
        return None
    eff = (window - 1) * dilation + 1
    if padding == "valid":
        if eff > size:
            dil = f" (dilated to {eff})" if dilation > 1 else ""
            raise ValueError(
                f"{layer}: the {what} size {window}{dil} is larger than the input {axis} {size} "
                f"with padding='valid' (the output would be empty); use padding='same', a "
                f"{what} of at most {size}, or a larger input"
            )
        return (size - eff) // stride + 1
    return -(-size // stride)


def spatial_axes_names(rank):
    return SPATIAL_AXES[rank]


def split_channels(input_shape, rank, data_format):
    """(spatial sizes, channels) of an input shape (batch first)."""
    if data_format == "channels_last":
        return tuple(input_shape[1:-1]), input_shape[-1]
    return tuple(input_shape[2:]), input_shape[1]


def join_channels(batch, spatial, channels, data_format):
    if data_format == "channels_last":
        return (batch, *spatial, channels)
    return (batch, channels, *spatial)


def check_input_rank(layer, input_shape, rank):
    """A rank-`rank` layer needs inputs of rank `rank + 2`; suggest the missing channel axis."""
    want = rank + 2
    shape = tuple(input_shape)
    if len(shape) == want:
        return
    kind = type(layer).__name__
    layout = "(batch, steps, channels)" if rank == 1 else LAYOUTS[rank]
    msg = f"{kind} layer {layer.name!r} expects inputs of rank {want} {layout}, got shape {shape}"
    if len(shape) == want - 1:
        dims = ", ".join(str(d) for d in shape[1:])
        example = "one value per voxel" if rank == 3 else "grayscale MNIST images"
        msg += (
            f": if the data has a single channel (e.g. {example}), add the channel "
            f"axis, e.g. x = x.reshape(-1, {dims}, 1), or use keras.Input(shape=({dims}, 1))"
        )
    elif len(shape) == want + 1 and rank == 1:
        msg += ": a 1-D layer works on sequences; use the 2-D layer for images"
    elif len(shape) == want + 1 and rank == 2:
        msg += ": a 2-D layer works on images; use the 3-D layer for volumes"
    raise ValueError(msg)
