"""keras.applications.efficientnet_v2: EfficientNetV2 B0-B3, S, M, L (Tan & Le, 2021).

Early stages use fused MBConv blocks (one k x k expansion convolution instead of 1x1 +
depthwise), later ones MBConv with squeeze-and-excitation; BatchNorm momentum 0.9. The model
rescales its own input ([0, 255] pixels: B variants normalize with the ImageNet mean and
variance, S/M/L map to [-1, 1]) unless `include_preprocessing=False`, so `preprocess_input`
is the identity.
"""
import copy
import math

from lamina import backend, initializers, layers
from lamina.applications import builder, imagenet_utils
from lamina.applications.efficientnet import CONV_KERNEL_INITIALIZER, DENSE_KERNEL_INITIALIZER

BASE_WEIGHTS_PATH = builder.KERAS_APPS + "efficientnet_v2/"
WEIGHTS_HASHES = {  # (with top, without top)
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}


def _stages(*rows):
    """Block args from rows (kernel, repeats, in, out, expand, se_ratio, strides, conv_type:
    1 fused MBConv, 0 MBConv)."""
    keys = ("kernel_size", "num_repeat", "input_filters", "output_filters", "expand_ratio", "se_ratio", "strides",
            "conv_type")
    return [dict(zip(keys, row)) for row in rows]


_B = _stages((3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
             (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0), (3, 8, 112, 192, 6, 0.25, 2, 0))
DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": _stages((3, 2, 24, 24, 1, 0, 1, 1), (3, 4, 24, 48, 4, 0, 2, 1), (3, 4, 48, 64, 4, 0, 2, 1),
                                (3, 6, 64, 128, 4, 0.25, 2, 0), (3, 9, 128, 160, 6, 0.25, 1, 0),
                                (3, 15, 160, 256, 6, 0.25, 2, 0)),
    "efficientnetv2-m": _stages((3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1), (3, 5, 48, 80, 4, 0, 2, 1),
                                (3, 7, 80, 160, 4, 0.25, 2, 0), (3, 14, 160, 176, 6, 0.25, 1, 0),
                                (3, 18, 176, 304, 6, 0.25, 2, 0), (3, 5, 304, 512, 6, 0.25, 1, 0)),
    "efficientnetv2-l": _stages((3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1), (3, 7, 64, 96, 4, 0, 2, 1),
                                (3, 10, 96, 192, 4, 0.25, 2, 0), (3, 19, 192, 224, 6, 0.25, 1, 0),
                                (3, 25, 224, 384, 6, 0.25, 2, 0), (3, 7, 384, 640, 6, 0.25, 1, 0)),
    **{f"efficientnetv2-b{i}": _B for i in range(4)},
}


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    filters *= width_coefficient
    minimum_depth = min_depth or depth_divisor
    return int(max(minimum_depth, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats, depth_coefficient):
    return int(math.ceil(depth_coefficient * repeats))


def _axis():
    return 3 if backend.image_data_format() == "channels_last" else 1


def _se(x, input_filters, filters, se_ratio, activation, name):
    filters_se = max(1, int(input_filters * se_ratio))
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((filters, 1, 1) if _axis() == 1 else (1, 1, filters), name=f"{name}se_reshape")(se)
    se = layers.Conv2D(filters_se, 1, padding="same", activation=activation, kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid", kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name):
    if strides == 1 and input_filters == output_filters:
        if survival_probability:
            x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def MBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,  # noqa: N802
                bn_momentum=0.9, activation="swish", survival_probability=0.8, name=None):
    """1x1 expansion, k x k depthwise, SE, 1x1 projection (+ residual)."""
    name = backend.get_uid("block0") if name is None else name

    def apply(inputs):
        axis = _axis()
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = layers.Conv2D(filters=filters, kernel_size=1, strides=1, kernel_initializer=CONV_KERNEL_INITIALIZER,
                              padding="same", use_bias=False, name=f"{name}expand_conv")(x)
            x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        x = layers.DepthwiseConv2D(kernel_size=kernel_size, strides=strides, depthwise_initializer=CONV_KERNEL_INITIALIZER,
                                   padding="same", use_bias=False, name=f"{name}dwconv2")(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = _se(x, input_filters, filters, se_ratio, activation, name)
        x = layers.Conv2D(filters=output_filters, kernel_size=1, strides=1, kernel_initializer=CONV_KERNEL_INITIALIZER,
                          padding="same", use_bias=False, name=f"{name}project_conv")(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}project_bn")(x)
        return _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name)

    return apply


def FusedMBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,  # noqa: N802
                     bn_momentum=0.9, activation="swish", survival_probability=0.8, name=None):
    """k x k expansion convolution, SE, 1x1 projection (k x k when not expanding) (+ residual)."""
    name = backend.get_uid("block0") if name is None else name

    def apply(inputs):
        axis = _axis()
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = layers.Conv2D(filters, kernel_size=kernel_size, strides=strides, kernel_initializer=CONV_KERNEL_INITIALIZER,
                              padding="same", use_bias=False, name=f"{name}expand_conv")(x)
            x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = layers.Activation(activation=activation, name=f"{name}expand_activation")(x)
        if 0 < se_ratio <= 1:
            x = _se(x, input_filters, filters, se_ratio, activation, name)
        expanded = expand_ratio != 1
        x = layers.Conv2D(output_filters, kernel_size=1 if expanded else kernel_size, strides=1 if expanded else strides,
                          kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same", use_bias=False,
                          name=f"{name}project_conv")(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}project_bn")(x)
        if not expanded:
            x = layers.Activation(activation=activation, name=f"{name}project_activation")(x)
        return _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name)

    return apply


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2, drop_connect_rate=0.2,  # noqa: N802
                   depth_divisor=8, min_depth=8, bn_momentum=0.9, activation="swish", blocks_args="default",
                   name="efficientnetv2", include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax", include_preprocessing=True,
                   weights_name=None):
    """An EfficientNetV2; the variant (its blocks and preprocessing) follows `weights_name`."""
    variant = f"efficientnetv2-{weights_name.lstrip('-')}" if weights_name else name
    if blocks_args == "default":
        if variant not in DEFAULT_BLOCKS_ARGS:
            raise ValueError(f"EfficientNetV2: no default blocks for {variant!r}; pass blocks_args or one of "
                             f"{sorted(DEFAULT_BLOCKS_ARGS)} as name")
        blocks_args = DEFAULT_BLOCKS_ARGS[variant]
    builder.check_weights(weights, include_top, classes)
    img_input = builder.standard_input(input_tensor, input_shape, include_top, weights, default_size=default_size)
    axis = _axis()
    x = img_input
    if include_preprocessing:
        if variant.split("-")[-1].startswith("b") and img_input.shape[axis] == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229**2, 0.224**2, 0.225**2],
                                     axis=axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def rf(filters):
        return round_filters(filters, width_coefficient, min_depth, depth_divisor)

    x = layers.Conv2D(filters=rf(blocks_args[0]["input_filters"]), kernel_size=3, strides=2,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, padding="same", use_bias=False, name="stem_conv")(x)
    x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    blocks_args = copy.deepcopy(blocks_args)
    b = 0
    blocks = float(sum(args["num_repeat"] for args in blocks_args))
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError(f"The number of repeats in `EfficientNetV2` must be > 0. Received: "
                             f"num_repeat={args['num_repeat']}")
        args["input_filters"] = rf(args["input_filters"])
        args["output_filters"] = rf(args["output_filters"])
        block = FusedMBConvBlock if args.pop("conv_type") else MBConvBlock
        for j in range(round_repeats(args.pop("num_repeat"), depth_coefficient)):
            if j > 0:
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = block(activation=activation, bn_momentum=bn_momentum, survival_probability=drop_connect_rate * b / blocks,
                      name=f"block{i + 1}{chr(j + 97)}_", **args)(x)
            b += 1
    x = layers.Conv2D(filters=rf(1280), kernel_size=1, strides=1, kernel_initializer=CONV_KERNEL_INITIALIZER,
                      padding="same", use_bias=False, name="top_conv")(x)
    x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name="top_bn")(x)
    x = layers.Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        x = builder.dense_classifier(x, classes, classifier_activation, weights,
                                     kernel_initializer=DENSE_KERNEL_INITIALIZER,
                                     bias_initializer=initializers.Constant(0.0))
    else:
        x = builder.pool(x, pooling, "avg_pool", "max_pool")
    imagenet_file = None
    if weights == "imagenet":
        fname = name + (".h5" if include_top else "_notop.h5")
        imagenet_file = (fname, BASE_WEIGHTS_PATH + fname, WEIGHTS_HASHES[weights_name][0 if include_top else 1])
    return builder.finish(img_input, input_tensor, x, name, weights, imagenet_file)


