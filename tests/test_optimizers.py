"""Optimizers against float64 NumPy transcriptions of Keras 3's published update rules.

Each case runs a few steps from fixed weights with a fixed gradient sequence (gradient
magnitudes spread over 1e-4..1, so epsilon placement matters) and compares the weights and
the slot variables with the reference: float32 to rtol 1e-5, float64 to rtol 1e-10 (the
float64 run checks the formulas algebraically, well below the size of epsilon).
"""
import warnings

import numpy as np
import pytest

import lamina
from lamina import optimizers
from lamina.optimizers import schedules

SHAPES = [(3, 4), (4,)]
STEPS = 6
LR = float(np.float32(0.1))  # the value a float32 learning-rate variable holds for 0.1


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    w0 = [rng.normal(size=s) for s in SHAPES]
    grads = [
        [rng.normal(size=s) * 10.0 ** rng.uniform(-4, 0, size=s) for s in SHAPES]
        for _ in range(STEPS)
    ]
    return w0, grads


# --- float64 references, written from the formulas in Keras's docs and sources -----------


def ref_sgd(lr=0.01, momentum=0.0, nesterov=False):
    def init(w):
        return {"momentum": np.zeros_like(w)} if momentum else {}

    def step(s, w, g, t):
        if not momentum:
            return w - lr * g
        s["momentum"] = momentum * s["momentum"] - lr * g
        if nesterov:
            return w + momentum * s["momentum"] - lr * g
        return w + s["momentum"]

    return init, step


