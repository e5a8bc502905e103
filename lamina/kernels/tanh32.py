"""tanh for float32 recurrent steps: `tanh32` (compiled when `lamina._native.rnn` is built,
else its NumPy twin here, the same IEEE operations in the same order: bitwise equal).

x P(x^2) / Q(x^2) on x clamped to [-9, 9], the result clamped to [-1, 1] (on the bits, which
vectorizes in C: |x| then the sign): P and Q of degree 4
fitted to tanh's relative error, at most 6 ulp from the exact value (0.8 on average). Why:
NumPy's float32 tanh runs a scalar libm loop where it has no AVX-512 (2.7 ns an element on an
AVX2 EPYC, half of an LSTM step's time); this vectorizes (Keras's XLA and PyTorch use such
approximations on the CPU too). NaN stays NaN, -0 stays -0, +-inf give +-1.
"""
import numpy as np

from lamina import _native

_CLAMP_BITS = np.float32(9.0).view(np.uint32)
_ONE_BITS = np.float32(1.0).view(np.uint32)
_INF_BITS = np.float32(np.inf).view(np.uint32)
P = np.array([1.0, 0.13398495316505432, 0.0035161729902029037, 2.0941321054124273e-05,
              1.3802950782348944e-08], np.float32)
Q = np.array([1.0, 0.46731820702552795, 0.025955718010663986, 0.0003319017414469272,
              7.962582344589464e-07], np.float32)


def tanh32(x, out):
    """out = tanh32(x) for float32 arrays of one shape (`out` may be `x`); returns out."""
    kernels = _native.rnn
    if kernels is not None and x.flags.c_contiguous and out.flags.c_contiguous:
        kernels.tanh32(x, out)
        return out
    return tanh32_numpy(x, out)


def tanh32_cols(a, start, stop):
    """a[:, start:stop] = tanh32(a[:, start:stop]) in place, `a` a 2-D float32 array."""
    kernels = _native.rnn
    if kernels is not None and a.flags.c_contiguous:
        kernels.tanh32_cols(a, start, stop)
    else:
        block = a[:, start:stop]
        tanh32_numpy(block, block)


def tanh32_numpy(x, out):
    """The twin of the C kernel, on the bits as it is (see _rnn.c)."""
    bits = np.ascontiguousarray(x, np.float32).view(np.uint32)
    mag = bits & np.uint32(0x7FFFFFFF)
    a = np.minimum(mag, _CLAMP_BITS).view(np.float32)  # |x| clamped to 9 (NaN, inf too)
    t = a * a
    p = np.full_like(t, P[4])
    q = np.full_like(t, Q[4])
    for i in (3, 2, 1, 0):
        p *= t
        p += P[i]
        q *= t
        q += Q[i]
    p *= a
    p /= q
    rb = np.minimum(p.view(np.uint32), _ONE_BITS)  # capped at 1.0
    rb |= bits & np.uint32(0x80000000)  # x's sign
    np.copyto(rb, bits, where=mag > _INF_BITS)  # NaN stays NaN
    out[...] = rb.view(np.float32)
    return out
