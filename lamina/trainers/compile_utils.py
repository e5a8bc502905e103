"""What `compile(loss=..., metrics=...)` turns into: loss and metric objects per output.

Names follow Keras 3: a metric passed as a string keeps that string as its name
("acc" -> "acc"), "accuracy"/"acc" become binary, sparse-categorical or categorical
accuracy from the shapes of y_true/y_pred, and with several outputs each name gets the
output's name as a prefix ("out_a_accuracy", "out_a_loss").
"""
from lamina import losses as losses_module, metrics as metrics_module
from lamina.engine import tree
from lamina.engine.sparse import shape_of
from lamina.ops import math as _math


def is_binary_or_sparse_categorical(y_true, y_pred):
    ts, ps = shape_of(y_true), shape_of(y_pred)
    is_binary = ps[-1] == 1 if ps else True
    is_sparse = len(ts) < len(ps) or (bool(ts) and ts[-1] == 1 and ps[-1] > 1)
    return is_binary, is_sparse


def object_name(obj):
    if isinstance(obj, str):
        return obj
    name = getattr(obj, "name", None)
    if isinstance(name, str):
        return name
    return getattr(obj, "__name__", type(obj).__name__)


def get_metric(identifier, y_true, y_pred):
    if str(identifier).lower() in ("accuracy", "acc"):
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        cls = (metrics_module.BinaryAccuracy if is_binary else
               metrics_module.SparseCategoricalAccuracy if is_sparse else
               metrics_module.CategoricalAccuracy)
        return cls(name=str(identifier))
    metric = metrics_module.get(identifier)
    name = identifier if isinstance(identifier, str) else object_name(metric)
    if not isinstance(metric, metrics_module.Metric):
        metric = metrics_module.MeanMetricWrapper(metric, name=name)
    metric.name = name
    return metric


def get_loss(identifier, y_true, y_pred):
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        identifier = ("binary_crossentropy" if is_binary else
                      "sparse_categorical_crossentropy" if is_sparse else "categorical_crossentropy")
    loss = losses_module.get(identifier)
    if not isinstance(loss, losses_module.Loss):
        name = identifier if isinstance(identifier, str) else object_name(loss)
        loss = losses_module.LossFunctionWrapper(loss, name=name)
    return loss


