"""One harness that checks any layer: build, shapes, weights, config round trip, float64
gradients (inputs and weights) against finite differences, and a training step."""
import numpy as np

import lamina
from lamina import layers
from lamina.engine.tensor import Tensor
from lamina.utils import check_gradients


def _random_input(shape, dtype, rng, int_high=10):
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, int_high, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def run_layer_test(layer_cls, init_kwargs=None, input_shape=(2, 3), input_dtype="float32",
                   expected_output_shape=None, expected_num_trainable_weights=None,
                   expected_num_non_trainable_weights=None, expected_num_params=None,
                   check_gradient=True, check_training=True, grad_tol=1e-6, int_high=10,
                   call_kwargs=None, input_data=None, seed=0):
    """Returns the built layer; asserts everything it checks."""
    init_kwargs = dict(init_kwargs or {})
    call_kwargs = dict(call_kwargs or {})
    rng = np.random.default_rng(seed)
    x = input_data if input_data is not None else _random_input(input_shape, input_dtype, rng, int_high)

    # 1. eager call builds the layer; shapes agree with compute_output_shape
    layer = layer_cls(**init_kwargs)
    y = layer(x, **call_kwargs)
    assert layer.built
    out_shape = tuple(np.shape(y.data if isinstance(y, Tensor) else y))
    if expected_output_shape is not None:
        assert out_shape == tuple(expected_output_shape), (out_shape, expected_output_shape)
    try:
        computed = layer.compute_output_shape(tuple(np.shape(x)))
    except NotImplementedError:
        computed = None
    if computed is not None:
        assert tuple(computed) == out_shape, (computed, out_shape)

    # 2. symbolic call: the batch dimension becomes None
    sym = layer_cls(**init_kwargs)
    kt = layers.Input(shape=tuple(np.shape(x))[1:], dtype=str(np.asarray(x).dtype))
    out = sym(kt, **call_kwargs)
    assert out.shape == (None,) + out_shape[1:], (out.shape, out_shape)

    # 3. weights
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    if expected_num_params is not None:
        assert layer.count_params() == expected_num_params, layer.count_params()

    # 4. config round trip gives the same function once weights are copied
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == {**config, "name": clone.name} or clone.get_config() == config
    clone(x, **call_kwargs)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(_val(clone(x, **call_kwargs)), _val(layer(x, **call_kwargs)), rtol=1e-6, atol=1e-6)

    # 5. float64 gradients w.r.t. inputs (float inputs) and every trainable weight
    if check_gradient:
        g_layer = layer_cls(**{**init_kwargs, "dtype": "float64"})
        x64 = np.asarray(x, np.float64) if np.asarray(x).dtype.kind == "f" else np.asarray(x)
        g_layer(x64, **call_kwargs)
        ws = g_layer.trainable_weights
        if np.asarray(x).dtype.kind == "f":
            err = check_gradients(lambda inp, *w: g_layer(inp, **call_kwargs), x64, *ws)
        elif ws:
            err = check_gradients(lambda *w: g_layer(x64, **call_kwargs), *ws)
        else:
            err = 0.0
        assert err < grad_tol, f"{layer_cls.__name__}: gradient error {err:.2e}"

    # 6. one training step inside a model changes the weights and gives a finite loss
    if check_training and layer.trainable_weights:
        model = lamina.Sequential([layers.Input(shape=tuple(np.shape(x))[1:], dtype=str(np.asarray(x).dtype)),
                                   layer_cls(**init_kwargs), layers.Flatten(), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        before = [w.copy() for w in model.get_weights()]
        target = rng.standard_normal((np.shape(x)[0], 1)).astype("float32")
        loss = model.train_on_batch(x, target)
        assert np.isfinite(loss)
        changed = [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]
        assert any(changed[:len(layer.trainable_weights)]), "the layer's weights did not change"
    return layer


def _val(t):
    return np.asarray(t.data if isinstance(t, Tensor) else t)
