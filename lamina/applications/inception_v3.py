"""keras.applications.inception_v3: InceptionV3 (Szegedy et al., 2015), 23.9M parameters.

Every convolution is Conv2D (no bias) + BatchNorm (no scale) + ReLU (`conv2d_bn`); the
Inception modules concatenate parallel 1x1, factorized 5x5/7x7/3x3 and pooled branches
(`mixed0`..`mixed10`). Input 299x299 by default (at least 75). Expects tf-mode preprocessing.
"""
from lamina import backend, layers
from lamina.applications import builder, imagenet_utils

WEIGHTS_BASE = builder.KERAS_APPS + "inception_v3/"
WEIGHTS = {True: ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
           False: ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63")}


def _axis():
    return 1 if backend.image_data_format() == "channels_first" else 3


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Conv2D(num_row x num_col, no bias) -> BatchNorm(scale=False) -> ReLU."""
    conv_name, bn_name = (f"{name}_conv", f"{name}_bn") if name is not None else (None, None)
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
                      name=conv_name)(x)
    x = layers.BatchNormalization(axis=_axis(), scale=False, name=bn_name)(x)
    return layers.Activation("relu", name=name)(x)


def _avg_branch(x, filters):
    b = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(b, filters, 1, 1)


def _chain(x, specs):
    """conv2d_bn applied along (filters, rows, cols) specs."""
    for filters, rows, cols in specs:
        x = conv2d_bn(x, filters, rows, cols)
    return x


def _module_a(x, pool_filters, name):
    b1 = conv2d_bn(x, 64, 1, 1)
    b5 = _chain(x, [(48, 1, 1), (64, 5, 5)])
    b3 = _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)])
    bp = _avg_branch(x, pool_filters)
    return layers.concatenate([b1, b5, b3, bp], axis=_axis(), name=name)


def _module_c(x, width, name):
    b1 = conv2d_bn(x, 192, 1, 1)
    b7 = _chain(x, [(width, 1, 1), (width, 1, 7), (192, 7, 1)])
    b7d = _chain(x, [(width, 1, 1), (width, 7, 1), (width, 1, 7), (width, 7, 1), (192, 1, 7)])
    bp = _avg_branch(x, 192)
    return layers.concatenate([b1, b7, b7d, bp], axis=_axis(), name=name)


def _module_e(x, i):
    axis = _axis()
    b1 = conv2d_bn(x, 320, 1, 1)
    b3 = conv2d_bn(x, 384, 1, 1)
    b3 = layers.concatenate([conv2d_bn(b3, 384, 1, 3), conv2d_bn(b3, 384, 3, 1)], axis=axis, name=f"mixed9_{i}")
    b3d = _chain(x, [(448, 1, 1), (384, 3, 3)])
    b3d = layers.concatenate([conv2d_bn(b3d, 384, 1, 3), conv2d_bn(b3d, 384, 3, 1)], axis=axis)
    bp = _avg_branch(x, 192)
    return layers.concatenate([b1, b3, b3d, bp], axis=axis, name=f"mixed{9 + i}")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
                classes=1000, classifier_activation="softmax", name="inception_v3"):
    """InceptionV3; input 299x299x3 with the top."""
    builder.check_weights(weights, include_top, classes)
    img_input = builder.standard_input(input_tensor, input_shape, include_top, weights, default_size=299,
                                       min_size=75)
    axis = _axis()
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = _module_a(x, 32, "mixed0")
    x = _module_a(x, 64, "mixed1")
    x = _module_a(x, 64, "mixed2")
    b3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    b3d = _chain(x, [(64, 1, 1), (96, 3, 3)])
    b3d = conv2d_bn(b3d, 96, 3, 3, strides=(2, 2), padding="valid")
    bp = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([b3, b3d, bp], axis=axis, name="mixed3")
    x = _module_c(x, 128, "mixed4")
    x = _module_c(x, 160, "mixed5")
    x = _module_c(x, 160, "mixed6")
    x = _module_c(x, 192, "mixed7")
    b3 = conv2d_bn(x, 192, 1, 1)
    b3 = conv2d_bn(b3, 320, 3, 3, strides=(2, 2), padding="valid")
    b7 = _chain(x, [(192, 1, 1), (192, 1, 7), (192, 7, 1)])
    b7 = conv2d_bn(b7, 192, 3, 3, strides=(2, 2), padding="valid")
    bp = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([b3, b7, bp], axis=axis, name="mixed8")
    x = _module_e(x, 0)
    x = _module_e(x, 1)
    x = builder.top(x, include_top, pooling, classes, classifier_activation, weights)
    fname, file_hash = WEIGHTS[bool(include_top)]
    return builder.finish(img_input, input_tensor, x, name, weights, (fname, WEIGHTS_BASE + fname, file_hash))


preprocess_input, decode_predictions = imagenet_utils.module_functions("tf")
