"""Optional compiled kernels (a small C extension built by `pip install`).

`optim` is the module of fused optimizer updates and `conv` the module of convolution and
pooling kernels (lamina/ops/_conv_kernels.py, lamina/kernels/pool.py), `dconv` the direct
convolutions (lamina/ops/_direct_conv.py; None on a CPU with neither AVX-512F nor AVX2 + FMA),
`rnn` the fused recurrent-step
gate arithmetic (lamina/kernels/rnn_cells.py), `norm` the batch- and layer-normalization passes
(lamina/kernels/batch_norm.py, layer_norm.py), `spin` the bounded spin-wait of the row-split helper
thread (lamina/engine/rowsplit.py); each is None when its extension
was not built (no C compiler at install time) or when the environment variable `LAMINA_NATIVE=0`
is set. Every kernel but `dconv` has a NumPy twin that gives bitwise-identical results; lamina
falls back to it silently, so the extension only changes speed. `dconv` is a compute kernel
like the BLAS product it replaces: results equal to float32 rounding, not bit for bit.
"""
import os

optim = conv = dconv = rnn = norm = spin = None
if os.environ.get("LAMINA_NATIVE", "1").strip().lower() not in ("0", "false", "no", "off"):
    try:
        from lamina._native import _optim as optim
    except ImportError:  # not compiled: the NumPy path is used
        optim = None
    try:
        from lamina._native import _conv as conv
    except ImportError:
        conv = None
    try:
        from lamina._native import _dconv as dconv

        dconv = dconv if dconv.supported() else None
    except ImportError:
        dconv = None
    try:
        from lamina._native import _rnn as rnn
    except ImportError:
        rnn = None
    try:
        from lamina._native import _norm as norm
    except ImportError:
        norm = None
    try:
        from lamina._native import _spin as spin
    except ImportError:
        spin = None
