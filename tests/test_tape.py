"""GradientTape semantics (TensorFlow's), Variables, dtype policy and error messages."""
import numpy as np
import pytest
import scipy.sparse

import lamina
from lamina import ops
from lamina.engine import dtypes


def _var(value, **kw):
    return lamina.Variable(np.asarray(value, np.float64), dtype="float64", **kw)


def test_gradient_of_simple_expression():
    x = _var([1.0, 2.0, 3.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(x * x * x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 3 * x.numpy() ** 2)


def test_non_persistent_tape_allows_one_gradient_call():
    x = _var(2.0)
    with lamina.GradientTape() as tape:
        y = x * x
    assert float(tape.gradient(y, x)) == 4.0
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(y, x)


def test_persistent_tape_allows_many_calls():
    x = _var(3.0)
    with lamina.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * x
    assert float(tape.gradient(y, x)) == 6.0
    assert float(tape.gradient(z, x)) == 27.0
    assert float(tape.gradient(z, x)) == 27.0


def test_unconnected_sources():
    x, unused = _var([1.0, 2.0]), _var([[5.0]])
    with lamina.GradientTape(persistent=True) as tape:
        y = ops.sum(x * 2)
    assert tape.gradient(y, unused) is None
    z = tape.gradient(y, [x, unused], unconnected_gradients="zero")
    np.testing.assert_array_equal(z[1].numpy(), [[0.0]])
    assert z[1].shape == (1, 1) and z[1].dtype == np.float64
    with pytest.raises(ValueError, match="unconnected_gradients"):
        tape.gradient(y, x, unconnected_gradients="zeros")


def test_watched_ndarray_and_tensor():
    a = np.array([1.0, 2.0])
    t = lamina.Tensor(np.array([3.0, 4.0]))
    with lamina.GradientTape() as tape:
        tape.watch([a, t])
        y = ops.sum(ops.multiply(a, t))
    ga, gt = tape.gradient(y, [a, t])
    np.testing.assert_array_equal(ga.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gt.numpy(), [1.0, 2.0])


def test_unwatched_constant_gets_none():
    t = lamina.Tensor(np.array([1.0]))
    x = _var([2.0])
    with lamina.GradientTape() as tape:
        y = t * x
    assert tape.gradient(y, t) is None


def test_watch_rejects_non_tensors():
    with lamina.GradientTape() as tape, pytest.raises(TypeError, match="watch"):
        tape.watch(3.0)


def test_non_trainable_variable_is_not_watched_unless_asked():
    w = _var([1.0, 2.0], trainable=False)
    with lamina.GradientTape() as tape:
        y = ops.sum(w * w)
    assert tape.gradient(y, w) is None
    with lamina.GradientTape() as tape:
        tape.watch(w)
        y = ops.sum(w * w)
    np.testing.assert_array_equal(tape.gradient(y, w).numpy(), [2.0, 4.0])
    assert tape.watched_variables() == ()  # non-persistent: forgotten after gradient()


def test_watch_accessed_variables_false():
    v, u = _var(2.0), _var(3.0)
    with lamina.GradientTape(watch_accessed_variables=False, persistent=True) as tape:
        tape.watch(u)
        y = v * u
    assert tape.gradient(y, v) is None
    assert float(tape.gradient(y, u)) == 2.0


def test_fan_out_accumulates():
    x = _var(3.0)
    with lamina.GradientTape() as tape:
        y = x * x + ops.sin(x) + x  # x is used four times
    np.testing.assert_allclose(float(tape.gradient(y, x)), 2 * 3.0 + np.cos(3.0) + 1)


def test_long_chain_has_no_recursion_limit():
    x = _var(1.0)
    with lamina.GradientTape() as tape:
        y = x
        for _ in range(10_000):
            y = y * 1.0001
    np.testing.assert_allclose(float(tape.gradient(y, x)), 1.0001**10_000, rtol=1e-9)
    del y  # freeing a long chain must not overflow the C stack either


def test_structured_sources():
    a, b, c = _var(1.0), _var(2.0), _var(3.0)
    with lamina.GradientTape() as tape:
        y = a * b * c
    g = tape.gradient(y, {"ab": [a, b], "rest": {"c": c}, "t": (a,)})
    assert set(g) == {"ab", "rest", "t"} and isinstance(g["t"], tuple) and isinstance(g["ab"], list)
    assert [float(v) for v in g["ab"]] == [6.0, 3.0]
    assert float(g["rest"]["c"]) == 2.0 and float(g["t"][0]) == 6.0


def test_non_scalar_target_is_summed_and_target_lists_add_up():
    x = _var([1.0, 2.0])
    with lamina.GradientTape(persistent=True) as tape:
        y = x * x  # shape (2,)
        z = 3 * x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(tape.gradient([y, z], x).numpy(), [5.0, 7.0])


def test_output_gradients_weight_the_target():
    x = _var([1.0, 2.0])
    with lamina.GradientTape() as tape:
        y = x * x
    g = tape.gradient(y, x, output_gradients=np.array([10.0, -1.0]))
    np.testing.assert_array_equal(g.numpy(), [20.0, -4.0])


def test_stop_recording_and_stop_gradient():
    x = _var(2.0)
    with lamina.GradientTape(persistent=True) as tape:
        y = x * x
        with tape.stop_recording():
            c = x * 10  # a constant for this tape
        z = y + c + ops.stop_gradient(x * 100)
    assert float(tape.gradient(z, x)) == 4.0
    assert tape.gradient(c, x) is None
    with pytest.raises(ValueError, match="stop_recording"):
        with lamina.GradientTape().stop_recording():
            pass


def test_nested_tape_second_derivative_raises():
    x = _var(2.0)
    with lamina.GradientTape() as outer:
        with lamina.GradientTape() as inner:
            y = x * x * x
        dy = inner.gradient(y, x)
        assert float(dy) == 12.0
    with pytest.raises(NotImplementedError, match="second derivatives"):
        outer.gradient(dy, x)


def test_nested_tapes_both_see_first_order_gradients():
    x = _var(2.0)
    with lamina.GradientTape() as outer:
        with lamina.GradientTape() as inner:
            y = x * x
        z = y * x
    assert float(inner.gradient(y, x)) == 4.0
    assert float(outer.gradient(z, x)) == 12.0


def test_a_tape_cannot_be_entered_twice():
    tape = lamina.GradientTape()
    with tape, pytest.raises(RuntimeError, match="already recording"):
        tape.__enter__()


def test_jacobian():
    x = _var([1.0, 2.0, 3.0])
    w = np.arange(6.0).reshape(2, 3)
    with lamina.GradientTape() as tape:
        y = ops.matmul(w, x * x)
    j = tape.jacobian(y, x)
    assert j.shape == (2, 3)
    np.testing.assert_allclose(j.numpy(), w * 2 * x.numpy())
    other = _var(1.0)
    with lamina.GradientTape(persistent=True) as tape:
        y = x * 2
    assert tape.jacobian(y, other) is None
    np.testing.assert_array_equal(tape.jacobian(y, other, unconnected_gradients="zero").numpy(), np.zeros(3))


def test_float32_in_float32_grads_and_scalars_do_not_upcast():
    w = lamina.Variable(np.ones((3, 2)), dtype="float32")
    x = np.ones((4, 3), np.float32)
    with lamina.GradientTape() as tape:
        h = ops.relu(ops.matmul(x, w) * 2.0 + 1) / 3.0 - 0.5
        loss = ops.mean(h**2)
    assert h.dtype == np.float32 and loss.dtype == np.float32
    assert tape.gradient(loss, w).dtype == np.float32
    assert (lamina.Tensor(np.ones(2, np.float32)) * 2.0).dtype == np.float32


def test_integer_and_boolean_targets_cannot_be_differentiated():
    x = _var([1.0, 2.0])
    with lamina.GradientTape(persistent=True) as tape:
        idx = ops.argmax(x)
        flag = x > 1
    with pytest.raises(TypeError, match="int32.*float values only"):
        tape.gradient(idx, x)
    with pytest.raises(TypeError, match="bool"):
        tape.gradient(flag, x)
    with pytest.raises(TypeError, match="target is None"):
        tape.gradient(None, x)


def test_sparse_csr_matmul_matches_dense():
    sp = scipy.sparse.random(6, 4, density=0.5, format="csr", random_state=1, dtype=np.float64)
    b = _var(np.random.default_rng(0).standard_normal((4, 3)))
    with lamina.GradientTape(persistent=True) as tape:
        ys = ops.sin(ops.matmul(sp, b))
        yd = ops.sin(ops.matmul(sp.toarray(), b))
    np.testing.assert_allclose(ys.numpy(), yd.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(ys, b).numpy(), tape.gradient(yd, b).numpy(), rtol=1e-12)
    assert (sp @ lamina.Tensor(np.ones((4, 1)))).shape == (6, 1)


def test_variable_api():
    v = lamina.Variable(np.zeros((2, 2)), name="kernel")
    assert v.dtype == np.float32 and v.name == "kernel" and v.trainable and v.shape == (2, 2)
    buf = v.numpy()
    v.assign(np.ones((2, 2)))
    v.assign_add(np.full((2, 2), 2.0))
    v.assign_sub(lamina.Tensor(np.full((2, 2), 0.5, np.float32)))
    assert buf is v.numpy()  # updated in place
    np.testing.assert_array_equal(np.asarray(v), np.full((2, 2), 2.5))
    assert np.asarray(v).dtype == np.float32 and v.value.numpy() is buf
    with pytest.raises(ValueError, match=r"shape \(3,\).*kernel.*\(2, 2\)"):
        v.assign(np.ones(3))
    with pytest.raises(ValueError, match="initial value has shape"):
        lamina.Variable(np.ones(3), shape=(2,))
    assert lamina.Variable("zeros", shape=(2,)).numpy().tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="pass `shape=`"):
        lamina.Variable("zeros")


def test_variable_value_is_differentiable_and_array_priority():
    v = _var([1.0, 2.0])
    with lamina.GradientTape() as tape:
        y = ops.sum(np.array([3.0, 4.0]) * v.value)  # ndarray on the left: still a lamina op
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [3.0, 4.0])