def _per_output(spec, output_names, what):
    """Map a loss/metrics spec (single, list, or dict) to one entry per output."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(
                f"compile({what}=...) has key(s) {unknown} that are not model outputs; the outputs "
                f"are {output_names}"
            )
        return [spec.get(name) for name in output_names]
    if n == 1:
        return [spec]
    if isinstance(spec, (list, tuple)) and what == "loss":
        if len(spec) != n:
            raise ValueError(f"compile(loss=[...]) has {len(spec)} entries for a model with {n} outputs")
        return list(spec)
    if what == "loss":
        return [spec] * n  # one loss for every output, as Keras
    if isinstance(spec, (list, tuple)) and len(spec) == n and all(
            isinstance(m, (list, tuple)) or m is None for m in spec):
        return list(spec)
    return [spec] * n


class CompileLoss:
    """Sum over outputs of loss_weight * loss(y_true, y_pred, sample_weight)."""

    def __init__(self, loss, loss_weights=None, output_names=None):
        self._spec = loss
        self._weights_spec = loss_weights
        self.output_names = output_names
        self.built = False
        self.losses = []
        self.weights = []

    def build(self, y_true, y_pred):
        flat_pred = tree.flatten(y_pred)
        names = self.output_names or [f"output_{i}" for i in range(len(flat_pred))]
        if len(names) != len(flat_pred):
            names = [f"output_{i}" for i in range(len(flat_pred))]
        self.output_names = names
        flat_true = self._flatten_true(y_true)
        specs = _per_output(self._spec, names, "loss")
        self.losses = [None if s is None else get_loss(s, t, p) for s, t, p in zip(specs, flat_true, flat_pred)]
        w = self._weights_spec
        if w is None:
            self.weights = [1.0] * len(names)
        elif isinstance(w, dict):
            self.weights = [float(w.get(n, 1.0)) for n in names]
        elif isinstance(w, (list, tuple)):
            if len(w) != len(names):
                raise ValueError(f"loss_weights has {len(w)} entries for {len(names)} outputs")
            self.weights = [float(v) for v in w]
        else:
            self.weights = [float(w)] * len(names)
        self.built = True

    def _flatten_true(self, y_true):
        if isinstance(y_true, dict) and self.output_names:
            missing = [n for n in self.output_names if n not in y_true]
            if missing:
                raise ValueError(f"targets are missing for output(s) {missing}; got keys {sorted(y_true)}")
            return [y_true[n] for n in self.output_names]
        if isinstance(y_true, (list, tuple)) and len(self.output_names or []) > 1:
            return list(y_true)
        return [y_true]

    def __call__(self, y_true, y_pred, sample_weight=None):
        """(total loss, [per-output loss values or None])."""
        if not self.built:
            self.build(y_true, y_pred)
        flat_true, flat_pred = self._flatten_true(y_true), tree.flatten(y_pred)
        if len(flat_true) != len(flat_pred):
            raise ValueError(f"the model has {len(flat_pred)} outputs but {len(flat_true)} targets were given")
        sws = tree.flatten(sample_weight) if isinstance(sample_weight, (list, tuple, dict)) else [sample_weight] * len(flat_pred)
        total, parts = None, []
        for loss, w, t, p, sw in zip(self.losses, self.weights, flat_true, flat_pred, sws):
            if loss is None:
                parts.append(None)
                continue
            value = loss(t, p, sample_weight=sw)
            parts.append(value)
            if w != 1.0:
                value = _math.multiply(value, w)
            total = value if total is None else _math.add(total, value)
        if total is None:
            raise ValueError("compile() was given no loss for any output: nothing to minimize")
        return total, parts


class CompileMetrics:
    """The metrics of every output; `results()` gives {name: value} with Keras's names."""

    def __init__(self, metrics, weighted_metrics=None, output_names=None):
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise ValueError(
                f"compile(metrics=...) expects a list (or a dict per output), got {metrics!r}; "
                f"e.g. metrics=[{metrics!r}]"
            )
        self._spec = metrics
        self._weighted_spec = weighted_metrics
        self.output_names = output_names
        self.built = False
        self.per_output = []  # [(metrics, weighted_metrics, prefix)]

    @property
    def metrics(self):
        return [m for ms, wms, _ in self.per_output for m in ms + wms]

    def build(self, y_true, y_pred, flat_true):
        flat_pred = tree.flatten(y_pred)
        names = self.output_names if self.output_names and len(self.output_names) == len(flat_pred) else [
            f"output_{i}" for i in range(len(flat_pred))]
        specs = _per_output(self._spec, names, "metrics") if self._spec else [None] * len(names)
        wspecs = _per_output(self._weighted_spec, names, "metrics") if self._weighted_spec else [None] * len(names)
        self.per_output = []
        for spec, wspec, t, p, name in zip(specs, wspecs, flat_true, flat_pred, names):
            ms = [get_metric(m, t, p) for m in _as_list(spec)]
            wms = [get_metric(m, t, p) for m in _as_list(wspec)]
            self.per_output.append((ms, wms, f"{name}_" if len(names) > 1 else ""))
        self.built = True

    def update_state(self, flat_true, y_pred, sample_weight=None):
        flat_pred = tree.flatten(y_pred)
        if not self.built:
            self.build(flat_true, y_pred, flat_true)
        for (ms, wms, _), t, p in zip(self.per_output, flat_true, flat_pred):
            for m in ms:
                m.update_state(t, p)
            for m in wms:
                m.update_state(t, p, sample_weight=sample_weight)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def results(self):
        out = {}
        for ms, wms, prefix in self.per_output:
            for m in ms:
                out[_unique(out, prefix + m.name)] = m.result()
            for m in wms:
                key = prefix + m.name
                out[_unique(out, key if key not in out else prefix + "weighted_" + m.name)] = m.result()
        return out


def _unique(existing, name):
    if name not in existing:
        return name
    i = 1
    while f"{name}_{i}" in existing:
        i += 1
    return f"{name}_{i}"


def _as_list(spec):
    if spec is None:
        return []
    return [m for m in (spec if isinstance(spec, (list, tuple)) else [spec]) if m is not None]
