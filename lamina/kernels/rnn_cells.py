"""NumPy step kernels of SimpleRNN, LSTM and GRU for `rnn_sequence.run_sequence`.

A kernel is made per call from the cell's weights (NumPy arrays), its activations' NumPy
forms and the dropout masks of this call. Protocol (time-major arrays, T steps, batch B):

- `begin(xs, hist)`: xs (T, B, D) inputs in processing order; `hist[k]` (T + 1, B, units)
  is state k carried into each step (filled by the driver as the loop runs). Computes the
  input projection of every step in one matmul.
- `step(t, prev, out)`: the new states from the carried `prev`, written into `out`.
- `begin_backward()`, then `step_back(t, d) -> d_prev`: gradients of the states after
  step t (arrays the kernel may overwrite) to those before it; gate gradients are stored.
- `grads(need_x, need_w) -> (dx (T, B, D) or None, [dW, dU, db])` after the loop, as
  single big matmuls.

Weight layouts are Keras 3's: kernel (D, G*units), recurrent_kernel (units, G*units) with
gate blocks i, f, c, o (LSTM) or z, r, h (GRU); GRU `reset_after=True` has bias (2, 3*units)
(input bias, recurrent bias).
"""
import numpy as np

from lamina import _native
from lamina.engine import threads
from lamina.kernels.linear import column_sums
from lamina.kernels.rnn_sequence import GateLinear, _sigmoid, _tanh
from lamina.kernels.tanh32 import tanh32_cols


def _compiled(xs, default_activations):
    """The compiled step kernels (lamina._native.rnn) when they apply: float32 inputs and the
    default tanh/sigmoid activations; None selects the NumPy twin (the same operations)."""
    if default_activations and xs.dtype == np.float32:
        return _native.rnn
    return None


def _column_sums(dz):
    """The sums of dz (T, B, gates) over time and batch: a bias gradient."""
    return column_sums(dz.reshape(-1, dz.shape[-1]))


class _Kernel:
    n_states = 1

    def __init__(self, kernel, recurrent_kernel, bias, act, input_masks=None, rec_masks=None):
        self.units = recurrent_kernel.shape[0]
        self.w, self.u, self.b = kernel, recurrent_kernel, bias
        self.act, self.act_d = act
        self.inp = GateLinear(kernel, input_masks)
        self.rec = GateLinear(recurrent_kernel, rec_masks)

    def _project(self, xs, bias, inp=None):
        """xs @ W (+ bias) for every timestep; the bias added in row blocks on two threads
        inside fit (the same bits)."""
        a = (inp or self.inp).forward(xs)
        if bias is not None:
            a2 = a.reshape(-1, a.shape[-1])
            threads.by_rows(lambda r: np.add(a2[r], bias, out=a2[r]), *a2.shape)
        return a

    def _bias_grad(self, need, dz):
        return _column_sums(dz) if need and self.b is not None else None


class SimpleRNNKernel(_Kernel):
    """h_t = act(x_t W + b + h_{t-1} U)."""

    def begin(self, xs, hist):
        self.xs, self.hist = xs, hist
        self.a = self._project(xs, self.b)  # pre-activations, then outputs, in place

    def step(self, t, prev, out):
        a = self.a[t]
        a += self.rec.forward(prev[0])
        self.act(a, a)
        np.copyto(out[0], a)

    def begin_backward(self):
        self.da = np.empty_like(self.a)
        self.act_d(self.a, self.da)  # act' from the outputs, all steps at once

    def step_back(self, t, d):
        da = self.da[t]
        da *= d[0]
        return [self.rec.grad_input(da)]

    def grads(self, need_x, need_w):
        da = self.da
        dx = self.inp.grad_input(da) if need_x else None
        dw = self.inp.grad_weight(self.xs, da) if need_w[0] else None
        du = self.rec.grad_weight(self.hist[0][:-1], da) if need_w[1] else None
        return dx, [dw, du, self._bias_grad(need_w[2], da)]


