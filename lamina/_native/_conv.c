/* Convolution and pooling kernels for the convnet hot path: channels-last arrays
 * (N, H, W, C), float32 unless said otherwise.
 *
 * Each kernel is one pass over memory where NumPy needs several (or slow strided ones), and
 * performs exactly the IEEE operations of its NumPy twin (lamina/ops/_conv_kernels.py and
 * fast_pool.py) in the same order (built with -ffp-contract=off and without -ffast-math):
 * results are bitwise identical, so the NumPy twin stays the fallback and the reference.
 *   im2col(xp, cols, kh, kw, sh, sw, dh, dw, ho, wo, ones)   window rows, float32 or float64
 *   col2im(cols, out, sh, sw, dh, dw)                          sum windows back (input gradient)
 *   relu_mask(g, z, out)                                       out = g * (z > 0)
 *   max_pool_2x2(x, out, index, rows)                          values + first-maximum index
 *   max_pool_2x2_backward(g, index, gx, rows)                  route g to the first maximum
 * Arrays are C-contiguous NumPy arrays whose shapes are checked against each other.
 */
#include "native_args.h"
#include <stdint.h>

/* np.maximum(a, b): a NaN argument wins (the first one), ties give b. Both comparisons are
 * always evaluated (| not ||), so the compiler can turn the selection into vector blends. */
static inline float max_nan(float a, float b) { return ((a != a) | (a > b)) ? a : b; }

/* Elementwise work goes in blocks of CHUNK with 0/1 factors and window indices kept in
 * small float/int32 arrays: loops whose values all have the width of a float vectorize
 * (also without AVX-512), mixed uint8/float loops with selections do not. */
#define CHUNK 64

/* --- kernels -------------------------------------------------------------------------- */

/* Copy every window of xp (N, Hp, Wp, C) as one row (kh, kw, C) of cols; a last column of
 * ones when `ones`. A window row's kw*C values are contiguous in xp when dw == 1. */
#define IM2COL_BODY(T)                                                                          \
    {                                                                                           \
        const T *src = (const T *)xp;                                                           \
        T *dst = (T *)cols;                                                                     \
        Py_ssize_t run = dw == 1 ? kw * c : c, runs = dw == 1 ? 1 : kw;                         \
        for (Py_ssize_t s = 0; s < n; s++)                                                      \
            for (Py_ssize_t i = 0; i < ho; i++)                                                 \
                for (Py_ssize_t j = 0; j < wo; j++) {                                           \
                    for (Py_ssize_t a = 0; a < kh; a++) {                                       \
                        const T *row = src + ((s * hp + i * sh + a * dh) * wp + j * sw) * c;    \
                        for (Py_ssize_t r = 0; r < runs; r++) {                                 \
                            const T *from = row + r * dw * c;                                   \
                            for (Py_ssize_t e = 0; e < run; e++)                                \
                                dst[e] = from[e];                                               \
                            dst += run;                                                         \
                        }                                                                       \
                    }                                                                           \
                    if (ones)                                                                   \
                        *dst++ = (T)1;                                                          \
                }                                                                               \
    }

MULTIVERSION
static void im2col_f32(const void *restrict xp, void *restrict cols, Py_ssize_t n,
                       Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t c, Py_ssize_t kh, Py_ssize_t kw,
                       Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho,
                       Py_ssize_t wo, int ones) IM2COL_BODY(float)

MULTIVERSION
static void im2col_f64(const void *restrict xp, void *restrict cols, Py_ssize_t n,
                       Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t c, Py_ssize_t kh, Py_ssize_t kw,
                       Py_ssize_t sh, Py_ssize_t sw, Py_ssize_t dh, Py_ssize_t dw, Py_ssize_t ho,
                       Py_ssize_t wo, int ones) IM2COL_BODY(double)

/* out (N, Hp, Wp, C) = 0, then for each offset (a, b) in row-major order and each output
 * pixel (i, j): out[i sh + a dh, j sw + b dw] += cols[i, j, a, b] -- per element, the NumPy
 * twin's order of additions. One sample at a time, so its gradient stays in cache. */
