"""keras.models.clone_model: same architecture, fresh weights, clone_function,
call_function and input_tensors, for Sequential and functional models."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.models import clone_model

X = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")


def _v(t):
    return np.asarray(t.data if hasattr(t, "data") else t)


def test_sequential_clone_has_fresh_weights_and_same_function_after_copying():
    model = lamina.Sequential(
        [lamina.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(1)]
    )
    clone = clone_model(model)
    assert isinstance(clone, lamina.Sequential) and clone is not model
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert clone.count_params() == model.count_params() == 19
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])  # new initialization
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(_v(clone(X)), _v(model(X)))


def test_clone_function_and_input_tensors_for_sequential():
    model = lamina.Sequential(
        [lamina.Input((4,)), layers.Dense(3), layers.Dropout(0.5), layers.Dense(1)]
    )

    def no_dropout(layer):
        if isinstance(layer, layers.Dropout):
            return layers.Identity(name=layer.name)
        return type(layer).from_config(layer.get_config())

    new_input = lamina.Input((4,), name="features")
    clone = clone_model(model, input_tensors=new_input, clone_function=no_dropout)
    assert [type(l).__name__ for l in clone.layers] == ["Dense", "Identity", "Dense"]
    assert clone.inputs[0] is new_input
    with pytest.raises(ValueError, match="Layer"):
        clone_model(model, clone_function=lambda layer: None)


def test_functional_clone_keeps_sharing_ops_and_structure():
    inp = lamina.Input((4,), name="x")
    shared = layers.Dense(2)
    merged = layers.Add()([shared(inp), shared(lamina.ops.multiply(inp, 2.0))])
    model = lamina.Model(inp, {"sum": lamina.ops.sum(merged, axis=-1), "raw": merged})
    clone = clone_model(model)
    assert (
        len(clone.layers) == len(model.layers)
        and clone.count_params() == model.count_params() == 10
    )
    clone.set_weights(model.get_weights())
    out, ref = clone(X), model(X)
    assert set(out) == {"sum", "raw"}
    np.testing.assert_allclose(_v(out["sum"]), _v(ref["sum"]), rtol=1e-6)
    # the shared layer is cloned once and still shared
    dense = [l for l in clone.layers if isinstance(l, layers.Dense)]
    assert len(dense) == 1


def test_functional_clone_with_call_function_and_new_inputs():
    inp = lamina.Input((4,))
    model = lamina.Model(inp, layers.Dense(1)(layers.Dense(3)(inp)))
    calls = []

    def call_function(layer, *args, **kwargs):
        calls.append(layer.name)
        out = layer(*args, **kwargs)
        return (
            layers.Activation("relu")(out)
            if isinstance(layer, layers.Dense) and layer.units == 3
            else out
        )

    new_input = lamina.Input((4,), name="other")
    clone = clone_model(model, input_tensors=[new_input], call_function=call_function)
    assert clone.inputs[0] is new_input and len(calls) == 2
    assert any(isinstance(l, layers.Activation) for l in clone.layers)
    clone.set_weights(model.get_weights())
    hidden = np.maximum(X @ model.get_weights()[0] + model.get_weights()[1], 0)
    np.testing.assert_allclose(
        _v(clone(X)), hidden @ model.get_weights()[2] + model.get_weights()[3], rtol=1e-5
    )
    with pytest.raises(ValueError, match="1 input"):
        clone_model(model, input_tensors=[lamina.Input((4,)), lamina.Input((4,))])


def test_subclassed_model_without_config_is_refused():
    class Net(lamina.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match="get_config/from_config"):
        clone_model(Net())


@pytest.mark.filterwarnings("ignore:the object being saved holds a Python lambda")
def test_functional_clone_copies_lambda_layers_in_memory():
    """Keras's DDIM example clones a network holding a Lambda (a nested function and a python
    lambda as output_shape): the copy keeps the functions, while loading one from a file
    stays refused in safe mode."""
    scale = 3.0

    def embed(x, shift=0.0):
        return x * scale + shift

    inputs = lamina.Input((4,))
    outputs = layers.Lambda(embed, output_shape=lambda s: s, arguments={"shift": 1.0})(inputs)
    model = lamina.Model(inputs, layers.Dense(2)(outputs))
    clone = clone_model(model)
    lam = clone.layers[1]
    assert isinstance(lam, layers.Lambda) and lam is not model.layers[1]
    assert lam.function is embed and lam.arguments == {"shift": 1.0}
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(_v(clone(X)), _v(model(X)), rtol=1e-6)
    with pytest.raises(lamina.registry.UnsafeObjectError):
        layers.Lambda.from_config(model.layers[1].get_config())
