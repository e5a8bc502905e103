"""Lion, Ftrl, Lamb and Adafactor against float64 NumPy transcriptions of Keras 3's rules.

Same protocol as tests/test_optimizers.py (whose helpers this file reuses): a few steps from
fixed weights with a fixed gradient sequence, weights and slots compared with the reference,
float32 to rtol 1e-5 and float64 to rtol 1e-10.
"""

import numpy as np
import pytest

import lamina
from lamina import optimizers
from tests.test_optimizers import _problem, assert_close, run_lamina, run_reference


def ref_lion(lr=0.001, beta_1=0.9, beta_2=0.99):
    def init(w):
        return {"momentum": np.zeros_like(w)}

    def step(s, w, g, t):
        w = w - lr * np.sign(beta_1 * s["momentum"] + (1 - beta_1) * g)
        s["momentum"] = beta_2 * s["momentum"] + (1 - beta_2) * g
        return w

    return init, step


def ref_ftrl(lr=0.001, lr_power=-0.5, initial=0.1, l1=0.0, l2=0.0, shrinkage=0.0, beta=0.0):
    def init(w):
        return {"accumulator": np.full_like(w, initial), "linear": np.zeros_like(w)}

    def step(s, w, g, t):
        n, z = s["accumulator"], s["linear"]
        n_new = n + g**2
        sigma = (n_new**-lr_power - n**-lr_power) / lr
        z = z + (g + 2 * shrinkage * w) - sigma * w
        denom = n_new**-lr_power / lr + 2 * (l2 + beta / (2 * lr))
        w = np.where(np.abs(z) <= l1, 0.0, (np.sign(z) * l1 - z) / denom)
        s["accumulator"], s["linear"] = n_new, z
        return w

    return init, step


def ref_lamb(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def init(w):
        return {"momentum": np.zeros_like(w), "velocity": np.zeros_like(w)}

    def step(s, w, g, t):
        t = t + 1
        s["momentum"] = beta_1 * s["momentum"] + (1 - beta_1) * g
        s["velocity"] = beta_2 * s["velocity"] + (1 - beta_2) * g**2
        u = (s["momentum"] / (1 - beta_1**t)) / (np.sqrt(s["velocity"] / (1 - beta_2**t)) + epsilon)
        w_norm, u_norm = np.linalg.norm(w), np.linalg.norm(u)
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        return w - ratio * lr * u

    return init, step


def ref_adafactor(lr=0.001, decay=-0.8, eps1=1e-30, eps2=1e-3, clip=1.0):
    def rms(x):
        return np.sqrt(np.mean(x**2))

    def init(w):
        s = {"velocity": np.zeros_like(w)}
        if w.ndim >= 2:
            s["r"], s["c"] = np.zeros(w.shape[:-1]), np.zeros(w.shape[:-2] + w.shape[-1:])
        return s

    def step(s, w, g, t):
        t = t + 1
        rho = min(lr, 1 / np.sqrt(t))
        alpha = max(eps2, rms(w)) * rho
        big_g = g**2 + eps1
        b = 1 - t**decay
        if w.ndim >= 2:
            s["r"] = b * s["r"] + (1 - b) * big_g.mean(axis=-1)
            s["c"] = b * s["c"] + (1 - b) * big_g.mean(axis=-2)
            row = s["r"] / s["r"].mean(axis=-1, keepdims=True)
            s["velocity"] = np.einsum("...i,...j->...ij", row, s["c"])
        else:
            s["velocity"] = b * s["velocity"] + (1 - b) * big_g
        u = g / np.sqrt(s["velocity"])
        u = u / max(1.0, rms(u) / clip)
        return w - alpha * u

    return init, step


CASES = [
    ("lion", lambda: optimizers.Lion(0.1), lambda lr: ref_lion(lr), {}),
    ("lion-betas-decay", lambda: optimizers.Lion(0.1, beta_1=0.5, beta_2=0.9, weight_decay=0.3),
     lambda lr: ref_lion(lr, 0.5, 0.9), {"weight_decay": 0.3}),
    ("ftrl", lambda: optimizers.Ftrl(0.1), lambda lr: ref_ftrl(lr), {}),
    ("ftrl-regularized",
     lambda: optimizers.Ftrl(0.1, learning_rate_power=-0.3, initial_accumulator_value=0.5,
                             l1_regularization_strength=0.05, l2_regularization_strength=0.2,
                             l2_shrinkage_regularization_strength=0.1, beta=0.3),
     lambda lr: ref_ftrl(lr, -0.3, 0.5, 0.05, 0.2, 0.1, 0.3), {}),
    ("lamb", lambda: optimizers.Lamb(0.1), lambda lr: ref_lamb(lr), {}),
    ("lamb-betas-clip", lambda: optimizers.Lamb(0.1, beta_1=0.5, beta_2=0.9, epsilon=1e-4, clipnorm=0.05),
     lambda lr: ref_lamb(lr, 0.5, 0.9, 1e-4), {"clipnorm": 0.05}),
    ("adafactor", lambda: optimizers.Adafactor(0.1), lambda lr: ref_adafactor(lr), {}),
    ("adafactor-args",
     lambda: optimizers.Adafactor(0.3, beta_2_decay=-0.5, epsilon_2=0.5, clip_threshold=0.1),
     lambda lr: ref_adafactor(lr, -0.5, 1e-30, 0.5, 0.1), {}),
]  # fmt: skip


def _slots(opt, i, var):
    """The optimizer's state for variable i, by the reference's names."""
    if isinstance(opt, optimizers.Adafactor):
        out = {"velocity": opt._v[i]}
        if var.ndim >= 2:
            out.update(r=opt._r[i], c=opt._c[i])
        return out
    return {name: opt._slots[name][i] for name in opt._slots}


@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-5), ("float64", 1e-10)])
@pytest.mark.parametrize("label, make, rule, extra", CASES, ids=[c[0] for c in CASES])
def test_update_rule_matches_reference(label, make, rule, extra, dtype, rtol):
    w0, grads = _problem()
    opt = make()
    variables = run_lamina(opt, w0, grads, dtype)
    lr = opt.get_config()["learning_rate"]
    expected_w, states = run_reference(rule(lr), w0, grads, lr=lr, **extra)
    for i, (v, w) in enumerate(zip(variables, expected_w)):
        assert v.dtype == dtype
        assert_close(v.numpy(), w, rtol)
        for name, value in states[i].items():
            slot = _slots(opt, i, v)[name]
            assert slot.dtype == dtype
            assert_close(slot.numpy(), value, rtol)
    assert int(opt.iterations) == len(grads)


