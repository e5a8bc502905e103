"""`model.summary()`: Keras 3's table of layers, output shapes and parameter counts."""
import numpy as np

from lamina.layers.core.input_layer import InputLayer
from lamina.layers.base.layer import Layer


def readable_size(nbytes):
    units = ["B", "KB", "MB", "GB", "TB"]
    size, i = float(nbytes), 0
    while size >= 1024 and i < len(units) - 1:
        size /= 1024
        i += 1
    return f"{size:.2f} {units[i]}"


def _weight_bytes(weights):
    return sum(int(np.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in weights)


def _count(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def _rows(model, expand_nested, depth=0):
    """(name (type), output shape, params, connected-to) for each layer."""
    rows = []
    outputs = _output_shapes(model)
    connected = _connections(model)
    layers = _layers_for_summary(model)
    for layer in layers:
        name = ("   " * depth) + f"{layer.name} ({type(layer).__name__})"
        if isinstance(layer, InputLayer) or not isinstance(layer, Layer):
            params = "0"  # inputs, and keras.ops operations (Keras shows them as rows too)
        elif layer.built:
            params = f"{layer.count_params():,}"
        else:
            params = "0 (unbuilt)"
        rows.append((name, _shape_text(outputs.get(id(layer))), params, connected.get(id(layer), "")))
        if expand_nested and hasattr(layer, "_stack") or (expand_nested and hasattr(layer, "_nodes")):
            rows += _rows(layer, expand_nested, depth + 1)
    return rows


def _layers_for_summary(model):
    if hasattr(model, "_stack"):
        return list(model._stack)
    if hasattr(model, "_operations"):
        return list(model._operations)  # functional: layers and keras.ops operations
    return list(model.layers)


def _output_shapes(model):
    shapes = {}
    if hasattr(model, "_stack") and model.built:
        for layer, t in zip(model._stack, getattr(model, "_layer_outputs", [])):
            shapes[id(layer)] = t.shape
    elif hasattr(model, "_nodes"):
        for t in model.inputs:
            shapes[id(t._keras_history[0].layer)] = t.shape
        for node in model._nodes:
            outs = node.flat_outputs
            shapes[id(node.layer)] = outs[0].shape if len(outs) == 1 else [o.shape for o in outs]
    return shapes


def _connections(model):
    """For non-linear functional graphs: which layer outputs feed each layer."""
    if not hasattr(model, "_nodes"):
        return {}
    names = {}
    prev = None
    linear = True
    for node in model._nodes:
        parents = node.parents
        if len(parents) != 1 or (prev is not None and parents[0] is not prev) or len(node.flat_outputs) != 1:
            linear = False
        prev = node.flat_outputs[0] if node.flat_outputs else None
        names[id(node.layer)] = ", ".join(
            f"{p._keras_history[0].layer.name}[0][{p._keras_history[1]}]" for p in parents
        )
    if linear and model._nodes and model._nodes[0].parents and model._nodes[0].parents[0] in model.inputs:
        return {}
    return names


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False):
    print_fn = print_fn or print
    rows = _rows(model, expand_nested)
    with_connections = any(r[3] for r in rows)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if with_connections else [])
    cells = [list(r[:3]) + ([r[3]] if with_connections else []) for r in rows]
    if show_trainable:
        headers.append("Trainable")
        layers = _layers_for_summary(model)
        for c, layer in zip(cells, layers):
            c.append("-" if not isinstance(layer, Layer) else "Y" if layer.trainable else "N")
    minimum = [31, 22, 13, 20, 9]
    widths = [max([minimum[i], len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    if line_length:
        extra = line_length - (sum(widths) + 3 * len(widths) + 1)
        if extra > 0:
            widths[0] += extra
    right = {2}  # the parameter counts are right-aligned

    def line(left, mid, rightc, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + rightc

    def row(values, bar):
        parts = [(v.rjust(w) if i in right else v.ljust(w)) for i, (v, w) in enumerate(zip(values, widths))]
        return bar + bar.join(f" {p} " for p in parts) + bar

    print_fn(f'Model: "{model.name}"')
    print_fn(line("┏", "┳", "┓", "━"))
    print_fn(row(headers, "┃"))
    print_fn(line("┡", "╇", "┩", "━"))
    for i, c in enumerate(cells):
        print_fn(row(c, "│"))
        if i != len(cells) - 1:
            print_fn(line("├", "┼", "┤", "─"))
    print_fn(line("└", "┴", "┘", "─"))
    weights = model.weights
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    print_fn(f" Total params: {_count(weights):,} ({readable_size(_weight_bytes(weights))})")
    print_fn(f" Trainable params: {_count(trainable):,} ({readable_size(_weight_bytes(trainable))})")
    print_fn(f" Non-trainable params: {_count(non_trainable):,} ({readable_size(_weight_bytes(non_trainable))})")
    opt = getattr(model, "optimizer", None)
    opt_vars = list(getattr(opt, "variables", []) or []) if opt is not None and getattr(opt, "built", False) else []
    if opt_vars:
        print_fn(f" Optimizer params: {_count(opt_vars):,} ({readable_size(_weight_bytes(opt_vars))})")
