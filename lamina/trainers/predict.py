"""`TrainerPredictAPI`, the inference side of `Trainer`: `predict` (batched, with callbacks
and a progress bar), `predict_on_batch`, and `predict_step`, what one batch does.

`predict` runs a model's `_replay_plan()` (per-layer NumPy functions, which Sequential
provides) instead of calling the model when it has one: the same results without Tensors or
graph nodes. A single silent NumPy batch skips the data adapter and the callbacks. Mixed into
`Trainer`, which supplies `_prepare` (the checks before any step).
"""
import numpy as np

from lamina.callbacks.callback_list import CallbackList
from lamina.engine import threads, tree
from lamina.engine.tensor import Tensor
from lamina.trainers import input_checks
from lamina.trainers.data_adapter import make_data, unpack_x_y_sample_weight
from lamina.trainers.input_checks import resolve_verbose as _resolve_verbose


class TrainerPredictAPI:
    """`predict`, `predict_on_batch`, `predict_step` (Keras's names and arguments)."""

    def predict_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _replay_plan(self):
        """Per-layer NumPy functions that `predict` may run instead of calling the model
        (same results, no Tensors or graph nodes), or None: models override this."""
        return None

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for `x`, batched, as float32 NumPy arrays (same structure as outputs)."""
        verbose = _resolve_verbose(verbose)
        input_checks.check_batch_size(batch_size)
        input_checks.check_python_lists(x, "x")
        own_step = type(self).predict_step is TrainerPredictAPI.predict_step
        plan = self._replay_plan() if own_step and self.built else None
        if (type(x) is np.ndarray and verbose == 0 and callbacks is None and steps is None
                and self.built and 0 < len(x) <= (batch_size or 32) and own_step):
            # one silent batch: skip the adapter and callback machinery (same checks, same result)
            input_checks.check_value_kinds(x, "x", self)
            input_checks.check_array(x, "x")
            input_checks.check_features(self, x)
            with threads.scope():
                if plan is not None and x.dtype.kind == "f" and self.autocast:
                    return _replay(plan, x if x.dtype == self.dtype else x.astype(self.dtype))
                out = self(x, training=False)
            return tree.map_structure(lambda t: t.data if isinstance(t, Tensor) else np.asarray(t), out)
        data = make_data(x, None, None, batch_size, False, None, steps)
        self._prepare(data, "predict")
        cbs = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                           epochs=1, steps=data.steps())
        cbs.on_predict_begin()
        has_begin = bool(cbs.batch_hook("on_predict_batch_begin"))
        has_end = bool(cbs.batch_hook("on_predict_batch_end"))
        chunks = []
        per, step = self.steps_per_execution, -1
        with threads.scope():
            if plan is not None and not (has_begin or has_end):
                chunks = _replay_batches(plan, data, self.dtype)
            for step, batch in enumerate(() if chunks else data.batches()):
                if has_begin and step % per == 0:
                    cbs.call_batch("on_predict_batch_begin", step)
                xb, _, _ = unpack_x_y_sample_weight(batch)
                if plan is not None and type(xb) is np.ndarray and xb.dtype == self.dtype:
                    out = _replay(plan, xb)  # float inputs were cast to the model's dtype
                else:
                    out = self.predict_step(batch)
                chunks.append(tree.map_structure(lambda t: t.data if isinstance(t, Tensor) else np.asarray(t), out))
                if has_end and step % per == per - 1:
                    cbs.call_batch("on_predict_batch_end", step,
                                   {"outputs": out if per == 1 else _joined(chunks[-per:])})
            if has_end and step >= 0 and step % per != per - 1:  # a last, partial execution
                cbs.call_batch("on_predict_batch_end", step - step % per + per - 1,
                               {"outputs": _joined(chunks[-(step % per + 1):])})
        cbs.on_predict_end()
        if not chunks:
            raise ValueError("predict: the data produced no batch")
        return _joined(chunks)

    def predict_on_batch(self, x):
        out = self.predict_step((x,))
        return tree.map_structure(lambda t: t.data if isinstance(t, Tensor) else np.asarray(t), out)


def _joined(chunks):
    """Batch outputs (each a structure of arrays) concatenated along the batch axis."""
    flat = [np.concatenate(parts, axis=0) if len(chunks) > 1 else parts[0]
            for parts in zip(*[tree.flatten(c) for c in chunks])]
    return tree.pack_as(chunks[0], flat)


def _replay(plan, a):
    for f in plan:
        a = f(a)
    return a


# predict replays consecutive batches together, in groups of about this many rows, when a
# group computes the bits its batches compute alone -- checked on the first group, since a
# GEMM's row blocks keep their bits only within the library's own blocking (OpenBLAS on an
# AVX-512 EPYC: 128 rows do, 256 do not). 10,000 MNIST samples in batches of 32 on one
# thread: 113 -> 89 ms.
GROUP_ROWS = 128


def _replay_batches(plan, data, dtype):
    """predict's batches of an in-memory array through the replay plan, spread over two
    threads (`threads.map_pair`) when the first batch shows only one-thread products: each
    batch then has the bits it has alone (several consecutive batches may run as one group
    of rows, when that gives the same bits). [] when the data is not such an array."""
    x = getattr(data, "x", None)
    if type(x) is not np.ndarray or x.dtype != dtype or data.steps() != data.num_batches:
        return []
    bs, n = data.batch_size, len(x)
    threads.reset_peak()
    first = _replay(plan, x[:bs])
    if threads.peak_macs() >= threads.SPLIT_MACS:
        return [first] + [_replay(plan, x[i:i + bs]) for i in range(bs, n, bs)]
    span = bs * max(1, GROUP_ROWS // bs)
    head, start, spans = [first], bs, []
    if span > bs and bs + span <= n:  # the next rows, as one group and batch by batch
        start = bs + span
        if _groups_keep_bits(plan, x[bs:start], bs, head):
            spans = [(i, i + span) for i in range(start, n - span + 1, span)]
            start += span * len(spans)
    spans += [(i, min(i + bs, n)) for i in range(start, n, bs)]
    return head + threads.map_pair(lambda ij: _replay(plan, x[ij[0]:ij[1]]), spans)


def _groups_keep_bits(plan, rows, bs, out):
    """Whether the plan on `rows` (a group of whole batches) gives the bits of its batches
    replayed one by one; appends the group's output to `out` when it does, the batches'
    otherwise."""
    alone = [_replay(plan, rows[i:i + bs]) for i in range(0, len(rows), bs)]
    together = _replay(plan, rows)
    joined = _joined(alone)
    same = all(a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
               for a, b in zip(tree.flatten(joined), tree.flatten(together)))
    out.extend([together] if same else alone)
    return same
