"""Bounded memory while loading (issue 11 §2), each case at the unit that enforces it; the
same files, and more, run under an address-space limit in test_saving_hostile.py."""
import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.symbolic.keras_tensor import MAX_STAND_IN
from lamina.saving import files
from lamina.codec.errors import UnsafeContentError
from tests.helpers import hostile_files as hf


def _peak(fn):
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_broadcasting_ops_infer_shapes_without_arrays():
    """(None, 6000, 6000) + itself: 1.4 GB per stand-in before; now a shape rule."""
    x = layers.Input((6000, 6000))
    y, peak = _peak(lambda: (x + x) * 2.0 - x)
    assert y.shape == (None, 6000, 6000) and y.dtype == "float32"
    assert peak < 4 << 20
    a, b = layers.Input((None, 1, 5)), layers.Input((4, 1))
    assert ops.add(a, b).shape == (None, None, 4, 5)
    assert ops.less(layers.Input((3,)), 1.0).dtype == "bool"
    ints = layers.Input((3,), dtype="int32")
    assert ops.add(ints, 1.5).dtype == np.add(np.zeros(3, "int32"), 1.5).dtype.name  # as the op runs


def test_other_ops_run_on_zero_strided_stand_ins():
    x = layers.Input((1000, 900))
    for op, shape in ((lambda: ops.sum(x, axis=-1), (None, 1000)),
                      (lambda: ops.transpose(x), (900, 1000, None))):
        y, peak = _peak(op)
        assert y.shape == shape
        assert peak < 4 << 20  # the stand-ins claim 6.3 M elements each and hold one
    square = layers.Input((3, 3))
    assert ops.linalg.inv(square).shape == (None, 3, 3)  # the diagonal boost still applies


def test_ops_on_huge_declared_shapes_are_refused_before_running():
    x = layers.Input((20000, 20000))
    with pytest.raises(ValueError, match=r"keras\.ops\.mean .*\(None, 20000, 20000\).*element bound"):
        ops.mean(x, axis=-1)
    with pytest.raises(ValueError, match=r"keras\.ops\.tile .*element bound"):
        ops.tile(layers.Input((3,)), [20000, 20000])


def test_layers_infer_shapes_on_zero_strided_stand_ins():
    class Double(layers.Layer):  # no compute_output_shape: inferred by running
        def call(self, x):
            return x * 2.0

    assert Double()(layers.Input((1000, 100))).shape == (None, 1000, 100)
    with pytest.raises(ValueError, match="element bound"):
        Double()(layers.Input((20000, 20000)))
    assert MAX_STAND_IN == 1 << 25


def test_declared_dimensions_past_2_62_are_refused():
    with pytest.raises(ValueError, match="from 0 to 2\\*\\*62"):
        layers.Input((10**30,))


def test_reading_a_small_file_takes_no_limit_sized_buffer(tmp_path):
    """Every load used to ask for a 4 GiB buffer (`f.read(limit + 1)`)."""
    path = tmp_path / "small.bin"
    path.write_bytes(b"x" * 1000)
    data, peak = _peak(lambda: files.read_bytes(path, limit=4 << 30))
    assert data == b"x" * 1000 and peak < 4 << 20


def test_zip_members_are_capped_by_the_expansion_ratio():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", b"{}")
        zf.writestr("model.weights.npz", b"\0" * (40 << 20))
    archive = files.Archive(buffer.getvalue(), "bomb.keras")
    assert archive.read("config.json") == b"{}"
    with pytest.raises(UnsafeContentError, match=r"bomb\.keras: member 'model\.weights\.npz' would "
                       r"expand from .* to 41,943,040 bytes, more than 100x"):
        archive.read("model.weights.npz")


def test_hdf5_budget_counts_stored_bytes_not_declared_shapes(tmp_path):
    pytest.importorskip("h5py")
    members = hf.members_of(hf.base_model(), "h5")
    path = tmp_path / "fill.keras"
    path.write_bytes(hf._fill_value_h5(members))
    with pytest.raises(ValueError, match=r"fill\.keras.*kernel.*\(4, 12500000\).*more than the weights stored"):
        lamina.models.load_model(path)


def test_op_node_without_tensor_inputs_is_refused_before_running(tmp_path):
    config = hf._input_then([None, 3], hf._op("Ones"), [[20000, 20000]])
    path = tmp_path / "ones.keras"
    path.write_bytes(hf.with_config(hf.empty_members(), config))
    (_, peak) = _peak(lambda: pytest.raises(ValueError, lamina.models.load_model, path))
    assert peak < 64 << 20
    with pytest.raises(ValueError, match=r"ones\.keras: operation 'node' \(keras\.ops\.ones\) is recorded with no tensor input"):
        lamina.models.load_model(path)
    assert json.loads(hf.empty_members()["config.json"])["class_name"] == "Functional"
    assert np.isfinite(MAX_STAND_IN)