class LSTMKernel(_Kernel):
    """Keras's LSTM: z = x W + h U + b split (i, f, c, o); c' = f c + i act(z_c);
    h' = o act(c') with i, f, o = rec_act(.)."""

    n_states = 2

    def __init__(self, kernel, recurrent_kernel, bias, act, rec_act, input_masks=None,
                 rec_masks=None):
        super().__init__(kernel, recurrent_kernel, bias, act, input_masks, rec_masks)
        self.ract, self.ract_d = rec_act
        # tanh/sigmoid (the default): sigmoid(z) = 0.5 tanh(0.5 z) + 0.5 lets one tanh call
        # activate all four gates. The 0.5 is folded into the recurrent kernel: scaling by a
        # power of two is exact, so this equals the separate activations bit for bit.
        self.fast = self.act is _tanh and self.ract is _sigmoid
        if self.fast:
            n = self.units
            half = np.full(4 * n, 0.5, recurrent_kernel.dtype)
            half[2 * n:3 * n] = 1.0
            shift = np.where(half == 0.5, half, 0).astype(recurrent_kernel.dtype)
            self.half, self.shift = half, shift
            self.rec_fwd = GateLinear(recurrent_kernel * half, rec_masks)
            # the input side too: x (W half) + b half is (x W + b) half bit for bit, one pass less
            self.inp_fwd = GateLinear(kernel * half, input_masks)
            self.b_fwd = None if bias is None else bias * half

    def begin(self, xs, hist):
        self.xs, self.hist = xs, hist
        if self.fast:  # (T, B, 4U): pre-activations (halved: see __init__), then gates
            self.a = self._project(xs, self.b_fwd, self.inp_fwd)
        else:
            self.a = self._project(xs, self.b)
        self.tc = np.empty((xs.shape[0], xs.shape[1], self.units), xs.dtype)  # act(c') per step
        self.native = _compiled(xs, self.fast)
        self.rec_buf = np.empty(self.a.shape[1:], self.a.dtype)  # h @ U of the current step

    def step(self, t, prev, out):
        n = self.units
        a = self.a[t]
        if self.fast:
            a += self.rec_fwd.forward(prev[0], out=self.rec_buf)
            _tanh(a, a)
            if self.native is not None:  # the three lines below and c, in one pass
                self.native.lstm_cell(a, prev[1], out[1])
                _tanh(out[1], self.tc[t])
                np.multiply(a[:, 3 * n:], self.tc[t], out=out[0])
                return
            a *= self.half
            a += self.shift
            g, o = a[:, 2 * n:3 * n], a[:, 3 * n:]
        else:
            a += self.rec.forward(prev[0])
            ract, act = self.ract, self.act
            ifo, g, o = a[:, :2 * n], a[:, 2 * n:3 * n], a[:, 3 * n:]
            ract(ifo, ifo)
            act(g, g)
            ract(o, o)
        act = self.act
        c = out[1]
        np.multiply(a[:, n:2 * n], prev[1], out=c)  # f * c_prev
        c += a[:, :n] * g  # + i * g
        tc = self.tc[t]
        act(c, tc)
        np.multiply(o, tc, out=out[0])

    def begin_backward(self):
        n, a = self.units, self.a
        self.da = np.empty_like(a)
        if self.native is not None:  # dgate and q are computed inside each step
            return
        self.dgate = d = np.empty_like(a)  # gate derivatives w.r.t. pre-activations
        self.ract_d(a[..., :2 * n], d[..., :2 * n])
        self.act_d(a[..., 2 * n:3 * n], d[..., 2 * n:3 * n])
        self.ract_d(a[..., 3 * n:], d[..., 3 * n:])
        q = np.empty_like(self.tc)
        self.act_d(self.tc, q)
        q *= a[..., 3 * n:]
        self.q = q  # d h' / d c' = o act'(c')

    def step_back(self, t, d):
        n = self.units
        dh, dc = d
        a, da = self.a[t], self.da[t]
        if self.native is not None:  # the lines below and begin_backward's, in one pass
            dh, dc = dh.astype(np.float32, copy=False), dc.astype(np.float32, copy=False)
            self.native.lstm_back(dh, dc, a, self.hist[1][t], self.tc[t], da)
            return [self.rec.grad_input(da), dc]
        dc += dh * self.q[t]
        np.multiply(dc, a[:, 2 * n:3 * n], out=da[:, :n])  # d i = dc * g
        np.multiply(dc, self.hist[1][t], out=da[:, n:2 * n])  # d f = dc * c_prev
        np.multiply(dc, a[:, :n], out=da[:, 2 * n:3 * n])  # d g = dc * i
        np.multiply(dh, self.tc[t], out=da[:, 3 * n:])  # d o = dh * act(c')
        da *= self.dgate[t]
        dc *= a[:, n:2 * n]  # d c_prev = dc * f
        return [self.rec.grad_input(da), dc]

    def grads(self, need_x, need_w):
        da = self.da
        dx = self.inp.grad_input(da) if need_x else None
        dw = self.inp.grad_weight(self.xs, da) if need_w[0] else None
        du = self.rec.grad_weight(self.hist[0][:-1], da) if need_w[1] else None
        return dx, [dw, du, self._bias_grad(need_w[2], da)]


