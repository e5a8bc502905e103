"""Keras layers that wrap another engine's models: present so that code naming them gets a
clear answer, but they cannot run on lamina's NumPy engine."""


def _bound(name, engine, alternative):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            f"keras.layers.{name} wraps {engine}, which lamina (a NumPy engine with its own "
            f"autodiff) does not run; {alternative}"
        )

    return type(
        name,
        (),
        {
            "__init__": __init__,
            "__module__": __name__,
            "__doc__": f"Not available in lamina: wraps {engine}.",
        },
    )


JaxLayer = _bound(
    "JaxLayer",
    "a JAX function and its parameters",
    "rewrite the function with lamina.ops inside a lamina.layers.Layer subclass",
)
FlaxLayer = _bound(
    "FlaxLayer", "a Flax module (JAX)", "rewrite the module as a lamina.layers.Layer subclass"
)
TorchModuleWrapper = _bound(
    "TorchModuleWrapper",
    "a PyTorch torch.nn.Module",
    "rewrite the module as a lamina.layers.Layer subclass",
)
TFSMLayer = _bound(
    "TFSMLayer",
    "a TensorFlow SavedModel",
    "save the model as a .keras or .weights.h5 file and load it with lamina.saving",
)
