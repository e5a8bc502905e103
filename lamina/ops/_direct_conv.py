"""Direct 2-D convolutions: stride 1, float32, in AVX-512 or AVX2 + FMA (not public).

`lamina._native.dconv` reads every window in place from the input (each sample padded in a
scratch buffer) and keeps a tile of output pixels x channels in registers (no im2col matrix,
no packing), at ~100 GFLOP/s per core where im2col + OpenBLAS runs the same 3x3, 32-64-channel
convolutions at 50-70 (2-vCPU AVX-512 EPYC; 64 x 28x28x32 -> 32 channels: 9.6 ms forward,
9.1 ms kernel gradient, against 16.5 + 19.0 ms for the two products alone). MNIST BN
convnet, 20 steps, medians of 6 interleaved runs: 2.15 -> 1.19 s. `ops.conv` and the layers' fused
convolution use it when `applies`, for the forward, the kernel gradient and the input
gradient (itself a convolution of the padded output gradient with the flipped kernel).

Arithmetic: each output of the forward is one FMA sum in a fixed order; each kernel-gradient
value sums blocks of ~128 pixels (each in order) in order, for four fixed quarters of the batch
added in a fixed order. So the bits do not depend on the tiling, the threads or the load (a
seeded run repeats bit for bit), and AVX-512 and AVX2 machines compute the same bits. Like the
BLAS product it replaces, it is not the bits of another computation: its results equal the
im2col path's to float32 rounding (tests/test_direct_conv.py checks both against float64).
float64 and everything else keep im2col + BLAS. `tn_product` runs a.T @ b over many rows (a
recurrent layer's weight gradient over every timestep) as the kernel gradient of a 1x1
convolution.
"""
import numpy as np

from lamina import _native
from lamina.engine import threads

# Fewer output pixels than a register tile, or fewer input channels than this, go to
# im2col + BLAS: a 3x3 window on one channel is a 9-deep product, where the tile's loads
# outweigh its arithmetic (the first layer on grayscale images).
MIN_PIXELS = 24
MIN_CHANNELS = 4
MAX_TAPS = 4096  # window offsets (kh * kw) the C kernel accepts (it keeps them on the stack)
# a.T @ b over at least this many rows goes to the kernel gradient of a 1x1 convolution (the
# rows as its pixels) instead of a transposed copy and BLAS: an LSTM's input projection over
# 128 x 200 timesteps, 32 features x 128 gates, 4.0 -> 2.5 ms on one AVX-512 EPYC core.
TN_MIN_ROWS = 4096


def applies(dtype, ksize, strides, dilation, cin, cout, out_sz):
    """Whether the direct kernels run this convolution (Cout a multiple of 16)."""
    return (
        _native.dconv is not None
        and dtype == np.float32
        and len(ksize) == 2
        and ksize != (1, 1)
        and ksize[0] * ksize[1] <= MAX_TAPS
        and all(s == 1 for s in strides)
        and all(d == 1 for d in dilation)
        and cin >= MIN_CHANNELS
        and cout % 16 == 0
        and out_sz[0] * out_sz[1] >= MIN_PIXELS
    )


def forward(x, k, pads):
    """(N, Ho, Wo, Cout) = the stride-1 convolution of x (N, H, W, Cin), padded by `pads`
    ((top, bottom), (left, right)), with k (kh, kw, Cin, Cout); the kernel pads each sample
    in a scratch buffer of its own. A big one runs in four blocks of samples on two threads."""
    x, k = np.ascontiguousarray(x, np.float32), np.ascontiguousarray(k, np.float32)
    nb, h, w, _ = x.shape
    kh, kw, cin, cout = k.shape
    (top, bottom), (left, right) = pads
    out = np.empty((nb, h + top + bottom - kh + 1, w + left + right - kw + 1, cout), np.float32)
    macs = out.size * kh * kw * cin
    spans = _quarters(nb) if macs >= threads.SPLIT_MACS and nb >= 4 else [(0, nb)]
    threads.map_pair(lambda s: _native.dconv.forward(x, k, out, *s, top, left), spans)
    return out


def kernel_grad(x, g, ksize, pads):
    """d conv / d kernel (kh, kw, Cin, Cout) for x (N, H, W, Cin) padded by `pads` and the
    output gradient g (N, Ho, Wo, Cout): four fixed quarters of the batch (two threads when
    it pays), summed in one order, so the bits do not depend on who computed which quarter."""
    x, g = np.ascontiguousarray(x, np.float32), np.ascontiguousarray(g, np.float32)
    parts = np.empty((4, *ksize, x.shape[-1], g.shape[-1]), np.float32)
    quarters = _quarters(x.shape[0])
    macs = g.size * ksize[0] * ksize[1] * x.shape[-1]

    def quarter(i):
        _native.dconv.kernel_grad(x, g, parts[i], *quarters[i], pads[0][0], pads[1][0])

    if macs >= threads.SPLIT_MACS:
        threads.map_pair(quarter, range(4))
    else:
        for i in range(4):
            quarter(i)
    return (parts[0] + parts[1]) + (parts[2] + parts[3])


def input_grad(g, k, pads):
    """d conv / d x (N, H, W, Cin), unpadded, for the output gradient g (N, Ho, Wo, Cout) of
    a stride-1 convolution padded by `pads`: g padded by each window span minus the forward's
    padding, convolved with the kernel flipped spatially and its channel axes swapped."""
    kh, kw = k.shape[:2]
    gpads = ((kh - 1 - pads[0][0], kh - 1 - pads[0][1]), (kw - 1 - pads[1][0], kw - 1 - pads[1][1]))
    return forward(g, np.ascontiguousarray(k[::-1, ::-1].swapaxes(-1, -2)), gpads)


def input_grad_applies(dtype, ksize, strides, dilation, cin, cout, x_sz, pads):
    """Whether `input_grad` runs the input gradient: the flipped convolution's output
    channels are the forward's input channels, and no padding exceeds a window span."""
    return (
        all(0 <= lo <= k - 1 and 0 <= hi <= k - 1 for k, (lo, hi) in zip(ksize, pads))
        and applies(dtype, ksize, strides, dilation, cout, cin, x_sz)
    )


def tn_applies(a, b):
    """Whether `tn_product` runs a.T @ b: float32 (rows, d) and (rows, n) arrays with n a
    multiple of 16 and enough rows for the kernel's tiles to pay."""
    return (
        _native.dconv is not None
        and a.dtype == np.float32 and b.dtype == np.float32
        and a.ndim == 2 and b.ndim == 2 and a.shape[0] == b.shape[0]
        and a.shape[0] >= TN_MIN_ROWS and b.shape[1] % 16 == 0
    )


def tn_product(a, b):
    """a.T @ b (d, n) for a (rows, d) and b (rows, n): block sums of ~128 rows, as accurate as
    BLAS, in four fixed quarters of the rows when they divide evenly (two threads in fit)."""
    rows = a.shape[0]
    parts = 4 if rows % 4 == 0 else 1
    x = np.ascontiguousarray(a).reshape(parts, rows // parts, 1, a.shape[1])
    g = np.ascontiguousarray(b).reshape(parts, rows // parts, 1, b.shape[1])
    return kernel_grad(x, g, (1, 1), ((0, 0), (0, 0))).reshape(a.shape[1], b.shape[1])


def _quarters(nb):
    return [(i * nb // 4, (i + 1) * nb // 4) for i in range(4)]
