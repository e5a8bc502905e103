"""`keras.export`: Keras's ExportArchive writes TensorFlow SavedModel artifacts, so it is bound
to TensorFlow; lamina saves models as .keras files and weights as .weights.h5 instead."""


class ExportArchive:
    """Not available in lamina: writes a TensorFlow SavedModel."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "keras.export.ExportArchive writes a TensorFlow SavedModel, which lamina (a NumPy engine) cannot "
            "produce; save with model.save('model.keras') and load it with lamina.saving.load_model, or "
            "export from the Keras package itself"
        )
