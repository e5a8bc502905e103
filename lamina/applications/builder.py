"""What every application shares around its own layers: argument checks, the input, the
classifier or pooling on top, the model, and the weights (ImageNet's published files, or a
local file in the same layout).

An application function reads like Keras's: `check_weights`, `make_input`, its layers,
then `finish(...)`. ImageNet files are Keras's legacy HDF5 weight files (one group per layer
with weights, filled in layer order by `Model.load_weights`), fetched with `get_file` from the
URL and checked against the hash that Keras uses.
"""
import os

from lamina import backend, layers
from lamina.applications import imagenet_utils
from lamina.models import Functional
from lamina.utils.misc_utils import get_source_inputs

KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"


def channel_axis():
    return 1 if backend.image_data_format() == "channels_first" else -1


def check_weights(weights, include_top, classes):
    """Keras's checks on `weights` (None, "imagenet" or an existing file) and `classes`."""
    is_path = isinstance(weights, (str, os.PathLike)) and weights != "imagenet" and os.path.exists(weights)
    if not (weights is None or weights == "imagenet" or is_path):
        raise ValueError("The `weights` argument should be either `None` (random initialization), 'imagenet' "
                         "(pre-training on ImageNet), or the path to the weights file to be loaded.  "
                         f"Received: weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
                         f"Received classes={classes}")


def make_input(input_tensor, input_shape):
    """The image input: a new `Input(shape=input_shape)`, or the given tensor."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not backend.is_keras_tensor(input_tensor):
        return layers.Input(tensor=input_tensor, shape=input_shape)
    return input_tensor


def standard_input(input_tensor, input_shape, include_top, weights, default_size, min_size=32):
    """`obtain_input_shape` then `make_input`, for the applications with a fixed default size."""
    shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=min_size,
                                              data_format=backend.image_data_format(),
                                              require_flatten=include_top, weights=weights)
    return make_input(input_tensor, shape)


def pool(x, pooling, avg_name=None, max_name=None):
    """The feature extractor's optional global pooling (`pooling` None, "avg" or "max")."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def dense_classifier(x, classes, classifier_activation, weights, name="predictions", **kwargs):
    imagenet_utils.validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation, name=name, **kwargs)(x)


def top(x, include_top, pooling, classes, classifier_activation, weights, avg_name=None, max_name=None):
    """The classifier head (global average pooling "avg_pool" + Dense "predictions") or, without
    it, the optional global pooling of the features."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        return dense_classifier(x, classes, classifier_activation, weights)
    return pool(x, pooling, avg_name, max_name)


def finish(img_input, input_tensor, x, name, weights, imagenet_file=None):
    """The Functional model from the image input to `x`, with its weights loaded.

    `imagenet_file` is (file name, URL, md5 hash or None) of the published weights, used when
    `weights == "imagenet"`."""
    inputs = get_source_inputs(input_tensor) if input_tensor is not None else img_input
    model = Functional(inputs, x, name=name)
    if weights == "imagenet":
        fname, origin, file_hash = imagenet_file
        model.load_weights(imagenet_utils.fetch(fname, origin, file_hash, f"the ImageNet weights of {name}"))
    elif weights is not None:
        model.load_weights(weights)
    return model


def not_implemented(name):
    raise NotImplementedError(f"keras.applications.{name} is not built in lamina yet; the available "
                              "applications are listed in lamina.applications.__all__ with their status")