def test_adafactor_factors_the_last_two_axes_of_rank3_variables():
    rng = np.random.default_rng(4)
    w0 = [rng.normal(size=(2, 3, 4))]
    grads = [[rng.normal(size=(2, 3, 4))] for _ in range(3)]
    opt = optimizers.Adafactor(0.05)
    (v,) = run_lamina(opt, w0, grads, "float64")
    expected, states = run_reference(ref_adafactor(opt.get_config()["learning_rate"]), w0, grads)
    assert opt._r[0].shape == (2, 3) and opt._c[0].shape == (2, 4)
    assert_close(v.numpy(), expected[0], 1e-10)
    assert_close(opt._c[0].numpy(), states[0]["c"], 1e-10)


def test_first_steps_by_hand():
    # Lion: every coordinate moves by exactly lr in the direction of -sign(g)
    w = lamina.Variable([1.0, -2.0, 0.5], name="w")
    optimizers.Lion(0.25).apply_gradients([(np.array([3.0, -0.1, 0.0]), w)])
    np.testing.assert_allclose(w.numpy(), [0.75, -1.75, 0.5])
    # Ftrl, one step from w = 0 with lr 1, n0 = 0.1, g = 1: n = 1.1, z = 1 - (sqrt(1.1) -
    # sqrt(0.1)) * 0 = 1, w = -z / sqrt(1.1); with l1 = 2 > |z|, w = 0
    w = lamina.Variable([0.0], name="w")
    optimizers.Ftrl(1.0).apply_gradients([(np.array([1.0]), w)])
    np.testing.assert_allclose(w.numpy(), [-1 / np.sqrt(1.1)], rtol=1e-6)
    w = lamina.Variable([0.0], name="w")
    optimizers.Ftrl(1.0, l1_regularization_strength=2.0).apply_gradients([(np.array([1.0]), w)])
    assert w.numpy()[0] == 0.0
    # Lamb's first step: u = g / (|g| + eps) ~ sign(g); the step is lr * ||w|| / ||u||
    w = lamina.Variable([3.0, 4.0], name="w")
    optimizers.Lamb(0.1).apply_gradients([(np.array([1.0, -1.0]), w)])
    np.testing.assert_allclose(
        w.numpy(), [3.0 - 0.1 * 5 / np.sqrt(2), 4.0 + 0.1 * 5 / np.sqrt(2)], rtol=1e-5
    )


