"""`tf.config`: device and thread settings, accepted as no-ops (lamina runs on the CPU and picks its
threads per operation); the device lists report the one CPU."""
import collections

from lamina.compat.tensorflow._common import module_getattr as _module_getattr

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])
_CPU = PhysicalDevice("/physical_device:CPU:0", "CPU")
_SETTINGS = {"intra_op": 0, "inter_op": 0, "eager": False, "soft_placement": True}


def list_physical_devices(device_type=None):
    """[the CPU] for None or 'CPU', [] for 'GPU'/'TPU' (lamina has no accelerator backend)."""
    return [_CPU] if device_type in (None, "CPU") else []


def list_logical_devices(device_type=None):
    return [LogicalDevice("/device:CPU:0", "CPU")] if device_type in (None, "CPU") else []


def get_visible_devices(device_type=None):
    return list_physical_devices(device_type)


def set_visible_devices(devices, device_type=None):
    """No-op: lamina always runs on the CPU."""


def run_functions_eagerly(run_eagerly):
    """No-op: `tf.function`s always run eagerly on lamina."""
    _SETTINGS["eager"] = bool(run_eagerly)


def functions_run_eagerly():
    return True


def set_soft_device_placement(enabled):
    """No-op: there is only the CPU."""
    _SETTINGS["soft_placement"] = bool(enabled)


def get_soft_device_placement():
    return _SETTINGS["soft_placement"]


class threading:  # noqa: N801  (tf.config.threading namespace)
    """Thread-count settings: recorded and reported back; lamina chooses threads per operation."""

    @staticmethod
    def set_intra_op_parallelism_threads(num_threads):
        _SETTINGS["intra_op"] = int(num_threads)

    @staticmethod
    def set_inter_op_parallelism_threads(num_threads):
        _SETTINGS["inter_op"] = int(num_threads)

    @staticmethod
    def get_intra_op_parallelism_threads():
        return _SETTINGS["intra_op"]

    @staticmethod
    def get_inter_op_parallelism_threads():
        return _SETTINGS["inter_op"]


class experimental:  # noqa: N801  (tf.config.experimental namespace)
    list_physical_devices = staticmethod(list_physical_devices)
    list_logical_devices = staticmethod(list_logical_devices)
    get_visible_devices = staticmethod(get_visible_devices)
    set_visible_devices = staticmethod(set_visible_devices)

    @staticmethod
    def set_memory_growth(device, enable):
        """No-op: no accelerator memory to manage."""

    @staticmethod
    def get_memory_growth(device):
        return False

    @staticmethod
    def enable_op_determinism():
        """No-op: lamina is deterministic given `tf.random.set_seed` / `keras.utils.set_random_seed`."""


class optimizer:  # noqa: N801  (tf.config.optimizer namespace)
    @staticmethod
    def set_jit(enabled):
        """No-op: lamina does not compile graphs."""


__getattr__ = _module_getattr("tensorflow.config")
