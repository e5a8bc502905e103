"""Initializers: shapes/dtypes, Keras's fans, distribution statistics, seeds, lookup."""
import tracemalloc

import numpy as np
import pytest
from scipy import stats

import lamina
from lamina import initializers as I

TRUNC_STD = 0.87962566103423978
SNAKE_NAMES = {
    "zeros": I.Zeros, "ones": I.Ones, "constant": I.Constant, "random_normal": I.RandomNormal,
    "random_uniform": I.RandomUniform, "truncated_normal": I.TruncatedNormal,
    "variance_scaling": I.VarianceScaling, "glorot_uniform": I.GlorotUniform,
    "glorot_normal": I.GlorotNormal, "he_uniform": I.HeUniform, "he_normal": I.HeNormal,
    "lecun_uniform": I.LecunUniform, "lecun_normal": I.LecunNormal,
    "orthogonal": I.Orthogonal, "identity": I.Identity,
}  # fmt: skip
RANDOM = ["random_normal", "random_uniform", "truncated_normal", "variance_scaling",
          "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
          "lecun_normal", "orthogonal"]  # fmt: skip


def _values(t):
    assert isinstance(t, lamina.Tensor)
    return np.asarray(t.numpy(), dtype=np.float64)


@pytest.mark.parametrize("name", sorted(SNAKE_NAMES))
def test_names_give_instances_with_float32_default_and_requested_dtype(name):
    init = I.get(name)
    assert type(init) is SNAKE_NAMES[name]
    out = init((6, 4))
    assert isinstance(out, lamina.Tensor) and out.shape == (6, 4) and out.dtype == np.float32
    assert init((6, 4), dtype="float64").dtype == np.float64
    assert init([6, 4], dtype="float16").dtype == np.float16
    assert np.all(np.isfinite(out.numpy()))


def test_deterministic_initializers_values():
    np.testing.assert_array_equal(I.Zeros()((2, 3)).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(I.Ones()((4,), dtype="int32").numpy(), [1, 1, 1, 1])
    assert I.Ones()((4,), dtype="int32").dtype == np.int32
    np.testing.assert_array_equal(I.Constant(2.5)((2, 2)).numpy(), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(I.Constant([1.0, 2.0, 3.0])((2, 3)).numpy(), [[1, 2, 3]] * 2)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        I.Constant([1.0, 2.0])((2, 3))
    np.testing.assert_array_equal(I.Identity()((3, 3)).numpy(), np.eye(3))
    np.testing.assert_array_equal(I.Identity(gain=0.5)((2, 4)).numpy(), 0.5 * np.eye(2, 4))
    with pytest.raises(ValueError, match="2-D"):
        I.Identity()((3, 3, 3))


@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)), ((10,), (10, 10)), ((784, 512), (784, 512)), ((3, 3, 1, 32), (9, 288)),
    ((3, 3, 32, 64), (288, 576)), ((5, 4, 8), (20, 40)), ((2, 3, 3, 4, 6), (72, 108)),
])  # fmt: skip
def test_compute_fans_matches_keras(shape, fans):
    assert I.compute_fans(shape) == fans


# --- statistics of large draws (N = 401,408: sampling error well under 1%) ----------------


def test_glorot_uniform_limit_and_variance():
    fan_in, fan_out = 784, 512
    w = _values(I.GlorotUniform()((fan_in, fan_out)))
    limit = np.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.999 * limit
    assert w.var() == pytest.approx(2 / (fan_in + fan_out), rel=0.02)
    assert abs(w.mean()) < 0.01 * limit
    # uniform: a quarter of the mass in each quarter of the range
    assert np.mean(w > limit / 2) == pytest.approx(0.25, abs=0.005)


@pytest.mark.parametrize("cls, scale, fan", [
    (I.HeUniform, 2.0, "in"), (I.LecunUniform, 1.0, "in"), (I.GlorotUniform, 1.0, "avg"),
])  # fmt: skip
def test_uniform_variance_scaling_on_conv_kernel(cls, scale, fan):
    shape = (5, 5, 64, 128)  # fans (1600, 3200)
    n = {"in": 1600, "avg": 2400}[fan]
    w = _values(cls(seed=3)(shape))
    limit = np.sqrt(3 * scale / n)
    assert np.abs(w).max() <= limit
    assert w.var() == pytest.approx(scale / n, rel=0.02)


