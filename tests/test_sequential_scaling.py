"""Building a Sequential model costs linear time in its number of layers.

Ratio checks (time(4n) / time(n)), not timed thresholds: a linear build gives ~4, the former
quadratic ones (a unique-name scan over every earlier layer; a full rebuild per `add`) gave
13 and more. The best of three runs, with the cyclic garbage collector paused (its passes
grow with every live object, whatever builds them), keeps a busy machine's noise out; CPU time (`process_time`), not wall time,
so other processes' load does not count.
"""
import gc
import time

import lamina
from lamina import layers


def _best_time(build, n, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        stack = [layers.Activation("linear") for _ in range(n)]
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            build(stack)
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best


def _from_list(stack):
    model = lamina.Sequential([lamina.Input((2,))] + stack)
    assert model.built and len(model.layers) == len(stack)


def _add_one_by_one(stack):
    model = lamina.Sequential([lamina.Input((2,))])
    for layer in stack:
        model.add(layer)
    assert model.built and model.outputs[0].shape == (None, 2)
    assert model.layers[-1].output is model.outputs[0]


def test_sequential_from_a_list_builds_in_linear_time():
    ratio = _best_time(_from_list, 4000) / _best_time(_from_list, 1000)
    assert ratio < 8, f"4000 layers took {ratio:.1f}x the time of 1000"


def test_sequential_add_builds_in_linear_time():
    ratio = _best_time(_add_one_by_one, 1200) / _best_time(_add_one_by_one, 300)
    assert ratio < 8, f"1200 adds took {ratio:.1f}x the time of 300"


def test_add_after_build_extends_the_graph_and_pop_rebuilds_it():
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(4, name="a")])
    model.add(layers.Dense(2, name="b"))
    assert model.output_shape == (None, 2)
    assert [l.name for l in model.layers] == ["a", "b"]
    model.pop()
    model.add(layers.Dense(5, name="b"))  # the popped name is free again
    assert model.output_shape == (None, 5)
    assert model.predict(lamina.ops.ones((1, 3)).data, verbose=0).shape == (1, 5)
