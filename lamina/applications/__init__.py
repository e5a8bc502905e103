"""keras.applications: the ImageNet image-classification models, built layer for layer as
Keras builds them (same layer names and parameter counts), with Keras's published weights.

`lamina.applications.ResNet50(weights=None)` builds offline; `weights="imagenet"` downloads
Keras's weight file (same URL and hash) through `lamina.utils.get_file`; a path loads a file
in that layout. Each family's module (`vgg16`, `resnet`, `mobilenet_v2`, ...) also has the
`preprocess_input` and `decode_predictions` its weights expect. Everything loads on first
use, so `import lamina` stays fast.
"""
import importlib

from lamina import lazy

SUBMODULES = ("convnext", "densenet", "efficientnet", "efficientnet_v2", "imagenet_utils", "inception_resnet_v2",
              "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3", "nasnet", "resnet", "resnet50",
              "resnet_v2", "vgg16", "vgg19", "xception")

_MODELS = {
    "convnext": ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge"],
    "densenet": ["DenseNet121", "DenseNet169", "DenseNet201"],
    "efficientnet": [f"EfficientNetB{i}" for i in range(8)],
    "efficientnet_v2": [f"EfficientNetV2{s}" for s in ("B0", "B1", "B2", "B3", "S", "M", "L")],
    "inception_resnet_v2": ["InceptionResNetV2"],
    "inception_v3": ["InceptionV3"],
    "mobilenet": ["MobileNet"],
    "mobilenet_v2": ["MobileNetV2"],
    "mobilenet_v3": ["MobileNetV3Small", "MobileNetV3Large"],
    "nasnet": ["NASNetMobile", "NASNetLarge"],
    "resnet": ["ResNet50", "ResNet101", "ResNet152"],
    "resnet_v2": ["ResNet50V2", "ResNet101V2", "ResNet152V2"],
    "vgg16": ["VGG16"],
    "vgg19": ["VGG19"],
    "xception": ["Xception"],
}
_NAMES = {name: f"lamina.applications.{module}" for module, names in _MODELS.items() for name in names}
__all__ = sorted(_NAMES)

_get_model, _dir = lazy.exports(__name__, globals(), _NAMES)


def __getattr__(name):
    if name in SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    return _get_model(name)


def __dir__():
    return sorted(set(_dir()) | set(SUBMODULES))
