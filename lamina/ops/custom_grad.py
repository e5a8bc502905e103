"""`custom_gradient`: a function whose gradient is given by the user, not by its ops.

    @ops.custom_gradient
    def log1pexp(x):
        e = ops.exp(x)
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))
        return ops.log(1 + e), grad

As with Keras 3 on TensorFlow/JAX, `grad` is called with the upstream gradients
positionally, one per (flattened) output. If `grad` accepts a `variables` keyword (TF's
convention), it also receives the trainable variables that `f` read and returns
`(input_grads, variable_grads)`.
"""

import contextlib
import functools
import inspect

import numpy as np

from lamina.engine import tree
from lamina.engine.graph import STATE, VariableLeaf
from lamina.engine.tensor import Tensor, as_array, data_of, node_of, record
from lamina.engine.tape import _refresh_state


@contextlib.contextmanager
def _not_recording():
    """Run the user's gradient function as plain computation (no tape records it)."""
    saved = STATE.tapes
    STATE.tapes = ()
    _refresh_state()
    try:
        yield
    finally:
        STATE.tapes = saved
        _refresh_state()


def _variables_read(outputs, inputs):
    """Trainable variables whose leaves the recorded graph of `outputs` reaches (stopping at
    the nodes of `inputs`), in first-seen order."""
    stop = {n for n in map(node_of, inputs) if n is not None}
    seen, stack, found = (
        set(),
        [o._node for o in outputs if isinstance(o, Tensor) and o._node is not None],
        [],
    )
    while stack:
        node = stack.pop()
        if node in seen or node in stop:
            continue
        seen.add(node)
        if type(node) is VariableLeaf:
            var = node.owner()
            if var is not None and var.trainable:
                found.append(var)
            continue
        stack.extend(p for p in node.parents if p is not None)
    found.sort(key=lambda v: v._leaf.seq)  # creation order: deterministic
    return found


def _wants_variables(grad_fn):
    try:
        params = inspect.signature(grad_fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "variables" or p.kind is p.VAR_KEYWORD for p in params)


def _as_grad_list(result, n, what):
    if isinstance(result, (list, tuple)):
        result = list(result)
    else:
        result = [result]
    if len(result) != n:
        raise ValueError(
            f"custom_gradient: the gradient function returned {len(result)} {what} gradient(s) "
            f"for {n} {what}(s); return one gradient (or None) per flattened {what}"
        )
    return [None if g is None else as_array(g) for g in result]


def custom_gradient(f):
    """Decorator: `f(*args)` returns `(output, grad_fn)`; the decorated function returns
    `output`, and its gradient with respect to the (flattened) tensor arguments is
    `grad_fn(*upstream)` (one upstream gradient per flattened output)."""

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        flat_in = tree.flatten(args)
        output, grad_fn = f(*args, **kwargs)
        if not callable(grad_fn):
            raise TypeError(
                f"custom_gradient: {getattr(f, '__name__', 'f')} must return (output, grad_fn) "
                f"with a callable grad_fn, got {type(grad_fn).__name__}"
            )
        flat_out = tree.flatten(output)
        if not STATE.recording:
            return output
        use_vars = _wants_variables(grad_fn)
        variables = _variables_read(flat_out, flat_in)
        if variables and not use_vars:
            names = ", ".join(v.path for v in variables[:3])
            raise TypeError(
                f"custom_gradient: {getattr(f, '__name__', 'f')} reads trainable variables "
                f"({names}) but its gradient function does not accept a `variables` keyword; "
                "define grad_fn(*upstream, variables=None) returning (input_grads, variable_grads), "
                "or pass the variables as arguments"
            )
        values = [
            data_of(o) if isinstance(o, Tensor) else np.asarray(as_array(o)) for o in flat_out
        ]
        n_in = len(flat_in)
        parents = tuple(flat_in) + tuple(variables)

        def grads_for(upstream):
            with _not_recording():
                ups = [Tensor(u) for u in upstream]
                if use_vars:
                    result = grad_fn(*ups, variables=variables)
                    if not (isinstance(result, (list, tuple)) and len(result) == 2):
                        raise ValueError(
                            "custom_gradient: with `variables`, the gradient function must return "
                            "(input_grads, variable_grads)"
                        )
                    return tuple(
                        _as_grad_list(result[0], n_in, "input")
                        + _as_grad_list(result[1], len(variables), "variable")
                    )
                return tuple(_as_grad_list(grad_fn(*ups), n_in, "input"))

        if len(values) == 1:
            out = record(values[0], parents, lambda g, need: grads_for([g]))
            return tree.pack_as(output, [out])
        # several outputs: one joint node takes the concatenated upstream gradients, so that
        # grad_fn runs once with all of them (an output nothing depends on gets zeros)
        sizes = [v.size for v in values]
        ends = np.cumsum(sizes)
        dtype = np.result_type(*[v.dtype for v in values if v.dtype.kind in "fc"] or [np.float32])
        joint_value = np.broadcast_to(np.zeros((), dtype), (int(ends[-1]),))

        def joint_backward(g, need):
            parts = np.split(np.asarray(g), ends[:-1])
            return grads_for(
                [p.reshape(v.shape).astype(v.dtype, copy=False) for p, v in zip(parts, values)]
            )

        joint = record(joint_value, parents, joint_backward)
        outs = []
        for i, v in enumerate(values):
            start = int(ends[i] - sizes[i])

            def piece_backward(g, need, start=start, size=sizes[i]):
                full = np.zeros(joint_value.shape, dtype)
                full[start : start + size] = np.ravel(g)
                return (full,)

            outs.append(record(v, (joint,), piece_backward))
        return tree.pack_as(output, outs)

    return wrapper