def test_defaults_names_and_variables():
    lion, ftrl, lamb, ada = (
        optimizers.Lion(),
        optimizers.Ftrl(),
        optimizers.Lamb(),
        optimizers.Adafactor(),
    )
    assert (lion.beta_1, lion.beta_2, lion.name) == (0.9, 0.99, "lion")
    assert (ftrl.learning_rate_power, ftrl.initial_accumulator_value, ftrl.beta) == (-0.5, 0.1, 0.0)
    assert ftrl.l1_regularization_strength == ftrl.l2_regularization_strength == 0.0
    assert (lamb.beta_1, lamb.beta_2, lamb.epsilon) == (0.9, 0.999, 1e-7)
    assert lamb.name.startswith("lamb")
    assert (
        ada.beta_2_decay,
        ada.epsilon_1,
        ada.epsilon_2,
        ada.clip_threshold,
        ada.relative_step,
    ) == (-0.8, 1e-30, 1e-3, 1.0, True)
    for opt in (lion, ftrl, lamb, ada):
        assert float(opt.learning_rate) == pytest.approx(1e-3)

    k = lamina.Variable(np.ones((2, 3)), name="kernel")  # as a Dense layer's weights
    b = lamina.Variable(np.ones(2), name="bias")
    k.path, b.path = "dense/kernel", "dense/bias"
    for opt in (lion, ftrl, lamb, ada):
        opt.build([k, b])
    assert [v.name for v in lion.variables[2:]] == ["dense_kernel_momentum", "dense_bias_momentum"]
    assert [v.name for v in ftrl.variables[2:]] == [
        "accumulator",
        "dense_kernel_linear",
        "accumulator",
        "dense_bias_linear",
    ]
    np.testing.assert_allclose(ftrl.variables[2].numpy(), 0.1)
    assert [v.name for v in lamb.variables[2:]] == [
        "dense_kernel_momentum",
        "dense_kernel_velocity",
        "dense_bias_momentum",
        "dense_bias_velocity",
    ]
    # Adafactor: r (2,), c (3,) for the kernel, no factors for the bias, velocities full size
    assert [(v.name, v.shape) for v in ada.variables[2:]] == [
        ("kernel", (2,)),
        ("kernel", (3,)),
        ("dense_kernel_velocity", (2, 3)),
        ("dense_bias_velocity", (2,)),
    ]


@pytest.mark.parametrize("make", [
    lambda: optimizers.Lion(0.01, beta_1=0.8, beta_2=0.95, weight_decay=0.1),
    lambda: optimizers.Ftrl(0.2, learning_rate_power=-0.25, l1_regularization_strength=0.01, beta=0.5),
    lambda: optimizers.Lamb(0.02, epsilon=1e-6, clipvalue=0.5),
    lambda: optimizers.Adafactor(0.01, beta_2_decay=-0.6, relative_step=False, name="af"),
])  # fmt: skip
def test_config_round_trip(make):
    opt = make()
    config = opt.get_config()
    again = type(opt).from_config(config)
    assert again.get_config() == config
    ser = optimizers.serialize(opt)
    assert ser["class_name"] == type(opt).__name__
    assert optimizers.deserialize(ser).get_config() == config
    assert type(optimizers.get(type(opt).__name__.lower())) is type(opt)


def test_argument_errors():
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength"):
        optimizers.Ftrl(l1_regularization_strength=-1.0)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        optimizers.Ftrl(initial_accumulator_value=-0.1)


@pytest.mark.parametrize("name", ["lion", "ftrl", "lamb", "adafactor"])
def test_trains_a_small_model(name):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], np.float32)).ravel()
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input(shape=(4,)), lamina.layers.Dense(1)])
    lr = {"lion": 0.05, "ftrl": 0.5, "lamb": 0.05, "adafactor": 0.1}[name]
    model.compile(
        optimizer=optimizers.get({"class_name": name, "config": {"learning_rate": lr}}), loss="mse"
    )
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert model.layers[0].kernel.dtype == np.float32
