"""Elementwise arithmetic and unary math ops, each with its gradient beside it.

Conventions: `backward(g, need)` returns one gradient per input (None when not needed);
it never modifies `g` in place; broadcasting is undone by the engine, not here.
"""
import numpy as np

from lamina.ops._base import check_broadcast, const, data_of, fdata, record, result_float


def _binary(op, fn, x1, x2):
    a, b = data_of(x1), data_of(x2)
    try:
        out = fn(a, b)
    except ValueError:
        check_broadcast(op, a, b)
        raise
    return a, b, out


# --- binary arithmetic ----------------------------------------------------------------


def add(x1, x2):
    a, b, out = _binary("add", np.add, x1, x2)
    return record(out, (x1, x2), lambda g, need: (g, g))  # d(a+b) = da + db


def subtract(x1, x2):
    a, b, out = _binary("subtract", np.subtract, x1, x2)
    return record(out, (x1, x2), lambda g, need: (g, -g if need[1] else None))


def multiply(x1, x2):
    a, b, out = _binary("multiply", np.multiply, x1, x2)
    # d(ab) = b da + a db
    return record(
        out, (x1, x2), lambda g, need: (g * b if need[0] else None, g * a if need[1] else None)
    )


def divide(x1, x2):
    a, b, out = _binary("divide", np.true_divide, x1, x2)
    out = result_float(out, a, b)
    # d(a/b) = da/b - (a/b) db/b
    return record(
        out,
        (x1, x2),
        lambda g, need: (g / b if need[0] else None, -g * out / b if need[1] else None),
    )


true_divide = divide


def power(x1, x2):
    a, b, out = _binary("power", np.power, x1, x2)

    def backward(g, need):
        ga = g * b * np.power(a, b - 1) if need[0] else None  # d a^b/da = b a^(b-1)
        gb = None
        if need[1]:  # d a^b/db = a^b log a (taken as 0 where a <= 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * np.where(a > 0, out * np.log(np.where(a > 0, a, 1)), 0)
        return ga, gb

    return record(out, (x1, x2), backward)


def maximum(x1, x2):
    a, b, out = _binary("maximum", np.maximum, x1, x2)
    # ties send the gradient to x1 (as TensorFlow does)
    return record(out, (x1, x2), lambda g, need: (
        g * (a >= b) if need[0] else None, g * (a < b) if need[1] else None))


def minimum(x1, x2):
    a, b, out = _binary("minimum", np.minimum, x1, x2)
    return record(out, (x1, x2), lambda g, need: (
        g * (a <= b) if need[0] else None, g * (a > b) if need[1] else None))


def floor_divide(x1, x2):
    return const(np.floor_divide(data_of(x1), data_of(x2)))


def mod(x1, x2):
    a, b, out = _binary("mod", np.mod, x1, x2)
    # a mod b = a - floor(a/b) b
    return record(out, (x1, x2), lambda g, need: (
        g, -g * np.floor_divide(a, b) if need[1] else None))


def where(condition, x1=None, x2=None):
    """Elements of x1 where condition holds, else of x2; with one argument, the indices."""
    c = np.asarray(data_of(condition), dtype=bool)
    if x1 is None and x2 is None:
        return tuple(const(i) for i in np.nonzero(c))
    if x1 is None or x2 is None:
        raise ValueError("where: pass both x1 and x2, or neither")
    a, b = data_of(x1), data_of(x2)
    try:
        out = np.where(c, a, b)
    except ValueError:
        raise ValueError(
            f"where: condition, x1 and x2 of shapes {c.shape}, {np.shape(a)} and {np.shape(b)} are "
            "not compatible for broadcasting"
        ) from None
    return record(out, (condition, x1, x2), lambda g, need: (
        None, np.where(c, g, 0) if need[1] else None, np.where(c, 0, g) if need[2] else None))


def select(condlist, choicelist, default=0):
    """choicelist[i] where condlist[i] is the first true condition, else `default`."""
    if len(condlist) != len(choicelist):
        raise ValueError(
            f"select: condlist and choicelist must have the same length, got {len(condlist)} and "
            f"{len(choicelist)}"
        )
    out = default
    for c, v in zip(reversed(condlist), reversed(choicelist)):  # the first match wins
        out = where(c, v, out)
    return out


# --- unary ----------------------------------------------------------------------------


def negative(x):
    a = data_of(x)
    return record(np.negative(a), (x,), lambda g, need: (-g,))


def square(x):
    a = data_of(x)
    return record(np.square(a), (x,), lambda g, need: (2 * a * g,))  # d a^2 = 2a da


def sqrt(x):
    a = fdata(x)
    out = np.sqrt(a)
    return record(out, (x,), lambda g, need: (g * 0.5 / out,))  # d sqrt a = da / (2 sqrt a)


def abs(x):  # noqa: A001  (keras.ops name)
    a = data_of(x)
    return record(np.abs(a), (x,), lambda g, need: (g * np.sign(a),))


absolute = abs


def sign(x):
    a = data_of(x)
    return record(np.sign(a), (x,), lambda g, need: (np.zeros_like(g),))  # piecewise constant


def exp(x):
    out = np.exp(fdata(x))
    return record(out, (x,), lambda g, need: (g * out,))  # d e^a = e^a da


def log(x):
    a = fdata(x)
    return record(np.log(a), (x,), lambda g, need: (g / a,))  # d log a = da / a


def log1p(x):
    a = fdata(x)
    return record(np.log1p(a), (x,), lambda g, need: (g / (1 + a),))


