"""lamina.compat.tensorflow: TensorFlow's names, argument orders, dtypes and values; float64
gradient checks of every differentiable function."""
import io

import numpy as np
import pytest

import lamina
from lamina.compat import tensorflow as tf
from lamina.utils import check_gradients

RNG = np.random.default_rng(0)


def arr(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, size=shape)


# --- creation and dtypes ------------------------------------------------------------------
def test_default_dtypes_follow_tensorflow():
    assert tf.constant(1.0).dtype == tf.float32 and tf.constant(1).dtype == tf.int32
    assert tf.constant(np.zeros(2)).dtype == tf.float64  # NumPy arrays keep their dtype
    assert tf.constant([1, 2], dtype=tf.float32).dtype == np.float32
    np.testing.assert_array_equal(tf.constant(7, shape=(2, 2)).numpy(), [[7, 7], [7, 7]])
    assert tf.zeros((2, 3)).dtype == tf.float32 and tf.ones([2], dtype=tf.int64).dtype == np.int64
    assert tf.fill([2, 2], 9).numpy().tolist() == [[9, 9], [9, 9]] and tf.fill([1], 1.5).dtype == tf.float32
    assert tf.range(5).dtype == tf.int32 and tf.range(5).numpy().tolist() == [0, 1, 2, 3, 4]
    assert tf.range(1, 2, 0.25).dtype == tf.float32
    np.testing.assert_allclose(tf.range(1, 2, 0.25).numpy(), [1, 1.25, 1.5, 1.75])
    np.testing.assert_allclose(tf.linspace(0.0, 1.0, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    with pytest.raises(TypeError, match="start and stop must be floats"):
        tf.linspace(0, 1, 5)
    assert tf.eye(2, 3).numpy().tolist() == [[1, 0, 0], [0, 1, 0]]
    assert tf.eye(2, batch_shape=[3]).shape == (3, 2, 2)
    assert tf.cast(tf.constant([1.7, -1.7]), tf.int32).numpy().tolist() == [1, -1]
    assert tf.convert_to_tensor([1.0, 2.0]).dtype == tf.float32
    assert tf.convert_to_tensor([1, 2], dtype_hint=tf.float32).dtype == tf.float32
    assert tf.dtypes.as_dtype("float64") == tf.float64 and tf.float32.name == "float32"
    assert tf.zeros_like(tf.ones((2,), dtype=tf.int32)).dtype == tf.int32


def test_variable_dtype_assign_and_slices():
    v = tf.Variable(3.0)
    assert v.dtype == tf.float32 and v.trainable and isinstance(v, lamina.Variable)
    assert tf.Variable(np.zeros(2)).dtype == tf.float64  # TF: the initial value's dtype
    assert tf.Variable(1).dtype == tf.int32
    w = tf.Variable(tf.ones((3, 1)))
    w[0, 0].assign(3.0)
    w.assign_add(tf.ones((3, 1)))
    w[1:, 0].assign_sub([1.0, 2.0])
    assert w.numpy().ravel().tolist() == [4.0, 1.0, 0.0]
    w.assign(tf.zeros((3, 1)))
    assert float(tf.reduce_sum(w)) == 0.0
    assert tf.Variable(lambda: tf.ones(2)).shape == (2,)


def test_gradient_tape_watch_persistent():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.square(x)
        z = y * y
    assert float(tape.gradient(y, x)) == 6.0 and float(tape.gradient(z, x)) == 108.0
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(v * v)
    v.assign_sub(0.1 * tape.gradient(loss, v))
    np.testing.assert_allclose(v.numpy(), [0.8, 1.6], rtol=1e-6)


# --- shapes ---------------------------------------------------------------------------------
def test_shape_functions():
    x = tf.reshape(tf.range(6), (2, 3))
    assert tf.shape(x).numpy().tolist() == [2, 3] and tf.shape(x).dtype == tf.int32
    assert tf.transpose(x).shape == (3, 2) and tf.transpose(tf.zeros((2, 3, 4)), perm=[2, 0, 1]).shape == (4, 2, 3)
    assert tf.concat([x, x], axis=0).shape == (4, 3) and tf.concat([x, x], 1).shape == (2, 6)
    assert tf.stack([x, x]).shape == (2, 2, 3) and tf.stack([x, x], axis=-1).shape == (2, 3, 2)
    assert tf.squeeze(tf.zeros((1, 2, 1))).shape == (2,) and tf.squeeze(tf.zeros((1, 2, 1)), axis=[2]).shape == (1, 2)
    assert tf.expand_dims(x, 0).shape == (1, 2, 3) and tf.expand_dims(x, -1).shape == (2, 3, 1)
    assert tf.gather(x, [1, 0]).numpy().tolist() == [[3, 4, 5], [0, 1, 2]]
    assert tf.gather(x, [2], axis=1).numpy().tolist() == [[2], [5]]
    assert int(tf.size(x)) == 6 and int(tf.rank(x)) == 2
    assert [t.shape for t in tf.split(tf.zeros((6, 2)), [1, 5])] == [(1, 2), (5, 2)]
    assert tf.tile(tf.constant([[1, 2]]), [2, 1]).numpy().tolist() == [[1, 2], [1, 2]]


def test_matmul_transpose_flags():
    a, b = arr(2, 3), arr(2, 3)
    np.testing.assert_allclose(tf.matmul(a, b, transpose_b=True).numpy(), a @ b.T)
    np.testing.assert_allclose(tf.matmul(a, b, transpose_a=True).numpy(), a.T @ b)
    c = arr(4, 2, 3)
    np.testing.assert_allclose(tf.matmul(c, c, transpose_b=True).numpy(), c @ c.transpose(0, 2, 1))


# --- math and reductions --------------------------------------------------------------------
def test_reductions_and_arg():
    x = tf.constant([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    assert float(tf.reduce_mean(x)) == pytest.approx(3.0)
    assert tf.reduce_sum(x, axis=1).numpy().tolist() == [8.0, 10.0]
    assert tf.reduce_max(x, axis=0, keepdims=True).shape == (1, 3)
    assert float(tf.reduce_min(x)) == 0.0 and float(tf.reduce_prod(tf.constant([2.0, 3.0]))) == 6.0
    assert tf.argmax(x).numpy().tolist() == [1, 0, 1]  # TF's default axis is 0
    assert tf.argmax(x).dtype == tf.int64 and tf.argmax(x, axis=1, output_type=tf.int32).dtype == tf.int32
    assert tf.argmin(x, axis=1).numpy().tolist() == [0, 1]
    assert int(tf.reduce_mean(tf.constant([1, 2]))) == 1  # integer mean stays an integer
    assert bool(tf.reduce_any(x > 6.0)) and not bool(tf.reduce_all(x > 0.0))
    np.testing.assert_allclose(float(tf.math.reduce_std(x)), np.std(x.numpy()), rtol=1e-6)
    assert int(tf.math.count_nonzero(x)) == 5
    assert tf.math.cumsum(tf.constant([1, 2, 3]), exclusive=True).numpy().tolist() == [0, 1, 3]
    assert tf.math.cumsum(tf.constant([1, 2, 3]), reverse=True).numpy().tolist() == [6, 5, 3]


def test_elementwise_math_values():
    x = np.array([0.25, 1.0, 4.0], np.float32)
    np.testing.assert_allclose(tf.sqrt(x).numpy(), np.sqrt(x))
    np.testing.assert_allclose(tf.math.log(x).numpy(), np.log(x), rtol=1e-6)
    np.testing.assert_allclose(tf.exp(x).numpy(), np.exp(x), rtol=1e-6)
    assert tf.abs(tf.constant([-2.0])).numpy().tolist() == [2.0]
    assert tf.pow(tf.constant(2.0), 3.0).numpy() == 8.0
    assert tf.round(tf.constant([0.5, 1.5, 2.5])).numpy().tolist() == [0.0, 2.0, 2.0]  # half to even
    np.testing.assert_allclose(tf.clip_by_value(x, 0.5, 2.0).numpy(), [0.5, 1.0, 2.0])
    assert tf.add_n([tf.ones(2), tf.ones(2), tf.ones(2)]).numpy().tolist() == [3.0, 3.0]
    assert tf.math.squared_difference(3.0, 1.0).numpy() == 4.0
    assert tf.math.divide_no_nan(1.0, 0.0).numpy() == 0.0
    assert tf.equal(tf.constant([1, 2]), 2).numpy().tolist() == [False, True]


def test_one_hot_where_shape_print():
    oh = tf.one_hot([0, 2, -1], 3)
    assert oh.dtype == tf.float32 and oh.numpy().tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
    assert tf.one_hot([1], 2, on_value=5, off_value=-1).numpy().tolist() == [[-1, 5]]
    assert tf.one_hot([1, 0], 2, axis=0).numpy().tolist() == [[0, 1], [1, 0]]
    idx = tf.where(tf.constant([[True, False], [False, True]]))
    assert idx.dtype == tf.int64 and idx.numpy().tolist() == [[0, 0], [1, 1]]
    assert tf.where([True, False], [1, 2], [3, 4]).numpy().tolist() == [1, 4]
    out = io.StringIO()
    tf.print("x:", tf.constant([1, 2, 3]), output_stream=out)
    tf.print(tf.range(10), output_stream=out)
    assert out.getvalue() == "x: [1 2 3]\n[0 1 2 ... 7 8 9]\n"


# --- nn -----------------------------------------------------------------------------------------
def test_nn_losses_values():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], np.float32)
    labels = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], np.float32)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    ce = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    np.testing.assert_allclose(ce.numpy(), -(labels * logp).sum(-1), rtol=1e-6)
    sce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1], logits=logits)
    np.testing.assert_allclose(sce.numpy(), ce.numpy(), rtol=1e-6)
    z, x = np.array([0.0, 1.0, 1.0]), np.array([-3.0, 0.5, 20.0])
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(bce.numpy(), -(z * np.log(sig) + (1 - z) * np.log(1 - sig)), rtol=1e-6)
    assert float(tf.nn.l2_loss(tf.constant([3.0, 4.0]))) == 12.5
    np.testing.assert_allclose(tf.nn.softmax(logits).numpy().sum(-1), [1, 1], rtol=1e-6)
    assert tf.nn.relu(tf.constant([-1.0, 2.0])).numpy().tolist() == [0.0, 2.0]
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 3], logits=logits)


