"""keras.applications.xception: Xception (Chollet, 2017), 22.9M parameters.

An entry flow of strided separable-convolution blocks with 1x1 strided residual projections,
a middle flow of eight 3x separable-convolution residual blocks (728 channels), and an exit
flow to 2048 channels. Input 299x299 by default (at least 71). Expects tf-mode preprocessing.
"""
from lamina import layers
from lamina.applications import builder, imagenet_utils

WEIGHTS_BASE = builder.KERAS_APPS + "xception/"
WEIGHTS = {True: ("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
           False: ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97")}


def _sep_bn(x, filters, name, axis):
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=axis, name=f"{name}_bn")(x)


def _residual(x, filters, axis):
    r = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=axis)(r)


def _entry_block(x, block, filters, axis, first_relu=True):
    """Two ReLU-separable-BN units then 3x3/2 max pooling, plus the strided 1x1 residual."""
    residual = _residual(x, filters[-1], axis)
    if first_relu:
        x = layers.Activation("relu", name=f"block{block}_sepconv1_act")(x)
    x = _sep_bn(x, filters[0], f"block{block}_sepconv1", axis)
    x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
    x = _sep_bn(x, filters[1], f"block{block}_sepconv2", axis)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
             classes=1000, classifier_activation="softmax", name="xception"):
    """Xception; input 299x299x3 with the top."""
    builder.check_weights(weights, include_top, classes)
    img_input = builder.standard_input(input_tensor, input_shape, include_top, weights, default_size=299,
                                       min_size=71)
    axis = builder.channel_axis()
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)
    x = _entry_block(x, 2, (128, 128), axis, first_relu=False)
    x = _entry_block(x, 3, (256, 256), axis)
    x = _entry_block(x, 4, (728, 728), axis)
    for i in range(8):
        residual = x
        prefix = f"block{i + 5}"
        for k in (1, 2, 3):
            x = layers.Activation("relu", name=f"{prefix}_sepconv{k}_act")(x)
            x = _sep_bn(x, 728, f"{prefix}_sepconv{k}", axis)
        x = layers.add([x, residual])
    x = _entry_block(x, 13, (728, 1024), axis)
    x = _sep_bn(x, 1536, "block14_sepconv1", axis)
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sep_bn(x, 2048, "block14_sepconv2", axis)
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    x = builder.top(x, include_top, pooling, classes, classifier_activation, weights)
    fname, file_hash = WEIGHTS[bool(include_top)]
    return builder.finish(img_input, input_tensor, x, name, weights, (fname, WEIGHTS_BASE + fname, file_hash))


preprocess_input, decode_predictions = imagenet_utils.module_functions("tf")
