"""`keras.remat(f)`: gradient checkpointing. The wrapped function keeps only its inputs and
outputs for the backward pass; its intermediate values are recomputed (by calling `f` again
under a fresh tape) when the gradient is needed, trading compute for memory.

Built on `custom_gradient`: the forward pass records f's graph just long enough to find the
trainable variables it reads, then keeps one node from (inputs, variables) to the outputs.
"""
import functools

import numpy as np

from lamina.engine import tree
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Tensor
from lamina.ops.custom_grad import custom_gradient


def remat(f):
    """`f` with its activations recomputed in the backward pass (same values, same gradients)."""
    if not callable(f):
        raise TypeError(f"remat expects a callable, got {type(f).__name__}")

    @functools.wraps(f)
    def rematerialized(*args, **kwargs):
        def forward(*tensors):
            out = f(*tensors, **kwargs)

            def grad(*upstream, variables=None):
                variables = list(variables or [])
                flat = tree.flatten(tensors)
                fresh = [Tensor(np.array(t.data)) if isinstance(t, Tensor) else t for t in flat]
                sources = [t for t in fresh if isinstance(t, Tensor)]
                with GradientTape() as tape:
                    tape.watch(sources)
                    again = f(*tree.pack_as(list(tensors), fresh), **kwargs)
                outs = tree.flatten(again)
                # an output that is an input itself (identity) passes its upstream straight on
                direct = [(i, u) for o, u in zip(outs, upstream) for i, t in enumerate(sources) if o is t]
                kept = [(o, u) for o, u in zip(outs, upstream) if not any(o is t for t in sources)]
                if kept:
                    grads = tape.gradient([o for o, _ in kept], sources + variables,
                                          output_gradients=[u for _, u in kept],
                                          unconnected_gradients="zero")
                else:
                    grads = [Tensor(np.zeros(np.shape(v.data), v.data.dtype)) for v in sources + variables]
                grads = list(grads)
                for i, u in direct:
                    grads[i] = grads[i] + u
                it = iter(grads[:len(sources)])
                input_grads = [next(it) if isinstance(t, Tensor) else None for t in fresh]
                return input_grads, list(grads[len(sources):])

            return out, grad

        return custom_gradient(forward)(*args)

    return rematerialized