def ref_rmsprop(lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    def init(w):
        s = {"velocity": np.zeros_like(w)}
        if momentum:
            s["momentum"] = np.zeros_like(w)
        if centered:
            s["average_gradient"] = np.zeros_like(w)
        return s

    def step(s, w, g, t):
        s["velocity"] = rho * s["velocity"] + (1 - rho) * g**2
        denom = s["velocity"] + epsilon
        if centered:
            s["average_gradient"] = rho * s["average_gradient"] + (1 - rho) * g
            denom = denom - s["average_gradient"] ** 2
        increment = lr * g / np.sqrt(denom)
        if momentum:
            s["momentum"] = momentum * s["momentum"] + increment
            return w - s["momentum"]
        return w - increment

    return init, step


def ref_adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    def init(w):
        s = {"momentum": np.zeros_like(w), "velocity": np.zeros_like(w)}
        if amsgrad:
            s["velocity_hat"] = np.zeros_like(w)
        return s

    def step(s, w, g, t):
        t = t + 1
        s["momentum"] = beta_1 * s["momentum"] + (1 - beta_1) * g
        s["velocity"] = beta_2 * s["velocity"] + (1 - beta_2) * g**2
        v = s["velocity"]
        if amsgrad:
            s["velocity_hat"] = np.maximum(s["velocity_hat"], v)
            v = s["velocity_hat"]
        alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        return w - alpha * s["momentum"] / (np.sqrt(v) + epsilon)

    return init, step


def ref_adagrad(lr=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    def init(w):
        return {"accumulator": np.full_like(w, initial_accumulator_value)}

    def step(s, w, g, t):
        s["accumulator"] = s["accumulator"] + g**2
        return w - lr * g / np.sqrt(s["accumulator"] + epsilon)

    return init, step


def ref_adadelta(lr=0.001, rho=0.95, epsilon=1e-7):
    def init(w):
        return {"accumulated_grad": np.zeros_like(w), "accumulated_delta_var": np.zeros_like(w)}

    def step(s, w, g, t):
        s["accumulated_grad"] = rho * s["accumulated_grad"] + (1 - rho) * g**2
        delta = (
            -np.sqrt(s["accumulated_delta_var"] + epsilon)
            * g
            / np.sqrt(s["accumulated_grad"] + epsilon)
        )
        s["accumulated_delta_var"] = rho * s["accumulated_delta_var"] + (1 - rho) * delta**2
        return w + lr * delta

    return init, step


def ref_adamax(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def init(w):
        return {"momentum": np.zeros_like(w), "norm": np.zeros_like(w)}

    def step(s, w, g, t):
        t = t + 1
        s["momentum"] = beta_1 * s["momentum"] + (1 - beta_1) * g
        s["norm"] = np.maximum(beta_2 * s["norm"], np.abs(g))
        return w - lr / (1 - beta_1**t) * s["momentum"] / (s["norm"] + epsilon)

    return init, step


def ref_nadam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def mu(t):
        return beta_1 * (1 - 0.5 * 0.96**t)

    def init(w):
        return {"momentum": np.zeros_like(w), "velocity": np.zeros_like(w)}

    def step(s, w, g, t):
        t = t + 1
        product = np.prod([mu(k) for k in range(1, t + 1)])  # mu_1 ... mu_t
        s["momentum"] = beta_1 * s["momentum"] + (1 - beta_1) * g
        s["velocity"] = beta_2 * s["velocity"] + (1 - beta_2) * g**2
        m_hat = mu(t + 1) * s["momentum"] / (1 - product * mu(t + 1)) + (1 - mu(t)) * g / (
            1 - product
        )
        v_hat = s["velocity"] / (1 - beta_2**t)
        return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)

    return init, step


def run_reference(rule, w0, grad_seq, lr=None, weight_decay=None, clipnorm=None,
                  clipvalue=None, global_clipnorm=None, loss_scale_factor=None):  # fmt: skip
    """Keras's step order: unscale, clip, decoupled weight decay, then the rule."""
    init, step = rule
    w = [x.copy() for x in w0]
    states = [init(x) for x in w]
    for t, grads in enumerate(grad_seq):
        grads = [g.copy() for g in grads]
        if loss_scale_factor:
            grads = [g / loss_scale_factor for g in grads]
        if clipnorm:
            grads = [g * clipnorm / max(np.linalg.norm(g), clipnorm) for g in grads]
        if global_clipnorm:
            norm = np.sqrt(sum(np.sum(g**2) for g in grads))
            grads = [g * global_clipnorm / max(norm, global_clipnorm) for g in grads]
        if clipvalue:
            grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
        rate = lr(t) if callable(lr) else lr
        if weight_decay:
            w = [x - x * weight_decay * rate for x in w]
        w = [step(s, x, g, t) for s, x, g in zip(states, w, grads)]
    return w, states


def run_lamina(opt, w0, grad_seq, dtype):
    variables = [
        lamina.Variable(x, dtype=dtype, name=f"layer/w{i}") for i, x in enumerate(w0)
    ]
    for grads in grad_seq:
        opt.apply_gradients(zip([g.astype(dtype) for g in grads], variables))
    return variables


def assert_close(actual, expected, rtol):
    expected = np.asarray(expected)
    atol = rtol * max(float(np.abs(expected).max()), 1e-30) * 0.1
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# (label, optimizer factory, reference rule as a function of the learning rate, extra base-class
# arguments for the reference). The reference uses the optimizer's own learning rate: Keras
# stores it in a float32 variable, so 0.1 is really 0.10000000149.
CASES = [
    ("sgd", lambda: optimizers.SGD(0.1), lambda lr: ref_sgd(lr), {}),
    ("sgd-momentum", lambda: optimizers.SGD(0.1, momentum=0.9), lambda lr: ref_sgd(lr, 0.9), {}),
    ("sgd-nesterov", lambda: optimizers.SGD(0.1, momentum=0.8, nesterov=True),
     lambda lr: ref_sgd(lr, 0.8, True), {}),
    ("sgd-weight-decay", lambda: optimizers.SGD(0.1, momentum=0.5, weight_decay=0.2),
     lambda lr: ref_sgd(lr, 0.5), {"weight_decay": 0.2}),
    ("rmsprop", lambda: optimizers.RMSprop(0.05), lambda lr: ref_rmsprop(lr), {}),
    ("rmsprop-momentum", lambda: optimizers.RMSprop(0.05, rho=0.8, momentum=0.5),
     lambda lr: ref_rmsprop(lr, rho=0.8, momentum=0.5), {}),
    ("rmsprop-centered", lambda: optimizers.RMSprop(0.05, centered=True),
     lambda lr: ref_rmsprop(lr, centered=True), {}),
    ("rmsprop-centered-momentum",
     lambda: optimizers.RMSprop(0.05, momentum=0.9, centered=True, epsilon=1e-6),
     lambda lr: ref_rmsprop(lr, momentum=0.9, centered=True, epsilon=1e-6), {}),
    ("adam", lambda: optimizers.Adam(0.1), lambda lr: ref_adam(lr), {}),
    ("adam-betas", lambda: optimizers.Adam(0.1, beta_1=0.5, beta_2=0.9, epsilon=1e-4),
     lambda lr: ref_adam(lr, 0.5, 0.9, 1e-4), {}),
    ("adam-amsgrad", lambda: optimizers.Adam(0.1, amsgrad=True),
     lambda lr: ref_adam(lr, amsgrad=True), {}),
    ("adamw", lambda: optimizers.AdamW(0.1), lambda lr: ref_adam(lr), {"weight_decay": 0.004}),
    ("adamw-amsgrad", lambda: optimizers.AdamW(0.1, weight_decay=0.3, amsgrad=True),
     lambda lr: ref_adam(lr, amsgrad=True), {"weight_decay": 0.3}),
    ("adam-clipnorm", lambda: optimizers.Adam(0.1, clipnorm=0.05), lambda lr: ref_adam(lr),
     {"clipnorm": 0.05}),
    ("adam-clipvalue", lambda: optimizers.Adam(0.1, clipvalue=0.02), lambda lr: ref_adam(lr),
     {"clipvalue": 0.02}),
    ("sgd-global-clipnorm", lambda: optimizers.SGD(0.1, momentum=0.9, global_clipnorm=0.3),
     lambda lr: ref_sgd(lr, 0.9), {"global_clipnorm": 0.3}),
    ("sgd-loss-scale", lambda: optimizers.SGD(0.1, loss_scale_factor=128.0),
     lambda lr: ref_sgd(lr), {"loss_scale_factor": 128.0}),
    ("adagrad", lambda: optimizers.Adagrad(0.1), lambda lr: ref_adagrad(lr), {}),
    ("adagrad-init",
     lambda: optimizers.Adagrad(0.1, initial_accumulator_value=0.01, epsilon=1e-5),
     lambda lr: ref_adagrad(lr, 0.01, 1e-5), {}),
    ("adadelta", lambda: optimizers.Adadelta(1.0), lambda lr: ref_adadelta(lr), {}),
    ("adadelta-rho", lambda: optimizers.Adadelta(1.0, rho=0.5, epsilon=1e-5),
     lambda lr: ref_adadelta(lr, 0.5, 1e-5), {}),
    ("adamax", lambda: optimizers.Adamax(0.1), lambda lr: ref_adamax(lr), {}),
    ("adamax-betas", lambda: optimizers.Adamax(0.1, beta_1=0.7, beta_2=0.8),
     lambda lr: ref_adamax(lr, 0.7, 0.8), {}),
    ("nadam", lambda: optimizers.Nadam(0.1), lambda lr: ref_nadam(lr), {}),
    ("nadam-betas", lambda: optimizers.Nadam(0.1, beta_1=0.8, beta_2=0.99),
     lambda lr: ref_nadam(lr, 0.8, 0.99), {}),
    ("adam-schedule",
     lambda: optimizers.Adam(schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)),
     lambda lr: ref_adam(lr),
     # Keras evaluates the schedule in float32: 0.1 * 0.5 ** (t / 2)
     {"lr_schedule": lambda t: float(np.float32(0.1) * np.float32(0.5) ** np.float32(t / 2))}),
]  # fmt: skip


@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-5), ("float64", 1e-10)])
@pytest.mark.parametrize("label, make, rule, extra", CASES, ids=[c[0] for c in CASES])
def test_update_rule_matches_reference(label, make, rule, extra, dtype, rtol):
    w0, grads = _problem()
    opt = make()
    variables = run_lamina(opt, w0, grads, dtype)
    extra = dict(extra)
    lr = extra.pop("lr_schedule", None) or opt.get_config()["learning_rate"]
    rule = rule(1.0 if callable(lr) else lr)
    if callable(lr):  # the schedule's lr multiplies a unit-lr reference rule's step
        init, step = rule

        def scaled_step(s, w, g, t):
            return w + lr(t) * (step(s, w, g, t) - w)

        rule = (init, scaled_step)
    expected_w, states = run_reference(rule, w0, grads, lr=lr, **extra)
    paths = {v.path: v for v in opt.variables}
    for i, (v, w) in enumerate(zip(variables, expected_w)):
        assert v.dtype == dtype
        assert_close(v.numpy(), w, rtol)
        for name, value in states[i].items():
            assert_close(paths[f"{opt.name}/layer_w{i}_{name}"].numpy(), value, rtol)
    assert int(opt.iterations) == STEPS


