/* Batch-normalization passes over a (rows, channels) float32 matrix, channels last.
 *
 *   channel_sums(x, mu, out64)            out[c] = sum_i x[i,c]            (mu None)
 *                                         out[c] = sum_i (x[i,c] - mu[c])^2
 *   affine(x, mu, scale, beta, out)       out = (x - mu) * scale + beta (beta may be None)
 *   backward_sums(g, x, mu, gsum64, dot64)  gsum[c] = sum_i g;  dot[c] = sum_i g (x - mu)
 *   backward_dx(g, x, mu, scale, k1, k2, out)  out = g * scale - (x - mu) * k1 - k2
 *   rows_forward(x, gamma, beta, eps, xhat, inv, out)   LayerNormalization over each row:
 *       mean, var = row sums / n; inv = 1 / sqrt(var + eps); xhat = (x - mean) inv;
 *       out = xhat gamma + beta (gamma, beta may be None)
 *   rows_backward(g, xhat, gamma, inv, out)   gh = g gamma; out = ((gh - mean(gh)) -
 *       xhat mean(gh xhat)) inv, the means per row
 *
 * Every product/difference is a float32 operation as in NumPy, and every sum runs over the
 * rows in order in a float64 accumulator per channel (LayerNormalization: along each row,
 * in order): the NumPy twins in lamina/kernels/batch_norm.py and layer_norm.py give the
 * same bits. The passes read each array once (NumPy needs a temporary per operation).
 */
#define MAX_BUFFERS 8
#include "native_args.h"
#include <math.h>

#define CH 256 /* channels per block: accumulators stay in registers/L1 */

MULTIVERSION
static void sums_kernel(const float *restrict x, const float *restrict mu, double *restrict out,
                        Py_ssize_t rows, Py_ssize_t c) {
    for (Py_ssize_t c0 = 0; c0 < c; c0 += CH) {
        Py_ssize_t w = c - c0 < CH ? c - c0 : CH;
        double acc[CH];
        float m[CH];
        for (Py_ssize_t e = 0; e < w; e++) {
            acc[e] = 0.0;
            m[e] = mu ? mu[c0 + e] : 0.0f;
        }
        for (Py_ssize_t i = 0; i < rows; i++) {
            const float *r = x + i * c + c0;
            if (mu) {
                for (Py_ssize_t e = 0; e < w; e++) {
                    float d = r[e] - m[e];
                    acc[e] += (double)(d * d);
                }
            } else {
                for (Py_ssize_t e = 0; e < w; e++)
                    acc[e] += (double)r[e];
            }
        }
        for (Py_ssize_t e = 0; e < w; e++)
            out[c0 + e] = acc[e];
    }
}

MULTIVERSION
static void affine_kernel(const float *restrict x, const float *restrict mu,
                          const float *restrict scale, const float *restrict beta,
                          float *restrict out, Py_ssize_t rows, Py_ssize_t c) {
    for (Py_ssize_t i = 0; i < rows; i++) {
        const float *r = x + i * c;
        float *o = out + i * c;
        for (Py_ssize_t e = 0; e < c; e++)
            o[e] = (r[e] - mu[e]) * scale[e];
        if (beta)
            for (Py_ssize_t e = 0; e < c; e++)
                o[e] = o[e] + beta[e];
    }
}

MULTIVERSION
static void backward_sums_kernel(const float *restrict g, const float *restrict x,
                                 const float *restrict mu, double *restrict gsum,
                                 double *restrict dot, Py_ssize_t rows, Py_ssize_t c) {
    for (Py_ssize_t c0 = 0; c0 < c; c0 += CH) {
        Py_ssize_t w = c - c0 < CH ? c - c0 : CH;
        double s[CH], d[CH];
        for (Py_ssize_t e = 0; e < w; e++)
            s[e] = d[e] = 0.0;
        for (Py_ssize_t i = 0; i < rows; i++) {
            const float *gr = g + i * c + c0, *xr = x + i * c + c0;
            for (Py_ssize_t e = 0; e < w; e++) {
                s[e] += (double)gr[e];
                d[e] += (double)(gr[e] * (xr[e] - mu[c0 + e]));
            }
        }
        for (Py_ssize_t e = 0; e < w; e++) {
            gsum[c0 + e] = s[e];
            dot[c0 + e] = d[e];
        }
    }
}

