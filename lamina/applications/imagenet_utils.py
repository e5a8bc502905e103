"""keras.applications.imagenet_utils: ImageNet preprocessing and decoding, plus the input-shape
and padding rules every application shares.

`preprocess_input(x, mode=)` has Keras's three conventions for images with values in [0, 255]:
"caffe" (RGB -> BGR, minus the ImageNet channel means), "tf" (scaled to [-1, 1]) and "torch"
(scaled to [0, 1], then standardized per channel). A float NumPy array is modified in place,
as in Keras; tensors (eager or symbolic) get new values.
"""
import json
import os
import warnings

import numpy as np

from lamina import activations, backend, ops
from lamina.engine import dtypes
from lamina.utils import data_utils

CLASS_INDEX = None
CLASS_INDEX_PATH = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCH_MEAN_RGB = (0.485, 0.456, 0.406)
TORCH_STD_RGB = (0.229, 0.224, 0.225)
_MODES = ("caffe", "tf", "torch")


def _data_format(data_format):
    if data_format is None:
        return backend.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("Expected data_format to be one of `channels_first` or `channels_last`. "
                         f"Received: data_format={data_format}")
    return data_format


def preprocess_input(x, data_format=None, mode="caffe"):
    """A batch (4D) or one image (3D) with values in [0, 255], preprocessed for ImageNet
    weights by `mode` ("caffe", "tf" or "torch")."""
    if mode not in _MODES:
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}")
    data_format = _data_format(data_format)
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


_MODE_DOCS = {"caffe": "caffe mode: RGB -> BGR, minus the ImageNet channel means (no scaling).",
              "tf": "tf mode: pixels scaled from [0, 255] to [-1, 1].",
              "torch": "torch mode: pixels scaled to [0, 1], then normalized by the ImageNet mean and std."}


def module_functions(mode):
    """(preprocess_input, decode_predictions) of an application module whose preprocessing is
    `mode`, with Keras's per-module signatures."""

    def module_preprocess_input(x, data_format=None):
        return preprocess_input(x, data_format=data_format, mode=mode)

    def module_decode_predictions(preds, top=5):
        return decode_predictions(preds, top=top)

    module_preprocess_input.__doc__ = _MODE_DOCS[mode]
    module_preprocess_input.__name__ = module_preprocess_input.__qualname__ = "preprocess_input"
    module_decode_predictions.__doc__ = decode_predictions.__doc__
    module_decode_predictions.__name__ = module_decode_predictions.__qualname__ = "decode_predictions"
    return module_preprocess_input, module_decode_predictions


def _channel_axis(ndim, data_format):
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def _preprocess_numpy(x, data_format, mode):
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(dtypes.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x.ndim, data_format)
    shape = [1] * x.ndim
    shape[axis] = 3
    if mode == "torch":
        x /= 255.0
        x -= np.reshape(TORCH_MEAN_RGB, shape).astype(x.dtype)
        x /= np.reshape(TORCH_STD_RGB, shape).astype(x.dtype)
        return x
    x = np.flip(x, axis)  # RGB -> BGR (a view: the subtraction below writes into the input)
    x -= np.reshape(CAFFE_MEAN_BGR, shape).astype(x.dtype)
    return x


def _preprocess_tensor(x, data_format, mode):
    x = ops.convert_to_tensor(x) if not backend.is_keras_tensor(x) else x
    if mode == "tf":
        return x / 127.5 - 1.0
    ndim = len(x.shape)
    axis = _channel_axis(ndim, data_format)
    shape = [1] * ndim
    shape[axis] = 3
    if mode == "torch":
        mean = ops.convert_to_tensor(np.reshape(TORCH_MEAN_RGB, shape), dtype=x.dtype)
        std = ops.convert_to_tensor(np.reshape(TORCH_STD_RGB, shape), dtype=x.dtype)
        return (x / 255.0 - mean) / std
    x = ops.flip(x, axis=axis)
    mean = ops.convert_to_tensor(-np.reshape(CAFFE_MEAN_BGR, shape), dtype=x.dtype)
    return x + mean


def decode_predictions(preds, top=5):
    """[[(class_id, class_name, score), ...] per sample]: the `top` ImageNet classes of each
    row of `preds` (samples, 1000), best first. Reads Keras's class index file through
    `get_file` (downloaded once to ~/.keras/models)."""
    global CLASS_INDEX
    shape = tuple(preds.shape)
    if len(shape) != 2 or shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
                         f"(samples, 1000)). Received array with shape: {shape}")
    if CLASS_INDEX is None:
        path = fetch("imagenet_class_index.json", CLASS_INDEX_PATH, CLASS_INDEX_HASH, "the ImageNet class index")
        with open(path) as f:
            CLASS_INDEX = json.load(f)
    results = []
    for row in ops.convert_to_numpy(preds):
        best = row.argsort()[-top:][::-1]
        result = [tuple(CLASS_INDEX[str(i)]) + (row[i],) for i in best]
        result.sort(key=lambda item: item[2], reverse=True)
        results.append(result)
    return results


def fetch(fname, origin, file_hash, what):
    """`get_file(fname, origin, cache_subdir="models", file_hash=)`, with an error that says
    what to do when the download fails (e.g. offline)."""
    try:
        return data_utils.get_file(fname, origin, cache_subdir="models", file_hash=file_hash)
    except OSError as e:
        target = os.path.join(data_utils.lamina_home(), "models", fname)
        raise OSError(f"could not download {what} ({fname}) from {origin}: {e}. Without network, copy the "
                      f"file (the one Keras publishes) to {target}, or pass a local path "
                      "(weights='/path/file.h5')") from e


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """The model's input shape (rows, cols, channels) for channels_last: `input_shape`
    checked, or the default (square `default_size`; spatial dims None without the top)."""
    last = data_format != "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[-1] if last else input_shape[0]
        if channels not in (1, 3):
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was passed an "
                          f"input_shape with {channels} input channels.", stacklevel=3)
        default_shape = (default_size, default_size, channels) if last else (channels, default_size, default_size)
    else:
        default_shape = (default_size, default_size, 3) if last else (3, default_size, default_size)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, `input_shape` "
                             f"should be {default_shape}.  Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels, spatial = (input_shape[-1], input_shape[:2]) if last else (input_shape[0], input_shape[1:])
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if any(d is not None and d < min_size for d in spatial):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (None, None, 3) if last else (3, None, None)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return input_shape


def correct_pad(inputs, kernel_size):
    """((top, bottom), (left, right)) zero padding that makes a strided 'valid' convolution
    of `kernel_size` centre its windows as TensorFlow's 'same' does."""
    first = 2 if backend.image_data_format() == "channels_first" else 1
    size = tuple(inputs.shape[first:first + 2])
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained weights allow only a softmax or linear (None) classifier."""
    if weights is None:
        return
    fn = activations.get(classifier_activation)
    if fn not in (activations.get("softmax"), activations.get(None)):
        raise ValueError("Only `None` and `softmax` activations are allowed for the `classifier_activation` "
                         "argument when using pretrained weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")
