"""ops.custom_gradient (Keras 3's calling convention) and GradientTape.reset()."""

import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.utils import check_gradients


def _var(value, **kw):
    return lamina.Variable(np.asarray(value, np.float64), dtype="float64", **kw)


@ops.custom_gradient
def log1pexp(x):
    # the backend-agnostic example of Keras's docstring
    e = ops.exp(x)

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

    return ops.log(1 + e), grad


@ops.custom_gradient
def clip_gradient(x):
    """Identity forward; the gradient flowing back is clipped to [-1, 1]."""
    return x * 1.0, lambda upstream: ops.clip(upstream, -1.0, 1.0)


@ops.custom_gradient
def block_gradient(x):
    """Identity forward; no gradient flows back (zeros)."""
    return x * 1.0, lambda upstream: ops.zeros_like(upstream)


def test_keras_docstring_example_is_stable_at_100():
    x = ops.convert_to_tensor(100.0)
    with lamina.GradientTape() as tape:
        tape.watch(x)
        with np.errstate(over="ignore"):
            y = log1pexp(x)
    assert float(tape.gradient(y, x)) == 1.0  # the plain ops give nan here (inf / inf)


def test_value_and_upstream_are_passed_through():
    x = _var([0.0, 1.0, -2.0])
    with lamina.GradientTape() as tape:
        y = log1pexp(x)
        loss = ops.sum(y * np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(y.numpy(), np.log1p(np.exp([0.0, 1.0, -2.0])))
    sigmoid = 1 / (1 + np.exp(-x.numpy()))
    np.testing.assert_allclose(tape.gradient(loss, x).numpy(), [1.0, 2.0, 3.0] * sigmoid)


def test_the_custom_gradient_replaces_the_ops_gradient():
    x = _var([1.0, 2.0])
    with lamina.GradientTape() as tape:
        loss = ops.sum(clip_gradient(x) * np.array([5.0, -0.5]))
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), [1.0, -0.5])


def test_correct_custom_gradient_passes_finite_differences():
    @ops.custom_gradient
    def softplus_times(x, y):
        out = ops.log(1 + ops.exp(x)) * y

        def grad(upstream):
            return upstream * y * ops.sigmoid(x), upstream * ops.log(1 + ops.exp(x))

        return out, grad

    rng = np.random.default_rng(0)
    assert (
        check_gradients(softplus_times, rng.standard_normal((3, 2)), rng.standard_normal((3, 2)))
        < 1e-7
    )


def test_nested_inputs_several_outputs_and_unused_output_gets_zeros():
    calls = []

    @ops.custom_gradient
    def split_scale(pair, k):
        a, b = pair

        def grad(up_sum, up_prod):
            calls.append((up_sum.numpy().copy(), up_prod.numpy().copy()))
            # d(a + b) = da + db, d(a * b * k) = b k da + a k db + a b dk
            return (up_sum + up_prod * b * k, up_sum + up_prod * a * k, ops.sum(up_prod * a * b))

        return (a + b, a * b * k), grad

    a, b, k = _var([1.0, 2.0]), _var([3.0, 4.0]), _var(2.0)
    with lamina.GradientTape(persistent=True) as tape:
        s, p = split_scale((a, b), k)
        only_sum = ops.sum(s)
        both = ops.sum(s) + ops.sum(p * np.array([1.0, 10.0]))
    np.testing.assert_array_equal(tape.gradient(only_sum, a).numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(calls[-1][1], [0.0, 0.0])  # p unused: zero upstream
    ga, gb, gk = tape.gradient(both, [a, b, k])
    np.testing.assert_array_equal(ga.numpy(), [1 + 3 * 2, 1 + 10 * 4 * 2])
    np.testing.assert_array_equal(gb.numpy(), [1 + 1 * 2, 1 + 10 * 2 * 2])
    assert float(gk) == 1 * 3 + 10 * 2 * 4


def test_grad_fn_with_variables_keyword():
    w = _var([2.0, 3.0], name="w")

    @ops.custom_gradient
    def scaled(x):
        def grad(upstream, variables=None):
            assert variables == [w]
            return [upstream * w * 10.0], [upstream * x * 100.0]

        return x * w, grad

    x = _var([1.0, -1.0], trainable=False)
    with lamina.GradientTape() as tape:
        tape.watch(x)
        loss = ops.sum(scaled(x))
    gx, gw = tape.gradient(loss, [x, w])
    np.testing.assert_array_equal(gx.numpy(), [20.0, 30.0])
    np.testing.assert_array_equal(gw.numpy(), [100.0, -100.0])


def test_reading_a_variable_without_the_variables_keyword_raises():
    w = _var([2.0], name="hidden_w")

    @ops.custom_gradient
    def uses_w(x):
        return x * w, lambda upstream: upstream * w

    with lamina.GradientTape(), pytest.raises(TypeError, match="hidden_w.*variables"):
        uses_w(lamina.Tensor(np.ones(1)))
    assert float(uses_w(lamina.Tensor(np.ones(1)))[0]) == 2.0  # no tape: just the value


def test_bad_returns_are_reported():
    @ops.custom_gradient
    def no_grad_fn(x):
        return x, None

    @ops.custom_gradient
    def wrong_count(x):
        return x * 2.0, lambda up: (up, up)

    x = _var([1.0])
    with pytest.raises(TypeError, match="callable grad_fn"):
        no_grad_fn(x)
    with lamina.GradientTape() as tape:
        y = wrong_count(x)
    with pytest.raises(ValueError, match="2 input gradient"):
        tape.gradient(y, x)


@ops.custom_gradient
def negate_gradient(x):
    """Identity forward; the gradient flowing back changes sign."""
    return x * 1.0, lambda upstream: -upstream


class BlockedDense(layers.Layer):
    """A dense layer whose output passes through a custom-gradient function (used in fit)."""

    def __init__(self, through=block_gradient, **kwargs):
        super().__init__(**kwargs)
        self.through = through

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 4), initializer="ones", name="w")

    def call(self, x):
        return self.through(ops.matmul(x, self.w))


