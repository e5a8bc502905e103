"""`lamina.models`: Model, Sequential, and (de)serialization entry points."""
from lamina.models.functional import Functional  # noqa: F401
from lamina.models.model import Model  # noqa: F401
from lamina.models.sequential import Sequential  # noqa: F401
