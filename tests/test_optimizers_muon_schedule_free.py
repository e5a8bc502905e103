"""Muon, ScheduleFreeAdamW, MultiOptimizer and OptimizerMap (Keras 3.15.1's rules).

Each optimizer runs 5 steps on a fixed quadratic, loss = sum(C * (w - T)^2) / 2 over a 4x3
"kernel" (Muon's matrix step) and a 3-vector "bias" (Muon's Adam step): in float64 against an
independent NumPy transcription of Keras's formulas (rtol 1e-10, every step), and in float32
against Keras's own final weights. The KERAS_* arrays were produced once by running the same
problem with keras 3.15.1 (KERAS_BACKEND=jax, /work/peers-venv): `opt.apply([C * (w - T) for
each variable], [kernel, bias])` five times, then `kernel.numpy()`, `bias.numpy()`.
"""
import math

import numpy as np
import pytest

import lamina
from lamina import layers, optimizers

W0 = np.linspace(-1.0, 1.0, 12).reshape(4, 3) * np.array([1.0, -0.5, 2.0])
B0 = np.array([0.3, -0.2, 0.1])
TW = np.cos(np.arange(12.0)).reshape(4, 3)
TB = np.array([1.0, 0.5, -1.0])
CW = 1.0 + np.arange(12.0).reshape(4, 3) / 6
CB = np.array([2.0, 1.0, 0.5])

KERAS = {
    "muon": ([[-0.94267374, 0.37602997, -1.2770455], [-0.46181992, 0.08577433, -0.16761452],
              [0.14093928, -0.090302825, 0.85652083], [0.6000848, -0.43484387, 1.9338372]],
             [0.5472009, 0.047693413, -0.14869013]),
    "muon_plain": ([[-0.8285861, 0.30667567, -1.2546806], [-0.45550945, 0.006837744, -0.14689901],
                    [0.20430699, -0.027309489, 0.7639248], [0.5296627, -0.46761072, 1.7823907]],
                   [0.40741503, -0.068194784, -0.027133485]),
    "muon_excluded": ([[-0.749739, 0.6032787, -1.0233843], [-0.7004237, -0.111642584, 0.06379199],
                       [0.33893833, 0.11194678, 0.65966976], [0.38668886, -0.65350676, 1.7487439]],
                      [0.5472009, 0.047693413, -0.14869013]),
    "sf": ([[-0.8420762, 0.5261862, -1.117734], [-0.6062618, -0.01818195, -0.031475566],
            [0.24597949, 0.018829383, 0.7531148], [0.479066, -0.5585477, 1.8420812]],
           [0.45379582, -0.046204206, -0.056149602]),
    "sf_warmup_wd": ([[-0.86951065, 0.5038524, -1.1416285], [-0.566987, 0.016544756, -0.064176984],
                      [0.20886034, -0.016133917, 0.7808411], [0.5098776, -0.52065563, 1.8596768]],
                     [0.41515198, -0.080042005, -0.020487444]),
    # SGD(0.1, momentum=0.9) on the kernel (the default), Adam(0.05) on "bias"
    "multi": ([[1.0583199, 0.56006634, -0.1938842], [-1.1807747, -1.0025855, 0.5239501],
               [1.4647069, 1.319087, -0.8626522], [-2.0198636, -1.159266, -1.5224243]],
              [0.5475955, 0.047595087, -0.14869025]),
}
CONFIGS = {
    "muon": dict(learning_rate=0.05),
    "muon_plain": dict(learning_rate=0.05, nesterov=False, rms_rate=None, weight_decay=0.1,
                       adam_weight_decay=0.2, adam_lr_ratio=0.5, momentum=0.9, ns_steps=3),
    "muon_excluded": dict(learning_rate=0.05, exclude_layers=["ker"]),
    "sf": dict(learning_rate=0.05),
    "sf_warmup_wd": dict(learning_rate=0.05, warmup_steps=3, weight_decay=0.1, beta_1=0.8),
}