def log2(x):
    a = fdata(x)
    return record(np.log2(a), (x,), lambda g, need: (g / (a * np.log(2.0)),))


def log10(x):
    a = fdata(x)
    return record(np.log10(a), (x,), lambda g, need: (g / (a * np.log(10.0)),))


def expm1(x):
    out = np.expm1(fdata(x))
    return record(out, (x,), lambda g, need: (g * (out + 1),))  # d(e^a - 1) = e^a da


def reciprocal(x):
    out = np.reciprocal(fdata(x))
    return record(out, (x,), lambda g, need: (-g * out * out,))  # d(1/a) = -da/a^2


def sin(x):
    a = fdata(x)
    return record(np.sin(a), (x,), lambda g, need: (g * np.cos(a),))


def cos(x):
    a = fdata(x)
    return record(np.cos(a), (x,), lambda g, need: (-g * np.sin(a),))


def tan(x):
    out = np.tan(fdata(x))
    return record(out, (x,), lambda g, need: (g * (1 + out * out),))


def arctan(x):
    a = fdata(x)
    return record(np.arctan(a), (x,), lambda g, need: (g / (1 + a * a),))


def sinh(x):
    a = fdata(x)
    return record(np.sinh(a), (x,), lambda g, need: (g * np.cosh(a),))


def cosh(x):
    a = fdata(x)
    return record(np.cosh(a), (x,), lambda g, need: (g * np.sinh(a),))


def clip(x, x_min, x_max):
    """Clip to [x_min, x_max]; the gradient passes where x is inside (bounds included)."""
    a = data_of(x)
    lo, hi = data_of(x_min), data_of(x_max)
    out = np.clip(a, lo, hi)
    return record(out, (x,), lambda g, need: (g * ((a >= lo) & (a <= hi)),))


def arcsin(x):
    a = fdata(x)
    return record(np.arcsin(a), (x,), lambda g, need: (g / np.sqrt(1 - a * a),))


def arccos(x):
    a = fdata(x)
    return record(np.arccos(a), (x,), lambda g, need: (-g / np.sqrt(1 - a * a),))


def arcsinh(x):
    a = fdata(x)
    return record(np.arcsinh(a), (x,), lambda g, need: (g / np.sqrt(a * a + 1),))


def arccosh(x):
    a = fdata(x)
    return record(np.arccosh(a), (x,), lambda g, need: (g / np.sqrt(a * a - 1),))


def arctanh(x):
    a = fdata(x)
    return record(np.arctanh(a), (x,), lambda g, need: (g / (1 - a * a),))


def arctan2(x1, x2):
    """The angle of the point (x2, x1); d/dy = x / r^2, d/dx = -y / r^2."""
    y, x, out = _binary("arctan2", np.arctan2, fdata(x1), fdata(x2))
    r2 = y * y + x * x
    return record(out, (x1, x2), lambda g, need: (
        g * x / r2 if need[0] else None, -g * y / r2 if need[1] else None))


def exp2(x):
    out = np.exp2(fdata(x))
    return record(out, (x,), lambda g, need: (g * out * np.log(2.0).astype(out.dtype),))


def logaddexp(x1, x2):
    """log(e^x1 + e^x2) without overflow; the gradients are the two softmax weights."""
    a, b, out = _binary("logaddexp", np.logaddexp, fdata(x1), fdata(x2))
    return record(out, (x1, x2), lambda g, need: (
        g * np.exp(a - out) if need[0] else None, g * np.exp(b - out) if need[1] else None))


def erf(x):
    from scipy.special import erf as _erf  # noqa: PLC0415  (scipy is slow to import)

    a = fdata(x)
    c = 2 / np.sqrt(np.pi)
    return record(_erf(a), (x,), lambda g, need: (g * c * np.exp(-a * a),))  # erf' = 2/sqrt(pi) e^-a^2


def erfinv(x):
    from scipy.special import erfinv as _erfinv  # noqa: PLC0415  (lazy: scipy is slow to import)

    out = _erfinv(fdata(x))
    c = np.sqrt(np.pi) / 2
    return record(out, (x,), lambda g, need: (g * c * np.exp(out * out),))  # 1 / erf'(out)


def rsqrt(x):
    out = 1 / np.sqrt(fdata(x))
    return record(out, (x,), lambda g, need: (-0.5 * g * out * out * out,))  # d a^-1/2 = -a^-3/2 / 2


def cbrt(x):
    out = np.cbrt(fdata(x))
    return record(out, (x,), lambda g, need: (g / (3 * out * out),))


def divide_no_nan(x1, x2):
    """x1 / x2, and 0 where x2 == 0 (with a zero gradient there)."""
    a, b, _ = _binary("divide_no_nan", np.add, x1, x2)
    zero = b == 0
    safe = np.where(zero, 1, b)
    out = result_float(np.where(zero, 0, a / safe), a, b)
    return record(out, (x1, x2), lambda g, need: (
        np.where(zero, 0, g / safe) if need[0] else None,
        np.where(zero, 0, -g * out / safe) if need[1] else None))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by finite numbers; the gradient passes where x was finite."""
    a = data_of(x)
    out = np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)
    return record(out, (x,), lambda g, need: (np.where(np.isfinite(a), g, 0),))


def trunc(x):
    return const(np.trunc(data_of(x)))


def floor(x):
    return const(np.floor(data_of(x)))


def ceil(x):
    return const(np.ceil(data_of(x)))


def round(x, decimals=0):  # noqa: A001  (keras.ops name)
    return const(np.round(data_of(x), decimals))

