"""TensorBoard callback: event files decoded here by an independent reader of the TFRecord
framing and the protobuf wire format (field numbers from TensorBoard's event/summary.proto).
The same files were also read back with TensorBoard 2.21's EventAccumulator by hand (tags,
steps, values, histograms, images, the model JSON): see the issue note."""
import glob
import os
import struct
import zlib

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import event_file


# --- an independent reader ---------------------------------------------------------------
def _crc32c_bitwise(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 * (crc & 1))
    return crc ^ 0xFFFFFFFF


def _masked(data):
    c = _crc32c_bitwise(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _fields(buf):
    """Decode one protobuf message into {field number: [values]} (bytes for wire type 2)."""
    out, i = {}, 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            val, i = _read_varint(buf, i)
        elif wt == 1:
            val, i = struct.unpack_from("<d", buf, i)[0], i + 8
        elif wt == 5:
            val, i = struct.unpack_from("<f", buf, i)[0], i + 4
        elif wt == 2:
            n, i = _read_varint(buf, i)
            val, i = bytes(buf[i:i + n]), i + n
        else:
            raise AssertionError(f"unexpected wire type {wt}")
        out.setdefault(field, []).append(val)
    return out


def _read_varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, i


def read_events(path):
    data = open(path, "rb").read()
    events, i = [], 0
    while i < len(data):
        header = data[i:i + 8]
        (n,) = struct.unpack("<Q", header)
        assert struct.unpack("<I", data[i + 8:i + 12])[0] == _masked(header)
        body = data[i + 12:i + 12 + n]
        assert struct.unpack("<I", data[i + 12 + n:i + 16 + n])[0] == _masked(body)
        events.append(_fields(body))
        i += 16 + n
    return events


def scalars(run_dir):
    """{tag: [(step, value)]} of the simple_value scalars of all event files in run_dir."""
    out = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))):
        for ev in read_events(path):
            for summary in ev.get(5, []):
                for v in _fields(summary).get(1, []):
                    f = _fields(v)
                    if 2 in f:
                        out.setdefault(f[1][0].decode(), []).append((ev.get(2, [0])[0], f[2][0]))
    return out


# --- tests -------------------------------------------------------------------------------
def test_crc32c_known_values():
    assert event_file.crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert event_file.crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 test vector
    assert event_file.crc32c(b"\xff" * 32) == 0x62A8AB43
    data = os.urandom(100)
    assert event_file.crc32c(data) == _crc32c_bitwise(data)


def test_varint_and_negative_steps():
    assert event_file._varint(1) == b"\x01"
    assert event_file._varint(300) == b"\xac\x02"
    assert event_file._varint(-1) == b"\xff" * 9 + b"\x01"


def test_png_encoder_writes_a_valid_png():
    pixels = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    png = event_file.encode_png(pixels)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # IDAT holds the rows, each after a 0 filter byte
    start = png.index(b"IDAT") + 4
    (length,) = struct.unpack(">I", png[start - 8:start - 4])
    raw = zlib.decompress(png[start:start + length])
    assert raw == b"".join(b"\x00" + pixels[r].tobytes() for r in range(2))
    PIL = pytest.importorskip("PIL.Image")
    import io
    np.testing.assert_array_equal(np.asarray(PIL.open(io.BytesIO(png))), pixels)


def _fit(tmp_path, epochs=3, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((8,)), layers.Dense(4, activation="relu"),
                               layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    tb = lamina.callbacks.TensorBoard(str(tmp_path / "logs"), **kwargs)
    history = model.fit(x, y, epochs=epochs, batch_size=32, validation_split=0.2, callbacks=[tb],
                        verbose=0)
    return model, history, tb


def test_epoch_scalars_equal_the_history(tmp_path):
    _, history, _ = _fit(tmp_path)
    train = scalars(tmp_path / "logs" / "train")
    val = scalars(tmp_path / "logs" / "validation")
    h = history.history
    for name in ("loss", "accuracy"):
        assert [s for s, _ in train["epoch_" + name]] == [0, 1, 2]
        np.testing.assert_allclose([v for _, v in train["epoch_" + name]], h[name], rtol=1e-6)
        np.testing.assert_allclose([v for _, v in val["epoch_" + name]], h["val_" + name], rtol=1e-6)
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.001] * 3, rtol=1e-6)
    # validation after each epoch, at the optimizer's step count (160 samples / 32 = 5 steps)
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [5, 10, 15]
    assert not any(k.startswith("batch_") for k in train)