def test_keras_defaults():
    assert optimizers.SGD().get_config()["learning_rate"] == pytest.approx(0.01)
    sgd = optimizers.SGD()
    assert (sgd.momentum, sgd.nesterov, sgd.name) == (0.0, False, "SGD")
    rms = optimizers.RMSprop()
    assert (rms.rho, rms.momentum, rms.epsilon, rms.centered) == (0.9, 0.0, 1e-7, False)
    adam = optimizers.Adam()
    assert (adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (0.9, 0.999, 1e-7, False)
    assert float(adam.learning_rate) == pytest.approx(0.001)
    assert optimizers.AdamW().weight_decay == 0.004
    ada = optimizers.Adagrad()
    assert (ada.initial_accumulator_value, ada.epsilon) == (0.1, 1e-7)
    assert ada.name.startswith("adagrad")
    delta = optimizers.Adadelta()
    assert (delta.rho, delta.epsilon) == (0.95, 1e-7)
    assert float(delta.learning_rate) == pytest.approx(1e-3)
    assert optimizers.Adamax().name == "adamax" and optimizers.Nadam().name == "nadam"


# --- the base class ---------------------------------------------------------------------


def _vars(dtype="float32"):
    k = lamina.Variable(np.arange(6.0).reshape(2, 3) / 10, dtype=dtype, name="dense/kernel")
    b = lamina.Variable(np.array([0.5, -0.5]), dtype=dtype, name="dense/bias")
    return k, b


def test_variables_order_and_names():
    k, b = _vars()
    opt = optimizers.Adam(amsgrad=True)
    opt.build([k, b])
    assert [v.path for v in opt.variables] == [
        "adam/iteration", "adam/learning_rate",
        "adam/dense_kernel_momentum", "adam/dense_kernel_velocity",
        "adam/dense_bias_momentum", "adam/dense_bias_velocity",
        "adam/dense_kernel_velocity_hat", "adam/dense_bias_velocity_hat",
    ]  # fmt: skip
    assert opt.variables[2].name == "dense_kernel_momentum"
    assert all(not v.trainable for v in opt.variables)
    assert opt.variables[0].dtype == "int64" and opt.variables[0].shape == ()
    assert opt.variables[1].dtype == "float32" and opt.variables[1].shape == ()

    opt = optimizers.RMSprop(momentum=0.5, centered=True, use_ema=True,
                             gradient_accumulation_steps=2)  # fmt: skip
    opt.build([k, b])
    assert [v.name for v in opt.variables] == [
        "iteration", "learning_rate",
        "dense_kernel_average", "dense_bias_average",
        "dense_kernel_gradient_accumulator", "dense_bias_gradient_accumulator",
        "dense_kernel_velocity", "dense_bias_velocity",
        "dense_kernel_momentum", "dense_bias_momentum",
        "dense_kernel_average_gradient", "dense_bias_average_gradient",
    ]  # fmt: skip

    opt = optimizers.Adadelta(schedules.ExponentialDecay(0.1, 10, 0.9))
    opt.build([k, b])
    assert [v.name for v in opt.variables] == [
        "iteration",  # no learning_rate variable with a schedule
        "dense_kernel_accumulated_grad", "dense_kernel_accumulated_delta_var",
        "dense_bias_accumulated_grad", "dense_bias_accumulated_delta_var",
    ]  # fmt: skip
    opt = optimizers.Nadam()
    opt.build([k, b])
    assert opt.variables[-1].name == "u_product" and float(opt.variables[-1]) == 1.0
    assert len(optimizers.SGD().variables) == 2
    opt = optimizers.SGD(momentum=0.9)
    opt.build([k, b])
    assert [v.name for v in opt.variables[2:]] == ["dense_kernel_momentum", "dense_bias_momentum"]
    assert opt.momentums[0] is opt.variables[2]


def test_slot_assign_is_seen_by_the_update():
    # Slots are views into the flat buffers: assigning one (as loading a checkpoint does)
    # must change the next update.
    k, b = _vars()
    opt = optimizers.SGD(0.1, momentum=0.9)
    opt.build([k, b])
    opt.variables[2].assign(np.ones((2, 3)))
    before = k.numpy().copy()
    opt.apply_gradients([(np.zeros((2, 3)), k), (np.zeros(2), b)])
    np.testing.assert_allclose(k.numpy(), before + 0.9, rtol=1e-6)
    np.testing.assert_allclose(opt.variables[2].numpy(), 0.9, rtol=1e-6)


def test_iterations_count_and_learning_rate_assignment():
    k, b = _vars()
    opt = optimizers.SGD(0.1)
    assert int(opt.iterations) == 0
    g = [np.ones((2, 3)), np.ones(2)]
    opt.apply(g, [k, b])
    opt.apply(g)  # built: the variables may be omitted
    assert int(opt.iterations) == 2 and opt.iterations is opt.variables[0]
    opt.apply([], [])  # no gradients: a no-op, as Keras
    assert int(opt.iterations) == 2
    np.testing.assert_allclose(b.numpy(), [0.3, -0.7], rtol=1e-6)
    opt.learning_rate = 0.5  # as ReduceLROnPlateau / LearningRateScheduler do
    assert float(opt.learning_rate) == 0.5 and opt.learning_rate is opt.variables[1]
    opt.apply(g)
    np.testing.assert_allclose(b.numpy(), [-0.2, -1.2], rtol=1e-6)
    opt.learning_rate = np.float32(0.25)
    assert float(opt.learning_rate) == 0.25
    opt.learning_rate.assign(0.125)
    assert opt.get_config()["learning_rate"] == 0.125
    # Replacing the variable by a schedule untracks it, then floats cannot be set.
    opt.learning_rate = schedules.PiecewiseConstantDecay([3], [1.0, 0.1])
    assert [v.name for v in opt.variables] == ["iteration"]
    assert float(opt.learning_rate) == pytest.approx(1.0)  # iterations == 3 <= 3
    opt.apply(g)
    np.testing.assert_allclose(b.numpy(), [-1.2, -2.2], rtol=1e-6)
    assert float(opt.learning_rate) == pytest.approx(0.1)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    # A callable of no arguments is called at every step.
    opt = optimizers.SGD(lambda: 0.25)
    opt.apply([np.ones(2)], [b])
    np.testing.assert_allclose(b.numpy(), [-1.45, -2.45], rtol=1e-6)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.SGD("fast")


def test_float32_stays_float32():
    k, b = _vars()
    opt = optimizers.Adam(0.01, weight_decay=0.1, clipnorm=1.0)
    opt.apply_gradients([(np.ones((2, 3), np.float64), k), (lamina.Tensor(np.ones(2)), b)])
    assert k.data.dtype == np.float32 and b.data.dtype == np.float32
    assert all(v.data.dtype in (np.float32, np.int64) for v in opt.variables)


def test_none_gradients_are_skipped_with_a_warning():
    k, b = _vars()
    opt = optimizers.Adam(0.1)
    k0 = k.numpy().copy()
    with pytest.warns(UserWarning, match="dense/kernel"):
        opt.apply_gradients([(None, k), (np.ones(2), b)])
    np.testing.assert_array_equal(k.numpy(), k0)
    np.testing.assert_allclose(b.numpy(), [0.4, -0.6], rtol=1e-5)  # Adam's first step is lr
    assert np.all(opt.variables[2].numpy() == 0)  # the kernel's momentum is untouched
    with pytest.raises(ValueError, match="No gradients provided"):
        opt.apply_gradients([(None, k), (None, b)])


def test_mixed_none_gradients_match_full_updates():
    # Several variables with a gap: the update runs on two separate flat segments.
    rng = np.random.default_rng(3)
    shapes = [(2, 2), (3,), (2,), (4,)]
    a = [lamina.Variable(rng.normal(size=s), name=f"a{i}") for i, s in enumerate(shapes)]
    c = [lamina.Variable(v.numpy().copy(), name=f"c{i}") for i, v in enumerate(a)]
    opt_a, opt_c = optimizers.Nadam(0.1), optimizers.Nadam(0.1)
    opt_a.build(a)
    opt_c.build(c)
    grads = [rng.normal(size=s) for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt_a.apply([grads[0], None, grads[2], grads[3]], a)
    # the same step, variable by variable, through Keras's per-variable update_step
    opt_c._advance(0)
    for i in (0, 2, 3):
        opt_c.update_step(grads[i], c[i], opt_c.learning_rate)
    for i in range(4):
        np.testing.assert_allclose(a[i].numpy(), c[i].numpy(), rtol=1e-6)


def test_mixed_dtypes_update_like_separate_optimizers():
    # float32 and float64 variables live in two flat groups; each keeps its dtype.
    w0, grads = _problem(6)
    mixed = [lamina.Variable(w0[0], dtype="float32", name="layer/w0"),
             lamina.Variable(w0[1], dtype="float64", name="layer/w1")]  # fmt: skip
    opt = optimizers.RMSprop(LR, momentum=0.5, centered=True)
    for g in grads:
        opt.apply_gradients(zip(g, mixed))
    for i, dtype in enumerate(("float32", "float64")):
        alone = run_lamina(optimizers.RMSprop(LR, momentum=0.5, centered=True), [w0[i]],
                           [[g[i]] for g in grads], dtype)  # fmt: skip
        assert mixed[i].dtype == dtype
        np.testing.assert_array_equal(mixed[i].numpy(), alone[0].numpy())


@pytest.mark.parametrize("label", ["adam-amsgrad", "nadam", "rmsprop-centered-momentum"])
def test_large_variables_are_updated_in_chunks(label):
    # > 32768 elements: the rule runs on cache-sized parts of the flat buffers.
    from lamina.optimizers._slots import CHUNK

    _, make, rule, _ = next(c for c in CASES if c[0] == label)
    rng = np.random.default_rng(8)
    shapes = [(5,), (CHUNK // 100 + 7, 150), (3,)]
    w0 = [rng.normal(size=s) for s in shapes]
    grads = [[rng.normal(size=s) * 10.0 ** rng.uniform(-4, 0, size=s) for s in shapes]
             for _ in range(3)]  # fmt: skip
    opt = make()
    variables = run_lamina(opt, w0, grads, "float64")
    assert len(opt._store.full[0].parts) >= 2
    lr = opt.get_config()["learning_rate"]
    expected, _ = run_reference(rule(lr), w0, grads, lr=lr)
    for v, w in zip(variables, expected):
        assert_close(v.numpy(), w, 1e-10)


def test_shape_mismatch_names_the_variable():
    k, b = _vars()
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match=r"dense/bias.*\(3,\).*\(2,\)"):
        opt.apply_gradients([(np.ones((2, 3)), k), (np.ones(3), b)])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(np.ones(2), lamina.Variable(np.zeros(2), name="other"))])
    with pytest.raises(ValueError, match="2 variables"):
        opt.apply([np.ones((2, 3))])


def test_constraints_are_applied_after_the_update():
    w = lamina.Variable(np.array([0.05, 0.5, -0.3]), name="w",
                        constraint=lambda v: np.maximum(np.asarray(v), 0.0))  # fmt: skip
    opt = optimizers.SGD(1.0)
    opt.apply_gradients([(np.array([0.1, 0.1, 0.1]), w)])
    np.testing.assert_allclose(w.numpy(), [0.0, 0.4, 0.0], atol=1e-7)


def test_gradient_accumulation_averages_k_gradients():
    k, b = _vars()
    opt = optimizers.SGD(1.0, gradient_accumulation_steps=2)
    b0 = b.numpy().copy()
    opt.apply([np.zeros((2, 3)), np.array([1.0, 2.0])], [k, b])
    np.testing.assert_array_equal(b.numpy(), b0)  # accumulating only
    assert int(opt.iterations) == 0 and int(opt._iterations) == 1
    opt.apply([np.zeros((2, 3)), np.array([3.0, 0.0])])
    np.testing.assert_allclose(b.numpy(), b0 - [2.0, 1.0], rtol=1e-6)
    assert int(opt.iterations) == 1
    assert np.all(opt.variables[-1].numpy() == 0)  # accumulators reset
    with pytest.raises(ValueError, match=">= 2"):
        optimizers.SGD(gradient_accumulation_steps=1)


def test_gradient_accumulation_with_adam_uses_the_real_step_count():
    w0, grads = _problem(1)
    opt = optimizers.Adam(0.1, gradient_accumulation_steps=3)
    pairs = [g for g in grads for _ in range(3)]  # each gradient 3 times: mean = itself
    variables = run_lamina(opt, w0, pairs, "float64")
    expected, _ = run_reference(ref_adam(LR), w0, grads, lr=LR)
    for v, w in zip(variables, expected):
        assert_close(v.numpy(), w, 1e-10)
    assert int(opt.iterations) == STEPS


def test_ema_moving_average_and_overwrite():
    w = lamina.Variable(np.array([1.0, 2.0]), name="w")
    opt = optimizers.SGD(0.5, use_ema=True, ema_momentum=0.9)
    history = []
    for g in ([1.0, 1.0], [2.0, 0.0], [0.0, 4.0]):
        opt.apply_gradients([(np.array(g), w)])
        history.append(w.numpy().copy())
    avg = history[0]  # first step: momentum 0, the average is the weight itself
    for h in history[1:]:
        avg = 0.9 * avg + 0.1 * h
    average = opt.variables[2]
    assert average.name == "w_average"
    np.testing.assert_allclose(average.numpy(), avg, rtol=1e-6)
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), avg, rtol=1e-6)

    v = lamina.Variable(np.array([1.0]), name="v")
    opt = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    opt.apply_gradients([(np.array([1.0]), v)])  # v = 0, average = 0
    opt.apply_gradients([(np.array([1.0]), v)])  # v = -1, average = -0.5, overwrite
    np.testing.assert_allclose(v.numpy(), [-0.5])


