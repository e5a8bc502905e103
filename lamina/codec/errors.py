"""Errors raised while saving or loading: ValueError subclasses that name the file."""
from lamina import registry


class SavingError(ValueError):
    """A model or weights file could not be written or read; the message names the file."""

    def __init__(self, message, path=None):
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class CorruptFileError(SavingError):
    """The file is not a valid `.keras` / weights file (truncated, wrong magic, bad JSON...)."""


class UnsafeContentError(SavingError):
    """The file asks for something lamina refuses to do by default (Lambda code, unknown
    classes, pickled arrays, oversized members)."""


class ArchitectureMismatchError(SavingError):
    """The stored weights do not fit the model (another architecture)."""


class UnknownObjectError(SavingError, registry.UnknownObjectError):
    """A config names a class or function that lamina does not have or may not load."""


def as_saving_error(e, source):
    """The SavingError naming `source` for an error the registry raised (else None)."""
    if isinstance(e, registry.UnsafeObjectError):
        return UnsafeContentError(str(e), source)
    if isinstance(e, registry.UnknownObjectError):
        return UnknownObjectError(str(e), source)
    return None
