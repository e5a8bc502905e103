"""keras.ops.linalg: solves, factorizations, decompositions and norms (values, shapes, dtypes,
gradients in float64 against central differences)."""

import numpy as np
import pytest
import scipy.linalg

import lamina
from lamina import ops
from tests.helpers import check_op

RNG = np.random.default_rng(7)


def well_conditioned(*shape):
    """Random square matrices (..., n, n) = noise + 3 I: far from singular."""
    n = shape[-1]
    return RNG.standard_normal(shape) * 0.5 + 3 * np.eye(n)


def spd(b):
    """A symmetric positive definite matrix from any square `b` (a differentiable op chain)."""
    n = b.shape[-1]
    return ops.matmul(b, ops.swapaxes(b, -1, -2)) + n * np.eye(n, dtype=b.dtype)


def sym(b):
    return (b + ops.swapaxes(b, -1, -2)) * 0.5


def test_namespace_and_flat_exports():
    a = well_conditioned(3, 3)
    for name in [
        "cholesky",
        "det",
        "eig",
        "eigh",
        "inv",
        "lu_factor",
        "norm",
        "qr",
        "solve",
        "solve_triangular",
        "svd",
        "lstsq",
    ]:
        assert callable(getattr(ops.linalg, name)) and callable(getattr(ops, name))
    np.testing.assert_array_equal(ops.linalg.inv(a).numpy(), ops.inv(a).numpy())


# -- inv, det -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)], ids=str)
def test_inv(shape):
    check_op(ops.inv, well_conditioned(*shape), ref=np.linalg.inv, rtol=1e-9)


def test_inv_value_and_singular_error():
    np.testing.assert_allclose(
        ops.inv(np.array([[2.0, 0.0], [0.0, 4.0]], np.float32)).numpy(), [[0.5, 0], [0, 0.25]]
    )
    with pytest.raises(ValueError, match="singular"):
        ops.inv(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"square.*\(2, 3\)"):
        ops.inv(np.ones((2, 3)))


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (1, 1)], ids=str)
def test_det(shape):
    check_op(ops.det, RNG.standard_normal(shape), ref=np.linalg.det, rtol=1e-9)


def test_det_value_and_gradient_of_singular_matrix():
    assert ops.det(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)).numpy() == pytest.approx(-2.0)
    # det([[a, b], [c, d]]) = ad - bc: gradient [[d, -c], [-b, a]] even where det = 0
    x = lamina.Variable([[1.0, 2.0], [2.0, 4.0]], dtype="float64")
    with lamina.GradientTape() as tape:
        d = ops.det(x)
    np.testing.assert_allclose(tape.gradient(d, x).numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


# -- solve, solve_triangular ------------------------------------------------------------------


@pytest.mark.parametrize(
    "a_shape,b_shape",
    [
        ((3, 3), (3,)),
        ((3, 3), (3, 2)),
        ((2, 3, 3), (2, 3)),
        ((2, 3, 3), (2, 3, 4)),
        ((2, 3, 3), (3, 1)),
    ],
    ids=str,
)
def test_solve(a_shape, b_shape):
    def ref(a, b):
        vector = len(b_shape) == 1 or (
            len(b_shape) == len(a_shape) - 1 and b_shape[-1] == a_shape[-1]
        )
        x = np.linalg.solve(a, b[..., None] if vector else b)
        return x[..., 0] if vector else x

    check_op(ops.solve, well_conditioned(*a_shape), b_shape, ref=ref, rtol=1e-9)


def test_solve_shape_errors():
    with pytest.raises(ValueError, match=r"\(3, 3\).*\(4,\)"):
        ops.solve(np.eye(3), np.ones(4))
    with pytest.raises(ValueError, match="singular"):
        ops.solve(np.zeros((2, 2)), np.ones(2))


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize(
    "a_shape,b_shape", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 2))], ids=str
)
def test_solve_triangular(lower, a_shape, b_shape):
    a = well_conditioned(*a_shape)  # both triangles filled: only one must be read

    def ref(a, b):
        t = np.tril(a) if lower else np.triu(a)
        vector = len(b_shape) == 1
        x = np.linalg.solve(t, b[..., None] if vector else b)
        return x[..., 0] if vector else x

    check_op(lambda a, b: ops.solve_triangular(a, b, lower=lower), a, b_shape, ref=ref, rtol=1e-9)


def test_solve_triangular_ignores_the_other_triangle_in_gradient():
    a = lamina.Variable(well_conditioned(3, 3), dtype="float64")
    with lamina.GradientTape() as tape:
        loss = ops.sum(ops.solve_triangular(a, np.ones(3), lower=True))
    g = tape.gradient(loss, a).numpy()
    assert np.all(np.triu(g, 1) == 0) and np.any(np.tril(g) != 0)


# -- cholesky, lu_factor ------------------------------------------------------------------------


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)], ids=str)
def test_cholesky(upper, shape):
    def ref(b):
        a = b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])
        return np.linalg.cholesky(a, upper=upper)

    check_op(lambda b: ops.cholesky(spd(b), upper=upper), shape, ref=ref, rtol=1e-9)