def test_unknown_op_name_suggests_closest():
    with pytest.raises(AttributeError, match="did you mean 'softmax'"):
        ops.sofmax  # noqa: B018
    with pytest.raises(AttributeError, match="no op 'zzzzqq'"):
        ops.zzzzqq  # noqa: B018


def test_unknown_dtype_suggests_closest():
    with pytest.raises(ValueError, match="did you mean 'float32'"):
        dtypes.standardize("flaot32")
    with pytest.raises(ValueError, match="did you mean"):
        ops.cast(np.ones(2), "int3")
    assert dtypes.standardize("float") == "float32" and dtypes.standardize(np.float64) == "float64"


def test_tape_reset():
    x = _var(2.0)
    with lamina.GradientTape() as tape:
        _ = x * x  # recorded, then forgotten
        tape.reset()
        z = x * 3
    assert float(tape.gradient(z, x)) == 3.0


def test_gradient_of_a_source_with_respect_to_itself():
    x = _var([1.0, 2.0])
    with lamina.GradientTape(persistent=True) as tape:
        y = x * 3.0
        z = ops.sum(y)
    np.testing.assert_array_equal(tape.gradient(x, x).numpy(), [1.0, 1.0])
    gz = tape.gradient(z, [z, y])
    assert float(gz[0]) == 1.0 and gz[0].numpy().flags.writeable
    np.testing.assert_array_equal(gz[1].numpy(), [1.0, 1.0])


