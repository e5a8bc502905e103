"""`plot_model`: draw a model's layer graph to an image file, with matplotlib (no Graphviz).

Keras draws with pydot and Graphviz; lamina lays the graph out itself: every layer gets a
rank (the longest path from an input), ranks are stacked top to bottom ("TB") or left to
right ("LR"), and the layers of one rank sit side by side in the order they were called.
Each box shows what Keras's does: the class name (or "name (Class)"), and on request the
output shape, dtype, activation and trainable flag.
"""
import os

from lamina.layers.core.input_layer import InputLayer
from lamina.models.summary import _layers_for_summary, _output_shapes, _shape_text


class _Node:
    def __init__(self, key, lines, trainable=None, cluster=None):
        self.key, self.lines, self.trainable, self.cluster = key, lines, trainable, cluster
        self.rank = 0
        self.pos = None


def _label(layer, shape, show_shapes, show_dtype, show_layer_names, show_layer_activations):
    cls = type(layer).__name__
    lines = [f"{layer.name} ({cls})" if show_layer_names else cls]
    if show_shapes:
        lines.append("Output shape: " + (_shape_text(shape) if shape is not None else "?"))
    if show_dtype:
        dtype = getattr(layer, "dtype", None) or getattr(layer, "compute_dtype", None)
        lines.append(f"Output dtype: {dtype}")
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        act = layer.activation
        lines.append("Activation: " + getattr(act, "__name__", type(act).__name__))
    return lines


def _graph(model, expand_nested, opts, cluster=None):
    """(nodes, edges, entry keys, exit keys) of `model`; nested models expanded on request."""
    layers = _layers_for_summary(model)
    shapes = _output_shapes(model)
    nodes, edges = [], []
    entry, exit_ = {}, {}  # layer id -> the node keys its inputs enter / its output leaves

    for layer in layers:
        nested = expand_nested and (hasattr(layer, "_stack") or hasattr(layer, "_nodes"))
        if nested:
            sub_nodes, sub_edges, first, last = _graph(layer, True, opts, cluster=layer.name)
            nodes += sub_nodes
            edges += sub_edges
            entry[id(layer)], exit_[id(layer)] = first, last
            continue
        trainable = getattr(layer, "trainable", None) if opts["show_trainable"] else None
        node = _Node(id(layer), _label(layer, shapes.get(id(layer)), **{
            k: v for k, v in opts.items() if k != "show_trainable"}), trainable, cluster)
        if opts["show_trainable"] and not isinstance(layer, InputLayer):
            node.lines.append(f"Trainable: {bool(layer.trainable)}")
        nodes.append(node)
        entry[id(layer)] = exit_[id(layer)] = [node.key]

    if hasattr(model, "_nodes"):  # functional: the recorded calls give the edges
        for call in model._nodes:
            for parent in call.parents:
                src = parent._keras_history[0].layer
                for a in exit_.get(id(src), []):
                    for b in entry.get(id(call.layer), []):
                        edges.append((a, b))
        inputs = [t._keras_history[0].layer for t in model.inputs]
        outputs = [t._keras_history[0].layer for t in model.outputs]
    else:  # a Sequential: a chain
        for prev, cur in zip(layers[:-1], layers[1:]):
            for a in exit_[id(prev)]:
                for b in entry[id(cur)]:
                    edges.append((a, b))
        inputs, outputs = layers[:1], layers[-1:]
    first = [k for layer in inputs for k in entry.get(id(layer), [])]
    last = [k for layer in outputs for k in exit_.get(id(layer), [])]
    return nodes, list(dict.fromkeys(edges)), first, last


