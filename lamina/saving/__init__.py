"""`lamina.saving` (Keras's `keras.saving`): `.keras` files, weights files, configs, and the
registry of custom objects.

Which weights format is written: `model.save("m.keras")` stores the weights as HDF5
(`model.weights.h5`, Keras's layout, readable by Keras) when h5py is installed
(`pip install lamina[h5]`), else as lamina's npz (`model.weights.npz`, plain arrays,
lamina only); `weights_format=` overrides. `save_weights` follows the extension:
`.weights.h5` (needs h5py) or `.weights.npz`. Loading never unpickles, never imports a
module named in the file, and refuses Lambda layers unless `safe_mode=False`.
"""
from lamina.codec.errors import (  # noqa: F401
    ArchitectureMismatchError,
    CorruptFileError,
    SavingError,
    UnsafeContentError,
)
from lamina.saving.files import set_size_limit  # noqa: F401
from lamina.saving.object_registration import (  # noqa: F401
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    register_serializable,
)
from lamina.saving.file_editor import KerasFileEditor  # noqa: F401
from lamina.saving.saving_api import (  # noqa: F401
    load_model,
    load_weights,
    model_from_config,
    model_from_json,
    save_model,
    save_weights,
)
from lamina.codec.serialization import (  # noqa: F401
    SafeModeScope,
    UnknownObjectError,
    deserialize_keras_object,
    enable_unsafe_deserialization,
    serialize_keras_object,
)
