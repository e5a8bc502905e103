"""More elementwise ops of `keras.ops.numpy`: angles, hypot, fmax/fmin/fmod, sinc, i0,
heaviside, ldexp, logaddexp2, erfc, the complex-part ops, bitwise and integer ops, and
the predicates (signbit, isposinf...). Each differentiable op has its gradient beside it.
"""

import numpy as np

from lamina.ops._base import const, data_of, fdata, record, result_float
from lamina.ops.math import _binary

_LN2 = float(np.log(2.0))


def deg2rad(x):
    c = np.pi / 180
    return record(fdata(x) * np.asarray(c, fdata(x).dtype), (x,), lambda g, need: (g * c,))


def rad2deg(x):
    c = 180 / np.pi
    return record(fdata(x) * np.asarray(c, fdata(x).dtype), (x,), lambda g, need: (g * c,))


def hypot(x1, x2):
    a, b, out = _binary("hypot", np.hypot, fdata(x1), fdata(x2))
    safe = np.where(out == 0, 1, out)
    # d sqrt(a^2 + b^2) = (a da + b db) / out (0 at the origin)
    return record(
        out,
        (x1, x2),
        lambda g, need: (g * a / safe if need[0] else None, g * b / safe if need[1] else None),
    )


def fmax(x1, x2):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    a, b, out = _binary("fmax", np.fmax, data_of(x1), data_of(x2))
    first = (a >= b) | np.isnan(b)
    return record(
        out,
        (x1, x2),
        lambda g, need: (g * first if need[0] else None, g * ~first if need[1] else None),
    )


def fmin(x1, x2):
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    a, b, out = _binary("fmin", np.fmin, data_of(x1), data_of(x2))
    first = (a <= b) | np.isnan(b)
    return record(
        out,
        (x1, x2),
        lambda g, need: (g * first if need[0] else None, g * ~first if need[1] else None),
    )


def fmod(x1, x2):
    """Remainder with the sign of x1 (C's fmod): x1 - trunc(x1 / x2) x2."""
    a, b, out = _binary("fmod", np.fmod, data_of(x1), data_of(x2))
    return record(out, (x1, x2), lambda g, need: (g, -g * np.trunc(a / b) if need[1] else None))


def logaddexp2(x1, x2):
    a, b, out = _binary("logaddexp2", np.logaddexp2, fdata(x1), fdata(x2))
    # d log2(2^a + 2^b)/da = 2^a / (2^a + 2^b) = 2^(a - out)
    return record(
        out,
        (x1, x2),
        lambda g, need: (
            g * np.exp2(a - out) if need[0] else None,
            g * np.exp2(b - out) if need[1] else None,
        ),
    )


def ldexp(x1, x2):
    """x1 * 2**x2 (x2 integer)."""
    a, e = fdata(x1), np.asarray(data_of(x2))
    if e.dtype.kind not in "iub":
        raise TypeError(f"ldexp: x2 must hold integers, got dtype {e.dtype}")
    out = np.ldexp(a, e.astype(np.int32))
    return record(out, (x1, x2), lambda g, need: (np.ldexp(g, e.astype(np.int32)), None))


def heaviside(x1, x2):
    """0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0 (gradient 0 almost everywhere)."""
    return const(result_float(np.heaviside(fdata(x1), fdata(x2)), data_of(x1), data_of(x2)))


def sinc(x):
    """sin(pi x) / (pi x), 1 at 0."""
    a = fdata(x)
    out = np.sinc(a)

    def backward(g, need):  # (cos(pi x) - sinc(x)) / x, 0 at 0
        safe = np.where(a == 0, 1, a)
        return (g * np.where(a == 0, 0, (np.cos(np.pi * a) - out) / safe),)

    return record(out, (x,), backward)


def i0(x):
    """Modified Bessel function of the first kind, order 0 (i0' = i1)."""
    from scipy import special  # noqa: PLC0415  (scipy is slow to import)

    a = fdata(x)
    return record(special.i0(a).astype(a.dtype), (x,), lambda g, need: (g * special.i1(a),))


def erfc(x):
    from scipy.special import erfc as _erfc  # noqa: PLC0415  (scipy is slow to import)

    a = fdata(x)
    c = -2 / np.sqrt(np.pi)
    return record(_erfc(a), (x,), lambda g, need: (g * c * np.exp(-a * a),))


def fabs(x):
    a = fdata(x)
    return record(np.fabs(a), (x,), lambda g, need: (g * np.sign(a),))


# --- complex parts (lamina computes in real dtypes: these keep Keras's names working) ----


def real(x):
    a = data_of(x)
    if np.iscomplexobj(a):
        return const(np.real(a))
    return record(np.array(a, copy=True), (x,), lambda g, need: (g,))


def imag(x):
    a = data_of(x)
    return const(np.imag(a) if np.iscomplexobj(a) else np.zeros_like(a))


def conj(x):
    a = data_of(x)
    if np.iscomplexobj(a):
        return const(np.conj(a))
    return record(np.array(a, copy=True), (x,), lambda g, need: (g,))


conjugate = conj


def angle(x):
    """Argument of x: pi for negative reals, 0 otherwise (gradient 0 off the branch cut)."""
    a = data_of(x)
    out = np.angle(a)
    return const(
        out if np.iscomplexobj(a) else result_float(out.astype(np.result_type(a, np.float32)), a)
    )


def isreal(x):
    return const(np.isreal(data_of(x)))


def isposinf(x):
    return const(np.isposinf(data_of(x)))


def isneginf(x):
    return const(np.isneginf(data_of(x)))


def signbit(x):
    return const(np.signbit(data_of(x)))


def nextafter(x1, x2):
    return const(np.nextafter(fdata(x1), fdata(x2)))


# --- bitwise and integer ops (no gradient) -------------------------------------------


def _int_args(op, *xs):
    arrays = [np.asarray(data_of(x)) for x in xs]
    for i, a in enumerate(arrays):
        if a.dtype.kind not in "iub":
            raise TypeError(
                f"{op}: argument {i + 1} must hold integers or booleans, got dtype {a.dtype}"
            )
    return arrays


def bitwise_and(x, y):
    return const(np.bitwise_and(*_int_args("bitwise_and", x, y)))


def bitwise_or(x, y):
    return const(np.bitwise_or(*_int_args("bitwise_or", x, y)))


def bitwise_xor(x, y):
    return const(np.bitwise_xor(*_int_args("bitwise_xor", x, y)))


def bitwise_invert(x):
    return const(np.invert(*_int_args("bitwise_invert", x)))


bitwise_not = bitwise_invert


def bitwise_left_shift(x, y):
    return const(np.left_shift(*_int_args("bitwise_left_shift", x, y)))


def bitwise_right_shift(x, y):
    return const(np.right_shift(*_int_args("bitwise_right_shift", x, y)))


left_shift, right_shift = bitwise_left_shift, bitwise_right_shift


def gcd(x1, x2):
    return const(np.gcd(*_int_args("gcd", x1, x2)))


def lcm(x1, x2):
    return const(np.lcm(*_int_args("lcm", x1, x2)))