_SCALES = {  # weights name: (width, depth, default size)
    "b0": (1.0, 1.0, 224), "b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 260), "b3": (1.2, 1.4, 300),
    "-s": (1.0, 1.0, 384), "-m": (1.0, 1.0, 480), "-l": (1.0, 1.0, 480),
}


def _variant(key):
    width, depth, size = _SCALES[key]
    suffix = key.lstrip("-")

    def EfficientNetV2Variant(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,  # noqa: N802
                              pooling=None, classes=1000, classifier_activation="softmax", include_preprocessing=True,
                              name=f"efficientnetv2-{suffix}"):
        return EfficientNetV2(width, depth, size, name=name, include_top=include_top, weights=weights,
                              input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing, weights_name=key)

    EfficientNetV2Variant.__name__ = EfficientNetV2Variant.__qualname__ = f"EfficientNetV2{suffix.upper()}"
    EfficientNetV2Variant.__doc__ = (f"EfficientNetV2{suffix.upper()}: width x{width}, depth x{depth}, input "
                                     f"{size}x{size}x3 with the top; inputs are [0, 255] pixels.")
    return EfficientNetV2Variant


EfficientNetV2B0 = _variant("b0")
EfficientNetV2B1 = _variant("b1")
EfficientNetV2B2 = _variant("b2")
EfficientNetV2B3 = _variant("b3")
EfficientNetV2S = _variant("-s")
EfficientNetV2M = _variant("-m")
EfficientNetV2L = _variant("-l")


def preprocess_input(x, data_format=None):
    """The identity: EfficientNetV2 models rescale their input themselves."""
    return x


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