def run(opt, dtype="float32", steps=5, names=("kernel", "bias")):
    w = lamina.Variable(W0.astype(dtype), dtype=dtype, name=names[0])
    b = lamina.Variable(B0.astype(dtype), dtype=dtype, name=names[1])
    history = []
    for _ in range(steps):
        opt.apply([CW * (w.numpy() - TW), CB * (b.numpy() - TB)], [w, b])
        history.append((w.numpy().copy(), b.numpy().copy()))
    return history


# --- independent float64 transcriptions of Keras's update rules ---------------------------
def ref_newton_schulz(x, steps, a=3.4445, b=-4.775, c=2.0315):
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def ref_muon(learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004,
             epsilon=1e-7, weight_decay=0.004, exclude_layers=(), adam_lr_ratio=1, momentum=0.95,
             ns_steps=5, nesterov=True, rms_rate=0.2, steps=5):
    lr = float(np.float32(learning_rate))  # the optimizer keeps it in a float32 variable
    w, b = W0.copy(), B0.copy()
    mw, mb, vb = np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    vw = np.zeros_like(w)
    kernel_adam = any(p in "kernel" for p in exclude_layers)
    history = []
    for t in range(1, steps + 1):
        gw, gb = CW * (w - TW), CB * (b - TB)
        w = w - w * (adam_weight_decay if kernel_adam else weight_decay) * lr
        b = b - b * adam_weight_decay * lr
        alpha = lr * adam_lr_ratio * math.sqrt(1 - adam_beta_2**t) / (1 - adam_beta_1**t)
        mb = adam_beta_1 * mb + (1 - adam_beta_1) * gb
        vb = adam_beta_2 * vb + (1 - adam_beta_2) * gb**2
        b = b - alpha * mb / (np.sqrt(vb) + epsilon)
        if kernel_adam:
            mw = adam_beta_1 * mw + (1 - adam_beta_1) * gw
            vw = adam_beta_2 * vw + (1 - adam_beta_2) * gw**2
            w = w - alpha * mw / (np.sqrt(vw) + epsilon)
        else:
            mw = momentum * mw + gw
            u = gw + momentum * mw if nesterov else mw
            scale = 1.0 if rms_rate is None else math.sqrt(max(w.shape)) * rms_rate
            w = w - lr * scale * ref_newton_schulz(u, ns_steps)
        history.append((w, b))
    return history


def ref_schedule_free(learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                      warmup_steps=0, weight_decay=None, steps=5):
    learning_rate = float(np.float32(learning_rate))  # a float32 variable, as in Keras
    ys = [W0.copy(), B0.copy()]
    zs = [y.copy() for y in ys]
    vs = [np.zeros_like(y) for y in ys]
    history = []
    for t in range(1, steps + 1):
        grads = [CW * (ys[0] - TW), CB * (ys[1] - TB)]
        lr = learning_rate * (min(t / warmup_steps, 1.0) if warmup_steps else 1.0)
        for k in range(2):
            y = ys[k] * (1 - weight_decay * learning_rate) if weight_decay else ys[k]
            x = (y - (1 - beta_1) * zs[k]) / beta_1
            vs[k] = beta_2 * vs[k] + (1 - beta_2) * grads[k] ** 2
            zs[k] = zs[k] - lr * grads[k] / (np.sqrt(vs[k] / (1 - beta_2**t)) + epsilon)
            x = (1 - 1 / t) * x + zs[k] / t
            ys[k] = (1 - beta_1) * zs[k] + beta_1 * x
        history.append(tuple(y.copy() for y in ys))
    return history