MULTIVERSION
static void col2im_kernel(const float *restrict cols, float *restrict out, Py_ssize_t n,
                          Py_ssize_t ho, Py_ssize_t wo, Py_ssize_t kh, Py_ssize_t kw,
                          Py_ssize_t c, Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t sh,
                          Py_ssize_t sw, Py_ssize_t dh, Py_ssize_t dw) {
    Py_ssize_t depth = kh * kw * c;
    for (Py_ssize_t s = 0; s < n; s++) {
        float *o = out + s * hp * wp * c;
        const float *win = cols + s * ho * wo * depth;
        for (Py_ssize_t e = 0; e < hp * wp * c; e++)
            o[e] = 0.0f;
        if (c == 1) { /* one channel: a loop over the output row, not over the channels */
            for (Py_ssize_t a = 0; a < kh; a++)
                for (Py_ssize_t b = 0; b < kw; b++)
                    for (Py_ssize_t i = 0; i < ho; i++) {
                        float *to = o + (i * sh + a * dh) * wp + b * dw;
                        const float *from = win + i * wo * depth + a * kw + b;
                        for (Py_ssize_t j = 0; j < wo; j++)
                            to[j * sw] += from[j * depth];
                    }
            continue;
        }
        for (Py_ssize_t a = 0; a < kh; a++)
            for (Py_ssize_t b = 0; b < kw; b++)
                for (Py_ssize_t i = 0; i < ho; i++)
                    for (Py_ssize_t j = 0; j < wo; j++) {
                        float *to = o + ((i * sh + a * dh) * wp + j * sw + b * dw) * c;
                        const float *from = win + (i * wo + j) * depth + (a * kw + b) * c;
                        for (Py_ssize_t e = 0; e < c; e++)
                            to[e] += from[e];
                    }
    }
}

/* out = g * (float)(z > 0): exactly np.multiply(g, z > 0), signed zeros and NaN included */
MULTIVERSION
static void relu_mask_kernel(const float *restrict g, const float *restrict z,
                             float *restrict out, Py_ssize_t len) {
    float mask[CHUNK]; /* 0/1 factors, a loop of their own so that both loops vectorize */
    for (Py_ssize_t e0 = 0; e0 < len; e0 += CHUNK) {
        Py_ssize_t m = len - e0 < CHUNK ? len - e0 : CHUNK;
        for (Py_ssize_t e = 0; e < m; e++)
            mask[e] = (float)(int32_t)(z[e0 + e] > 0.0f);
        for (Py_ssize_t e = 0; e < m; e++)
            out[e0 + e] = g[e0 + e] * mask[e];
    }
}

/* Windows of `rows` (1 or 2) rows by 2 columns. Value: np.maximum of the left/right columns,
 * then of the top/bottom results; index (row-major in the window) of the first maximum:
 * top row iff max(top) >= max(bottom), there left iff left >= right (NaN compares false).
 * t, b: the window's top and bottom rows (b = t when rows == 1), c channels after each
 * column. */
MULTIVERSION
static void pool_window(const float *restrict t, const float *restrict b, float *restrict out,
                        uint8_t *restrict index, Py_ssize_t c, int rows) {
    float m0[CHUNK], m1[CHUNK];
    int32_t k0[CHUNK], k1[CHUNK];
    for (Py_ssize_t e0 = 0; e0 < c; e0 += CHUNK) {
        Py_ssize_t len = c - e0 < CHUNK ? c - e0 : CHUNK;
        const float *tl = t + e0, *tr = t + c + e0, *bl = b + e0, *br = b + c + e0;
        float *o = out + e0;
        for (Py_ssize_t e = 0; e < len; e++) { /* top row: left/right */
            m0[e] = max_nan(tl[e], tr[e]);
            k0[e] = 1 - (tl[e] >= tr[e]);
        }
        if (rows == 2) {
            for (Py_ssize_t e = 0; e < len; e++) { /* bottom row */
                m1[e] = max_nan(bl[e], br[e]);
                k1[e] = 3 - (bl[e] >= br[e]);
            }
            for (Py_ssize_t e = 0; e < len; e++) { /* top/bottom */
                int32_t top = m0[e] >= m1[e];
                o[e] = max_nan(m0[e], m1[e]);
                k0[e] = k1[e] + top * (k0[e] - k1[e]);
            }
        } else {
            for (Py_ssize_t e = 0; e < len; e++)
                o[e] = m0[e];
        }
        for (Py_ssize_t e = 0; e < len; e++)
            index[e0 + e] = (uint8_t)k0[e];
    }
}