def test_watched_tensor_is_not_tracked_by_a_later_tape():
    t = lamina.Tensor(np.array([1.0, 2.0]))
    with lamina.GradientTape() as tape:
        tape.watch(t)
        y = ops.sum(t * t)
    np.testing.assert_array_equal(tape.gradient(y, t).numpy(), [2.0, 4.0])  # after the `with`
    with lamina.GradientTape() as later:
        z = ops.sum(t * 3.0)
    assert z._node is None and later.gradient(z, t) is None  # TF: an unwatched tensor is a constant


def test_watched_tensor_in_nested_tapes():
    t = lamina.Tensor(np.array(3.0))
    with lamina.GradientTape() as outer:
        outer.watch(t)
        with lamina.GradientTape() as inner:
            y = t * t
        z = y * t
    assert inner.gradient(y, t) is None  # the inner tape never watched t
    assert float(outer.gradient(z, t)) == 27.0


def test_inner_tape_does_not_see_outer_watches():
    t = lamina.Tensor(np.array(3.0))
    frozen = _var(2.0, trainable=False)
    with lamina.GradientTape(persistent=True) as outer:
        outer.watch([t, frozen])
        with lamina.GradientTape(persistent=True) as inner:
            y = t * t * frozen
        assert inner.gradient(y, t) is None and inner.gradient(y, frozen) is None
        assert float(outer.gradient(y, t)) == 12.0 and float(outer.gradient(y, frozen)) == 9.0


def test_variable_value_read_outside_a_tape_is_a_constant():
    v = _var([1.0, 2.0])
    snapshot = v.value
    with lamina.GradientTape() as tape:
        y = ops.sum(snapshot * v)
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [1.0, 2.0])  # not doubled


def test_gradient_arrays_is_the_optimizer_fast_path_of_gradient():
    w = _var([[1.0, -2.0], [0.5, 3.0]])
    b = _var([0.25, -1.0])
    unused = _var([7.0])
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    with lamina.GradientTape(persistent=True) as tape:
        loss = ops.sum(ops.tanh(ops.matmul(x, w) + b) ** 2)
    gw, gb, gu = tape.gradient_arrays(loss, [w, b, unused])
    ref_w, ref_b = tape.gradient(loss, [w, b])
    assert type(gw) is np.ndarray and gu is None
    np.testing.assert_allclose(gw, ref_w.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb, ref_b.numpy(), rtol=1e-12)
    t = np.tanh(x @ w.numpy() + b.numpy())
    np.testing.assert_allclose(gb, (2 * t * (1 - t**2)).sum(axis=0), rtol=1e-12)
    with lamina.GradientTape() as once:
        loss = ops.sum(w * w)
    once.gradient_arrays(loss, [w])
    with pytest.raises(RuntimeError, match="only once"):
        once.gradient_arrays(loss, [w])
