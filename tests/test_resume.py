"""Resume is exact: `save` -> `load_model` -> `fit(initial_epoch=k)` repeats an uninterrupted
run bit for bit, with dropout, noise, recurrent dropout, random image layers and shuffling,
in the same process and in a fresh one (docs/saving.md, "Resume is exact")."""
import json
import zipfile

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.saving import CorruptFileError, random_state
from tests.helpers import training_script

def _dense_noise():
    return [layers.Input((6,)), layers.Dense(8, activation="relu"), layers.Dropout(0.3),
            layers.GaussianNoise(0.1), layers.GaussianDropout(0.2), layers.Dense(1)]


def _recurrent():
    return [layers.Input((5, 6)), layers.LSTM(4, dropout=0.2, recurrent_dropout=0.2,
                                              return_sequences=True),
            layers.GRU(3, dropout=0.2), layers.Dense(1)]


def _image():
    return [layers.Input((6, 6, 1)), layers.RandomFlip(), layers.RandomTranslation(0.2, 0.2),
            layers.SpatialDropout2D(0.2), layers.Flatten(), layers.Dense(1)]


def _attention():
    inp = lamina.Input((4, 6))
    out = layers.MultiHeadAttention(2, 3, dropout=0.3)(inp, inp)
    out = layers.Dense(1)(layers.GlobalAveragePooling1D()(out))
    return lamina.Model(inp, out)


KINDS = {"dropout_noise": _dense_noise, "recurrent": _recurrent, "image": _image,
         "attention": _attention}


def _data(kind):
    rng = np.random.default_rng(0)
    shape = {"dropout_noise": (6,), "recurrent": (5, 6), "image": (6, 6, 1), "attention": (4, 6)}[kind]
    x = rng.normal(size=(24, *shape)).astype("float32")
    y = np.tanh(x.reshape(24, -1).sum(1, keepdims=True)).astype("float32")
    return x, y


def _build(kind):
    lamina.utils.set_random_seed(1)
    made = KINDS[kind]()
    model = made if isinstance(made, lamina.Model) else lamina.Sequential(made)
    model.compile(optimizer="adam", loss="mse")
    return model


def _fit(model, x, y, **kw):
    return model.fit(x, y, batch_size=8, shuffle=True, verbose=0, **kw).history


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_save_load_resume_equals_an_uninterrupted_run_bitwise(tmp_path, kind):
    x, y = _data(kind)
    straight = _build(kind)
    h_straight = _fit(straight, x, y, epochs=4)

    first = _build(kind)
    h_first = _fit(first, x, y, epochs=2)
    path = tmp_path / "half.keras"
    first.save(path)
    lamina.utils.set_random_seed(12345)  # whatever happens in between: the file decides
    np.random.default_rng(0).random(7)
    resumed = lamina.models.load_model(path)
    h_resumed = _fit(resumed, x, y, epochs=4, initial_epoch=2)
    assert h_first["loss"] + h_resumed["loss"] == h_straight["loss"]
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_random_state_is_a_separate_member_and_the_weights_keep_keras_layout(tmp_path):
    model = _build("dropout_noise")
    x, y = _data("dropout_noise")
    _fit(model, x, y, epochs=1)
    model.save(tmp_path / "m.keras", weights_format="npz")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        saved = json.loads(zf.read(random_state.MEMBER))
        with zipfile.ZipFile(zf.open("model.weights.npz")) as inner:
            weights = inner.namelist()
    assert sorted(saved["generators"]) == ["layers/dropout/seed_generator",
                                           "layers/gaussian_dropout/seed_generator",
                                           "layers/gaussian_noise/seed_generator"]
    assert saved["global"] == lamina.random.get_state()
    assert not any("seed" in name for name in weights)  # Keras's layout: layer variables only


def test_a_file_without_random_state_leaves_the_global_stream_alone(tmp_path):
    """Files written by Keras have no random-state member: loading draws nothing visible."""
    model = _build("dropout_noise")
    path = tmp_path / "m.keras"
    model.save(path)
    _strip_member(path)
    lamina.utils.set_random_seed(5)
    lamina.models.load_model(path)  # building the model draws initial weights
    after = lamina.random.uniform((3,)).numpy()
    lamina.utils.set_random_seed(5)
    np.testing.assert_array_equal(after, lamina.random.uniform((3,)).numpy())


def _strip_member(path, replace=None):
    with zipfile.ZipFile(path) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in members:
            if info.filename == random_state.MEMBER:
                if replace is None:
                    continue
                data = replace
            zf.writestr(info, data)


@pytest.mark.parametrize("payload", [
    b'{"format": 2}', b'{"format": 1, "generators": []}',
    b'{"format": 1, "generators": {}, "global": {"bit_generator": "MT19937"}}',
    (b'{"format": 1, "generators": {}, "global": {"bit_generator": "PCG64", "state": -1, '
     b'"inc": 1, "has_uint32": 0, "uinteger": 0}}'),
    b'{"format": 1, "generators": {"layers/dropout/seed_generator": "x"}, "global": {}}',
    b"not json",
])
def test_a_damaged_random_state_is_refused_naming_the_file(tmp_path, payload):
    model = _build("dropout_noise")
    path = tmp_path / "m.keras"
    model.save(path)
    _strip_member(path, replace=payload)
    before = lamina.random.get_state()
    with pytest.raises(CorruptFileError, match=r"m\.keras.*lamina_random_state|lamina_random_state.*m\.keras"):
        lamina.models.load_model(path)
    assert lamina.random.get_state() == before  # nothing changed


_BODY = """
    if mode == "resume":
        lamina.utils.set_random_seed(999)  # a new process, another seed: the file decides
        model = lamina.models.load_model(target)
        h = model.fit(x, y, epochs=5, initial_epoch=2, batch_size=8, verbose=0)
    else:
        model = build(3)
        h = model.fit(x, y, epochs=5 if mode == "straight" else 2, batch_size=8, verbose=0)
        if mode == "first":
            model.save(target)
    report(h, model)
"""


def test_resume_in_a_fresh_process_with_dropout_and_shuffling_is_bitwise_exact(tmp_path):
    path = tmp_path / "half.keras"
    straight, first, resumed = (training_script.report(training_script.run(tmp_path, _BODY, mode, path))
                                for mode in ("straight", "first", "resume"))
    assert resumed["epoch"] == [2, 3, 4]
    training_script.assert_same_run(straight, resumed, first)