static void pool_kernel(const float *x, float *out, uint8_t *index, Py_ssize_t n, Py_ssize_t h,
                        Py_ssize_t w, Py_ssize_t c, Py_ssize_t ho, Py_ssize_t wo, int rows) {
    for (Py_ssize_t s = 0; s < n; s++)
        for (Py_ssize_t i = 0; i < ho; i++) {
            const float *top = x + ((s * h + i * rows) * w) * c;
            const float *bottom = top + (rows == 2 ? w * c : 0);
            Py_ssize_t at = ((s * ho + i) * wo) * c;
            for (Py_ssize_t j = 0; j < wo; j++)
                pool_window(top + 2 * j * c, bottom + 2 * j * c, out + at + j * c,
                            index + at + j * c, c, rows);
        }
}

/* The gradient of one window (see pool_backward_kernel): t, b its top and bottom rows in gx. */
MULTIVERSION
static void unpool_window(const float *restrict g, const uint8_t *restrict index,
                          float *restrict t, float *restrict b, Py_ssize_t c, int rows) {
    float top[CHUNK], left_top[CHUNK], left_bottom[CHUNK]; /* 0/1 factors per channel */
    for (Py_ssize_t e0 = 0; e0 < c; e0 += CHUNK) {
        Py_ssize_t len = c - e0 < CHUNK ? c - e0 : CHUNK;
        const uint8_t *q = index + e0;
        const float *ge = g + e0;
        float *tl = t + e0, *tr = t + c + e0, *bl = b + e0, *br = b + c + e0;
        if (rows == 2) {
            for (Py_ssize_t e = 0; e < len; e++) { /* q: bit 1 = bottom row, bit 0 = right */
                int32_t k = q[e];
                top[e] = (float)(1 - (k >> 1));
                left_top[e] = (float)(((k | (k >> 1)) & 1) ^ 1); /* k == 0 */
                left_bottom[e] = (float)((k >> 1) & ~k & 1);     /* k == 2 */
            }
            for (Py_ssize_t e = 0; e < len; e++) {
                float gt = ge[e] * top[e];
                float gb = ge[e] - gt;
                float lt = gt * left_top[e], lb = gb * left_bottom[e];
                tl[e] = lt;
                tr[e] = gt - lt;
                bl[e] = lb;
                br[e] = gb - lb;
            }
        } else {
            for (Py_ssize_t e = 0; e < len; e++)
                left_top[e] = (float)(1 - q[e]); /* q is 0 or 1 */
            for (Py_ssize_t e = 0; e < len; e++) {
                float l = ge[e] * left_top[e];
                tl[e] = l;
                tr[e] = ge[e] - l;
            }
        }
    }
}

/* gx (N, H, W, C), every element written. The NumPy twin routes with float masks:
 * top = g * [top wins], bottom = g - top, then per row left = row * [left wins],
 * right = row - left; the same operations here, so non-finite g and signed zeros agree
 * (the row that lost gets g * 0 or g - g whatever its own left/right mask). Elements of
 * odd trailing rows/columns get zero. */
static void pool_backward_kernel(const float *g, const uint8_t *index, float *gx, Py_ssize_t n,
                                 Py_ssize_t h, Py_ssize_t w, Py_ssize_t c, Py_ssize_t ho,
                                 Py_ssize_t wo, int rows) {
    for (Py_ssize_t s = 0; s < n; s++) {
        float *sample = gx + s * h * w * c;
        for (Py_ssize_t i = 0; i < ho; i++) {
            float *top = sample + i * rows * w * c;
            float *bottom = rows == 2 ? top + w * c : top;
            Py_ssize_t at = ((s * ho + i) * wo) * c;
            for (Py_ssize_t j = 0; j < wo; j++)
                unpool_window(g + at + j * c, index + at + j * c, top + 2 * j * c,
                              bottom + 2 * j * c, c, rows);
            for (int r = 0; r < rows; r++) /* odd trailing column */
                memset(top + r * w * c + 2 * wo * c, 0, (w - 2 * wo) * c * sizeof(float));
        }
        /* odd trailing row */
        memset(sample + ho * rows * w * c, 0, (h - ho * rows) * w * c * sizeof(float));
    }
}