@pytest.mark.parametrize("cls, variance", [
    (I.GlorotNormal, 2 / (784 + 512)), (I.HeNormal, 2 / 784), (I.LecunNormal, 1 / 784),
])  # fmt: skip
def test_truncated_normal_variance_scaling_std_and_truncation(cls, variance):
    w = _values(cls()((784, 512)))
    stddev_before_truncation = np.sqrt(variance) / TRUNC_STD
    assert np.abs(w).max() <= 2 * stddev_before_truncation * (1 + 1e-6)
    assert np.abs(w).max() > 1.99 * stddev_before_truncation  # really truncated at 2, not less
    assert w.std() == pytest.approx(np.sqrt(variance), rel=0.01)
    assert abs(stats.kurtosis(w.ravel())) > 0.5  # a truncated normal is platykurtic (~ -0.9)


def test_keras_truncation_constant_is_the_truncated_standard_normal_std():
    assert stats.truncnorm(-2, 2).std() == pytest.approx(TRUNC_STD, rel=1e-12)


@pytest.mark.parametrize("mode, n", [("fan_in", 1600), ("fan_out", 3200), ("fan_avg", 2400)])
def test_variance_scaling_modes_and_distributions(mode, n):
    shape = (5, 5, 64, 128)
    normal = _values(I.VarianceScaling(3.0, mode, "untruncated_normal", seed=1)(shape))
    assert normal.std() == pytest.approx(np.sqrt(3.0 / n), rel=0.01)
    assert np.abs(normal).max() > 3 * np.sqrt(3.0 / n)  # untruncated: tails beyond 2 sigma
    trunc = _values(I.VarianceScaling(3.0, mode, "normal", seed=1)(shape))  # alias
    assert trunc.std() == pytest.approx(np.sqrt(3.0 / n), rel=0.01)
    assert np.abs(trunc).max() <= 2 * np.sqrt(3.0 / n) / TRUNC_STD * (1 + 1e-6)
    uni = _values(I.VarianceScaling(3.0, mode, "uniform", seed=1)(shape))
    assert np.abs(uni).max() <= np.sqrt(9.0 / n)
    assert uni.var() == pytest.approx(3.0 / n, rel=0.02)


def test_small_fans_are_clamped_to_one():
    w = _values(I.VarianceScaling(scale=1.0, distribution="uniform", seed=0)((200000,)))
    # fan_in = 200000 for a vector; a scalar shape has fan 1 -> limit sqrt(3)
    assert np.abs(w).max() <= np.sqrt(3 / 200000)
    s = _values(I.VarianceScaling(scale=1.0, distribution="uniform", seed=0)(()))
    assert s.shape == () and abs(s) <= np.sqrt(3)


def test_random_normal_uniform_truncated_normal_parameters():
    n = _values(I.RandomNormal(mean=1.5, stddev=0.25, seed=0)((1000, 400)))
    assert n.mean() == pytest.approx(1.5, abs=0.002) and n.std() == pytest.approx(0.25, rel=0.01)
    u = _values(I.RandomUniform(minval=-3.0, maxval=1.0, seed=0)((1000, 400)))
    assert u.min() >= -3.0 and u.max() <= 1.0 and u.min() < -2.99 and u.max() > 0.99
    assert u.mean() == pytest.approx(-1.0, abs=0.01) and u.var() == pytest.approx(16 / 12, rel=0.01)
    t = _values(I.TruncatedNormal(mean=1.0, stddev=0.5, seed=0)((1000, 400)))
    assert t.min() >= 0.0 and t.max() <= 2.0
    assert t.mean() == pytest.approx(1.0, abs=0.002)
    assert t.std() == pytest.approx(0.5 * TRUNC_STD, rel=0.01)  # no correction: plain truncation
    defaults = _values(I.RandomNormal(seed=0)((1000, 400)))
    assert defaults.std() == pytest.approx(0.05, rel=0.01)