def test_nn_dropout_scales_kept_entries():
    tf.random.set_seed(0)
    y = tf.nn.dropout(tf.ones((1000,)), rate=0.25).numpy()
    kept = np.unique(y)
    assert kept.size == 2 and kept[0] == 0.0 and kept[1] == pytest.approx(4 / 3)
    assert abs((y == 0).mean() - 0.25) < 0.05


# --- random -------------------------------------------------------------------------------------
def test_random_defaults_and_seeds():
    tf.random.set_seed(7)
    a = tf.random.normal((2, 3))
    tf.random.set_seed(7)
    b = tf.random.normal((2, 3))
    assert a.dtype == tf.float32 and np.array_equal(a.numpy(), b.numpy())
    u = tf.random.uniform((1000,), minval=2, maxval=3)
    assert u.dtype == tf.float32 and 2 <= u.numpy().min() and u.numpy().max() < 3
    assert tf.random.uniform((5,), maxval=1.0).numpy().max() < 1.0  # maxval defaults to 1
    ints = tf.random.uniform((100,), maxval=5, dtype=tf.int32)
    assert ints.dtype == tf.int32 and set(ints.numpy().tolist()) <= set(range(5))
    with pytest.raises(ValueError, match="maxval is required"):
        tf.random.uniform((2,), dtype=tf.int32)
    s1, s2 = tf.random.normal((3,), seed=1), tf.random.normal((3,), seed=1)
    assert not np.array_equal(s1.numpy(), s2.numpy())  # an op seed is a stream, as in TF
    shuffled = tf.random.shuffle(tf.range(10)).numpy()
    assert sorted(shuffled.tolist()) == list(range(10))