def test_exclude_from_weight_decay():
    k, b = _vars()
    opt = optimizers.AdamW(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients([(np.zeros((2, 3)), k), (np.zeros(2), b)])
    np.testing.assert_allclose(b.numpy(), [0.5, -0.5])  # zero gradient, no decay
    np.testing.assert_allclose(k.numpy(), np.arange(6.0).reshape(2, 3) / 10 * 0.95, rtol=1e-6)


def test_constructor_errors():
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.SGD(foo=1)
    with pytest.raises(ValueError, match="did you mean 'momentum'"):
        optimizers.SGD(momentun=0.9)
    with pytest.warns(UserWarning, match="decay"):
        optimizers.SGD(decay=0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="ema_momentum"):
        optimizers.SGD(use_ema=True, ema_momentum=2.0)
    with pytest.raises(ValueError, match="non-negative"):
        optimizers.Adagrad(initial_accumulator_value=-1.0)


def test_get_and_unknown_names():
    names = ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam"]
    classes = [
        optimizers.SGD, optimizers.RMSprop, optimizers.Adam, optimizers.AdamW,
        optimizers.Adagrad, optimizers.Adadelta, optimizers.Adamax, optimizers.Nadam,
    ]  # fmt: skip
    for name, cls in zip(names, classes):
        assert type(optimizers.get(name)) is cls
        assert type(optimizers.get(name.upper())) is cls
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt and optimizers.get(None) is None
    from_dict = optimizers.get({"class_name": "RMSprop", "config": {"rho": 0.8}})
    assert type(from_dict) is optimizers.RMSprop and from_dict.rho == 0.8
    with pytest.raises(ValueError, match=r"'adm'.*Did you mean 'adam'.*sgd, rmsprop"):
        optimizers.get("adm")
    with pytest.raises(NotImplementedError, match="schedulefreesgd"):
        optimizers.get("schedulefreesgd")
    with pytest.raises(ValueError, match="Could not interpret"):
        optimizers.get(3)


@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True, clipnorm=1.0),
    lambda: optimizers.RMSprop(0.01, momentum=0.2, centered=True, global_clipnorm=2.0),
    lambda: optimizers.Adam(0.02, amsgrad=True, use_ema=True, ema_overwrite_frequency=3),
    lambda: optimizers.AdamW(0.01, weight_decay=0.1, clipvalue=0.5),
    lambda: optimizers.Adagrad(initial_accumulator_value=0.2, loss_scale_factor=8.0),
    lambda: optimizers.Adadelta(1.0, rho=0.9, gradient_accumulation_steps=4),
    lambda: optimizers.Adamax(beta_2=0.99, name="my_adamax"),
    lambda: optimizers.Nadam(schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2,
                                                   warmup_steps=5)),
])  # fmt: skip
def test_config_round_trip(make):
    opt = make()
    config = opt.get_config()
    clone = type(opt).from_config(config)
    assert clone.get_config() == config
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert type(again) is type(opt) and again.get_config() == config
    assert optimizers.serialize(opt)["module"] == "keras.optimizers"


