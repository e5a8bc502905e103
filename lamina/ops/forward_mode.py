"""`keras.ops.jvp` (also `keras.ops.linalg.jvp`): forward-mode Jacobian-vector products,
computed with lamina's reverse mode.

tangents_out = J(primals) @ tangents, for every output leaf. lamina's gradients are
first-order (the backward functions are NumPy), so the double-vjp trick is not available;
the Jacobian rows come from one reverse pass per output element (GradientTape.jacobian),
each contracted with the tangents. Cost: the output's size in backward passes: meant for
small functions, as JVP checks and sensitivity analyses are.
"""
import numpy as np

from lamina.engine import tree
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Tensor, data_of


def _as_float_tensor(x, name):
    a = np.asarray(data_of(x))
    if a.dtype.kind not in "fc":
        raise TypeError(f"jvp: every leaf of `{name}` must be a float array, got dtype {a.dtype} "
                        "(cast integer inputs to float first)")
    return x if isinstance(x, Tensor) else Tensor(a)


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), J @ tangents) -- plus `aux` when has_aux: `fun` returns (out, aux).

    primals, tangents: tuples/lists of arguments with the same structure and shapes;
    the tangents out have the structure and shapes of `fun`'s output.
    """
    if not callable(fun):
        raise TypeError(f"jvp: `fun` must be callable, got {type(fun).__name__}")
    if not isinstance(primals, (list, tuple)) or not isinstance(tangents, (list, tuple)):
        raise TypeError("jvp: `primals` and `tangents` must be tuples or lists of arguments, got "
                        f"{type(primals).__name__} and {type(tangents).__name__}")
    flat_p, flat_t = tree.flatten(list(primals)), tree.flatten(list(tangents))
    if len(primals) != len(tangents) or len(flat_p) != len(flat_t):
        raise ValueError(f"jvp: primals and tangents must have the same structure, got "
                         f"{len(primals)} primals ({len(flat_p)} arrays) and {len(tangents)} "
                         f"tangents ({len(flat_t)} arrays)")
    leaves = [_as_float_tensor(p, "primals") for p in flat_p]
    vectors = []
    for p, t in zip(leaves, flat_t):
        v = np.asarray(data_of(t), dtype=p.data.dtype)
        if v.shape != p.shape:
            raise ValueError(f"jvp: each tangent must have its primal's shape, got {v.shape} for "
                             f"a primal of shape {tuple(p.shape)}")
        vectors.append(v)
    args = tree.pack_as(list(primals), leaves)
    with GradientTape(persistent=True) as tape:
        for p in leaves:
            tape.watch(p)
        result = fun(*args)
    out, aux = result if has_aux else (result, None)
    tangents_out = []
    for o in tree.flatten(out):
        value = np.asarray(data_of(o))
        if value.dtype.kind not in "fc":  # integer outputs have no tangent (zeros, as JAX's float0)
            tangents_out.append(Tensor(np.zeros(value.shape, np.float32)))
            continue
        jacobians = tape.jacobian(o, leaves, unconnected_gradients="zero")
        total = np.zeros(value.shape, value.dtype)
        for jac, v in zip(jacobians, vectors):
            j = jac.data.reshape(value.size, v.size)
            total = total + (j @ v.reshape(-1)).reshape(value.shape).astype(value.dtype)
        tangents_out.append(Tensor(total))
    tangents_out = tree.pack_as(out, tangents_out) if tree.is_nested(out) else tangents_out[0]
    if has_aux:
        return out, tangents_out, aux
    return out, tangents_out