def test_custom_gradient_in_fit():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype("float32")
    y = rng.standard_normal((32, 1)).astype("float32")
    lamina.utils.set_random_seed(0)
    blocked = BlockedDense()
    head = layers.Dense(1)
    model = lamina.Sequential([lamina.Input(shape=(3,)), blocked, head])
    model.compile(optimizer="sgd", loss="mse")
    head_before = head.kernel.numpy().copy()
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    np.testing.assert_array_equal(blocked.w.numpy(), np.ones((3, 4)))  # zero gradient: unchanged
    assert not np.allclose(head.kernel.numpy(), head_before)  # the head still trains
    assert history.history["loss"][1] < history.history["loss"][0]
    np.testing.assert_allclose(
        model.predict(x, verbose=0), head(x @ np.ones((3, 4), "float32")).numpy(), rtol=1e-5
    )


# -- GradientTape.reset ----------------------------------------------------------------------


def test_reset_forgets_operations_recorded_before_it():
    x = _var(2.0)
    with lamina.GradientTape() as tape:
        y = x * x  # recorded before the reset: a constant afterwards
        tape.reset()
        z = y * 3.0 + x
    assert float(z) == 14.0
    assert float(tape.gradient(z, x)) == 1.0  # not 3 * 2x + 1 = 13


def test_reset_forgets_watches_and_allows_another_gradient():
    t = lamina.Tensor(np.array([1.0, 2.0]))
    with lamina.GradientTape() as tape:
        tape.watch(t)
        tape.reset()
        y = ops.sum(t * t)
    assert tape.gradient(y, t) is None
    x = _var(3.0)
    with lamina.GradientTape() as tape:
        a = x * x
    assert float(tape.gradient(a, x)) == 6.0
    tape.reset()  # a non-persistent tape can compute again after a reset
    with tape:
        b = x * x * x
    assert float(tape.gradient(b, x)) == 27.0


def test_reset_does_not_affect_other_tapes():
    x = _var(2.0)
    with lamina.GradientTape() as outer, lamina.GradientTape() as inner:
        y = x * x
        inner.reset()
        z = y * 3.0
    assert float(outer.gradient(z, x)) == 12.0
    assert inner.gradient(z, x) is None  # for the inner tape y is a constant


def test_custom_gradient_drives_the_optimizer_step():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3)).astype("float32")
    y = rng.standard_normal((8, 1)).astype("float32")
    steps = []
    for through in (lambda t: t * 1.0, negate_gradient):
        first = BlockedDense(through=through)
        model = lamina.Sequential(
            [lamina.Input(shape=(3,)), first, layers.Dense(1, kernel_initializer="ones")]
        )
        model.compile(optimizer=lamina.optimizers.SGD(0.1), loss="mse")
        model.train_on_batch(x, y)
        steps.append(first.w.numpy() - 1.0)
    assert np.abs(steps[0]).max() > 1e-3
    np.testing.assert_allclose(steps[1], -steps[0], rtol=1e-5)
