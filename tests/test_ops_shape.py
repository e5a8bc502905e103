"""Shape, joining, padding and indexing ops: values against NumPy, gradients by finite differences."""
import numpy as np
import pytest

import lamina
from lamina import ops
from tests.helpers import check_op


@pytest.mark.parametrize("new", [(6, 4), (-1,), (4, -1, 2), (2, 3, 4), 24, [3, 8]], ids=str)
def test_reshape(new):
    check_op(lambda x: ops.reshape(x, new), (2, 3, 4), ref=lambda a: np.reshape(a, new))


def test_reshape_error_names_shapes():
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4, 2\)"):
        ops.reshape(np.ones((2, 3)), (4, 2))


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1), (-1, 0, 1)], ids=str)
def test_transpose(axes):
    check_op(lambda x: ops.transpose(x, axes), (2, 3, 4), ref=lambda a: np.transpose(a, axes))


@pytest.mark.parametrize("axis", [0, 1, -1, -3, (0, 2)], ids=str)
def test_expand_dims(axis):
    check_op(lambda x: ops.expand_dims(x, axis), (2, 3), ref=lambda a: np.expand_dims(a, axis))


@pytest.mark.parametrize("axis", [None, 1, -1, (1, 3)], ids=str)
def test_squeeze(axis):
    check_op(lambda x: ops.squeeze(x, axis), (2, 1, 3, 1), ref=lambda a: np.squeeze(a, axis))


def test_squeeze_error():
    with pytest.raises(ValueError, match="squeeze"):
        ops.squeeze(np.ones((2, 3)), 1)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate(axis):
    shapes = [tuple(2 + i if d == axis % 3 else s for d, s in enumerate((2, 3, 4))) for i in range(3)]
    check_op(lambda *xs: ops.concatenate(xs, axis=axis), *shapes, ref=lambda *a: np.concatenate(a, axis=axis))


def test_concatenate_error_names_all_shapes():
    with pytest.raises(ValueError) as info:
        ops.concatenate([np.ones((2, 3)), np.ones((2, 4))], axis=0)
    assert "concatenate" in str(info.value) and "(2, 3)" in str(info.value) and "(2, 4)" in str(info.value)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack_and_unstack(axis):
    check_op(lambda a, b: ops.stack([a, b], axis=axis), (2, 3), (2, 3), ref=lambda a, b: np.stack([a, b], axis))
    parts = ops.unstack(np.arange(6.0).reshape(2, 3), axis=axis)
    want = np.moveaxis(np.arange(6.0).reshape(2, 3), axis, 0)
    assert len(parts) == len(want)
    for p, w in zip(parts, want):
        np.testing.assert_array_equal(p.numpy(), w)
    with pytest.raises(ValueError, match="stack"):
        ops.stack([np.ones(2), np.ones(3)])


@pytest.mark.parametrize("spec,axis", [(2, 0), (3, 1), ([1, 3], -1), (4, -1)], ids=str)
def test_split(spec, axis):
    def fn(x):
        return ops.concatenate([p * (i + 1) for i, p in enumerate(ops.split(x, spec, axis=axis))], axis=axis)

    def ref(a):
        return np.concatenate([p * (i + 1) for i, p in enumerate(np.split(a, spec, axis=axis))], axis=axis)

    check_op(fn, (4, 6, 4), ref=ref)
    with pytest.raises(ValueError, match="equal parts"):
        ops.split(np.ones((5, 2)), 2)


@pytest.mark.parametrize("reps", [2, (2, 1), (1, 3), (2, 2, 2)], ids=str)
def test_tile(reps):
    check_op(lambda x: ops.tile(x, reps), (2, 3), ref=lambda a: np.tile(a, reps))


@pytest.mark.parametrize("repeats,axis", [(2, None), (2, 0), (3, -1), ([1, 0, 2], 1)], ids=str)
def test_repeat(repeats, axis):
    check_op(lambda x: ops.repeat(x, repeats, axis=axis), (2, 3), ref=lambda a: np.repeat(a, repeats, axis))


@pytest.mark.parametrize("shape,target", [((3,), (2, 3)), ((2, 1), (2, 4)), ((), (2, 2)), ((1, 3), (2, 4, 3))], ids=str)
def test_broadcast_to(shape, target):
    check_op(lambda x: ops.broadcast_to(x, target), shape, ref=lambda a: np.broadcast_to(a, target))


