"""The argument check shared by the image ops (lamina/ops/image.py and _image_color.py)."""
from lamina.engine.tensor import data_of
from lamina.ops._window import check_data_format


def check_images(images, op, data_format):
    """(NumPy value of `images`, data format) after checking the rank is 3 or 4."""
    fmt = check_data_format(data_format, op)
    x = data_of(images)  # Python lists become float32, as keras.ops.convert_to_tensor does
    if not hasattr(x, "shape"):
        raise TypeError(f"{op}: `images` must be an array or tensor, got {type(images).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: `images` must have rank 3 (one image) or 4 (a batch), got shape "
                         f"{tuple(x.shape)}; add a batch or channel axis (x[None] or x[..., None])")
    return x, fmt