def _check(history, expected, rtol):
    for (w, b), (ew, eb) in zip(history, expected):
        np.testing.assert_allclose(w, ew, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(b, eb, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("case", ["muon", "muon_plain", "muon_excluded"])
def test_muon_matches_transcription_and_keras(case):
    _check(run(optimizers.Muon(**CONFIGS[case]), "float64"), ref_muon(**CONFIGS[case]), 1e-10)
    w, b = run(optimizers.Muon(**CONFIGS[case]))[-1]
    _check([(w, b)], [KERAS[case]], 1e-5)


@pytest.mark.parametrize("case", ["sf", "sf_warmup_wd"])
def test_schedule_free_adamw_matches_transcription_and_keras(case):
    opt = optimizers.ScheduleFreeAdamW(**CONFIGS[case])
    _check(run(opt, "float64"), ref_schedule_free(**CONFIGS[case]), 1e-10)
    w, b = run(optimizers.ScheduleFreeAdamW(**CONFIGS[case]))[-1]
    _check([(w, b)], [KERAS[case]], 1e-5)


def test_muon_newton_schulz_orthogonalizes_and_chooses_adam_variables():
    opt = optimizers.Muon()
    g = np.random.default_rng(0).normal(size=(6, 3))
    o = opt.zeropower_via_newtonschulz5(g, 10)
    s = np.linalg.svd(o, compute_uv=False)  # the quintic iteration lands the singular values near 1
    assert o.shape == (6, 3) and np.all(np.abs(s - 1) < 0.35), s
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        opt.zeropower_via_newtonschulz5(np.ones(3), 5)
    emb = lamina.Variable(np.ones((5, 2)), name="embeddings")
    emb.path = "embedding/embeddings"
    variables = [lamina.Variable(np.ones((2, 2)), name="kernel"), lamina.Variable(np.ones(2), name="bias"),
                 lamina.Variable(np.ones((2, 2, 2)), name="conv"), emb]
    opt.build(variables)
    assert [opt._should_use_adamw(v) for v in variables] == [False, True, True, True]
    # Keras's order: per variable, momentum then (Adam variables only) velocity
    assert [v.name for v in opt.variables] == [
        "iteration", "learning_rate", "kernel_momentum", "bias_momentum", "bias_velocity",
        "conv_momentum", "conv_velocity", "embedding_embeddings_momentum", "embedding_embeddings_velocity"]
    assert not optimizers.Muon(exclude_embeddings=False)._should_use_adamw(emb)


def test_schedule_free_state_starts_at_the_weights():
    opt = optimizers.ScheduleFreeAdamW()
    w = lamina.Variable(W0, name="kernel")
    opt.build([w])
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate", "kernel_momentum", "kernel_velocity"]
    np.testing.assert_array_equal(opt.variables[2].numpy(), W0.astype("float32"))
    assert opt.name.startswith("schedule_free_adam_w")
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.ScheduleFreeAdamW(beta_1=0.0)


def _multi():
    return optimizers.MultiOptimizer(optimizers.OptimizerMap(
        optimizers.SGD(learning_rate=0.1, momentum=0.9), {"bias": optimizers.Adam(learning_rate=0.05)}))


def test_multi_optimizer_dispatches_like_keras():
    multi = _multi()
    history = run(multi, "float64")
    sgd, adam = run(optimizers.SGD(0.1, momentum=0.9), "float64"), run(optimizers.Adam(0.05), "float64")
    _check(history, [(s[0], a[1]) for s, a in zip(sgd, adam)], 1e-12)  # each group alone
    w, b = run(_multi())[-1]
    _check([(w, b)], [KERAS["multi"]], 1e-5)
    assert int(multi.iterations.numpy()) == 5
    assert [int(o.iterations.numpy()) for o in multi.optimizers] == [5, 5]
    # own variables, then each sub-optimizer's (map values first, then the default), as Keras
    assert [v.path.split("/")[1] for v in multi.variables] == [
        "iteration", "learning_rate", "iteration", "learning_rate", "bias_momentum", "bias_velocity",
        "iteration", "learning_rate", "kernel_momentum"]
    with pytest.raises(AttributeError, match="sub-optimizers"):
        multi.learning_rate  # noqa: B018
    with pytest.raises(AttributeError, match="sub-optimizers"):
        multi.learning_rate = 0.1
    multi.loss_scale_factor = 4.0
    assert [o.loss_scale_factor for o in multi.optimizers] == [4.0, 4.0]


def test_multi_optimizer_with_a_selector_and_state_round_trip():
    fast, slow = optimizers.Adam(0.1), optimizers.SGD(0.01)
    multi = optimizers.MultiOptimizer(lambda v: fast if v.name == "kernel" else slow)
    history = run(multi, "float64")
    _check(history, [(a[0], s[1]) for a, s in zip(run(optimizers.Adam(0.1), "float64"),
                                                  run(optimizers.SGD(0.01), "float64"))], 1e-12)
    assert multi.optimizers == [fast, slow]
    store = {}
    multi.save_own_variables(store)
    assert len(store) == len(multi.variables) == 2 + 4 + 2
    twin = optimizers.MultiOptimizer(
        lambda v, a=optimizers.Adam(0.1), s=optimizers.SGD(0.01): a if v.name == "kernel" else s)
    twin.build([lamina.Variable(W0, dtype="float64", name="kernel"),
                lamina.Variable(B0, dtype="float64", name="bias")])
    twin.load_own_variables(store)
    for x, y in zip(multi.variables, twin.variables):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    twin.set_weights([v.numpy() for v in multi.variables])
    with pytest.raises(ValueError, match="expected 8 arrays"):
        twin.set_weights([np.zeros(3)])


def test_optimizer_map_lookup():
    adam, sgd, rms = optimizers.Adam(), optimizers.SGD(), optimizers.RMSprop()
    om = optimizers.OptimizerMap(default_optimizer=rms)
    om["encoder/layer_0/dense"] = adam
    om["encoder/.*"] = sgd
    om["decoder"] = adam
    assert om["decoder"] is adam and om["encoder/layer_0/dense"] is adam
    assert om["encoder/layer_0/attention/query"] is sgd and om["decoder/layer_0/dense"] is rms
    assert len(om) == 3 and list(om) == ["encoder/layer_0/dense", "encoder/.*", "decoder"]
    om[".*query"] = rms
    with pytest.raises(ValueError, match="Multiple optimizers"):
        om["encoder/attention/query"]  # noqa: B018
    with pytest.raises(ValueError, match="already exists"):
        om["decoder"] = sgd
    with pytest.raises(ValueError, match="MultiOptimizer"):
        om["x"] = optimizers.MultiOptimizer(om)
    with pytest.raises(TypeError, match="default_optimizer"):
        optimizers.OptimizerMap("adam")
    del om[".*query"]
    assert len(om) == 3


def test_configs_round_trip():
    for opt in (optimizers.Muon(**CONFIGS["muon_plain"]), optimizers.ScheduleFreeAdamW(**CONFIGS["sf_warmup_wd"]),
                _multi()):
        config = opt.get_config()
        again = optimizers.deserialize(optimizers.serialize(opt))
        assert type(again) is type(opt) and again.get_config() == config
    assert set(optimizers.Muon().get_config()) == {  # Keras 3.15.1's keys
        "name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema",
        "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps",
        "adam_beta_1", "adam_beta_2", "epsilon", "exclude_layers", "muon_a", "muon_b", "muon_c",
        "adam_lr_ratio", "momentum", "ns_steps", "nesterov", "exclude_embeddings", "adam_weight_decay",
        "rms_rate"}
    config = optimizers.serialize(_multi())
    inner = config["config"]["optimizer_map"]
    assert inner["class_name"] == "OptimizerMap" and inner["config"]["optimizer_map"]["bias"]["class_name"] == "Adam"
    assert isinstance(optimizers.get("muon"), optimizers.Muon)
    assert isinstance(optimizers.get("ScheduleFreeAdamW"), optimizers.ScheduleFreeAdamW)


def _data(n=64):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]]) + 0.3).astype("float32")
    return x, y


def _model():
    lamina.utils.set_random_seed(3)
    return lamina.Sequential([layers.Input((4,)), layers.Dense(8, activation="tanh", name="hidden"),
                              layers.Dense(1, name="out")])


@pytest.mark.parametrize("make", [
    lambda: optimizers.Muon(learning_rate=0.02, exclude_layers=["out"]),
    lambda: optimizers.ScheduleFreeAdamW(learning_rate=0.02),
    lambda: optimizers.MultiOptimizer(optimizers.OptimizerMap(optimizers.SGD(0.05), {"out/.*": optimizers.Adam(0.02)})),
])  # fmt: skip
def test_training_and_save_load_restores_state(make, tmp_path):
    x, y = _data()
    model = _model()
    model.compile(optimizer=make(), loss="mse")
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    loss = model.evaluate(x, y, verbose=0)
    assert loss < 0.1 * first and loss < 0.3, (first, loss)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = lamina.saving.load_model(path)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