MULTIVERSION
static void backward_dx_kernel(const float *restrict g, const float *restrict x,
                               const float *restrict mu, const float *restrict scale,
                               const float *restrict k1, const float *restrict k2,
                               float *restrict out, Py_ssize_t rows, Py_ssize_t c) {
    for (Py_ssize_t i = 0; i < rows; i++) {
        const float *gr = g + i * c, *xr = x + i * c;
        float *o = out + i * c;
        for (Py_ssize_t e = 0; e < c; e++)
            o[e] = (gr[e] * scale[e] - (xr[e] - mu[e]) * k1[e]) - k2[e];
    }
}

/* LayerNormalization over the last axis: each row of n values on its own (float64 sums, left
 * to right). RB rows at a time: their sums are independent chains, which the CPU overlaps
 * (one row's chain of dependent additions would wait on each add's latency). */
#define RB 8

MULTIVERSION
static void row_block_sums(const float *restrict x, const float *restrict sub,
                           const float *restrict mul, double *restrict s, double *restrict q,
                           Py_ssize_t nr, Py_ssize_t n) {
    /* s[r] = sum_e v, q[r] = sum_e v * w with v = x - sub[r] (sub NULL: 0) and w = mul (NULL:
     * v itself); q skipped when NULL */
    for (Py_ssize_t r = 0; r < nr; r++)
        s[r] = 0.0;
    if (q)
        for (Py_ssize_t r = 0; r < nr; r++)
            q[r] = 0.0;
    for (Py_ssize_t e = 0; e < n; e++)
        for (Py_ssize_t r = 0; r < nr; r++) {
            float v = sub ? x[r * n + e] - sub[r] : x[r * n + e];
            s[r] += (double)v;
            if (q)
                q[r] += (double)(v * (mul ? mul[r * n + e] : v));
        }
}

MULTIVERSION
static void rows_forward_kernel(const float *restrict x, const float *restrict gamma,
                                const float *restrict beta, float eps, float *restrict xhat,
                                float *restrict inv, float *restrict out, Py_ssize_t rows,
                                Py_ssize_t n) {
    for (Py_ssize_t i0 = 0; i0 < rows; i0 += RB) {
        Py_ssize_t nr = rows - i0 < RB ? rows - i0 : RB;
        const float *xb = x + i0 * n;
        double s[RB], q[RB], unused[RB];
        float mean[RB];
        row_block_sums(xb, NULL, NULL, s, NULL, nr, n);
        for (Py_ssize_t r = 0; r < nr; r++)
            mean[r] = (float)(s[r] / (double)n);
        row_block_sums(xb, mean, NULL, unused, q, nr, n); /* q: sums of (x - mean)^2 */
        for (Py_ssize_t r = 0; r < nr; r++) {
            Py_ssize_t i = i0 + r;
            const float *xr = x + i * n;
            float *h = xhat + i * n, *o = out + i * n;
            float var = (float)(q[r] / (double)n);
            float iv = 1.0f / sqrtf(var + eps);
            inv[i] = iv;
            for (Py_ssize_t e = 0; e < n; e++)
                h[e] = (xr[e] - mean[r]) * iv;
            for (Py_ssize_t e = 0; e < n; e++)
                o[e] = gamma ? h[e] * gamma[e] : h[e];
            if (beta)
                for (Py_ssize_t e = 0; e < n; e++)
                    o[e] = o[e] + beta[e];
        }
    }
}

MULTIVERSION
static void rows_backward_kernel(const float *restrict g, const float *restrict xhat,
                                 const float *restrict gamma, const float *restrict inv,
                                 float *restrict out, Py_ssize_t rows, Py_ssize_t n) {
    for (Py_ssize_t i0 = 0; i0 < rows; i0 += RB) {
        Py_ssize_t nr = rows - i0 < RB ? rows - i0 : RB;
        float *ob = out + i0 * n;
        double s[RB], p[RB];
        for (Py_ssize_t r = 0; r < nr; r++) { /* gh = g gamma, into out */
            const float *gr = g + (i0 + r) * n;
            float *o = ob + r * n;
            for (Py_ssize_t e = 0; e < n; e++)
                o[e] = gamma ? gr[e] * gamma[e] : gr[e];
        }
        row_block_sums(ob, NULL, xhat + i0 * n, s, p, nr, n); /* sums of gh and gh xhat */
        for (Py_ssize_t r = 0; r < nr; r++) {
            Py_ssize_t i = i0 + r;
            const float *h = xhat + i * n;
            float *o = out + i * n;
            float gmean = (float)(s[r] / (double)n), proj = (float)(p[r] / (double)n);
            for (Py_ssize_t e = 0; e < n; e++)
                o[e] = ((o[e] - gmean) - h[e] * proj) * inv[i];
        }
    }
}

/* --- argument checking ---------------------------------------------------------------- */

