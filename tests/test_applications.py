"""keras.applications: preprocessing, decoding, argument checks, weights (ImageNet download
path, Keras-layout files), forward passes against Keras on the same weights, fine-tuning and
saving. Reference numbers: tests/data/applications/keras_reference.json, made with Keras
3.15.1 (jax backend); the weights are drawn by `fill` below from Keras's weight names and
shapes, so no large file is needed."""
import hashlib
import importlib.util
import json
import urllib.error
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import applications as A
from lamina.applications import imagenet_utils, mobilenet_v3
from lamina.engine import tensor as tensor_module
from lamina.utils import data_utils

DATA = Path(__file__).parent / "data" / "applications"
REF = json.loads((DATA / "keras_reference.json").read_text())


def _load_fill_rule():
    """tools/applications/fill_rule.py: the rule Keras's side of the fixtures used (one copy)."""
    path = Path(__file__).resolve().parents[1] / "tools" / "applications" / "fill_rule.py"
    spec = importlib.util.spec_from_file_location("applications_fill_rule", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fill


fill = _load_fill_rule()


# --- forward passes against Keras ---------------------------------------------------------

def _convnext_mini(**kwargs):  # ConvNeXt's blocks, LayerScale and stems at a test's size
    return A.convnext.ConvNeXt(depths=[1, 1, 1, 1], projection_dims=[8, 16, 32, 64], name="convnext_mini", **kwargs)


@pytest.mark.parametrize("key", ["mobilenet_v3_small", "efficientnet_b0", "mobilenet_v2", "densenet121",
                                 "convnext_mini", "nasnet_mobile"])
def test_forward_matches_keras_on_the_same_weights(key, monkeypatch):
    ref = REF[key]
    # every weight is assigned below: skip drawing the random initial values (seconds for ResNet)
    real = tensor_module._initial_value
    monkeypatch.setattr(tensor_module, "_initial_value", lambda init, shape, dtype: real(init, shape, dtype)
                        if shape is None else np.empty(shape, dtype or "float32"))
    build = _convnext_mini if ref["fn"] == "ConvNeXtMini" else getattr(A, ref["fn"])
    lamina.backend.clear_session()  # Keras's reference ran in a fresh session: automatic names from 0
    model = build(weights=None, input_shape=(32, 32, 3), classifier_activation=None, **ref["kwargs"])
    # the layers with weights come in Keras's order with the same weights: what Keras's weight
    # files (legacy HDF5, filled layer by layer in `model.layers` order) rely on
    mine = [(layer, layer.trainable_weights + layer.non_trainable_weights) for layer in model.layers]
    mine = [(layer, ws) for layer, ws in mine if ws]
    assert len(mine) == len(ref["layers"])
    for (layer, ws), (name, expected) in zip(mine, ref["layers"]):
        assert [tuple(w.shape) for w in ws] == [tuple(shape) for _, shape in expected], (layer.name, name)
        if not name.split("_")[-1].isdigit():  # Keras's automatic names (add_3, conv2d_7) differ
            assert layer.name == name
    values = iter(fill([w for _, expected in ref["layers"] for w in expected]))
    for _, ws in mine:
        for w in ws:
            w.assign(next(values))
    x = np.random.default_rng(7).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    y = model.predict(x, verbose=0)
    expected = np.asarray(ref["logits"], dtype="float32")
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


# --- weight files in Keras's layout ---------------------------------------------------------

def test_loads_a_keras_made_weight_file_in_the_published_layout():
    pytest.importorskip("h5py")
    # written in the peers venv from Keras's own model with seeded weights, in the layout of the
    # files Keras publishes (legacy HDF5: layer_names, one group per layer, "conv/kernel:0")
    path = DATA / "mobilenet_v3_small_min075_48_notop.h5"
    ref = np.load(DATA / "mobilenet_v3_small_min075_48_notop_predict.npz")
    model = A.MobileNetV3Small(alpha=0.75, minimalistic=True, weights=str(path), input_shape=(48, 48, 3),
                               include_top=False, pooling="avg")
    y = model.predict(ref["x"], verbose=0)
    assert y.shape == (2, 432)
    np.testing.assert_allclose(y, ref["y"], rtol=1e-4, atol=1e-4 * np.abs(ref["y"]).max())


def _legacy_weights_file(model, path):
    import h5py

    from lamina.saving import legacy_h5

    with h5py.File(path, "w") as f:
        legacy_h5.save_weights_to_group(f, model)


def test_imagenet_weights_come_through_get_file_with_keras_name_url_and_hash(tmp_path, monkeypatch):
    pytest.importorskip("h5py")
    lamina.utils.set_random_seed(1)
    source = A.MobileNetV3Small(minimalistic=True, include_top=False, weights=None, input_shape=(32, 32, 3))
    fname = "weights_mobilenet_v3_small_minimalistic_224_1.0_float_no_top_v2.h5"
    origin_dir = tmp_path / "origin"
    origin_dir.mkdir()
    _legacy_weights_file(source, origin_dir / fname)
    md5 = hashlib.md5((origin_dir / fname).read_bytes()).hexdigest()
    calls = []
    real_get_file = data_utils.get_file

    def spy(fname, origin, **kwargs):
        calls.append((fname, origin, kwargs))
        return real_get_file(fname, origin, **kwargs)

    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(data_utils, "get_file", spy)
    # Keras's URL and hash first: offline (no network here) the error says what to do
    monkeypatch.setattr("urllib.request.urlopen", _offline)
    with pytest.raises(OSError, match="could not download .*" + fname.replace(".", r"\.") + ".*pass a local path"), \
            pytest.warns(UserWarning, match="224"):
        A.MobileNetV3Small(minimalistic=True, include_top=False, weights="imagenet", input_shape=(32, 32, 3))
    assert calls[-1] == (fname, mobilenet_v3.BASE_WEIGHT_PATH + fname,
                         {"cache_subdir": "models", "file_hash": "cde8136e733e811080d9fcd8a252f7e4"})
    assert calls[-1][1] == ("https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/" + fname)
    monkeypatch.undo()
    # a local origin serving a file that is not Keras's: the hash check refuses it
    monkeypatch.setenv("LAMINA_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(mobilenet_v3, "BASE_WEIGHT_PATH", origin_dir.as_uri() + "/")
    with pytest.raises(ValueError, match="has md5 .*, expected "), pytest.warns(UserWarning, match="224"):
        A.MobileNetV3Small(minimalistic=True, include_top=False, weights="imagenet", input_shape=(32, 32, 3))
    # with its hash registered, it is downloaded into the cache and loaded by layer order
    hashes = dict(mobilenet_v3.WEIGHTS_HASHES)
    hashes["small_minimalistic_224_1.0_float"] = (hashes["small_minimalistic_224_1.0_float"][0], md5)
    monkeypatch.setattr(mobilenet_v3, "WEIGHTS_HASHES", hashes)
    with pytest.warns(UserWarning, match="224"):
        model = A.MobileNetV3Small(minimalistic=True, include_top=False, weights="imagenet", input_shape=(32, 32, 3))
    assert (tmp_path / "home" / "models" / fname).exists()
    for a, b in zip(model.weights, source.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def _offline(*args, **kwargs):
    raise urllib.error.URLError("no network (test)")


# --- argument checks (Keras's errors) -------------------------------------------------------

@pytest.mark.parametrize("call,match", [
    (lambda: A.VGG16(weights="no/such/file.h5"), "`weights` argument should be either"),
    (lambda: A.ResNet50(weights="imagenet", classes=10), "`classes` should be 1000"),
    (lambda: A.ResNet50(weights=None, input_shape=(None, None, 3)), "static `input_shape`"),
    (lambda: A.ResNet50(weights=None, include_top=False, input_shape=(16, 16, 3)), "at least 32x32"),
    (lambda: A.ResNet50(weights="imagenet", input_shape=(200, 200, 3)), r"should be \(224, 224, 3\)"),
    (lambda: A.ResNet50(weights=None, include_top=False, input_shape=(64, 64)), "three integers"),
    (lambda: A.Xception(weights=None, include_top=False, input_shape=(64, 64, 3)), "at least 71x71"),
    (lambda: A.MobileNet(weights="imagenet", alpha=0.3), "alpha can be one of"),
    (lambda: A.MobileNet(weights="imagenet", depth_multiplier=2), "depth multiplier must be 1"),
    (lambda: A.MobileNetV2(weights="imagenet", alpha=0.6), "alpha must be one of"),
    (lambda: A.MobileNetV3Small(weights="imagenet", alpha=0.75, minimalistic=True), "alpha can be one of"),
    (lambda: A.MobileNetV3Large(weights=None, input_shape=(16, 16, 3)), "at least 32x32"),
    (lambda: A.EfficientNetB0(weights="imagenet", classifier_activation="relu"), "`classifier_activation`"),
])
def test_keras_argument_errors(call, match, monkeypatch):
    monkeypatch.setattr(data_utils, "get_file", _offline)  # never reached: the checks come first
    with pytest.raises(ValueError, match=match):
        call()


def test_include_top_pooling_classes_and_input_tensor():
    base = A.MobileNetV2(alpha=0.35, include_top=False, weights=None, pooling="avg", input_shape=(32, 32, 3))
    assert base.output.shape == (None, 1280) and base.name == "mobilenetv2_0.35_32"
    base = A.MobileNetV2(alpha=0.35, include_top=False, weights=None, pooling="max", input_shape=(96, 96, 3))
    assert base.output.shape == (None, 1280) and base.name == "mobilenetv2_0.35_96"
    fmap = A.MobileNetV2(alpha=0.35, include_top=False, weights=None, input_shape=(64, 64, 3))
    assert fmap.output.shape == (None, 2, 2, 1280)
    assert A.MobileNetV2(alpha=0.35, include_top=False, weights=None).input.shape == (None, None, None, 3)
    top = A.MobileNetV3Small(weights=None, classes=7, classifier_activation=None, input_shape=(32, 32, 3))
    assert top.output.shape == (None, 7) and top.get_layer("predictions").get_config()["activation"] == "linear"
    tensor = lamina.Input((40, 40, 3), name="pixels")
    model = A.ResNet50V2(include_top=False, weights=None, input_tensor=tensor, pooling="avg")
    assert model.inputs[0] is tensor and model.output.shape == (None, 2048)


# --- preprocess_input / decode_predictions ----------------------------------------------------

@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_input_matches_keras(mode):
    pre = REF["preprocess"]
    img = np.asarray(pre["input"], dtype="float32")
    np.testing.assert_allclose(imagenet_utils.preprocess_input(img.copy(), mode=mode), pre[mode], rtol=1e-6, atol=1e-5)
    cf = imagenet_utils.preprocess_input(np.transpose(img, (0, 3, 1, 2)).copy(), data_format="channels_first",
                                         mode=mode)
    np.testing.assert_allclose(cf, pre[mode + "_cf"], rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(imagenet_utils.preprocess_input(img[0].copy(), mode=mode), pre[mode + "_3d"],
                               rtol=1e-6, atol=1e-5)
    out = imagenet_utils.preprocess_input(img.astype("uint8"), mode=mode)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, pre[mode + "_int"], rtol=1e-6, atol=1e-5)
    # tensors (eager and symbolic) give the same numbers
    eager = imagenet_utils.preprocess_input(lamina.ops.convert_to_tensor(img), mode=mode)
    np.testing.assert_allclose(np.asarray(eager), pre[mode], rtol=1e-6, atol=1e-5)
    inp = lamina.Input((4, 5, 3))
    model = lamina.Model(inp, imagenet_utils.preprocess_input(inp, mode=mode))
    np.testing.assert_allclose(model.predict(img, verbose=0), pre[mode], rtol=1e-6, atol=1e-5)


def test_family_preprocess_modes():
    img = np.asarray(REF["preprocess"]["input"], dtype="float32")
    for module, mode in [("vgg16", "caffe"), ("vgg19", "caffe"), ("resnet", "caffe"), ("resnet50", "caffe"),
                         ("resnet_v2", "tf"), ("mobilenet", "tf"), ("mobilenet_v2", "tf"), ("xception", "tf"),
                         ("inception_v3", "tf"), ("inception_resnet_v2", "tf"), ("nasnet", "tf"),
                         ("densenet", "torch")]:
        got = getattr(A, module).preprocess_input(img.copy())
        np.testing.assert_allclose(got, REF["preprocess"][mode], rtol=1e-6, atol=1e-5, err_msg=module)
    for module in ("mobilenet_v3", "efficientnet", "efficientnet_v2", "convnext"):  # the models rescale
        assert getattr(A, module).preprocess_input(img) is img
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(img, mode="keras")
    with pytest.raises(ValueError, match="data_format"):
        imagenet_utils.preprocess_input(img, data_format="channels_middle")


def test_decode_predictions_reads_keras_class_index_through_get_file(tmp_path, monkeypatch):
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    stand_in = tmp_path / "imagenet_class_index.json"
    stand_in.write_text(json.dumps(index))
    calls = []

    def fake_get_file(fname, origin, **kwargs):
        calls.append((fname, origin, kwargs))
        return str(stand_in)

    monkeypatch.setattr(data_utils, "get_file", fake_get_file)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    preds = np.asarray(REF["decode"]["preds"], dtype="float32")
    out = A.resnet50.decode_predictions(preds, top=3)
    assert calls == [("imagenet_class_index.json",
                      "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
                      {"cache_subdir": "models", "file_hash": "c2c37ea517e94d9795004a39431a14cb"})]
    for row, decoded in zip(preds, out):
        best = np.argsort(row)[::-1][:3]
        assert [d[:2] for d in decoded] == [(f"n{i:08d}", f"class_{i}") for i in best]
        np.testing.assert_allclose([d[2] for d in decoded], row[best])
    A.vgg16.decode_predictions(preds)  # the index is read once
    assert len(calls) == 1
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        imagenet_utils.decode_predictions(preds[:, :10])


# --- fine-tuning and saving -------------------------------------------------------------------

def test_fine_tune_a_frozen_base_with_a_new_head():
    # randomly initialized bases lose the input's signal with depth (their BatchNorm statistics
    # are not the data's), so the frozen features come from an early block, as in transfer
    # learning from an intermediate layer; the head standardizes them
    lamina.utils.set_random_seed(0)
    full = A.MobileNetV2(alpha=0.35, include_top=False, weights=None, input_shape=(32, 32, 3))
    base = lamina.Model(full.input, full.get_layer("block_2_add").output, name="features")
    base.trainable = False
    frozen = [w.numpy().copy() for w in base.weights]
    inputs = lamina.Input((32, 32, 3))
    features = base(A.mobilenet_v2.preprocess_input(inputs), training=False)
    features = lamina.layers.GlobalAveragePooling2D()(features)
    features = lamina.layers.BatchNormalization()(features)
    model = lamina.Model(inputs, lamina.layers.Dense(3, activation="softmax")(features))
    assert len(model.trainable_weights) == 4  # the head's BatchNorm and Dense only
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 48)
    x = rng.uniform(0, 120, (48, 32, 32, 3)).astype("float32")
    x[np.arange(48), :, :, y] += 120  # the class is the brightest channel
    model.compile(optimizer=lamina.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0).history
    assert history["loss"][-1] < 0.85 * history["loss"][0], history["loss"]
    assert history["accuracy"][-1] >= 0.8, history["accuracy"]
    for w, before in zip(base.weights, frozen):  # frozen BatchNorm statistics included
        np.testing.assert_array_equal(w.numpy(), before)


@pytest.mark.parametrize("fmt", ["keras", "h5"])
def test_save_and_load_round_trip(tmp_path, fmt):
    if fmt == "h5":
        pytest.importorskip("h5py")
    model = A.MobileNetV3Small(alpha=0.75, weights=None, input_shape=(32, 32, 3), classes=5)
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    path = tmp_path / f"m.{fmt}"
    if fmt == "h5":
        with pytest.warns(UserWarning, match="legacy"):
            model.save(path)
    else:
        model.save(path)
    loaded = lamina.saving.load_model(path, compile=False)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_small_convnext_trains_saves_and_loads_with_its_custom_layers(tmp_path):
    from lamina.applications import convnext

    lamina.utils.set_random_seed(0)
    model = convnext.ConvNeXt(depths=[1, 1, 1, 1], projection_dims=[8, 16, 32, 64], drop_path_rate=0.2,
                              weights=None, input_shape=(32, 32, 3), classes=3, name="convnext_mini")
    names = [layer.name for layer in model.layers]
    assert "convnext_mini_stage_3_block_0_layer_scale" in names
    assert "convnext_mini_stage_3_block_0_stochastic_depth" in names  # rates 0, 0.067, 0.13, 0.2
    assert "convnext_mini_stage_0_block_0_identity" in names
    x = np.random.default_rng(2).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, np.array([0, 1, 2, 0]), epochs=1, verbose=0)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "mini.keras")
    loaded = lamina.saving.load_model(tmp_path / "mini.keras", compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    scale = loaded.get_layer("convnext_mini_stage_3_block_0_layer_scale")
    assert type(scale).__name__ == "LayerScale" and scale.projection_dim == 64
