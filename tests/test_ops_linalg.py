"""Matrix products: matmul, dot, tensordot, einsum, outer/inner/vdot, norm, sparse matmul."""
import numpy as np
import pytest
import scipy.sparse

import lamina
from lamina import ops
from tests.helpers import check_op

MATMUL_SHAPES = [
    ((3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    check_op(ops.matmul, *shapes, ref=np.matmul)


@pytest.mark.parametrize("shapes", [((3, 4), (4, 2)), ((4,), (4,)), ((2, 3, 4), (5, 4, 2)), ((), (3,)), ((3,), (2, 3, 4))], ids=str)
def test_dot(shapes):
    check_op(ops.dot, *shapes, ref=np.dot)


def test_matmul_error_names_both_shapes():
    with pytest.raises(ValueError) as info:
        ops.matmul(np.ones((3, 4)), np.ones((5, 2)))
    msg = str(info.value)
    assert "matmul" in msg and "(3, 4)" in msg and "(5, 2)" in msg
    with pytest.raises(ValueError, match="at least one dimension"):
        ops.matmul(np.ones(()), np.ones((2,)))


@pytest.mark.parametrize("axes", [1, 2, 0, ([1], [0]), ([0, 2], [2, 0]), (2, 1)], ids=str)
def test_tensordot(axes):
    a_shape, b_shape = {
        "1": ((2, 3, 4), (4, 5)), "2": ((2, 3, 4), (3, 4, 5)), "0": ((2, 3), (4,)),
        "([1], [0])": ((2, 3), (3, 4)), "([0, 2], [2, 0])": ((2, 3, 4), (4, 5, 2)), "(2, 1)": ((2, 3, 4), (5, 4)),
    }[str(axes)]
    check_op(lambda a, b: ops.tensordot(a, b, axes=axes), a_shape, b_shape,
             ref=lambda a, b: np.tensordot(a, b, axes=axes))


def test_tensordot_error():
    with pytest.raises(ValueError, match="tensordot"):
        ops.tensordot(np.ones((2, 3)), np.ones((4, 5)), axes=1)


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij->ji", [(3, 4)]),
    ("ij->i", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("i,i->", [(4,), (4,)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,jk->...ik", [(2, 2, 3, 4), (4, 5)]),
    ("ij...->ji...", [(2, 3, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,kj", [(2, 3), (4, 3)]),  # implicit output: sorted free indices
    ("ij,k->ijk", [(2, 3), (4,)]),
    ("abc,c->ab", [(2, 3, 4), (4,)]),
    ("ab,b->a", [(2, 3), (3,)]),
    ("abc,cde->abde", [(2, 3, 4), (4, 2, 3)]),  # MultiHeadAttention's projections
    ("abcd,cde->abe", [(2, 3, 2, 3), (2, 3, 4)]),  # and its output projection
]


def test_dense_form_einsum_is_one_product_through_threads(monkeypatch):
    """x[P+C] w[C+Q] -> out[P+Q] runs as 2-D products through threads.matmul (row-split over
    both cores in fit), the forward and each gradient one product."""
    from lamina.engine import threads
    from lamina.engine.tape import GradientTape

    shapes = []
    real = threads.matmul
    monkeypatch.setattr(threads, "matmul", lambda a, b: shapes.append((a.shape, b.shape)) or real(a, b))
    rng = np.random.default_rng(0)
    x = lamina.Variable(rng.standard_normal((5, 7, 6)), dtype="float64")
    w = lamina.Variable(rng.standard_normal((6, 2, 4)), dtype="float64")
    with GradientTape() as tape:
        out = ops.einsum("abc,cde->abde", x, w)
        loss = ops.sum(out * out)
    gx, gw = tape.gradient(loss, [x, w])
    assert shapes == [((35, 6), (6, 8)), ((35, 8), (8, 6)), ((6, 35), (35, 8))]
    np.testing.assert_allclose(out.numpy(), np.einsum("abc,cde->abde", x.numpy(), w.numpy()), rtol=1e-12)
    g = 2 * out.numpy()
    np.testing.assert_allclose(gw.numpy(), np.einsum("abde,abc->cde", g, x.numpy()), rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), np.einsum("abde,cde->abc", g, w.numpy()), rtol=1e-12)


@pytest.mark.parametrize("subscripts,shapes", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum(subscripts, shapes):
    check_op(lambda *xs: ops.einsum(subscripts, *xs), *shapes, ref=lambda *a: np.einsum(subscripts, *a))


def test_einsum_summed_in_one_operand_only():
    # "j" appears in the first operand only: its gradient is broadcast back along j
    check_op(lambda a, b: ops.einsum("ij,k->ik", a, b), (2, 3), (4,), ref=lambda a, b: np.einsum("ij,k->ik", a, b))


def test_einsum_errors():
    with pytest.raises(NotImplementedError, match="diagonal"):
        ops.einsum("ii->i", np.ones((3, 3)))
    with pytest.raises(ValueError, match="operands"):
        ops.einsum("ij,jk->ik", np.ones((2, 2)))


def test_outer_inner_vdot():
    check_op(ops.outer, (3,), (4,), ref=np.outer)
    check_op(ops.outer, (2, 2), (3,), ref=np.outer)
    check_op(ops.inner, (2, 3), (4, 3), ref=np.inner)
    check_op(ops.inner, (3,), (3,), ref=np.inner)
    check_op(ops.vdot, (2, 3), (3, 2), ref=np.vdot)


@pytest.mark.parametrize("ord_,axis", [(None, None), (None, -1), (2, 0), (1, 1), (np.inf, -1), ("fro", (0, 1)), (None, (0, 1))], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm(ord_, axis, keepdims):
    check_op(lambda x: ops.norm(x, ord=ord_, axis=axis, keepdims=keepdims), (3, 4),
             ref=lambda a: np.linalg.norm(a, ord=ord_, axis=axis, keepdims=keepdims), away_from=0.0)


def test_norm_invalid_matrix_ord_raises():
    # matrix norms (incl. "nuc") are in tests/test_ops_linalg_decomp.py; ord=3 is not one
    with pytest.raises(ValueError, match="ord"):
        ops.norm(np.ones((3, 3)), ord=3, axis=(0, 1))


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_left_operand(fmt):
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((5, 4)) * (rng.random((5, 4)) < 0.4)
    sparse = scipy.sparse.random(5, 4, density=0.4, random_state=0, format=fmt)
    dense = sparse.toarray()
    b = lamina.Variable(rng.standard_normal((4, 3)), dtype="float32")
    with lamina.GradientTape() as tape:
        y = ops.matmul(sparse, b)
        loss = ops.sum(y * y)
    g = tape.gradient(loss, b)
    with lamina.GradientTape() as tape:
        y_dense = ops.matmul(dense.astype(np.float32), b)
        loss_dense = ops.sum(y_dense * y_dense)
    g_dense = tape.gradient(loss_dense, b)
    assert y.dtype == np.float32 and g.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), y_dense.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g.numpy(), g_dense.numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="inner"):
        ops.matmul(sparse, np.ones((3, 2)))
    with pytest.raises(TypeError, match="left operand"):
        ops.matmul(np.ones((2, 5)), sparse)


def test_einsum_shape_error_names_shapes():
    with pytest.raises(ValueError, match=r"einsum.*\(2, 3\), \(4, 5\)"):
        ops.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((4, 5)))
