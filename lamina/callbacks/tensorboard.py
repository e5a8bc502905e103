"""`TensorBoard`: write training curves, weight histograms and images for TensorBoard.

Files and tags as Keras 3 writes them (`tensorboard --logdir logs` shows them side by side
with a Keras run): `log_dir/train` and `log_dir/validation` hold event files; each epoch
adds `epoch_<metric>` scalars (validation metrics without their `val_` prefix, in the
validation run) and `epoch_learning_rate`; with `update_freq=N`, `batch_<metric>` every
N training batches; after each evaluation `evaluation_<metric>_vs_iterations` at the
optimizer's step count. The event files are written by lamina/callbacks/event_file.py (no
TensorFlow needed; TensorBoard itself is needed only to look at them).
"""
import os
import time

import numpy as np

from lamina.callbacks import event_file
from lamina.callbacks.callback import Callback
from lamina.layers.core.embedding import Embedding


class TensorBoard(Callback):
    """Log metrics (and optionally weight histograms/images) for TensorBoard.

    log_dir: the folder of the logs (one per run; a new event file per `fit`).
    histogram_freq: every how many epochs to write a histogram of each weight (0: never).
    write_graph: write the model's JSON config at step 0 (TensorBoard's "graph" tab draws
        Keras models from it), as Keras does for Sequential and functional models.
    write_images: with histograms, also each weight as a grayscale image (values clipped to
        [0, 1] as `tf.summary.image` does).
    write_steps_per_second: also log training steps per second.
    update_freq: "epoch", "batch" (= 1) or N: write `batch_*` scalars every N batches.
    profile_batch: must be 0 (profiling needs TensorFlow or JAX).
    embeddings_freq, embeddings_metadata: every how many epochs to save the weights for
        TensorBoard's projector, with its `projector_config.pbtxt`, as Keras 3 does.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _count("histogram_freq", histogram_freq)
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (isinstance(update_freq, bool) or not isinstance(
                update_freq, int) or update_freq < 1):
            raise ValueError(
                f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive number of "
                f"batches, got {update_freq!r}")
        self.update_freq = update_freq
        if profile_batch not in (0, None, (0, 0), [0, 0], "0"):
            raise ValueError(
                "Profiling is not available with lamina (it needs TensorFlow or JAX); pass "
                f"profile_batch=0. Received: profile_batch={profile_batch!r}")
        self.embeddings_freq = _count("embeddings_freq", embeddings_freq)
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        # batch hooks only when they write something: fit skips callbacks without them
        if update_freq != "epoch" or write_steps_per_second:
            self.on_train_batch_begin = self._on_train_batch_begin
            self.on_train_batch_end = self._on_train_batch_end

    # --- writers ---------------------------------------------------------------------------
    def _writer(self, run):
        w = self._writers.get(run)
        if w is None or w.closed:
            w = self._writers[run] = event_file.EventFileWriter(os.path.join(self.log_dir, run))
        return w

    def _close_writers(self):
        for w in self._writers.values():
            w.close()

    def set_model(self, model):
        super().set_model(model)
        self._close_writers()
        self._writers = {}  # a new event file per fit, as Keras
        if self.write_graph and type(model).__name__ in ("Sequential", "Functional", "Model") \
                and hasattr(model, "to_json"):
            try:
                config = model.to_json()
            except Exception:  # a model that cannot be serialized is still trained
                return
            self._writer("train").add_values(
                [event_file.text_tensor_value("keras", config, "graph_keras_model", b"1")], 0)
        if self.embeddings_freq:
            self._write_projector_config()

    # --- hooks -----------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start = (time.perf_counter(), self._iterations())

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = float(np.asarray(_value(optimizer.learning_rate)))
        if self.write_steps_per_second:
            start, iterations = self._epoch_start
            train["steps_per_second"] = (self._iterations() - iterations) / max(
                time.perf_counter() - start, 1e-9)
        self._write_scalars("train", "epoch_", train, epoch)
        self._write_scalars("validation", "epoch_", val, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self.model.save_weights(os.path.join(
                self.log_dir, "train", f"keras_embedding.ckpt-{epoch}.weights.h5"))
        for w in self._writers.values():
            w.flush()  # a crash loses at most the current epoch

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not logs:
            return
        step = self._iterations()
        self._writer("validation").add_values(
            [event_file.scalar_value(f"evaluation_{k}_vs_iterations", _value(v))
             for k, v in logs.items() if _is_scalar(v)], step)
        self._writers["validation"].flush()

    def _on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    def _on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        values = dict(logs or {})
        if self.write_steps_per_second:
            values["steps_per_second"] = 1.0 / max(time.perf_counter() - self._batch_start, 1e-9)
        self._write_scalars("train", "batch_", values, step)

    # --- helpers ---------------------------------------------------------------------------
    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        return int(np.asarray(_value(optimizer.iterations))) if optimizer is not None else 0

    def _write_scalars(self, run, prefix, logs, step):
        values = [event_file.scalar_value(prefix + k, _value(v))
                  for k, v in logs.items() if _is_scalar(v)]
        if values:
            self._writer(run).add_values(values, step)

    def _log_weights(self, epoch):
        values = []
        for layer in self.model.layers:
            for weight in layer.weights:
                # the path ("dense_1/kernel"): Keras's bare name would merge all kernels
                name = getattr(weight, "path", weight.name).replace(":", "_")
                data = np.asarray(_value(weight))
                values.append(event_file.histogram_value(f"{name}/histogram", data))
                if self.write_images:
                    for i, img in enumerate(_weight_images(data)):
                        tag = f"{name}/image" if i == 0 else f"{name}/image/{i}"
                        values.append(event_file.image_value(tag, img))
        self._writer("train").add_values(values, epoch)

    def _write_projector_config(self):
        metadata = self.embeddings_metadata
        remaining = dict(metadata) if isinstance(metadata, dict) else {}
        lines = []
        for layer in self.model.layers:
            if isinstance(layer, Embedding):
                lines.append("embeddings {")
                lines.append('  tensor_name: "layer_with_weights-0/embeddings/.ATTRIBUTES/'
                             'VARIABLE_VALUE"')
                path = metadata if isinstance(metadata, str) else remaining.pop(layer.name, None)
                if path is not None:
                    lines.append(f'  metadata_path: "{path}"')
                lines.append("}")
        if remaining:
            raise ValueError(
                "TensorBoard: embeddings_metadata names layers that are not Embedding layers "
                f"of the model: {sorted(remaining)}")
        os.makedirs(self.log_dir, exist_ok=True)
        with open(os.path.join(self.log_dir, "projector_config.pbtxt"), "w") as f:
            f.write("\n".join(lines) + ("\n" if lines else ""))


def _count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"TensorBoard: {name} must be a number of epochs >= 0, got {value!r}")
    return int(value)


def _value(v):
    return v.numpy() if hasattr(v, "numpy") else v


def _is_scalar(v):
    v = _value(v)
    return np.ndim(v) == 0 and np.issubdtype(np.asarray(v).dtype, np.number)


def _weight_images(w):
    """Keras's layout: a bias is a 1-pixel-high row, a kernel a matrix (wide side across),
    a rank-3 kernel one image per output channel; rank 4+ (conv2d kernels) is skipped."""
    w = np.squeeze(w)
    if w.ndim == 1:
        imgs = w.reshape(1, 1, -1)
    elif w.ndim == 2:
        imgs = (w.T if w.shape[0] > w.shape[1] else w)[None]
    elif w.ndim == 3:
        imgs = np.transpose(w, (2, 0, 1))
    else:
        return []
    pixels = (np.clip(imgs, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return [p[..., None] for p in pixels[:3]]  # tf.summary.image's max_outputs=3