def _rank(nodes, edges):
    parents = {n.key: [] for n in nodes}
    for a, b in edges:
        parents[b].append(a)
    by_key = {n.key: n for n in nodes}
    for n in nodes:  # nodes come parents first (call order), so one pass suffices
        n.rank = max((by_key[p].rank + 1 for p in parents[n.key]), default=0)


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draw `model`'s layers and their connections to `to_file` (PNG, PDF, SVG... by extension).

    Arguments as Keras 3's. Returns an `IPython.display.Image` of the file when IPython is
    installed (inline display in notebooks, as Keras), else None.
    """
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' (vertical) or 'LR' (horizontal), got {rankdir!r}")
    unknown = set(kwargs) - {"layer_range", "splines"}
    if unknown:
        raise TypeError(f"plot_model got unexpected keyword arguments {sorted(unknown)}")
    if kwargs.get("layer_range") is not None:
        raise NotImplementedError("plot_model(layer_range=...) is not supported by lamina; "
                                  "plot the whole model")
    if not getattr(model, "built", False) or not _layers_for_summary(model):
        raise ValueError(
            f"plot_model: model {getattr(model, 'name', model)!r} has no layers to draw yet: build it "
            "first (keras.Input(...) as its first layer, model.build(input_shape), or call it on data)")
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415  (optional: matplotlib)
        from matplotlib.patches import FancyBboxPatch, Rectangle  # noqa: PLC0415  (optional: matplotlib)
    except ImportError as err:
        raise ImportError("plot_model draws with matplotlib: pip install matplotlib") from err

    opts = dict(show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    nodes, edges, _, _ = _graph(model, expand_nested, opts)
    _rank(nodes, edges)
    ranks = {}
    for n in nodes:
        ranks.setdefault(n.rank, []).append(n)

    char_w, line_h = 0.075, 0.22  # inches per character / per text line at 10 pt
    box_w = max(len(line) for n in nodes for line in n.lines) * char_w + 0.4
    box_h = max(len(n.lines) for n in nodes) * line_h + 0.25
    gap = 0.45
    step_main = (box_h if rankdir == "TB" else box_w) + gap  # between ranks
    step_side = (box_w if rankdir == "TB" else box_h) + gap  # within a rank
    widest = max(len(r) for r in ranks.values())
    for r, members in ranks.items():
        offset = (widest - len(members)) * step_side / 2
        for i, n in enumerate(members):
            side = offset + i * step_side
            n.pos = (side, -r * step_main) if rankdir == "TB" else (r * step_main, -side)
    xs = [n.pos[0] for n in nodes]
    ys = [n.pos[1] for n in nodes]
    margin = 0.4
    width = max(xs) - min(xs) + box_w + 2 * margin
    height = max(ys) - min(ys) + box_h + 2 * margin
    fig = Figure(figsize=(width, height), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(min(xs) - box_w / 2 - margin, max(xs) + box_w / 2 + margin)
    ax.set_ylim(min(ys) - box_h / 2 - margin, max(ys) + box_h / 2 + margin)
    ax.axis("off")

    clusters = {}
    for n in nodes:
        if n.cluster:
            clusters.setdefault(n.cluster, []).append(n)
    for name, members in clusters.items():  # a nested model: a dashed frame around its layers
        x0 = min(m.pos[0] for m in members) - box_w / 2 - 0.15
        x1 = max(m.pos[0] for m in members) + box_w / 2 + 0.15
        y0 = min(m.pos[1] for m in members) - box_h / 2 - 0.15
        y1 = max(m.pos[1] for m in members) + box_h / 2 + 0.3
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linestyle="--", lw=0.8))
        ax.text(x0 + 0.08, y1 - 0.05, name, ha="left", va="top", fontsize=8, style="italic")

    by_key = {n.key: n for n in nodes}
    for a, b in edges:
        (x0, y0), (x1, y1) = by_key[a].pos, by_key[b].pos
        if rankdir == "TB":
            start, end = (x0, y0 - box_h / 2), (x1, y1 + box_h / 2)
        else:
            start, end = (x0 + box_w / 2, y0), (x1 - box_w / 2, y1)
        ax.annotate("", xy=end, xytext=start,
                    arrowprops=dict(arrowstyle="->", lw=0.9, shrinkA=0, shrinkB=0))
    for n in nodes:
        x, y = n.pos
        color = "white" if n.trainable is None else ("#d9ead3" if n.trainable else "#eeeeee")
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h,
                                    boxstyle="round,pad=0,rounding_size=0.06", fc=color, ec="black",
                                    lw=0.9))
        title, rest = n.lines[0], n.lines[1:]
        ax.text(x, y, "\n".join([title] + rest), ha="center", va="center", fontsize=10,
                linespacing=1.3, fontweight="normal")
    directory = os.path.dirname(os.path.abspath(os.fspath(to_file)))
    os.makedirs(directory, exist_ok=True)
    fig.savefig(os.fspath(to_file), dpi=dpi)
    try:
        from IPython.display import Image  # noqa: PLC0415  (optional: IPython)
    except ImportError:
        return None
    return Image(filename=os.fspath(to_file))


def model_to_dot(model, **kwargs):
    """Not available: lamina does not use pydot; `plot_model` draws the same graph directly."""
    raise NotImplementedError(
        "model_to_dot returns a pydot graph, and lamina does not use pydot/Graphviz: call "
        "keras.utils.plot_model(model, to_file=...) to draw the model with matplotlib")
