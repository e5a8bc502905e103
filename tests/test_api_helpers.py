"""keras.tree, keras.backend dtype helpers, keras.config switches and keras.utils helpers
added for API coverage (behaviour checked against Keras 3.15's)."""

import collections
import logging

import numpy as np
import pytest

import lamina
from lamina import backend, tree


def test_tree_matches_keras_semantics():
    nested = {"b": [1, 2], "a": (3, None)}
    assert tree.flatten(None) == [None]
    assert tree.flatten(nested) == [3, None, 1, 2]
    assert tree.flatten_with_path(nested) == [
        (("a", 0), 3),
        (("a", 1), None),
        (("b", 0), 1),
        (("b", 1), 2),
    ]
    assert not tree.is_nested("ab") and not tree.is_nested(np.ones(2)) and tree.is_nested((1,))
    assert tree.map_structure(lambda a, b: a + b, [1, (2, 3)], [10, (20, 30)]) == [11, (22, 33)]
    assert tree.map_structure(lambda a: a * 2, [1, None], none_is_leaf=False) == [2, None]
    assert tree.lists_to_tuples([1, [2, {"a": [3]}]]) == (1, (2, {"a": (3,)}))
    assert tree.map_shape_structure(lambda s: len(s), {"a": (2, 3), "b": [(1,), (None, 4)]}) == {
        "a": 2,
        "b": [1, 2],
    }
    point = collections.namedtuple("Point", "x y")
    assert tree.flatten(point(1, [2])) == [1, 2]
    assert tree.pack_sequence_as(point(0, [0]), [5, 6]) == point(5, [6])
    with pytest.raises(ValueError, match="leaves"):
        tree.pack_sequence_as([0, 0], [1])
    assert tree.map_structure_up_to(([0], 0), lambda a, b: (a, b), ([1], 2), ([3], 4)) == (
        [(1, 3)],
        (2, 4),
    )


def test_tree_structure_checks_and_traverse():
    tree.assert_same_structure([1, (2,)], [3, (4,)])
    with pytest.raises(ValueError, match="nested structure"):
        tree.assert_same_structure([1, 2], [1, [2]])
    with pytest.raises(ValueError, match="instance of list"):
        tree.assert_same_structure([1, 2], (1, 2))
    tree.assert_same_structure([1, 2], (1, 2), check_types=False)
    with pytest.raises(ValueError, match="same paths"):
        tree.assert_same_paths({"a": 1}, {"b": 1})
    assert tree.traverse(lambda x: 0 if isinstance(x, int) else None, [1, [2]]) == [0, [0]]
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if isinstance(x, int) else None, [1, [2]]) == [
        None,
        [None],
    ]
    seen = []
    tree.traverse(lambda x: seen.append(x), [1, [2]], top_down=False)
    assert seen == [1, 2, [2], [1, [2]]]  # children before their parents


def test_backend_dtype_helpers():
    assert backend.standardize_dtype(np.float64) == "float64"
    assert backend.standardize_dtype(None) == "float32"
    assert backend.standardize_dtype("int") == "int32"
    assert backend.result_type("int32", "float16") == "float16"
    assert backend.result_type("int64", "float32") == "float32"
    assert backend.result_type("uint8", "int8") == "int16"
    assert backend.result_type("int32", float) == "float32"
    assert backend.result_type(int, "int8") == "int8"
    assert backend.result_type("bool", "int8") == "int8"
    assert backend.is_float_dtype("float16") and not backend.is_float_dtype("int8")
    assert backend.is_int_dtype("uint8") and not backend.is_int_dtype("bool")
    assert backend.is_keras_tensor(lamina.Input((2,))) and not backend.is_keras_tensor(np.ones(2))
    backend.clear_session()
    assert [backend.get_uid("x"), backend.get_uid("x"), backend.get_uid("y")] == [1, 2, 1]


def test_image_data_format_switch_changes_layer_defaults():
    try:
        lamina.config.set_image_data_format("channels_first")
        assert lamina.backend.image_data_format() == "channels_first"
        assert lamina.layers.Conv2D(2, 3).data_format == "channels_first"
        with pytest.raises(ValueError, match="channels_last"):
            lamina.config.set_image_data_format("NHWC")
    finally:
        lamina.config.set_image_data_format("channels_last")


def test_config_switches():
    config = lamina.config
    assert config.is_flash_attention_enabled() is None
    config.enable_flash_attention()
    assert config.is_flash_attention_enabled() is True
    config.disable_flash_attention()
    assert config.is_flash_attention_enabled() is False
    assert config.is_nnx_enabled() is False and config.is_traceback_filtering_enabled() is False
    config.disable_traceback_filtering()
    with pytest.raises(NotImplementedError, match="tracebacks"):
        config.enable_traceback_filtering()
    config.set_backend("numpy")
    with pytest.raises(NotImplementedError, match="jax"):
        config.set_backend("jax")


def test_max_epochs_and_steps_cap_fit():
    x = np.random.default_rng(0).standard_normal((40, 3)).astype("float32")
    y = x.sum(1, keepdims=True)
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
    model.compile("sgd", "mse")
    steps = []
    counter = lamina.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: steps.append(b))
    try:
        lamina.config.set_max_epochs(2)
        lamina.config.set_max_steps_per_epoch(3)
        assert lamina.config.max_epochs() == 2 and lamina.config.max_steps_per_epoch() == 3
        history = model.fit(x, y, epochs=10, batch_size=4, verbose=0, callbacks=[counter])
    finally:
        lamina.config.set_max_epochs(None)
        lamina.config.set_max_steps_per_epoch(None)
    assert len(history.history["loss"]) == 2
    assert steps == [0, 1, 2, 0, 1, 2]
    with pytest.raises(ValueError, match="positive int"):
        lamina.config.set_max_epochs(0)


