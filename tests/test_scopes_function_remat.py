"""keras.Function, name_scope, StatelessScope, SymbolicScope, remat and RematScope."""
import numpy as np
import pytest

import lamina as keras
from lamina import layers, ops
from lamina.engine import scopes


def test_function_runs_the_graph():
    x = keras.Input((3,), name="x")
    dense = layers.Dense(2)
    y = ops.tanh(dense(x))
    f = keras.Function(x, y, name="f")
    data = np.random.default_rng(0).random((4, 3)).astype("float32")
    expect = np.tanh(data @ dense.kernel.numpy() + dense.bias.numpy())
    np.testing.assert_allclose(f(data).numpy(), expect, rtol=1e-6)
    assert [type(op).__name__ for op in f.operations][0] == "Dense" and len(f.operations) == 2
    a, b = keras.Input((2,)), keras.Input((2,))
    g = keras.Function({"a": a, "b": b}, [a + b, a * b])
    s, p = g({"a": np.ones((1, 2)), "b": np.full((1, 2), 3.0)})
    np.testing.assert_array_equal(s.numpy(), [[4, 4]])
    np.testing.assert_array_equal(p.numpy(), [[3, 3]])
    assert g.compute_output_spec({"a": keras.Input((2,)), "b": keras.Input((2,))})[0].shape == (None, 2)
    with pytest.raises(ValueError, match="keys"):
        g({"a": np.ones((1, 2))})


def test_name_scope_prefixes_paths():
    with keras.name_scope("outer"):
        with keras.name_scope("inner"):
            v = keras.Variable(np.zeros(2), name="v")
        d = layers.Dense(2, name="proj")
        d.build((None, 3))
    assert v.path == "outer/inner/v" and d.kernel.path == "outer/proj/kernel"
    assert keras.Variable(np.zeros(1), name="w").path == "w"
    with pytest.raises(ValueError):
        keras.name_scope("")


def test_stateless_scope_restores_and_reports():
    a = keras.Variable(np.ones(2), name="a")
    b = keras.Variable(np.zeros(2), name="b")
    with keras.StatelessScope(state_mapping=[(a, np.full(2, 5.0))]) as scope:
        np.testing.assert_array_equal(a.numpy(), [5, 5])  # the mapped value
        b.assign(b + 3.0)
        a.assign_add(np.ones(2))
        np.testing.assert_array_equal(scope.get_current_value(b).numpy(), [3, 3])
    np.testing.assert_array_equal(a.numpy(), [1, 1])  # the variables are unchanged
    np.testing.assert_array_equal(b.numpy(), [0, 0])
    np.testing.assert_array_equal(scope.get_current_value(a).numpy(), [6, 6])
    assert scope.get_current_value(keras.Variable(np.zeros(1))) is None
    # layer losses go to the scope with collect_losses
    layer = layers.Dense(2, activity_regularizer="l2")
    with keras.StatelessScope(collect_losses=True) as scope:
        layer(np.ones((1, 3), "float32"))
    assert len(scope.losses) == 1 and layer.losses == []
    with pytest.raises(ValueError, match="shape"):
        keras.StatelessScope(state_mapping=[(a, np.zeros(3))])


def test_symbolic_scope():
    assert not scopes.in_symbolic_scope()
    with keras.SymbolicScope():
        assert scopes.in_symbolic_scope()
    seen = []

    class Probe(layers.Layer):
        def call(self, x):
            seen.append(scopes.in_symbolic_scope())
            return x

    Probe()(keras.Input((2,)))
    Probe()(np.ones((1, 2)))
    assert seen[0] is True and seen[-1] is False


def test_remat_same_values_and_gradients():
    rng = np.random.default_rng(1)
    w = keras.Variable(rng.random((3, 3)), dtype="float64")
    x = keras.ops.convert_to_tensor(rng.random((2, 3)))

    def block(t):
        return ops.sin(ops.matmul(ops.tanh(ops.matmul(t, w)), w))

    for fn in (block, keras.remat(block)):
        with keras.GradientTape() as tape:
            tape.watch(x)
            out = ops.sum(fn(x) ** 2)
        gx, gw = tape.gradient(out, [x, w])
        if fn is block:
            ref = (out.numpy(), gx.numpy(), gw.numpy())
    np.testing.assert_allclose(out.numpy(), ref[0], rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), ref[1], rtol=1e-10)
    np.testing.assert_allclose(gw.numpy(), ref[2], rtol=1e-10)


@pytest.mark.parametrize("mode,kwargs", [("full", {}), ("activations", {}),
                                         ("larger_than", {"output_size_threshold": 10}),
                                         ("list_of_layers", {"layer_names": ["hidden"]})])
def test_remat_scope_trains_like_without(mode, kwargs):
    def make():
        return keras.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu", name="hidden"),
                                 layers.Dense(1)])
    with keras.RematScope(mode=mode, **kwargs):
        m = make()
    plain = make()
    plain.set_weights(m.get_weights())
    assert m.layers[0]._remat_mode.mode == mode and plain.layers[0]._remat_mode is None
    x = np.random.default_rng(2).random((16, 4)).astype("float32")
    y = x.sum(1, keepdims=True)
    for model in (m, plain):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(m.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="mode"):
        keras.RematScope(mode="some")