class GRUKernel(_Kernel):
    """Keras's GRU: z, r = rec_act(x W_zr + h U_zr (+ biases)); hh = act(x W_h + b_h + r *
    (h U_h + b_rh)) with `reset_after`, else act(x W_h + b_h + (r h) U_h); h' = z h + (1-z) hh.
    """

    def __init__(self, kernel, recurrent_kernel, bias, act, rec_act, reset_after,
                 input_masks=None, rec_masks=None):
        super().__init__(kernel, recurrent_kernel, bias, act, input_masks, rec_masks)
        self.ract, self.ract_d = rec_act
        self.reset_after = reset_after
        n = self.units
        if bias is not None and reset_after:
            self.b_in, self.b_rec = bias[0], bias[1]
        else:
            self.b_in, self.b_rec = bias, None
        if not reset_after:  # (r * h) @ U_h is a separate matmul
            zr = None if rec_masks is None else rec_masks[:2]
            hm = None if rec_masks is None else rec_masks[2]
            self.rec = GateLinear(recurrent_kernel[:, :2 * n], zr)
            self.rec_h = GateLinear(recurrent_kernel[:, 2 * n:], hm)

    def begin(self, xs, hist):
        self.xs, self.hist = xs, hist
        self.a = self._project(xs, self.b_in)  # (T, B, 3U): pre-activations, then z, r, hh
        # reset_after: h U_h + b_rh (multiplied by r); else r * h (fed to U_h)
        self.aux = np.empty((xs.shape[0], xs.shape[1], self.units), xs.dtype)
        self.native = _compiled(
            xs, self.reset_after and self.act is _tanh and self.ract is _sigmoid)
        self.rec_buf = np.empty(self.a.shape[1:], self.a.dtype)

    def step(self, t, prev, out):
        n = self.units
        a, h = self.a[t], prev[0]
        zr, hh = a[:, :2 * n], a[:, 2 * n:]
        if self.native is not None:  # the reset_after lines below, in three passes
            rec = self.rec.forward(h, out=self.rec_buf)
            self.native.gru_pre(a, rec, self.b_rec)
            tanh32_cols(a, 0, 2 * n)  # z, r
            self.native.gru_mid(a, rec, self.aux[t])
            tanh32_cols(a, 2 * n, 3 * n)  # hh
            self.native.gru_out(a, h, out[0])
            return
        if self.reset_after:
            rec = self.rec.forward(h)
            if self.b_rec is not None:
                rec += self.b_rec
            zr += rec[:, :2 * n]
            self.ract(zr, zr)
            aux = self.aux[t]
            np.copyto(aux, rec[:, 2 * n:])
            hh += a[:, n:2 * n] * aux
        else:
            zr += self.rec.forward(h)
            self.ract(zr, zr)
            aux = self.aux[t]
            np.multiply(a[:, n:2 * n], h, out=aux)
            hh += self.rec_h.forward(aux)
        self.act(hh, hh)
        o = out[0]  # h' = hh + z (h - hh)
        np.subtract(h, hh, out=o)
        o *= a[:, :n]
        o += hh

    def begin_backward(self):
        n, a = self.units, self.a
        self.da = np.empty_like(a)
        if self.reset_after:
            self.drec = np.empty_like(a)  # gradients of h U (+ b_rec), all gates
        if self.native is not None:  # dgate and e are computed inside each step
            return
        self.dgate = d = np.empty_like(a)
        self.ract_d(a[..., :2 * n], d[..., :2 * n])
        self.act_d(a[..., 2 * n:], d[..., 2 * n:])
        self.e = self.hist[0][:-1] - a[..., 2 * n:]  # h_prev - hh

    def step_back(self, t, d):
        n = self.units
        dh = d[0]
        a, da = self.a[t], self.da[t]
        if self.native is not None:  # the reset_after lines below, in one pass
            dh_z = np.empty_like(dh)
            self.native.gru_back(dh.astype(np.float32, copy=False), self.hist[0][t], a,
                                 self.aux[t], da, self.drec[t], dh_z)
            dh_prev = self.rec.grad_input(self.drec[t])
            dh_prev += dh_z
            return [dh_prev]
        dg = self.dgate[t]
        np.multiply(dh, self.e[t], out=da[:, :n])  # d z
        dh_z = dh * a[:, :n]
        dah = da[:, 2 * n:]
        np.subtract(dh, dh_z, out=dah)  # d hh = dh (1 - z)
        dah *= dg[:, 2 * n:]
        if self.reset_after:
            np.multiply(dah, self.aux[t], out=da[:, n:2 * n])  # d r = d a_h * (h U_h + b)
            da[:, :2 * n] *= dg[:, :2 * n]
            drec = self.drec[t]
            drec[:, :2 * n] = da[:, :2 * n]
            np.multiply(dah, a[:, n:2 * n], out=drec[:, 2 * n:])
            dh_prev = self.rec.grad_input(drec)
        else:
            d_rh = self.rec_h.grad_input(dah)
            np.multiply(d_rh, self.hist[0][t], out=da[:, n:2 * n])  # d r = d(r h) * h
            da[:, :2 * n] *= dg[:, :2 * n]
            dh_prev = self.rec.grad_input(da[:, :2 * n])
            d_rh *= a[:, n:2 * n]
            dh_prev += d_rh
        dh_prev += dh_z
        return [dh_prev]

    def grads(self, need_x, need_w):
        da = self.da
        dx = self.inp.grad_input(da) if need_x else None
        dw = self.inp.grad_weight(self.xs, da) if need_w[0] else None
        du = db = None
        hprev = self.hist[0][:-1]
        if self.reset_after:
            if need_w[1]:
                du = self.rec.grad_weight(hprev, self.drec)
            if need_w[2] and self.b is not None:
                db = np.stack([_column_sums(da), _column_sums(self.drec)])
        else:
            if need_w[1]:
                n = self.units
                du = np.concatenate([self.rec.grad_weight(hprev, da[..., :2 * n]),
                                     self.rec_h.grad_weight(self.aux, da[..., 2 * n:])], axis=1)
            db = self._bias_grad(need_w[2], da)
        return dx, [dw, du, db]