def test_state_save_and_load_continue_identically():
    w0, grads = _problem(2)
    a = optimizers.Nadam(0.1)
    va = run_lamina(a, w0, grads[:3], "float32")
    store = {}
    a.save_own_variables(store)
    b = optimizers.Nadam(0.1)
    vb = [lamina.Variable(v.numpy().copy(), name=f"layer/w{i}") for i, v in enumerate(va)]
    b.build(vb)
    b.load_own_variables(store)
    for g in grads[3:]:
        a.apply_gradients(zip(g, va))
        b.apply_gradients(zip(g, vb))
    for x, y in zip(va, vb):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        optimizers.Nadam().load_own_variables(store)
    b.set_weights([np.asarray(v) for v in a.variables])
    with pytest.raises(ValueError, match="not compatible"):
        b.set_weights([np.zeros(3)])


class KerasStyleMomentum(optimizers.Optimizer):
    """A custom optimizer written as the Keras docs show (build + update_step)."""

    def __init__(self, learning_rate=0.1, momentum=0.9, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        m = self.momentums[self._get_variable_index(variable)]
        lr = float(learning_rate)
        self.assign(m, m.numpy() * self.momentum - np.asarray(gradient) * lr)
        self.assign_add(variable, m.numpy())


def test_keras_style_custom_optimizer():
    w0, grads = _problem(4)
    opt = KerasStyleMomentum(0.1, 0.9, clipvalue=0.5)
    variables = run_lamina(opt, w0, grads, "float64")
    expected, _ = run_reference(ref_sgd(LR, 0.9), w0, grads, lr=LR, clipvalue=0.5)
    for v, w in zip(variables, expected):
        assert_close(v.numpy(), w, 1e-10)
    assert [v.name for v in opt.variables[2:]] == ["layer_w0_momentum", "layer_w1_momentum"]
    assert opt.name.startswith("keras_style_momentum")  # auto-named, as Keras
    with pytest.raises(NotImplementedError, match="update_step"):
        optimizers.Optimizer(0.1).update_step(None, None, None)


def test_subclass_overriding_update_step_uses_keras_per_variable_path():
    calls = []

    class CountingAdam(optimizers.Adam):
        def update_step(self, gradient, variable, learning_rate):
            calls.append(variable.path)
            super().update_step(gradient, variable, learning_rate)

    w0, grads = _problem(5)
    ours = run_lamina(CountingAdam(0.1), w0, grads, "float64")
    expected, _ = run_reference(ref_adam(LR), w0, grads, lr=LR)
    for v, w in zip(ours, expected):
        assert_close(v.numpy(), w, 1e-10)
    assert len(calls) == 2 * STEPS


def test_least_squares_converges_with_gradient_tape():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.01 * rng.normal(size=(64, 1))).astype(
        np.float32
    )
    solution = np.linalg.lstsq(np.hstack([x, np.ones((64, 1))]), y, rcond=None)[0].ravel()
    for opt in (
        optimizers.Adam(0.05),
        optimizers.SGD(0.1, momentum=0.9),
        optimizers.RMSprop(schedules.PiecewiseConstantDecay([200], [0.02, 0.001])),
        optimizers.Nadam(0.05),
    ):
        w = lamina.Variable(np.zeros((3, 1)), name="w")
        b = lamina.Variable(np.zeros((1,)), name="b")
        for _ in range(300):
            with lamina.GradientTape() as tape:
                loss = lamina.ops.mean(lamina.ops.square(lamina.ops.matmul(x, w) + b - y))
            opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
        found = np.concatenate([w.numpy().ravel(), b.numpy()])
        np.testing.assert_allclose(found, solution, atol=2e-3, err_msg=type(opt).__name__)


