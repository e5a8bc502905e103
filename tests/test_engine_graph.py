"""The recorded graph: record/node_of, unbroadcast, backprop's pruning, dtypes and data_of."""
import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.engine import dtypes
from lamina.engine.graph import STATE, Leaf, Node, backprop, unbroadcast
from lamina.engine.tensor import as_array, data_of, node_of, record


@pytest.mark.parametrize("gshape,shape", [
    ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), (2, 1)), ((4, 2, 3), (2, 1)),
    ((4, 2, 3), (1, 1, 1)), ((4, 2, 3), ()), ((2, 3), (1,)), ((5, 1, 3), (1, 3)),
], ids=str)
def test_unbroadcast_sums_added_and_stretched_axes(gshape, shape):
    g = np.random.default_rng(0).standard_normal(gshape)
    out = unbroadcast(g, shape)
    assert out.shape == shape
    # the reference: the adjoint of broadcasting, via a brute-force sum over copies
    expanded = np.broadcast_to(np.zeros(shape), gshape)
    ref = np.zeros(shape)
    for idx in np.ndindex(*gshape):
        src = tuple(0 if s == 1 else i for i, s in zip(idx[len(gshape) - len(shape):], shape))
        ref[src] += g[idx]
    assert expanded.shape == gshape
    np.testing.assert_allclose(out, ref)


def test_unbroadcast_expands_a_scalar_gradient():
    out = unbroadcast(np.array(2.0), (2, 2))
    np.testing.assert_array_equal(out, np.full((2, 2), 2.0))


def test_record_without_tape_attaches_no_node():
    x = lamina.Variable([1.0])
    assert not STATE.recording
    y = ops.multiply(x, 2.0)
    assert y._node is None and isinstance(y, lamina.Tensor)
    with lamina.GradientTape():
        assert STATE.recording
        z = ops.multiply(x, 2.0)
        c = ops.multiply(np.ones(1), 2.0)  # no tracked input: a constant
    assert isinstance(z._node, Node) and c._node is None
    assert z._node.parents[0] is x._leaf and z._node.parents[1] is None
    assert not STATE.recording and STATE.tapes == ()


def test_record_converts_scalars_to_arrays():
    t = record(np.float64(3.0), (), lambda g, need: ())
    assert type(t.data) is np.ndarray and t.shape == ()


def test_node_of():
    v = lamina.Variable([1.0])
    frozen = lamina.Variable([1.0], trainable=False)
    a = np.ones(2)
    with lamina.GradientTape(watch_accessed_variables=False) as tape:
        assert node_of(v) is None
        tape.watch([v, a])
        assert node_of(v) is v._leaf and isinstance(node_of(a), Leaf)
        assert node_of(a.copy()) is None and node_of(frozen) is None and node_of(2.0) is None


def test_first_layer_computes_no_input_gradient():
    seen = []
    x = np.ones((2, 3))
    w = lamina.Variable(np.ones((3, 4)))
    with lamina.GradientTape() as tape:
        h = ops.matmul(x, w)
        original = h._node.backward

        def spy(g, need):
            seen.append(need)
            return original(g, need)

        h._node.backward = spy
        loss = ops.sum(h)
    tape.gradient(loss, w)
    assert seen == [(False, True)]


def test_backprop_skips_branches_that_do_not_lead_to_sources():
    calls = []
    f32 = np.dtype("float64")
    leaf = Leaf((), f32)

    def make(name):
        def backward(g, need):
            calls.append(name)
            return tuple(g if n else None for n in need)
        return backward

    a = Node((leaf,), make("a"), (), f32, ("t",))
    side = Node((None,), make("side"), (), f32, ("t",))  # no path to the source
    top = Node((a, side), make("top"), (), f32, ("t",))
    grads = backprop(top, np.array(2.0), [leaf], tape="t")
    assert float(grads[leaf]) == 2.0 and calls == ["top", "a"]


def test_fan_out_with_broadcasting_accumulates_in_the_parent_dtype():
    w = lamina.Variable(np.ones(3), dtype="float32")
    with lamina.GradientTape() as tape:
        y = ops.sum(w * np.ones((2, 3), np.float32)) + ops.sum(w)
    g = tape.gradient(y, w)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g.numpy(), [3.0, 3.0, 3.0])


def test_gradients_are_fresh_writable_arrays():
    w = lamina.Variable(np.ones((2, 3)))
    with lamina.GradientTape() as tape:
        y = ops.sum(w)  # the backward is a read-only zero-stride view of the seed
    g = tape.gradient(y, w).numpy()
    assert g.flags.writeable and g.flags.owndata
    g += 1  # must not corrupt anything shared
    with lamina.GradientTape() as tape:
        y = ops.sum(w)
    np.testing.assert_array_equal(tape.gradient(y, w).numpy(), np.ones((2, 3)))


def test_data_of_and_as_array_dtype_policy():
    assert data_of(2.0) == 2.0 and type(data_of(np.float64(2.0))) is float
    assert type(data_of(np.int64(3))) is int
    assert as_array([1.0, 2.0]).dtype == np.float32 and as_array([1, 2]).dtype == np.int32
    assert as_array(np.ones(2)).dtype == np.float64  # NumPy arrays keep their dtype
    with pytest.raises(TypeError, match="ragged"):
        as_array([[1, 2], [3]])
    with pytest.raises(TypeError, match="sparse"):
        import scipy.sparse  # noqa: PLC0415

        as_array(scipy.sparse.eye(2, format="csr"))


def test_dtype_names():
    assert dtypes.floatx() == "float32" and dtypes.epsilon() == 1e-7
    assert dtypes.standardize("double") == "float64"
    try:
        import ml_dtypes  # noqa: F401,PLC0415  (optional)
    except ImportError:  # bfloat16 needs ml_dtypes, and says so
        with pytest.raises(ValueError, match="ml_dtypes"):
            dtypes.standardize("bfloat16")
    else:
        assert dtypes.standardize("bfloat16") == "bfloat16" and dtypes.is_float("bfloat16")
    with pytest.raises(ValueError, match="did you mean 'int32'"):
        dtypes.standardize("in32")
    with pytest.raises(ValueError, match="floatx"):
        dtypes.set_floatx("int32")


def test_tensor_protocols():
    t = lamina.Tensor(np.arange(6.0).reshape(2, 3))
    assert len(t) == 2 and t.ndim == 2 and t.size == 6 and t.T.shape == (3, 2)
    assert [r.shape for r in t] == [(3,), (3,)]
    assert float(t[1, 2]) == 5.0 and int(t[0, 1]) == 1 and f"{t[0, 0]:.1f}" == "0.0"
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert "shape=(2, 3)" in repr(t)
    with pytest.raises(TypeError, match="0-d"):
        len(lamina.Tensor(np.array(1.0)))
    assert {t: 1}[t] == 1  # hashable by identity
    assert (t == None) is False and (t != None) is True  # noqa: E711
    assert t.reshape(3, 2).shape == (3, 2) and t.reshape((6,)).shape == (6,)
    assert t.sum().numpy() == 15.0 and t.max(axis=0).shape == (3,) and int(t.argmax()) == 5
