"""A whole recurrent sequence as ONE graph node, with a hand-written backward through time.

`run_sequence` drives a cell kernel (see `rnn_cells.py`) over time in a Python loop of NumPy
steps: the input projection x_t @ W of every step is one matmul before the loop, each step
adds h_{t-1} @ U (one matmul on the concatenated gate weights), and the backward pass is
one matmul per step for the recurrent part plus single big matmuls for dW, dU, dx after
the loop. Masking, `go_backwards`, `return_sequences`, `return_state` and
`zero_output_for_mask` follow Keras 3's `backend.rnn`:

- steps run in processing order (reversed input when `go_backwards`), and the returned
  sequence stays in processing order;
- at a masked step every state keeps its previous value and the output repeats the
  previous output (the carried `h`), or is zero with `zero_output_for_mask`;
- the last output is the output of the last processed step.
"""
import numpy as np

from lamina import activations, ops
from lamina.engine import threads
from lamina.engine.tensor import data_of, record
from lamina.kernels.tanh32 import tanh32
from lamina.ops import _direct_conv as D

# --- activations with NumPy forms: f(src, out) in place, f'(from the output y, out) -------


def _tanh(a, out):  # float32: lamina's vectorized tanh (kernels/tanh32.py), else NumPy's
    if out.dtype == np.float32 and a.dtype == np.float32:
        tanh32(a, out)
    else:
        np.tanh(a, out=out)


def _tanh_d(y, out):
    np.multiply(y, y, out=out)
    np.subtract(1, out, out=out)


def _sigmoid(a, out):  # 0.5 tanh(a/2) + 0.5, as lamina.ops.sigmoid: no overflow
    np.multiply(a, 0.5, out=out)
    _tanh(out, out)
    out *= 0.5
    out += 0.5


def _sigmoid_d(y, out):
    np.subtract(1, y, out=out)
    out *= y


def _relu(a, out):
    np.maximum(a, 0, out=out)


def _relu_d(y, out):
    np.greater(y, 0, out=out)


def _linear(a, out):
    if out is not a:
        np.copyto(out, a)


def _linear_d(y, out):
    out.fill(1)


def _hard_sigmoid(a, out):  # relu6(a + 3) / 6, as Keras 3
    np.add(a, 3, out=out)
    np.clip(out, 0, 6, out=out)
    out /= 6


def _hard_sigmoid_d(y, out):
    np.copyto(out, (y > 0) & (y < 1))
    out /= 6


_NUMPY_FORMS = {
    activations.tanh: (_tanh, _tanh_d), ops.tanh: (_tanh, _tanh_d),
    activations.sigmoid: (_sigmoid, _sigmoid_d), ops.sigmoid: (_sigmoid, _sigmoid_d),
    activations.relu: (_relu, _relu_d), ops.relu: (_relu, _relu_d),
    activations.linear: (_linear, _linear_d),
    activations.hard_sigmoid: (_hard_sigmoid, _hard_sigmoid_d),
    ops.hard_sigmoid: (_hard_sigmoid, _hard_sigmoid_d),
}  # fmt: skip


def numpy_activation(fn):
    """(forward, derivative-from-output) NumPy pair for `fn`, or None (no fused form)."""
    try:
        return _NUMPY_FORMS.get(fn)
    except TypeError:  # an unhashable callable
        return None


# --- x @ W over gate blocks, with optional per-gate dropout masks on the input ---------------