# --- data, function, config ---------------------------------------------------------------------
def test_data_pipeline():
    x, y = np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a * 2, b)).batch(2)
    batches = list(ds.prefetch(tf.data.AUTOTUNE))
    assert [b[0].shape for b in batches] == [(2, 2), (2, 2), (1, 2)]
    assert batches[0][0].tolist() == [[0, 2], [4, 6]] and batches[2][1].tolist() == [4]
    taken = list(tf.data.Dataset.from_tensor_slices(y).shuffle(5, seed=1).take(3))
    assert len(taken) == 3 and len(set(int(t) for t in taken)) == 3
    assert tf.data.experimental.AUTOTUNE == tf.data.AUTOTUNE


def test_function_runs_eagerly_with_or_without_arguments():
    @tf.function
    def f(a):
        return a + 1

    @tf.function(jit_compile=True, reduce_retracing=True)
    def g(a):
        return a * 2

    assert float(f(tf.constant(1.0))) == 2.0 and float(g(3.0)) == 6.0 and f.__name__ == "f"
    assert tf.function(lambda: 5)() == 5


def test_config_no_ops():
    tf.config.threading.set_intra_op_parallelism_threads(2)
    assert tf.config.threading.get_intra_op_parallelism_threads() == 2
    assert tf.config.list_physical_devices("GPU") == []
    cpu = tf.config.list_physical_devices("CPU")
    assert cpu[0].device_type == "CPU"
    tf.config.experimental.set_memory_growth(cpu[0], True)
    tf.config.run_functions_eagerly(True)
    with tf.device("/CPU:0"):
        assert float(tf.constant(1.0) + 1) == 2.0


