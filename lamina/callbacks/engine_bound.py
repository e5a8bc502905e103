"""Keras callbacks bound to another engine's libraries."""

from lamina.callbacks.callback import Callback


class OrbaxCheckpoint(Callback):
    """Not available in lamina: Keras's OrbaxCheckpoint writes JAX/Orbax checkpoints."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "keras.callbacks.OrbaxCheckpoint saves through Orbax, a JAX checkpointing library that "
            "lamina (a NumPy engine) does not use; use lamina.callbacks.ModelCheckpoint or "
            "BackupAndRestore instead"
        )