class GateLinear:
    """z = concat_g((x * mask_g) @ W[:, g-th block]) for `gates` equal column blocks of W.

    `masks` is None (no dropout: one matmul), a (B, D) array shared by all gates (one
    matmul on the masked input), or a (gates, B, D) array (Keras's per-gate masks when
    recurrent dropout is on: the gates' products run as one batched matmul over the stacked
    masked inputs, a handful of NumPy calls per step whatever the gate count). x may carry
    leading axes before (B, D), e.g. time.
    """

    def __init__(self, w, masks=None):
        self.w = w
        self.masks = masks
        self.per_gate = masks is not None and masks.ndim == 3
        gates = masks.shape[0] if self.per_gate else 1
        self.block = w.shape[1] // gates
        self._wt = None
        if self.per_gate:  # (gates, D, n) and (gates, n, D) blocks, contiguous
            n = self.block
            self.w3 = np.ascontiguousarray(w.reshape(w.shape[0], gates, n).transpose(1, 0, 2))
            self.w3t = np.ascontiguousarray(self.w3.transpose(0, 2, 1))

    @property
    def wt(self):
        """W^T, C-contiguous: NumPy's matmul of a view with a transposed view is much slower."""
        if self._wt is None:
            self._wt = np.ascontiguousarray(self.w.T)
        return self._wt

    def _gate_major(self, z):
        """(..., B, gates * n) -> a (gates, ..., B, n) view."""
        lead = z.shape[:-1]
        split = z.reshape(lead + (self.masks.shape[0], self.block))
        k = len(lead)
        return split.transpose((k,) + tuple(range(k)) + (k + 1,))

    def forward(self, x, out=None):
        if not self.per_gate:
            if self.masks is not None:
                x = x * self.masks
            if out is None and x.ndim > 2:  # every timestep at once: one product, two threads in fit
                return _product(x, self.w)
            return np.matmul(x, self.w, out=out)
        if out is None:
            out = np.empty(x.shape[:-1] + (self.w.shape[1],), dtype=np.result_type(x, self.w))
        masks = self.masks if x.ndim == 2 else self.masks[:, None]
        np.matmul(x * masks, self.w3 if x.ndim == 2 else self.w3[:, None], out=self._gate_major(out))
        return out

    def grad_input(self, dz):
        if not self.per_gate:
            dx = _product(dz, self.wt) if dz.ndim > 2 else dz @ self.wt
            if self.masks is not None:
                dx *= self.masks
            return dx
        masks = self.masks if dz.ndim == 2 else self.masks[:, None]
        parts = np.matmul(self._gate_major(dz), self.w3t if dz.ndim == 2 else self.w3t[:, None])
        parts *= masks
        return parts.sum(axis=0)  # ((part_0 + part_1) + part_2): the gates in order

    def grad_weight(self, x, dz):
        """dW = sum over leading axes of (x * mask)^T dz (one matmul; per-gate masks: one per
        gate block).

        x^T is made C-contiguous first: OpenBLAS's threaded GEMM on a transposed operand
        with a long inner dimension (T * batch) can be many times slower.
        """
        d = x.shape[-1]
        if not self.per_gate:
            if self.masks is not None:
                x = x * self.masks
            x2, dz2 = x.reshape(-1, d), dz.reshape(-1, dz.shape[-1])
            if D.tn_applies(x2, dz2):  # no transposed copy (lamina.ops._direct_conv)
                return D.tn_product(x2, dz2)
            return _rows_t(x, d) @ dz2
        # per gate: the masked inputs, transposed to (d, rows) in the same pass, then one
        # batched product over the gates
        gates, n, lead = self.masks.shape[0], self.block, x.shape[:-1]
        masks = np.moveaxis(self.masks, -1, 1)  # (gates, d, B)
        xm = np.empty((gates, d) + lead, dtype=np.result_type(x, self.masks))
        np.multiply(np.moveaxis(x, -1, 0), masks if x.ndim == 2 else masks[:, :, None], out=xm)
        rows = xm[0, 0].size
        parts = np.matmul(xm.reshape(gates, d, rows), self._gate_major(dz).reshape(gates, rows, n))
        return parts.transpose(1, 0, 2).reshape(d, gates * n)


def _product(x, w):
    """x @ w for x (..., d) with leading axes (timesteps, batch) as the rows of one 2-D product
    (`threads.matmul`: split over two threads inside fit, the bits of one thread), not one
    GEMM per sample: IMDB LSTM 20 steps, A/B on a 2-vCPU AVX-512 EPYC, 0.542 -> 0.478 s."""
    return threads.matmul(x.reshape(-1, x.shape[-1]), w).reshape(x.shape[:-1] + (w.shape[1],))


def _rows_t(x, d):
    """x reshaped to (rows, d) and transposed, as a C-contiguous (d, rows) array."""
    return np.ascontiguousarray(x.reshape(-1, d).T)


# --- the sequence driver ---------------------------------------------------------------------


