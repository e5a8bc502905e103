"""plot_model: the layout (ranks, edges, labels) and the image written, for Sequential,
branching functional and nested models."""
import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.utils import model_plot

plt_image = pytest.importorskip("matplotlib.image")


def _functional():
    inputs = lamina.Input((16,), name="features")
    a = layers.Dense(8, activation="relu", name="left")(inputs)
    b = layers.Dense(8, activation="tanh", name="right")(inputs)
    merged = layers.Concatenate(name="merge")([a, b])
    outputs = layers.Dense(1, activation="sigmoid", name="score")(merged)
    return lamina.Model(inputs, outputs, name="two_towers")


def _layout(model, expand_nested=False, **opts):
    defaults = dict(show_shapes=False, show_dtype=False, show_layer_names=False,
                    show_layer_activations=False, show_trainable=False)
    defaults.update(opts)
    nodes, edges, _, _ = model_plot._graph(model, expand_nested, defaults)
    model_plot._rank(nodes, edges)
    return {n.lines[0]: n for n in nodes}, edges


def test_branching_graph_ranks_and_edges():
    model = _functional()
    nodes, edges = _layout(model, show_layer_names=True, show_shapes=True,
                           show_layer_activations=True)
    ranks = {title.split(" ")[0]: n.rank for title, n in nodes.items()}
    assert ranks == {"features": 0, "left": 1, "right": 1, "merge": 2, "score": 3}
    names = {n.key: title.split(" ")[0] for title, n in nodes.items()}
    assert sorted((names[a], names[b]) for a, b in edges) == [
        ("features", "left"), ("features", "right"), ("left", "merge"), ("merge", "score"),
        ("right", "merge")]
    assert nodes["score (Dense)"].lines == ["score (Dense)", "Output shape: (None, 1)",
                                            "Activation: sigmoid"]
    assert nodes["merge (Concatenate)"].lines[1] == "Output shape: (None, 16)"


def test_sequential_chain_and_nested_expansion():
    inner = lamina.Sequential([layers.Dense(4, name="in1"), layers.Dense(3, name="in2")], name="block")
    model = lamina.Sequential([lamina.Input((5,)), layers.Dense(6, name="first"), inner,
                               layers.Dense(2, name="last")])
    nodes, edges = _layout(model, show_layer_names=True)
    assert [n.rank for n in nodes.values()] == [0, 1, 2]
    assert "block (Sequential)" in nodes
    nodes, edges = _layout(model, show_layer_names=True, expand_nested=True)
    assert list(nodes) == ["first (Dense)", "in1 (Dense)", "in2 (Dense)", "last (Dense)"]
    assert [n.rank for n in nodes.values()] == [0, 1, 2, 3]
    assert [n.cluster for n in nodes.values()] == [None, "block", "block", None]
    assert len(edges) == 3


@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_image_is_written_with_the_graph_orientation(tmp_path, rankdir):
    path = tmp_path / f"model_{rankdir}.png"
    out = lamina.utils.plot_model(_functional(), to_file=str(path), show_shapes=True,
                                  show_dtype=True, show_trainable=True, rankdir=rankdir, dpi=50)
    assert out is None or hasattr(out, "data")  # IPython's Image when IPython is installed
    pixels = plt_image.imread(str(path))
    h, w = pixels.shape[:2]
    # 4 ranks of one or two boxes: taller than wide top-to-bottom, the reverse left-to-right
    assert (h > w) if rankdir == "TB" else (w > h)
    assert pixels[..., :3].min() < 0.2  # something dark (text, borders) was drawn


def test_errors():
    with pytest.raises(ValueError, match="rankdir"):
        lamina.utils.plot_model(_functional(), rankdir="BT")
    with pytest.raises(ValueError, match="build it"):
        lamina.utils.plot_model(lamina.Sequential([layers.Dense(2)]))
    with pytest.raises(NotImplementedError, match="plot_model"):
        lamina.utils.model_to_dot(_functional())