@pytest.mark.parametrize("shape, gain", [((64, 32), 1.0), ((32, 64), 1.0), ((50, 50), 2.0),
                                         ((3, 3, 4, 16), 1.0), ((2, 3, 40), 0.5)])
def test_orthogonal_is_orthogonal(shape, gain):
    w = _values(I.Orthogonal(gain=gain, seed=5)(shape))
    assert w.shape == shape
    m = w.reshape(-1, shape[-1])
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(gram.shape[0]), atol=1e-5)
    with pytest.raises(ValueError, match="rank 2 or more"):
        I.Orthogonal()((5,))


def test_orthogonal_is_not_biased_towards_a_fixed_sign():
    # Sign fix by R's diagonal: the distribution is Haar, so entries have mean ~0.
    draws = np.stack([_values(I.Orthogonal()((4, 4))) for _ in range(400)])
    assert np.abs(draws.mean(axis=0)).max() < 0.1


# --- seeds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RANDOM)
def test_int_seed_repeats_and_none_does_not(name):
    cls = SNAKE_NAMES[name]
    a = cls(seed=42)((30, 20)).numpy()
    np.testing.assert_array_equal(a, cls(seed=42)((30, 20)).numpy())  # another instance
    init = cls(seed=42)
    np.testing.assert_array_equal(init((30, 20)).numpy(), init((30, 20)).numpy())  # every call
    assert not np.array_equal(a, cls(seed=43)((30, 20)).numpy())
    unseeded = cls()
    assert not np.array_equal(unseeded((30, 20)).numpy(), unseeded((30, 20)).numpy())