def run_sequence(kernel, sequences, initial_states, weights, mask=None, go_backwards=False,
                 return_sequences=False, return_state=False, zero_output_for_mask=False):
    """Run `kernel` over `sequences` (batch, timesteps, features) as one recorded op.

    `initial_states`: one value per state (None: zeros); `weights`: the kernel's variables
    in the order its `grads` returns them (None for an absent bias). `mask`: a
    (batch, timesteps) boolean array or None. Returns (output, [final states]): the output
    is (batch, timesteps, units) with `return_sequences`, else (batch, units); the final
    states are Tensors with `return_state`, else plain (untracked) arrays.
    """
    x = data_of(sequences)
    if x.ndim != 3:
        raise ValueError(f"run_sequence: expected (batch, timesteps, features), got {x.shape}")
    b, steps = x.shape[0], x.shape[1]
    if steps == 0:
        raise ValueError("a recurrent layer needs at least one timestep, got an input with 0")
    dtype = np.result_type(x.dtype, *(data_of(w).dtype for w in weights if w is not None))
    xs = x[:, ::-1] if go_backwards else x
    xs = np.ascontiguousarray(xs.transpose(1, 0, 2), dtype=dtype)  # time-major (T, B, D)
    units, n_states = kernel.units, kernel.n_states

    hist = []  # carried states, time-major: hist[k][t] is state k before step t
    for k in range(n_states):
        h = np.empty((steps + 1, b, units), dtype)
        s0 = initial_states[k] if initial_states is not None else None
        if s0 is None:
            h[0] = 0
        else:
            h[0] = data_of(s0)
        hist.append(h)

    keep = fkeep = None
    if mask is not None:
        m = np.asarray(data_of(mask), dtype=bool)
        if m.shape != (b, steps):
            raise ValueError(
                f"recurrent layer: the mask must have shape (batch, timesteps) = {(b, steps)}, "
                f"got {m.shape}"
            )
        m = m[:, ::-1] if go_backwards else m
        keep = np.ascontiguousarray(m.T)[:, :, None]  # (T, B, 1)
        fkeep = keep.astype(dtype)

    kernel.begin(xs, hist)
    if keep is None:
        for t in range(steps):
            kernel.step(t, [h[t] for h in hist], [h[t + 1] for h in hist])
    else:
        scratch = [np.empty((b, units), dtype) for _ in range(n_states)]
        for t in range(steps):
            prev = [h[t] for h in hist]
            kernel.step(t, prev, scratch)
            kt = keep[t]
            for h, p, s in zip(hist, prev, scratch):
                np.copyto(h[t + 1], p)
                np.copyto(h[t + 1], s, where=kt)

    # outputs: the carried h (or zero where masked, with zero_output_for_mask)
    zero_out = zero_output_for_mask and fkeep is not None
    if return_sequences:
        seq = hist[0][1:] * fkeep if zero_out else hist[0][1:]
        out = np.ascontiguousarray(seq.transpose(1, 0, 2))
    else:
        out = hist[0][steps] * fkeep[steps - 1] if zero_out else hist[0][steps].copy()
    finals = [h[steps] for h in hist]
    if return_state:
        lead = out if return_sequences else out[:, None]
        packed = np.concatenate([lead] + [f[:, None] for f in finals], axis=1)
    else:
        packed = out
    n_out = steps if return_sequences else 1

    def backward(g, need):
        if return_state:
            g_out = g[:, :n_out] if return_sequences else g[:, 0]
            d = [np.array(g[:, n_out + k]) for k in range(n_states)]
        else:
            g_out = g
            d = [np.zeros((b, units), dtype) for _ in range(n_states)]
        g_seq = g_out.transpose(1, 0, 2) if return_sequences else None
        kernel.begin_backward()
        for t in range(steps - 1, -1, -1):
            go = g_seq[t] if return_sequences else (g_out if t == steps - 1 else None)
            if go is not None:
                d[0] = d[0] + (go * fkeep[t] if zero_out else go)
            if keep is None:
                d = kernel.step_back(t, d)
            else:
                f = fkeep[t]
                carry = [dk - dk * f for dk in d]
                d = kernel.step_back(t, [dk * f for dk in d])
                d = [dk + c for dk, c in zip(d, carry)]
        n_in = 1 + n_states
        dx, dws = kernel.grads(need[0], need[n_in:])
        if dx is not None:
            dx = dx.transpose(1, 0, 2)
            if go_backwards:
                dx = dx[:, ::-1]
        return (dx, *d, *dws)

    init = list(initial_states) if initial_states is not None else [None] * n_states
    result = record(packed, (sequences, *init, *weights), backward)
    if not return_state:
        return result, finals
    if return_sequences:
        output = ops.getitem(result, (slice(None), slice(0, n_out)))
    else:
        output = ops.getitem(result, (slice(None), 0))
    states = [ops.getitem(result, (slice(None), n_out + k)) for k in range(n_states)]
    return output, states