def test_cholesky_gradient_is_symmetric_and_errors():
    a = lamina.Variable([[4.0, 2.0], [2.0, 3.0]], dtype="float64")
    with lamina.GradientTape() as tape:
        l = ops.cholesky(a)
        loss = ops.sum(l * np.array([[1.0, 0.0], [2.0, 3.0]]))
    np.testing.assert_allclose(l.numpy(), [[2.0, 0.0], [1.0, np.sqrt(2.0)]])
    g = tape.gradient(loss, a).numpy()
    np.testing.assert_allclose(g, g.T)
    with pytest.raises(ValueError, match="positive definite"):
        ops.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (3, 5), (5, 3)], ids=str)
def test_lu_factor(shape):
    a = RNG.standard_normal(shape).astype(np.float32)
    lu, piv = ops.lu_factor(a)
    assert lu.shape == shape and piv.shape == shape[:-2] + (min(shape[-2:]),)
    assert lu.dtype == np.float32 and piv.dtype == np.int32
    for i in np.ndindex(shape[:-2]):
        want_lu, want_piv = scipy.linalg.lu_factor(a[i])
        np.testing.assert_allclose(lu.numpy()[i], want_lu, rtol=1e-6)
        np.testing.assert_array_equal(piv.numpy()[i], want_piv)


def test_lu_factor_reconstructs_and_has_no_gradient():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    lu, piv = ops.lu_factor(a)
    np.testing.assert_allclose(lu.numpy(), [[3.0, 4.0], [1 / 3, 2 / 3]])
    np.testing.assert_array_equal(piv.numpy(), [1, 1])
    x = lamina.Variable(a, dtype="float64")
    with lamina.GradientTape() as tape:
        loss = ops.sum(ops.lu_factor(x)[0])
    with pytest.raises(NotImplementedError, match="lu_factor"):
        tape.gradient(loss, x)


# -- lstsq ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a_shape,b_shape", [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 3), (3,)), ((2, 4), (2, 3))], ids=str
)
def test_lstsq(a_shape, b_shape):
    check_op(
        ops.lstsq,
        a_shape,
        b_shape,
        ref=lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0],
        rtol=1e-8,
    )


def test_lstsq_value_and_errors():
    # the line y = 1 + 2 t through (0, 1), (1, 3), (2, 5) exactly
    a = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], np.float32)
    x = ops.lstsq(a, np.array([1.0, 3.0, 5.0], np.float32))
    assert x.dtype == np.float32
    np.testing.assert_allclose(x.numpy(), [1.0, 2.0], rtol=1e-5)
    with pytest.raises(ValueError, match="lstsq"):
        ops.lstsq(a, np.ones(4))
    with pytest.raises(ValueError, match="rank 2"):
        ops.lstsq(np.ones((2, 3, 3)), np.ones(3))


# -- eig, eigh ---------------------------------------------------------------------------------


def test_eig_values_and_no_gradient():
    w, _ = ops.eig(np.array([[2.0, 0.0], [0.0, 3.0]], np.float32))
    assert w.dtype == np.float32
    np.testing.assert_allclose(np.sort(w.numpy()), [2.0, 3.0])
    w, _ = ops.eig(np.array([[0.0, -1.0], [1.0, 0.0]], np.float32))  # a rotation: +-i
    assert w.dtype == np.complex64
    np.testing.assert_allclose(np.sort_complex(w.numpy()), [-1j, 1j], atol=1e-6)
    x = lamina.Variable([[2.0, 1.0], [0.0, 3.0]], dtype="float64")
    with lamina.GradientTape() as tape:
        loss = ops.sum(ops.eig(x)[0])
    with pytest.raises(NotImplementedError, match="eigh"):
        tape.gradient(loss, x)


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)], ids=str)
def test_eigh_values(shape):
    check_op(
        lambda b: ops.eigh(sym(b))[0],
        shape,
        ref=lambda b: np.linalg.eigh((b + np.swapaxes(b, -1, -2)) / 2)[0],
        rtol=1e-9,
    )


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)], ids=str)
def test_eigh_vectors(shape):
    # squared entries do not depend on each eigenvector's sign
    def ref(b):
        return np.linalg.eigh((b + np.swapaxes(b, -1, -2)) / 2)[1] ** 2

    check_op(lambda b: ops.square(ops.eigh(sym(b))[1]), shape, ref=ref, rtol=1e-8, tol=1e-5)


def test_eigh_reconstructs():
    a = np.array([[2.0, 1.0], [1.0, 2.0]], np.float32)
    w, v = ops.eigh(a)
    np.testing.assert_allclose(w.numpy(), [1.0, 3.0], rtol=1e-6)
    np.testing.assert_allclose((v.numpy() * w.numpy()) @ v.numpy().T, a, atol=1e-6)


# -- qr ----------------------------------------------------------------------------------------


