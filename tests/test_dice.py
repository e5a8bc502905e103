"""Dice and Tversky losses: Keras's documented values, hand-computed values, gradients in
float64, reductions, names and training with loss="dice"."""

import numpy as np
import pytest

import lamina
from lamina import losses
from lamina.utils import check_gradients

Y_TRUE = [[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]]
Y_PRED = [[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]]


def test_dice_keras_docstring_example():
    loss = losses.dice(Y_TRUE, Y_PRED, axis=(1, 2, 3))
    assert loss.shape == (2,) and loss.dtype == np.float32
    np.testing.assert_allclose(loss.numpy(), [0.5, 0.75757575], rtol=1e-6)
    loss = losses.dice(Y_TRUE, Y_PRED)
    assert loss.shape == ()
    assert float(loss) == pytest.approx(0.6164384, rel=1e-6)
    loss = losses.Dice(axis=(1, 2, 3), reduction=None)(np.array(Y_TRUE), np.array(Y_PRED))
    np.testing.assert_allclose(loss.numpy(), [0.5, 0.75757575], rtol=1e-6)


def test_dice_reductions_and_sample_weight():
    per_image = np.array([0.5, 1 - 2 * 0.4 / (2 + 1.3)])  # 1 - 2 I / (sum t + sum p) by hand
    t, p = np.array(Y_TRUE), np.array(Y_PRED)
    assert float(losses.Dice(axis=(1, 2, 3))(t, p)) == pytest.approx(per_image.mean(), rel=1e-6)
    assert float(losses.Dice(axis=(1, 2, 3), reduction="sum")(t, p, sample_weight=[2.0, 1.0])) == (
        pytest.approx(2 * per_image[0] + per_image[1], rel=1e-6)
    )
    assert float(losses.Dice()(t, p)) == pytest.approx(0.6164384, rel=1e-6)  # one scalar: as is


def test_tversky_by_hand():
    t = np.array([1.0, 1.0, 0.0, 0.0])
    p = np.array([0.5, 1.0, 1.0, 0.0])
    # I = 1.5, sum(t (1 - p)) = 0.5, sum((1 - t) p) = 1.0
    assert float(losses.tversky(t, p, alpha=0.3, beta=0.7)) == pytest.approx(
        1 - 1.5 / (1.5 + 0.15 + 0.7), rel=1e-6
    )
    assert float(losses.tversky(t, p)) == pytest.approx(float(losses.dice(t, p)), rel=1e-6)
    assert float(losses.Tversky(alpha=0.9, beta=0.1)(t, p)) == pytest.approx(
        1 - 1.5 / (1.5 + 0.45 + 0.1), rel=1e-6
    )
    per_row = losses.Tversky(axis=1, reduction=None)(t.reshape(2, 2), p.reshape(2, 2))
    # row 0: I = 1.5, missed 0.5, false alarms 0 -> 1 - 1.5/1.75; row 1: I = 0 -> 1
    np.testing.assert_allclose(per_row.numpy(), [1 - 1.5 / 1.75, 1.0], rtol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda t, p: losses.dice(t, p, axis=(1, 2)),
    lambda t, p: losses.dice(t, p),
    lambda t, p: losses.tversky(t, p, alpha=0.2, beta=0.8),
    lambda t, p: losses.Tversky(alpha=0.7, beta=0.3, axis=-1, reduction="sum")(t, p),
])  # fmt: skip
def test_gradients_float64(fn):
    rng = np.random.default_rng(3)
    t = (rng.random((2, 3, 4)) > 0.5).astype(np.float64)
    p = rng.uniform(0.05, 0.95, (2, 3, 4))
    assert check_gradients(lambda pred: fn(t, pred), p) < 1e-6
    assert fn(t, lamina.Tensor(p)).dtype == np.float64  # float64 predictions stay float64


def test_names_registry_and_config():
    assert losses.get("dice") is losses.dice and losses.get("tversky") is losses.tversky
    assert type(losses.get("Dice")) is losses.Dice and type(losses.get("Tversky")) is losses.Tversky
    d, tv = losses.Dice(), losses.Tversky()
    assert (d.name, d.reduction, d.axis) == ("dice", "sum_over_batch_size", None)
    assert (tv.name, tv.alpha, tv.beta, tv.axis) == ("tversky", 0.5, 0.5, None)
    for loss in (losses.Dice(axis=(1, 2), reduction="sum", name="d"),
                 losses.Tversky(alpha=0.3, beta=0.7, axis=-1, reduction=None)):  # fmt: skip
        config = loss.get_config()
        assert type(loss).from_config(config).get_config() == config
        assert losses.deserialize(losses.serialize(loss)).get_config() == config


def test_training_with_loss_dice():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6)).astype("float32")
    y = (x[:, :3] > 0).astype("float32")  # three binary masks per sample
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [lamina.Input(shape=(6,)), lamina.layers.Dense(3, activation="sigmoid")]
    )
    model.compile(optimizer=lamina.optimizers.Adam(0.05), loss="dice")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    losses_by_epoch = history.history["loss"]
    assert losses_by_epoch[-1] < 0.7 * losses_by_epoch[0]
    final = float(losses.dice(y, model.predict(x, verbose=0)))
    assert final == pytest.approx(model.evaluate(x, y, batch_size=64, verbose=0), rel=1e-5)