/* A (rows, c) float32 matrix; sets *rows and *c from the first one, checks the others. */
static Py_buffer *matrix(Buffers *b, PyObject *obj, int writable, const char *what,
                         Py_ssize_t *rows, Py_ssize_t *c) {
    Py_buffer *v = borrow(b, obj, writable, "f", 2, what);
    if (!v)
        return NULL;
    if (*rows < 0) {
        *rows = v->shape[0];
        *c = v->shape[1];
    } else if (v->shape[0] != *rows || v->shape[1] != *c) {
        PyErr_Format(PyExc_ValueError, "%s must have shape (%zd, %zd), got (%zd, %zd)", what,
                     *rows, *c, v->shape[0], v->shape[1]);
        return NULL;
    }
    return v;
}

/* A per-channel vector of c values of `format` ('f' or 'd'); None allowed when `optional`. */
static int vector(Buffers *b, PyObject *obj, int writable, const char *format, const char *what,
                  Py_ssize_t c, int optional, void **out) {
    *out = NULL;
    if (obj == Py_None && optional)
        return 0;
    Py_buffer *v = borrow(b, obj, writable, format, 1, what);
    if (!v)
        return -1;
    if (v->shape[0] != c) {
        PyErr_Format(PyExc_ValueError, "%s must have %zd values (one per channel), got %zd",
                     what, c, v->shape[0]);
        return -1;
    }
    *out = v->buf;
    return 0;
}

static PyObject *finish(Buffers *b, int ok) {
    release(b);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *channel_sums(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    Py_ssize_t rows = -1, c = 0;
    void *mu, *out;
    if (check_nargs("channel_sums", nargs, 3) < 0)
        return NULL;
    Py_buffer *x = matrix(&b, args[0], 0, "channel_sums: x", &rows, &c);
    int ok = x && vector(&b, args[1], 0, "f", "channel_sums: mu", c, 1, &mu) == 0 &&
             vector(&b, args[2], 1, "d", "channel_sums: out", c, 0, &out) == 0;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        sums_kernel(x->buf, mu, out, rows, c);
        Py_END_ALLOW_THREADS
    }
    return finish(&b, ok);
}

static PyObject *affine(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    Py_ssize_t rows = -1, c = 0;
    void *mu, *scale, *beta;
    if (check_nargs("affine", nargs, 5) < 0)
        return NULL;
    Py_buffer *x = matrix(&b, args[0], 0, "affine: x", &rows, &c);
    int ok = x && vector(&b, args[1], 0, "f", "affine: mu", c, 0, &mu) == 0 &&
             vector(&b, args[2], 0, "f", "affine: scale", c, 0, &scale) == 0 &&
             vector(&b, args[3], 0, "f", "affine: beta", c, 1, &beta) == 0;
    Py_buffer *out = ok ? matrix(&b, args[4], 1, "affine: out", &rows, &c) : NULL;
    ok = out != NULL;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        affine_kernel(x->buf, mu, scale, beta, out->buf, rows, c);
        Py_END_ALLOW_THREADS
    }
    return finish(&b, ok);
}

static PyObject *backward_sums(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    Py_ssize_t rows = -1, c = 0;
    void *mu, *gsum, *dot;
    if (check_nargs("backward_sums", nargs, 5) < 0)
        return NULL;
    Py_buffer *g = matrix(&b, args[0], 0, "backward_sums: g", &rows, &c);
    Py_buffer *x = g ? matrix(&b, args[1], 0, "backward_sums: x", &rows, &c) : NULL;
    int ok = x && vector(&b, args[2], 0, "f", "backward_sums: mu", c, 0, &mu) == 0 &&
             vector(&b, args[3], 1, "d", "backward_sums: gsum", c, 0, &gsum) == 0 &&
             vector(&b, args[4], 1, "d", "backward_sums: dot", c, 0, &dot) == 0;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        backward_sums_kernel(g->buf, x->buf, mu, gsum, dot, rows, c);
        Py_END_ALLOW_THREADS
    }
    return finish(&b, ok);
}