def test_keras_is_lamina():
    assert tf.keras is lamina and tf.keras.layers.Dense is lamina.layers.Dense
    assert tf.GradientTape is lamina.GradientTape and tf.Tensor is lamina.Tensor


@pytest.mark.parametrize("module,name", [
    (tf, "Module"), (tf.nn, "conv2d"), (tf.math, "bessel_i0"), (tf.random, "poisson"),
    (tf.data, "TFRecordDataset"), (tf.config, "experimental_connect_to_cluster"),
])
def test_uncovered_symbols_raise_not_implemented(module, name):
    with pytest.raises(NotImplementedError, match=rf"{name} is not implemented: lamina implements the "
                                                  r"TensorFlow subset used by courses.*docs/compat.md"):
        getattr(module, name)
    assert not hasattr(module, name)  # also an AttributeError, so introspection keeps working


# --- float64 gradient checks of every differentiable function -------------------------------
GRADIENT_CASES = {
    "matmul": (lambda a, b: tf.matmul(a, b), [arr(2, 3), arr(3, 4)]),
    "matmul_transpose_a_b": (lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
                             [arr(3, 2), arr(4, 3)]),
    "reduce_mean": (lambda x: tf.reduce_mean(x, axis=1), [arr(3, 4)]),
    "reduce_sum_keepdims": (lambda x: tf.reduce_sum(x, axis=[0], keepdims=True), [arr(3, 4)]),
    "reduce_max": (lambda x: tf.reduce_max(x, axis=0), [arr(3, 4)]),
    "reduce_min": (lambda x: tf.reduce_min(x), [arr(3, 4)]),
    "reduce_prod": (lambda x: tf.reduce_prod(x, axis=1), [arr(3, 4, low=0.5, high=1.5)]),
    "reduce_std": (lambda x: tf.math.reduce_std(x, axis=1), [arr(3, 4)]),
    "reduce_variance": (lambda x: tf.math.reduce_variance(x), [arr(3, 4)]),
    "reduce_logsumexp": (lambda x: tf.math.reduce_logsumexp(x, axis=-1), [arr(3, 4)]),
    "cumsum_exclusive_reverse": (lambda x: tf.math.cumsum(x, axis=1, exclusive=True, reverse=True),
                                 [arr(2, 4)]),
    "softmax_cross_entropy_with_logits": (
        lambda labels, logits: tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits),
        [arr(3, 4, low=0, high=1), arr(3, 4)]),
    "sparse_softmax_cross_entropy_with_logits": (
        lambda logits: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=np.array([0, 3, 1]),
                                                                      logits=logits), [arr(3, 4)]),
    "sigmoid_cross_entropy_with_logits": (
        lambda labels, logits: tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits),
        [arr(5, low=0, high=1), arr(5, low=-3, high=3)]),
    "weighted_cross_entropy_with_logits": (
        lambda labels, logits: tf.nn.weighted_cross_entropy_with_logits(labels, logits, pos_weight=2.0),
        [arr(5, low=0, high=1), arr(5, low=-3, high=3)]),
    "l2_loss": (lambda x: tf.nn.l2_loss(x), [arr(3, 2)]),
    "softmax": (lambda x: tf.nn.softmax(x), [arr(2, 5)]),
    "log_softmax": (lambda x: tf.nn.log_softmax(x, axis=0), [arr(2, 5)]),
    "relu": (lambda x: tf.nn.relu(x), [arr(7) + np.sign(arr(7)) * 0.1]),
    "sigmoid": (lambda x: tf.nn.sigmoid(x), [arr(5)]),
    "tanh": (lambda x: tf.nn.tanh(x), [arr(5)]),
    "gelu_exact": (lambda x: tf.nn.gelu(x), [arr(5)]),
    "leaky_relu": (lambda x: tf.nn.leaky_relu(x, alpha=0.3), [arr(7) + np.sign(arr(7)) * 0.1]),
    "l2_normalize": (lambda x: tf.math.l2_normalize(x, axis=1), [arr(3, 4)]),
    "bias_add": (lambda x, b: tf.nn.bias_add(x, b), [arr(3, 4), arr(4)]),
    "moments": (lambda x: tf.nn.moments(x, axes=[0])[1], [arr(5, 3)]),
    "embedding_lookup": (lambda p: tf.nn.embedding_lookup(p, [2, 0, 2]), [arr(4, 3)]),
    "dropout_fixed_mask": (lambda x: (tf.random.set_seed(3), tf.nn.dropout(x, 0.5))[1], [arr(20)]),
    "square_sqrt_exp_log_abs": (
        lambda x: tf.sqrt(x) + tf.square(x) + tf.exp(x) + tf.math.log(x) + tf.abs(x - 1.0),
        [arr(6, low=0.2, high=0.8)]),
    "pow_divide": (lambda x, y: tf.pow(x, y) + tf.divide(x, y), [arr(4, low=0.5, high=2), arr(4, low=0.5, high=2)]),
    "maximum_minimum": (lambda x, y: tf.maximum(x, y) + tf.minimum(x, y) * 2, [arr(5), arr(5) + 0.05]),
    "squared_difference": (lambda x, y: tf.math.squared_difference(x, y), [arr(4), arr(4)]),
    "clip_by_value": (lambda x: tf.clip_by_value(x, -0.5, 0.5), [np.array([-0.9, -0.2, 0.3, 0.8])]),
    "clip_by_norm": (lambda x: tf.clip_by_norm(x, 0.5), [arr(4)]),
    "clip_by_global_norm": (lambda x, y: tf.clip_by_global_norm([x, y], 0.5)[0][1], [arr(3), arr(2)]),
    "reshape_transpose": (lambda x: tf.transpose(tf.reshape(x, (3, 2)), perm=[1, 0]), [arr(6)]),
    "concat_stack": (lambda x, y: tf.stack([tf.concat([x, y], axis=0), tf.concat([y, x], 0)], axis=1),
                     [arr(2, 3), arr(2, 3)]),
    "squeeze_expand_dims": (lambda x: tf.expand_dims(tf.squeeze(x, axis=[1]), -1), [arr(3, 1, 2)]),
    "gather": (lambda x: tf.gather(x, [1, 1, 0], axis=1), [arr(2, 3)]),
    "tile_split": (lambda x: tf.split(tf.tile(x, [2, 3]), [1, 3], axis=0)[1], [arr(2, 3)]),
    "unstack_add_n": (lambda x: tf.add_n(tf.unstack(x)), [arr(3, 2)]),
    "where": (lambda x, y: tf.where(np.array([True, False, True]), x, y), [arr(3), arr(3)]),
    "cast_float": (lambda x: tf.cast(x, tf.float64) * 2.0, [arr(3)]),
    "identity": (lambda x: tf.identity(x) * tf.sigmoid(x), [arr(3)]),
    "variable_slice": (lambda x: x[1:, 0] * 3.0, [arr(3, 2)]),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(GRADIENT_CASES))
def test_gradients_float64(name):
    fn, inputs = GRADIENT_CASES[name]
    assert check_gradients(fn, *inputs) < 1e-6


def test_stop_gradient_blocks():
    x = tf.Variable(np.array([1.0, 2.0]))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.stop_gradient(x) * x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [1.0, 2.0])