def test_broadcast_to_error():
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        ops.broadcast_to(np.ones(3), (4,))


@pytest.mark.parametrize("mode", ["constant", "reflect", "symmetric", "edge", "wrap"])
@pytest.mark.parametrize("width", [((1, 2), (0, 1)), 1, ((2, 0), (2, 2))], ids=str)
def test_pad(mode, width):
    check_op(lambda x: ops.pad(x, width, mode=mode), (3, 4), ref=lambda a: np.pad(a, width, mode=mode))


def test_pad_constant_value():
    out = ops.pad(np.zeros((1, 1)), 1, constant_values=5.0).numpy()
    assert out.sum() == 40.0


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_take_with_repeated_indices(axis):
    idx = np.array([[0, 2], [2, 2]])
    check_op(lambda x: ops.take(x, idx, axis=axis), (3, 4), ref=lambda a: np.take(a, idx, axis=axis))


def test_take_out_of_range():
    with pytest.raises(IndexError, match="out of range"):
        ops.take(np.ones((2, 3)), np.array([3]), axis=1)


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_take_along_axis(axis):
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 3, (3, 3)) if axis is not None else rng.integers(0, 9, (5,))
    check_op(lambda x: ops.take_along_axis(x, idx, axis=axis), (3, 3),
             ref=lambda a: np.take_along_axis(a if axis is not None else a.ravel(), idx, axis=axis or 0))


KEYS = [
    (0,), (-1,), (slice(1, 3),), (slice(None, None, -1),), (slice(None), 2), (Ellipsis, 1),
    (None, slice(0, 2)), (1, slice(1, None, 2)), (slice(None), slice(None), None),
    (np.array([0, 2, 0]),),  # repeated rows: the gradient accumulates
    (np.array([[1, 1], [0, 2]]), slice(None)),
    (slice(None), np.array([3, 0, 3])),
    (np.array([0, 1]), np.array([1, 1])),
    (np.array([True, False, True]),),
    (np.array([[True, False, True, False]] * 3),),
]


@pytest.mark.parametrize("key", KEYS, ids=lambda k: str(k).replace("\n", ""))
def test_getitem(key):
    check_op(lambda x: x[key], (3, 4), ref=lambda a: a[key])


def test_getitem_with_tensor_index_and_list():
    idx = lamina.Tensor(np.array([2, 0]))
    check_op(lambda x: x[idx], (3, 2), ref=lambda a: a[np.array([2, 0])])
    check_op(lambda x: x[[1, 1]], (3, 2), ref=lambda a: a[[1, 1]])
    check_op(lambda x: ops.slice(x, (1, 0), (2, 2)), (3, 3), ref=lambda a: a[1:3, 0:2])


def test_tensor_is_immutable():
    with pytest.raises(TypeError, match="immutable"):
        lamina.Tensor(np.ones(2))[0] = 1.0


@pytest.mark.parametrize("name,args", [("flip", (None,)), ("flip", (1,)), ("roll", (1, 0)), ("roll", ((1, 2), (0, 1))),
                                       ("moveaxis", (0, -1)), ("swapaxes", (0, 2)), ("ravel", ())], ids=str)
def test_permutations(name, args):
    check_op(lambda x: getattr(ops, name)(x, *args), (2, 3, 4), ref=lambda a: getattr(np, name)(a, *args))


def test_scatter_and_scatter_update():
    idx = np.array([[0, 1], [2, 0], [0, 1]])
    check_op(lambda v: ops.scatter(idx, v, (3, 2)), (3,), ref=lambda v: _scatter_ref(idx, v, (3, 2)))
    idx2 = np.array([[0, 1], [2, 0]])

    def ref(a, u):
        out = a.copy()
        out[idx2[:, 0], idx2[:, 1]] = u
        return out

    check_op(lambda a, u: ops.scatter_update(a, idx2, u), (3, 2), (2,), ref=ref)


def _scatter_ref(idx, v, shape):
    out = np.zeros(shape)
    for (i, j), val in zip(idx, v):
        out[i, j] += val
    return out


