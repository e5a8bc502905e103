"""keras.applications.vgg16: VGG16 (Simonyan & Zisserman, 2014), 138.4M parameters.

Five blocks of 3x3 'same' ReLU convolutions (64, 128, 256, 512, 512 filters) each closed by
2x2 max pooling, then Flatten and two 4096-unit Dense layers before the classifier. Expects
`preprocess_input` (caffe mode: BGR minus the ImageNet means).
"""
from lamina import layers
from lamina.applications import builder, imagenet_utils

FILTERS = (64, 128, 256, 512, 512)


def vgg(convs_per_block, key, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name):
    """VGG with `convs_per_block` convolutions in each of the five blocks (VGG16: 2,2,3,3,3)."""
    builder.check_weights(weights, include_top, classes)
    img_input = builder.standard_input(input_tensor, input_shape, include_top, weights, default_size=224)
    x = img_input
    for b, (filters, convs) in enumerate(zip(FILTERS, convs_per_block), start=1):
        for c in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{b}_conv{c}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{b}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = builder.dense_classifier(x, classes, classifier_activation, weights)
    else:
        x = builder.pool(x, pooling)
    fname, file_hash = WEIGHTS[key][include_top]
    return builder.finish(img_input, input_tensor, x, name, weights,
                          (fname, f"{builder.KERAS_APPS}{key}/{fname}", file_hash))


WEIGHTS = {  # {model: {include_top: (file name, md5)}}, Keras's published files
    "vgg16": {True: ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
              False: ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc")},
    "vgg19": {True: ("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
              False: ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6")},
}


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,  # noqa: N802
          classes=1000, classifier_activation="softmax", name="vgg16"):
    """VGG16; `weights` None, "imagenet" or a path; input 224x224x3 with the top."""
    return vgg((2, 2, 3, 3, 3), "vgg16", include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name)


preprocess_input, decode_predictions = imagenet_utils.module_functions("caffe")