def test_interactive_logging_sends_progress_to_the_logger(caplog, capsys):
    x = np.ones((8, 2), "float32")
    model = lamina.Sequential([lamina.Input((2,)), lamina.layers.Dense(1)])
    model.compile("sgd", "mse")
    lamina.config.disable_interactive_logging()
    try:
        assert not lamina.utils.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="lamina"):
            model.fit(x, x[:, :1], epochs=2, batch_size=4, verbose=1)
    finally:
        lamina.utils.enable_interactive_logging()
    assert "Epoch 2/2" in caplog.text and "loss" in caplog.text
    assert "Epoch" not in capsys.readouterr().out


def test_utils_data_helpers():
    utils = lamina.utils
    assert utils.pack_x_y_sample_weight(1) == 1
    assert utils.pack_x_y_sample_weight((1, 2)) == ((1, 2),)
    assert utils.pack_x_y_sample_weight(1, 2) == (1, 2)
    assert utils.pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)
    assert utils.unpack_x_y_sample_weight((1, 2)) == (1, 2, None)
    assert utils.unpack_x_y_sample_weight(5) == (5, None, None)
    a, b = lamina.Input((2,), name="a"), lamina.Input((2,), name="b")
    out = lamina.layers.Dense(1)(lamina.layers.Add()([lamina.layers.Dense(2)(a), b]))
    assert utils.get_source_inputs(out) == [a, b]
    assert utils.get_source_inputs(a) == [a]
    assert utils.standardize_dtype("float") == "float32" and utils.is_keras_tensor(out)
    assert utils.get_custom_objects is lamina.saving.get_custom_objects
    assert utils.custom_object_scope is lamina.saving.custom_object_scope
    assert utils.serialize_keras_object is lamina.saving.serialize_keras_object


def test_utils_config():
    config = lamina.utils.Config(learning_rate=0.1, layers=[2])
    config.epochs = 3
    assert config.learning_rate == 0.1 and config["epochs"] == 3 and "layers" in config
    assert config.as_dict() == {"learning_rate": 0.1, "layers": [2], "epochs": 3}
    config.freeze()
    with pytest.raises(ValueError, match="frozen"):
        config.epochs = 4
    config.unfreeze()
    config.epochs = 4
    assert config.to_json() == '{"learning_rate": 0.1, "layers": [2], "epochs": 4}'
    with pytest.raises(AttributeError, match="no key"):
        config.missing


def test_distribution_is_one_cpu_device():
    dist = lamina.distribution
    assert dist.list_devices() == ["cpu:0"] and dist.get_device_count() == 1
    assert dist.list_devices("gpu") == [] and dist.get_device_count("gpu") == 0
    assert dist.distribution() is None
    dist.set_distribution(None)
    for call in (
        lambda: dist.initialize(),
        lambda: dist.distribute_tensor(np.ones(2), None),
        lambda: dist.set_distribution(object()),
    ):
        with pytest.raises(NotImplementedError, match="CPU process"):
            call()


def test_top_level_names_and_layer_serialization():
    assert lamina.version() == lamina.__version__
    assert lamina.InputSpec is lamina.layers.InputSpec
    with lamina.device("cpu:0"):
        pass
    with pytest.raises(NotImplementedError, match="CPU only"):
        lamina.device("gpu:0")
    config = lamina.layers.serialize(lamina.layers.PReLU(shared_axes=[1], name="p"))
    assert config["class_name"] == "PReLU" and config["config"]["shared_axes"] == [1]
    layer = lamina.layers.deserialize(config)
    assert isinstance(layer, lamina.layers.PReLU) and layer.name == "p"
    out = lamina.activations.get("sparsemax")(np.array([[1.0, 2.0, 0.0], [0.5, 0.5, 0.0]]))
    np.testing.assert_allclose(out.data, [[0, 1, 0], [0.5, 0.5, 0]])


def test_float_dtype_policies():
    policy = lamina.DTypePolicy("float64")
    assert (policy.name, policy.compute_dtype, policy.variable_dtype, policy.quantization_mode) == (
        "float64",
        "float64",
        "float64",
        None,
    )
    assert lamina.dtype_policies.serialize(policy) == {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "float64"},
        "registered_name": None,
    }
    assert lamina.dtype_policies.deserialize(lamina.dtype_policies.serialize(policy)) == policy
    assert lamina.dtype_policies.get("float16").compute_dtype == "float16"
    assert (
        lamina.mixed_precision.global_policy()
        == lamina.config.dtype_policy()
        == lamina.DTypePolicy("float32")
    )
    layer = lamina.layers.Dense(2, dtype=policy)
    assert layer(np.ones((1, 3))).dtype == "float64" and layer.kernel.dtype == "float64"
    try:
        lamina.config.set_dtype_policy("float64")
        assert lamina.backend.floatx() == "float64" and lamina.layers.Dense(1).dtype == "float64"
        lamina.mixed_precision.set_global_policy(lamina.mixed_precision.Policy("float32"))
        assert lamina.backend.floatx() == "float32"
    finally:
        lamina.backend.set_floatx("float32")
    # the mixed policies: tests/test_mixed_precision.py
    with pytest.raises(ValueError, match="mixed_float16"):
        lamina.DTypePolicy("float17")