@pytest.mark.parametrize("name", RANDOM)
def test_global_seed_makes_unseeded_draws_repeatable(name):
    init = I.get(name)
    lamina.utils.set_random_seed(7)
    first = [init((8, 5)).numpy() for _ in range(2)]
    lamina.utils.set_random_seed(7)
    second = [init((8, 5)).numpy() for _ in range(2)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    lamina.utils.set_random_seed(8)
    assert not np.array_equal(init((8, 5)).numpy(), first[0])


def test_variables_built_from_names_follow_the_global_seed():
    lamina.utils.set_random_seed(11)
    a = lamina.Variable("glorot_uniform", shape=(5, 3)).numpy().copy()
    lamina.utils.set_random_seed(11)
    b = lamina.Variable("glorot_uniform", shape=(5, 3)).numpy()
    np.testing.assert_array_equal(a, b)
    v = lamina.Variable(I.HeNormal(seed=1), shape=(5, 3))
    np.testing.assert_array_equal(v.numpy(), I.HeNormal(seed=1)((5, 3)).numpy())


def test_seed_generator_gives_a_fresh_reproducible_stream():
    init = I.RandomNormal(seed=lamina.random.SeedGenerator(3))
    a, b = init((4, 4)).numpy(), init((4, 4)).numpy()
    assert not np.array_equal(a, b)
    again = I.RandomNormal(seed=lamina.random.SeedGenerator(3))
    np.testing.assert_array_equal(again((4, 4)).numpy(), a)


def test_invalid_arguments_raise_naming_them():
    with pytest.raises(ValueError, match="seed"):
        I.GlorotUniform(seed="abc")
    with pytest.raises(ValueError, match="seed"):
        I.RandomNormal(seed=1.5)
    with pytest.raises(ValueError, match="scale"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="did you mean 'fan_avg'"):
        I.VarianceScaling(mode="fan_ave")
    with pytest.raises(ValueError, match="did you mean 'uniform'"):
        I.VarianceScaling(distribution="unifrom")
    with pytest.raises(ValueError, match="stddev"):
        I.RandomNormal(stddev="big")
    with pytest.raises(ValueError, match="float dtype"):
        I.GlorotUniform()((3, 3), dtype="int32")
    with pytest.raises(ValueError, match="shape"):
        I.Zeros()(("a", 2))


def test_float32_draws_do_not_allocate_float64_temporaries():
    # A float64 draw of (784, 512) alone would peak at twice the float32 result's size.
    for init in (I.GlorotUniform(), I.RandomNormal(), I.HeNormal(), I.TruncatedNormal()):
        init((4, 4))  # warm up lazy allocations
        tracemalloc.start()
        w = init((784, 512))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert w.dtype == np.float32
        assert peak < 1.7 * w.numpy().nbytes, type(init).__name__


# --- lookup and configs ---------------------------------------------------------------------


CONFIGURED = [
    I.Zeros(), I.Ones(), I.Constant(0.3), I.Constant([1.0, 2.0]), I.Identity(gain=2.0),
    I.RandomNormal(mean=1.0, stddev=2.0, seed=4), I.RandomUniform(-1.0, 2.0, seed=5),
    I.TruncatedNormal(0.5, 0.1, seed=6), I.VarianceScaling(2.0, "fan_out", "uniform", seed=7),
    I.GlorotUniform(seed=8), I.GlorotNormal(), I.HeUniform(seed=9), I.HeNormal(),
    I.LecunUniform(seed=1), I.LecunNormal(), I.Orthogonal(gain=3.0, seed=2),
]  # fmt: skip


@pytest.mark.parametrize("init", CONFIGURED, ids=lambda i: type(i).__name__)
def test_config_and_serialization_round_trip(init):
    config = init.get_config()
    clone = type(init).from_config(config)
    assert type(clone) is type(init) and clone.get_config() == config
    data = I.serialize(init)
    assert data["class_name"] == type(init).__name__ and data["config"] == config
    back = I.deserialize(data)
    assert type(back) is type(init) and back.get_config() == config
    assert I.get(data).get_config() == config
    if config.get("seed") is not None:  # seeded: the clone draws the same values
        np.testing.assert_array_equal(back((6, 5)).numpy(), init((6, 5)).numpy())


def test_preset_classes_only_configure_their_seed():
    assert I.GlorotUniform(seed=3).get_config() == {"seed": 3}
    g = I.GlorotUniform()
    assert (g.scale, g.mode, g.distribution) == (1.0, "fan_avg", "uniform")
    h = I.HeNormal()
    assert (h.scale, h.mode, h.distribution) == (2.0, "fan_in", "truncated_normal")
    assert I.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None}


def test_get_accepts_names_aliases_classes_instances_and_callables():
    assert type(I.get("GlorotUniform")) is I.GlorotUniform
    for alias, cls in {"uniform": I.RandomUniform, "normal": I.RandomNormal, "one": I.Ones,
                       "zero": I.Zeros, "OrthogonalInitializer": I.Orthogonal}.items():
        assert type(I.get(alias)) is cls
    assert I.glorot_uniform is I.GlorotUniform and I.he_normal is I.HeNormal
    assert type(I.get(I.HeUniform)) is I.HeUniform
    inst = I.Constant(4.0)
    assert I.get(inst) is inst
    fn = lambda shape, dtype=None: lamina.ops.ones(shape)
    assert I.get(fn) is fn
    assert I.get(None) is None
    assert type(I.get({"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0}})) \
        is I.RandomUniform


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ValueError, match="did you mean 'glorot_uniform'"):
        I.get("glorot_unifrom")
    with pytest.raises(ValueError, match="did you mean 'he_normal'"):
        I.get("he_norml")
    with pytest.raises(ValueError, match="Could not interpret"):
        I.get(3.5)


def test_custom_initializer_round_trips_with_custom_objects():
    class Halves(I.Initializer):
        def __call__(self, shape, dtype=None):
            return lamina.ops.full(shape, 0.5, dtype=dtype)

    data = I.serialize(Halves())
    assert data["registered_name"] == "Halves"
    back = I.deserialize(data, custom_objects={"Halves": Halves})
    np.testing.assert_array_equal(back((2,)).numpy(), [0.5, 0.5])
    with pytest.raises(NotImplementedError):
        I.Initializer()((2, 2))