def test_keras2_lr_argument_is_accepted_with_a_warning():
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        opt = optimizers.RMSprop(lr=1e-4)
    assert float(opt.learning_rate) == pytest.approx(1e-4)


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw", "adagrad", "adadelta", "adamax", "nadam"])
def test_large_variables_read_gradients_in_place_with_identical_results(name):
    """Variables of >= CHUNK elements skip the gradient copy; results must not change."""
    from lamina.optimizers._slots import CHUNK

    rng = np.random.default_rng(0)
    shapes = [(CHUNK + 1000,), (7,), (3, CHUNK // 2 + 5)]  # chunks cut inside and between variables
    start = [rng.standard_normal(s).astype("float32") for s in shapes]
    grads = [[rng.standard_normal(s).astype("float32") for s in shapes] for _ in range(4)]
    results = []
    for extra in ({}, {"clipnorm": 1e30}):  # a no-op clip forces the copying path
        vs = [lamina.Variable(a) for a in start]
        opt = optimizers.get({"class_name": name, "config": extra}) if extra else optimizers.get(name)
        for gs in grads:
            opt.apply_gradients(zip(gs, vs))
        results.append([v.numpy().copy() for v in vs])
        assert opt._direct is None  # no gradient arrays kept alive between steps
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name,zero_steps", [("rmsprop", 895), ("adam", 895), ("sgd_momentum", 127)])
def test_slots_of_dead_weights_never_stay_subnormal(name, zero_steps):
    """A moment whose gradient becomes 0 decays geometrically; it is flushed to 0 once below
    the smallest normal float (subnormal arithmetic is ~40x slower). The step counts put
    the check right after a flush (every 64 steps) while the unflushed value would still be
    subnormal: 0.1 * 0.9**895 ~ 1e-42 (RMSprop velocity, Adam momentum), 0.01 * 0.5**127."""
    opt = optimizers.SGD(momentum=0.5) if name == "sgd_momentum" else optimizers.get(name)
    v = lamina.Variable(np.ones(1000, np.float32))
    opt.apply_gradients([(np.ones(1000, np.float32), v)])
    zero = np.zeros(1000, np.float32)
    for _ in range(zero_steps):
        opt.apply_gradients([(zero, v)])
    assert int(opt.iterations.numpy()) % 64 == 0
    tiny = np.finfo(np.float32).tiny
    slots = [s.numpy() for s in opt.variables[1:] if s.shape == (1000,)]
    assert slots and all(np.all((a == 0) | (np.abs(a) >= tiny)) for a in slots)
    assert np.all(np.isfinite(v.numpy()))