@pytest.mark.parametrize("offset,axis1,axis2", [(0, 0, 1), (1, 0, 1), (-1, 1, 2), (0, -1, 0)], ids=str)
def test_diagonal_and_trace(offset, axis1, axis2):
    check_op(lambda x: ops.diagonal(x, offset, axis1, axis2), (3, 4, 4),
             ref=lambda a: np.diagonal(a, offset, axis1, axis2))
    check_op(lambda x: ops.trace(x, offset, axis1, axis2), (3, 4, 4), ref=lambda a: np.trace(a, offset, axis1, axis2))


@pytest.mark.parametrize("shape,k", [((3,), 0), ((3,), 1), ((3, 3), 0), ((3, 4), -1)], ids=str)
def test_diag(shape, k):
    check_op(lambda x: ops.diag(x, k), shape, ref=lambda a: np.diag(a, k))


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("k", [0, 1, -1])
def test_tril_triu(name, k):
    check_op(lambda x: getattr(ops, name)(x, k), (2, 3, 3), ref=lambda a: getattr(np, name)(a, k))


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_sort(axis):
    check_op(lambda x: ops.sort(x, axis=axis), (3, 4), ref=lambda a: np.sort(a, axis=axis))


def test_nonzero_and_argsort():
    a = np.array([[0, 3], [2, 0]])
    rows, cols = ops.nonzero(a)
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    np.testing.assert_array_equal(cols.numpy(), [1, 0])
    np.testing.assert_array_equal(ops.argsort(np.array([3.0, 1.0, 2.0])).numpy(), [1, 2, 0])


def test_stacking_helpers():
    check_op(lambda a, b: ops.hstack([a, b]), (2, 3), (2, 1), ref=lambda a, b: np.hstack([a, b]))
    check_op(lambda a, b: ops.hstack([a, b]), (3,), (2,), ref=lambda a, b: np.hstack([a, b]))
    check_op(lambda a, b: ops.vstack([a, b]), (3,), (2, 3), ref=lambda a, b: np.vstack([a, b]))
    check_op(lambda a, b: ops.append(a, b), (2, 2), (3,), ref=lambda a, b: np.append(a, b))
    check_op(lambda a, b: ops.append(a, b, axis=0), (2, 2), (1, 2), ref=lambda a, b: np.append(a, b, axis=0))


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid(indexing):
    for i in range(3):
        check_op(lambda a, b, c, i=i: ops.meshgrid(a, b, c, indexing=indexing)[i], (2,), (3,), (4,),
                 ref=lambda a, b, c, i=i: np.meshgrid(a, b, c, indexing=indexing)[i])


def test_cast_and_copy():
    check_op(lambda x: ops.copy(x) * 2, (3,), ref=lambda a: a * 2)
    x = lamina.Variable(np.ones(3), dtype="float64")
    with lamina.GradientTape() as tape:
        y = ops.sum(ops.cast(x, "float32") * 3.0)
    g = tape.gradient(y, x)
    assert y.dtype == np.float32 and g.dtype == np.float64
    np.testing.assert_array_equal(g.numpy(), [3, 3, 3])
    with lamina.GradientTape() as tape:
        z = ops.cast(ops.cast(x, "int32"), "float32")  # through an integer: no gradient
    assert tape.gradient(z, x) is None


def test_shape_and_size():
    assert ops.shape(np.ones((2, 3))) == (2, 3)
    assert int(ops.size(np.ones((2, 3)))) == 6


def test_slice_update():
    def ref(a, u):
        out = a.copy()
        out[1:3, 0:2] = u
        return out

    check_op(lambda a, u: ops.slice_update(a, (1, 0), u), (4, 3), (2, 2), ref=ref)


@pytest.mark.parametrize("k,axes", [(1, (0, 1)), (2, (0, 1)), (-1, (1, 2)), (3, (2, 0))], ids=str)
def test_rot90(k, axes):
    check_op(lambda x: ops.rot90(x, k, axes), (2, 3, 4), ref=lambda a: np.rot90(a, k, axes))


def test_array_ndim_empty_get_item():
    t = ops.array([1.0, 2.0])
    assert t.dtype == np.float32 and ops.ndim(t) == 1
    assert ops.array(np.ones(2), dtype="int32").dtype == np.int32
    assert ops.empty((2, 3)).shape == (2, 3) and ops.empty((2,), "int32").dtype == np.int32
    check_op(lambda x: ops.get_item(x, (slice(None), 1)), (3, 2), ref=lambda a: a[:, 1])