def test_qr_keras_docstring_example():
    q, r = ops.qr(ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    assert q.dtype == np.float32 and q.shape == (3, 2) and r.shape == (2, 2)
    np.testing.assert_allclose(
        q.numpy(),
        [[-0.16903079, 0.897085], [-0.5070925, 0.2760267], [-0.8451542, -0.34503305]],
        atol=1e-5,
    )
    q, r = ops.qr(np.ones((3, 2)), mode="complete")
    assert q.shape == (3, 3) and r.shape == (3, 2)
    with pytest.raises(ValueError, match="mode"):
        ops.qr(np.ones((3, 2)), mode="full")


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 3), (3, 5), (2, 2, 4)], ids=str)
@pytest.mark.parametrize("part", [0, 1])
def test_qr_gradient(shape, part):
    check_op(
        lambda a: ops.qr(a)[part], shape, ref=lambda a: np.linalg.qr(a)[part], rtol=1e-9, tol=1e-5
    )


def test_qr_complete_tall_gradient_not_implemented():
    x = lamina.Variable(RNG.standard_normal((4, 2)), dtype="float64")
    with lamina.GradientTape() as tape:
        loss = ops.sum(ops.qr(x, mode="complete")[0])
    with pytest.raises(NotImplementedError, match="complete"):
        tape.gradient(loss, x)


# -- svd ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)], ids=str)
def test_svd_values_gradient(shape):
    check_op(
        lambda a: ops.svd(a, compute_uv=False),
        shape,
        ref=lambda a: np.linalg.svd(a, compute_uv=False),
        rtol=1e-9,
    )


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 4, 3)], ids=str)
@pytest.mark.parametrize("part", ["u", "vh", "rank1"])
def test_svd_vectors_gradient(shape, part):
    k = min(shape[-2:])
    c = np.arange(1.0, k + 1)

    def pick(u, s, vh):  # sign-invariant functions of the singular vectors
        if part == "u":
            return u**2
        if part == "vh":
            return vh**2
        return (u * c.astype(u.dtype)) @ vh  # sum_i c_i u_i v_i^T

    check_op(
        lambda a: pick(*ops.svd(a, full_matrices=False)),
        shape,
        ref=lambda a: pick(*np.linalg.svd(a, full_matrices=False)),
        rtol=1e-8,
        tol=1e-5,
    )


def test_svd_full_matrices_shapes_and_extra_vectors():
    u, s, vh = ops.svd(np.ones((4, 2), np.float32))
    assert (u.shape, s.shape, vh.shape) == ((4, 4), (2,), (2, 2)) and s.dtype == np.float32
    np.testing.assert_allclose(s.numpy(), [np.sqrt(8.0), 0.0], atol=1e-6)
    x = lamina.Variable(RNG.standard_normal((4, 2)), dtype="float64")
    with lamina.GradientTape(persistent=True) as tape:
        u, s, vh = ops.svd(x)
        first = ops.sum(ops.square(u[:, :2]))  # uses the unique columns only: fine
        extra = ops.sum(u[:, 3])
    assert tape.gradient(first, x) is not None
    with pytest.raises(NotImplementedError, match="full_matrices"):
        tape.gradient(extra, x)


# -- norm --------------------------------------------------------------------------------------


def test_norm_keras_docstring_example():
    x = ops.reshape(ops.arange(9, dtype="float32") - 4, (3, 3))
    assert float(ops.linalg.norm(x)) == pytest.approx(7.7459664, rel=1e-6)


@pytest.mark.parametrize("ord_", ["nuc", 1, -1, 2, -2, np.inf, -np.inf, "fro"], ids=str)
@pytest.mark.parametrize(
    "axis,keepdims", [((0, 1), False), ((1, 0), True), ((0, 2), False), ((2, 1), True)], ids=str
)
def test_matrix_norms(ord_, axis, keepdims):
    check_op(
        lambda x: ops.norm(x, ord=ord_, axis=axis, keepdims=keepdims),
        (3, 4, 5),
        ref=lambda a: np.linalg.norm(a, ord=ord_, axis=axis, keepdims=keepdims),
        rtol=1e-9,
    )


@pytest.mark.parametrize("ord_", [3, 0.5, -1, -np.inf, 0], ids=str)
def test_vector_norms(ord_):
    check_op(
        lambda x: ops.norm(x, ord=ord_, axis=1),
        (3, 4),
        away_from=0.0,
        grad=ord_ != 0,
        ref=lambda a: np.linalg.norm(a, ord=ord_, axis=1),
        rtol=1e-9,
    )


def test_norm_axis_none_and_int_input():
    m = np.array([[1.0, -2.0], [3.0, 4.0]])
    assert float(ops.norm(m, ord=1)) == pytest.approx(6.0)  # 2-D + ord: the matrix 1-norm
    assert float(ops.norm(m, ord=np.inf)) == pytest.approx(7.0)
    out = ops.norm(np.array([3, 4], np.int32))
    assert out.dtype == np.float32 and float(out) == 5.0
    with pytest.raises(ValueError, match="matrix norm"):
        ops.norm(m, ord=3, axis=(0, 1))
    with pytest.raises(ValueError, match="'fro' or 'nuc'"):
        ops.norm(m, ord="max")
    with pytest.raises(ValueError, match="1-D or 2-D"):
        ops.norm(np.ones((2, 2, 2)), ord=1)
