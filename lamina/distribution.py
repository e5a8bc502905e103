"""`keras.distribution`: lamina runs on one CPU process. The device list and the current
(absent) distribution can be queried; meshes, layouts and multi-process training raise
NotImplementedError, since they shard tensors over accelerators through JAX."""

_WHY = (
    "lamina computes on one CPU process with NumPy (its BLAS threads use every core); "
    "Keras's distribution API shards tensors over a JAX device mesh, which lamina does not have"
)


def list_devices(device_type=None):
    """["cpu:0"]: the one device lamina computes on (none for "gpu"/"tpu")."""
    kind = (device_type or "cpu").lower()
    return ["cpu:0"] if kind == "cpu" else []


def get_device_count(device_type=None):
    return len(list_devices(device_type))


def distribution():
    """The global distribution: always None in lamina (no sharding)."""
    return None


def set_distribution(value):
    if value is not None:
        raise NotImplementedError(f"set_distribution: {_WHY}")


def initialize(job_addresses=None, num_processes=None, process_id=None):
    raise NotImplementedError(f"keras.distribution.initialize (multi-process training): {_WHY}")


def distribute_tensor(tensor, layout):
    raise NotImplementedError(f"distribute_tensor: {_WHY}")


def _bound(name):
    def __init__(self, *args, **kwargs):
        raise NotImplementedError(f"keras.distribution.{name}: {_WHY}")

    return type(
        name,
        (),
        {
            "__init__": __init__,
            "__module__": __name__,
            "__doc__": f"Not available in lamina: {_WHY}.",
        },
    )


DeviceMesh = _bound("DeviceMesh")
TensorLayout = _bound("TensorLayout")
LayoutMap = _bound("LayoutMap")
DataParallel = _bound("DataParallel")
ModelParallel = _bound("ModelParallel")