def test_batch_scalars_every_n_batches_and_steps_per_second(tmp_path):
    _fit(tmp_path, epochs=2, update_freq=2, write_steps_per_second=True)
    train = scalars(tmp_path / "logs" / "train")
    assert [s for s, _ in train["batch_loss"]] == [2, 4, 6, 8, 10]
    assert all(v > 0 for _, v in train["batch_steps_per_second"])
    assert [s for s, _ in train["epoch_steps_per_second"]] == [0, 1]


def test_histograms_images_and_model_config(tmp_path):
    model, _, _ = _fit(tmp_path, epochs=3, histogram_freq=2, write_images=True)
    (path,) = glob.glob(str(tmp_path / "logs" / "train" / "events.out.tfevents.*"))
    events = read_events(path)
    assert events[0][3] == [b"brain.Event:2"]
    histos, images, config = {}, {}, None
    for ev in events:
        for summary in ev.get(5, []):
            for v in _fields(summary)[1]:
                f = _fields(v)
                tag = f[1][0].decode()
                if 5 in f:
                    histos[(tag, ev[2][0])] = _fields(f[5][0])
                if 4 in f:
                    images[tag] = _fields(f[4][0])
                if 8 in f:
                    config = _fields(f[8][0])[8][0]
    names = [layer.name for layer in model.layers]
    assert {t for t, _ in histos} == {f"{n}/{w}/histogram" for n in names for w in ("kernel", "bias")}
    assert {s for _, s in histos} == {0, 2}  # histogram_freq=2: epochs 0 and 2 of 0, 1, 2
    kernel = model.layers[0].kernel.numpy()
    h = histos[(f"{names[0]}/kernel/histogram", 2)]  # after the last epoch
    assert h[1][0] == pytest.approx(kernel.min()) and h[2][0] == pytest.approx(kernel.max())
    assert h[3][0] == 32 and h[4][0] == pytest.approx(kernel.sum(), abs=1e-5)
    counts = np.frombuffer(h[7][0], "<f8")
    assert counts.sum() == 32 and len(counts) == 30
    img = images[f"{names[0]}/kernel/image"]  # (8, 4) kernel drawn wide: 8 pixels across
    assert (img[1][0], img[2][0], img[3][0]) == (4, 8, 1)
    assert img[4][0][:8] == b"\x89PNG\r\n\x1a\n"
    assert b'"class_name": "Sequential"' in config


def test_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="Profiling"):
        lamina.callbacks.TensorBoard(profile_batch=5)
    with pytest.raises(ValueError, match="update_freq"):
        lamina.callbacks.TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="histogram_freq"):
        lamina.callbacks.TensorBoard(histogram_freq=-1)


def test_default_callback_adds_no_batch_hooks():
    from lamina.callbacks.callback_list import CallbackList

    cbs = CallbackList([lamina.callbacks.TensorBoard()])
    assert not cbs.batch_hook("on_train_batch_end")
    cbs = CallbackList([lamina.callbacks.TensorBoard(update_freq=10)])
    assert cbs.batch_hook("on_train_batch_end")


def test_projector_config_and_embedding_weights(tmp_path):
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((5,), dtype="int32"),
                               layers.Embedding(20, 3, name="emb"),
                               layers.GlobalAveragePooling1D(), layers.Dense(1)])
    model.compile("sgd", "mse")
    tb = lamina.callbacks.TensorBoard(str(tmp_path / "logs"), embeddings_freq=1,
                                      embeddings_metadata={"emb": "words.tsv"})
    x = np.arange(50).reshape(10, 5) % 20
    model.fit(x, np.zeros(10), epochs=1, verbose=0, callbacks=[tb])
    text = (tmp_path / "logs" / "projector_config.pbtxt").read_text()
    assert 'metadata_path: "words.tsv"' in text and "embeddings {" in text
    assert (tmp_path / "logs" / "train" / "keras_embedding.ckpt-0.weights.h5").exists()