static PyObject *backward_dx(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    Py_ssize_t rows = -1, c = 0;
    void *mu, *scale, *k1, *k2;
    if (check_nargs("backward_dx", nargs, 7) < 0)
        return NULL;
    Py_buffer *g = matrix(&b, args[0], 0, "backward_dx: g", &rows, &c);
    Py_buffer *x = g ? matrix(&b, args[1], 0, "backward_dx: x", &rows, &c) : NULL;
    int ok = x && vector(&b, args[2], 0, "f", "backward_dx: mu", c, 0, &mu) == 0 &&
             vector(&b, args[3], 0, "f", "backward_dx: scale", c, 0, &scale) == 0 &&
             vector(&b, args[4], 0, "f", "backward_dx: k1", c, 0, &k1) == 0 &&
             vector(&b, args[5], 0, "f", "backward_dx: k2", c, 0, &k2) == 0;
    Py_buffer *out = ok ? matrix(&b, args[6], 1, "backward_dx: out", &rows, &c) : NULL;
    ok = out != NULL;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        backward_dx_kernel(g->buf, x->buf, mu, scale, k1, k2, out->buf, rows, c);
        Py_END_ALLOW_THREADS
    }
    return finish(&b, ok);
}

static PyObject *rows_forward(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    Py_ssize_t rows = -1, n = 0, one = 1;
    void *gamma, *beta;
    if (check_nargs("rows_forward", nargs, 7) < 0)
        return NULL;
    double eps = PyFloat_AsDouble(args[3]);
    if (eps == -1.0 && PyErr_Occurred())
        return NULL;
    Py_buffer *x = matrix(&b, args[0], 0, "rows_forward: x", &rows, &n);
    int ok = x && vector(&b, args[1], 0, "f", "rows_forward: gamma", n, 1, &gamma) == 0 &&
             vector(&b, args[2], 0, "f", "rows_forward: beta", n, 1, &beta) == 0;
    Py_buffer *xhat = ok ? matrix(&b, args[4], 1, "rows_forward: xhat", &rows, &n) : NULL;
    Py_buffer *inv = xhat ? matrix(&b, args[5], 1, "rows_forward: inv", &rows, &one) : NULL;
    Py_buffer *out = inv ? matrix(&b, args[6], 1, "rows_forward: out", &rows, &n) : NULL;
    ok = out != NULL;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        rows_forward_kernel(x->buf, gamma, beta, (float)eps, xhat->buf, inv->buf, out->buf, rows,
                            n);
        Py_END_ALLOW_THREADS
    }
    return finish(&b, ok);
}

static PyObject *rows_backward(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    Py_ssize_t rows = -1, n = 0, one = 1;
    void *gamma;
    if (check_nargs("rows_backward", nargs, 5) < 0)
        return NULL;
    Py_buffer *g = matrix(&b, args[0], 0, "rows_backward: g", &rows, &n);
    Py_buffer *xhat = g ? matrix(&b, args[1], 0, "rows_backward: xhat", &rows, &n) : NULL;
    int ok = xhat && vector(&b, args[2], 0, "f", "rows_backward: gamma", n, 1, &gamma) == 0;
    Py_buffer *inv = ok ? matrix(&b, args[3], 0, "rows_backward: inv", &rows, &one) : NULL;
    Py_buffer *out = inv ? matrix(&b, args[4], 1, "rows_backward: out", &rows, &n) : NULL;
    ok = out != NULL;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        rows_backward_kernel(g->buf, xhat->buf, gamma, inv->buf, out->buf, rows, n);
        Py_END_ALLOW_THREADS
    }
    return finish(&b, ok);
}

static PyMethodDef methods[] = {
    {"channel_sums", (PyCFunction)(void (*)(void))channel_sums, METH_FASTCALL,
     "channel_sums(x, mu, out64): per-channel sums of x, or of (x - mu)^2 (float64)."},
    {"affine", (PyCFunction)(void (*)(void))affine, METH_FASTCALL,
     "affine(x, mu, scale, beta, out): out = (x - mu) * scale + beta (beta may be None)."},
    {"backward_sums", (PyCFunction)(void (*)(void))backward_sums, METH_FASTCALL,
     "backward_sums(g, x, mu, gsum64, dot64): per-channel sums of g and of g (x - mu)."},
    {"backward_dx", (PyCFunction)(void (*)(void))backward_dx, METH_FASTCALL,
     "backward_dx(g, x, mu, scale, k1, k2, out): out = g scale - (x - mu) k1 - k2."},
    {"rows_forward", (PyCFunction)(void (*)(void))rows_forward, METH_FASTCALL,
     "rows_forward(x, gamma, beta, eps, xhat, inv, out): LayerNormalization of each row."},
    {"rows_backward", (PyCFunction)(void (*)(void))rows_backward, METH_FASTCALL,
     "rows_backward(g, xhat, gamma, inv, out): the input gradient of rows_forward."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_norm",
                                    "Batch- and layer-normalization kernels for lamina.", -1, methods};

PyMODINIT_FUNC PyInit__norm(void) { return PyModule_Create(&module); }