/* --- argument handling ---------------------------------------------------------------- */

/* `count` positive Python ints starting at args[first] */
static int positive_ints(const char *name, PyObject *const *args, Py_ssize_t first, int count,
                         Py_ssize_t *out) {
    for (int i = 0; i < count; i++) {
        out[i] = PyLong_AsSsize_t(args[first + i]);
        if (out[i] == -1 && PyErr_Occurred())
            return -1;
        if (out[i] < 1) {
            PyErr_Format(PyExc_ValueError, "%s: argument %zd must be a positive int, got %zd",
                         name, first + i + 1, out[i]);
            return -1;
        }
    }
    return 0;
}

static int shape_error(const char *name, const char *what, Py_buffer *v, const char *expected) {
    PyObject *shape = PyTuple_New(v->ndim);
    if (!shape)
        return -1;
    for (int i = 0; i < v->ndim; i++)
        PyTuple_SET_ITEM(shape, i, PyLong_FromSsize_t(v->shape[i]));
    PyErr_Format(PyExc_ValueError, "%s: %s has shape %R, expected %s", name, what, shape,
                 expected);
    Py_DECREF(shape);
    return -1;
}

/* im2col(xp, cols, kh, kw, sh, sw, dh, dw, ho, wo, ones) */
static PyObject *im2col(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    Py_ssize_t p[8];
    if (check_nargs("im2col", nargs, 11) < 0 || positive_ints("im2col", args, 2, 8, p) < 0)
        return NULL;
    Py_ssize_t kh = p[0], kw = p[1], sh = p[2], sw = p[3], dh = p[4], dw = p[5], ho = p[6],
               wo = p[7];
    int ones = PyObject_IsTrue(args[10]);
    if (ones < 0)
        return NULL;
    Py_buffer *x = borrow(&b, args[0], 0, "fd", 4, "im2col: xp");
    Py_buffer *cols = x ? borrow(&b, args[1], 1, "fd", 2, "im2col: cols") : NULL;
    int ok = cols != NULL;
    if (ok && x->itemsize != cols->itemsize) {
        PyErr_SetString(PyExc_TypeError, "im2col: xp and cols must have the same dtype");
        ok = 0;
    }
    Py_ssize_t n = 0, hp = 0, wp = 0, c = 0;
    if (ok) {
        n = x->shape[0], hp = x->shape[1], wp = x->shape[2], c = x->shape[3];
        if ((ho - 1) * sh + (kh - 1) * dh >= hp || (wo - 1) * sw + (kw - 1) * dw >= wp) {
            PyErr_Format(PyExc_ValueError,
                         "im2col: %zdx%zd windows at %zdx%zd output pixels do not fit the "
                         "padded input of %zdx%zd",
                         kh, kw, ho, wo, hp, wp);
            ok = 0;
        } else if (cols->shape[0] != n * ho * wo || cols->shape[1] != kh * kw * c + ones) {
            char want[96];
            snprintf(want, sizeof want, "(%zd, %zd)", n * ho * wo, kh * kw * c + ones);
            ok = shape_error("im2col", "cols", cols, want) == 0;
        }
    }
    if (ok) {
        int wide = x->itemsize == 8;
        Py_BEGIN_ALLOW_THREADS
        (wide ? im2col_f64 : im2col_f32)(x->buf, cols->buf, n, hp, wp, c, kh, kw, sh, sw, dh,
                                         dw, ho, wo, ones);
        Py_END_ALLOW_THREADS
    }
    release(&b);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

/* col2im(cols, out, sh, sw, dh, dw): cols (N, Ho, Wo, kh, kw, C), out (N, Hp, Wp, C) */
static PyObject *col2im(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    Py_ssize_t p[4];
    if (check_nargs("col2im", nargs, 6) < 0 || positive_ints("col2im", args, 2, 4, p) < 0)
        return NULL;
    Py_ssize_t sh = p[0], sw = p[1], dh = p[2], dw = p[3];
    Py_buffer *cols = borrow(&b, args[0], 0, "f", 6, "col2im: cols");
    Py_buffer *out = cols ? borrow(&b, args[1], 1, "f", 4, "col2im: out") : NULL;
    int ok = out != NULL;
    Py_ssize_t *cs = ok ? cols->shape : NULL, *os = ok ? out->shape : NULL;
    if (ok && (os[0] != cs[0] || os[3] != cs[5] || (cs[1] - 1) * sh + (cs[3] - 1) * dh >= os[1] ||
               (cs[2] - 1) * sw + (cs[4] - 1) * dw >= os[2])) {
        char want[128];
        snprintf(want, sizeof want, "(%zd, >= %zd, >= %zd, %zd) for cols of the windows", cs[0],
                 (cs[1] - 1) * sh + (cs[3] - 1) * dh + 1, (cs[2] - 1) * sw + (cs[4] - 1) * dw + 1,
                 cs[5]);
        ok = shape_error("col2im", "out", out, want) == 0;
    }
    if (ok && cs[1] * cs[2] * cs[3] * cs[4] == 0)
        memset(out->buf, 0, out->len); /* no window: a zero gradient */
    else if (ok) {
        Py_BEGIN_ALLOW_THREADS
        col2im_kernel(cols->buf, out->buf, cs[0], cs[1], cs[2], cs[3], cs[4], cs[5], os[1], os[2],
                      sh, sw, dh, dw);
        Py_END_ALLOW_THREADS
    }
    release(&b);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

/* relu_mask(g, z, out): three float32 arrays of one size (any shapes) */
static PyObject *relu_mask(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    if (check_nargs("relu_mask", nargs, 3) < 0)
        return NULL;
    Py_buffer *g = borrow(&b, args[0], 0, "f", -1, "relu_mask: g");
    Py_buffer *z = g ? borrow(&b, args[1], 0, "f", -1, "relu_mask: z") : NULL;
    Py_buffer *out = z ? borrow(&b, args[2], 1, "f", -1, "relu_mask: out") : NULL;
    int ok = out != NULL;
    if (ok && (z->len != g->len || out->len != g->len)) {
        PyErr_Format(PyExc_ValueError,
                     "relu_mask: g, z and out must have the same size, got %zd, %zd and %zd "
                     "elements",
                     g->len / 4, z->len / 4, out->len / 4);
        ok = 0;
    }
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        relu_mask_kernel(g->buf, z->buf, out->buf, g->len / 4);
        Py_END_ALLOW_THREADS
    }
    release(&b);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

/* The rows argument (1 or 2) of the pooling kernels */
static int window_rows(const char *name, PyObject *arg) {
    long rows = PyLong_AsLong(arg);
    if (rows == -1 && PyErr_Occurred())
        return -1;
    if (rows != 1 && rows != 2) {
        PyErr_Format(PyExc_ValueError, "%s: rows must be 1 or 2, got %ld", name, rows);
        return -1;
    }
    return (int)rows;
}

/* the pooled shape (N, H // rows, W // 2, C) of x (N, H, W, C), or an error naming `what` */
static int check_pooled(const char *name, Py_buffer *x, Py_buffer *pooled, const char *what,
                        int rows) {
    Py_ssize_t *xs = x->shape, *ps = pooled->shape;
    if (xs[1] / rows < 1 || xs[2] / 2 < 1) {
        PyErr_Format(PyExc_ValueError, "%s: a %dx2 window does not fit an input of %zdx%zd",
                     name, rows, xs[1], xs[2]);
        return -1;
    }
    if (ps[0] != xs[0] || ps[1] != xs[1] / rows || ps[2] != xs[2] / 2 || ps[3] != xs[3]) {
        char want[96];
        snprintf(want, sizeof want, "(%zd, %zd, %zd, %zd)", xs[0], xs[1] / rows, xs[2] / 2,
                 xs[3]);
        return shape_error(name, what, pooled, want);
    }
    return 0;
}

/* max_pool_2x2(x, out, index, rows): x (N, H, W, C); out and index (N, H // rows, W // 2, C) */
static PyObject *max_pool_2x2(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    static const char *name = "max_pool_2x2";
    Buffers b = {.count = 0};
    int rows;
    if (check_nargs(name, nargs, 4) < 0 || (rows = window_rows(name, args[3])) < 0)
        return NULL;
    Py_buffer *x = borrow(&b, args[0], 0, "f", 4, "max_pool_2x2: x");
    Py_buffer *out = x ? borrow(&b, args[1], 1, "f", 4, "max_pool_2x2: out") : NULL;
    Py_buffer *index = out ? borrow(&b, args[2], 1, "B", 4, "max_pool_2x2: index") : NULL;
    int ok = index != NULL && check_pooled(name, x, out, "out", rows) == 0 &&
             check_pooled(name, x, index, "index", rows) == 0;
    if (ok) {
        Py_ssize_t *s = x->shape;
        Py_BEGIN_ALLOW_THREADS
        pool_kernel(x->buf, out->buf, index->buf, s[0], s[1], s[2], s[3], s[1] / rows, s[2] / 2,
                    rows);
        Py_END_ALLOW_THREADS
    }
    release(&b);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

/* max_pool_2x2_backward(g, index, gx, rows): g and index (N, H // rows, W // 2, C), gx
 * (N, H, W, C) written whole */
static PyObject *max_pool_2x2_backward(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    static const char *name = "max_pool_2x2_backward";
    Buffers b = {.count = 0};
    int rows;
    if (check_nargs(name, nargs, 4) < 0 || (rows = window_rows(name, args[3])) < 0)
        return NULL;
    Py_buffer *g = borrow(&b, args[0], 0, "f", 4, "max_pool_2x2_backward: g");
    Py_buffer *index = g ? borrow(&b, args[1], 0, "B", 4, "max_pool_2x2_backward: index") : NULL;
    Py_buffer *gx = index ? borrow(&b, args[2], 1, "f", 4, "max_pool_2x2_backward: gx") : NULL;
    int ok = gx != NULL && check_pooled(name, gx, g, "g", rows) == 0 &&
             check_pooled(name, gx, index, "index", rows) == 0;
    if (ok) {
        Py_ssize_t *s = gx->shape;
        Py_BEGIN_ALLOW_THREADS
        pool_backward_kernel(g->buf, index->buf, gx->buf, s[0], s[1], s[2], s[3], s[1] / rows,
                             s[2] / 2, rows);
        Py_END_ALLOW_THREADS
    }
    release(&b);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"im2col", (PyCFunction)(void (*)(void))im2col, METH_FASTCALL,
     "im2col(xp, cols, kh, kw, sh, sw, dh, dw, ho, wo, ones): window rows of xp into cols."},
    {"col2im", (PyCFunction)(void (*)(void))col2im, METH_FASTCALL,
     "col2im(cols, out, sh, sw, dh, dw): out = windows of cols summed back, in place."},
    {"relu_mask", (PyCFunction)(void (*)(void))relu_mask, METH_FASTCALL,
     "relu_mask(g, z, out): out = g * (z > 0), in place."},
    {"max_pool_2x2", (PyCFunction)(void (*)(void))max_pool_2x2, METH_FASTCALL,
     "max_pool_2x2(x, out, index, rows): rows x 2 max pooling with the first maximum's index."},
    {"max_pool_2x2_backward", (PyCFunction)(void (*)(void))max_pool_2x2_backward, METH_FASTCALL,
     "max_pool_2x2_backward(g, index, gx, rows): the input gradient of max_pool_2x2, into gx."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_conv",
                                    "Convolution and pooling kernels for lamina.", -1, methods};

PyMODINIT_FUNC PyInit__conv(void) { return PyModule_Create(&module); }
