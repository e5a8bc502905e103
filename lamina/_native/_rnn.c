/* Fused per-step gate arithmetic of the LSTM and GRU fast paths (lamina/kernels/rnn_cells.py).
 *
 * A recurrent step is a small matmul (NumPy/BLAS, unchanged) plus a dozen elementwise NumPy
 * calls on (batch, units) blocks; at batch 128 x 32 units each call costs more in dispatch
 * than in arithmetic. These kernels do the elementwise parts between the matmuls and the
 * tanh calls in one pass each. tanh itself is `tanh32` below, a rational approximation of
 * at most 6 ulp (NumPy's float32 tanh is a scalar libm loop without AVX-512: 2.7 ns an
 * element, half of an LSTM step; this one vectorizes).
 *
 * Each kernel performs exactly the IEEE single-precision operations of its NumPy twin in
 * kernels.py, in the same order (built with -ffp-contract=off and without -ffast-math: no
 * FMA contraction, no reassociation), so results are bitwise identical with and without the
 * extension (tests/test_native_rnn.py). Layouts are Keras's: gate blocks along the last
 * axis, LSTM (i, f, c, o), GRU (z, r, h); every array is a C-contiguous float32 (batch, k n)
 * block, n = units.
 */
#define MAX_BUFFERS 10
#include "native_args.h"
#include <stdint.h>
#include <stdio.h>

/* LSTM, after a = tanh(a) on the half-scaled pre-activations:
 *   a = a * half + shift   (i, f, o: a * 0.5 + 0.5 = sigmoid; c: a * 1 + 0 = tanh)
 *   c = f * c_prev + i * g */
MULTIVERSION
static void lstm_cell_kernel(float *restrict a, const float *restrict c_prev, float *restrict c,
                             Py_ssize_t rows, Py_ssize_t n) {
    for (Py_ssize_t r = 0; r < rows; r++) {
        float *ar = a + r * 4 * n;
        for (Py_ssize_t j = 0; j < 4 * n; j++) {
            int is_g = j >= 2 * n && j < 3 * n;
            ar[j] = ar[j] * (is_g ? 1.0f : 0.5f) + (is_g ? 0.0f : 0.5f);
        }
        const float *cp = c_prev + r * n;
        float *cr = c + r * n;
        for (Py_ssize_t j = 0; j < n; j++)
            cr[j] = ar[n + j] * cp[j] + ar[j] * ar[2 * n + j];
    }
}

/* LSTM backward through one step (gates a = i, f, g, o after activation), with the
 * derivatives the NumPy twin precomputes for all steps (kernels.py begin_backward) inline:
 *   q = (1 - tc tc) o;  dgate = (1 - y) y for i, f, o and 1 - y y for g
 *   dc += dh * q;  da = (dc g, dc c_prev, dc i, dh tc) * dgate;  dc *= f (into dc) */
MULTIVERSION
static void lstm_back_kernel(const float *restrict dh, float *restrict dc, const float *restrict a,
                             const float *restrict c_prev, const float *restrict tc,
                             float *restrict da, Py_ssize_t rows, Py_ssize_t n) {
    for (Py_ssize_t r = 0; r < rows; r++) {
        const float *ar = a + r * 4 * n;
        float *dar = da + r * 4 * n;
        for (Py_ssize_t j = 0; j < n; j++) {
            Py_ssize_t k = r * n + j;
            float i = ar[j], f = ar[n + j], g = ar[2 * n + j], o = ar[3 * n + j];
            float q = (1.0f - tc[k] * tc[k]) * o;
            float dck = dc[k] + dh[k] * q;
            dar[j] = (dck * g) * ((1.0f - i) * i);
            dar[n + j] = (dck * c_prev[k]) * ((1.0f - f) * f);
            dar[2 * n + j] = (dck * i) * (1.0f - g * g);
            dar[3 * n + j] = (dh[k] * tc[k]) * ((1.0f - o) * o);
            dc[k] = dck * f;
        }
    }
}

/* GRU (reset_after), before the first tanh: rec += b_rec (when given), then the sigmoid's
 * first step on z, r: a_zr = (a_zr + rec_zr) * 0.5 */
MULTIVERSION
static void gru_pre_kernel(float *restrict a, float *restrict rec, const float *restrict b_rec,
                           Py_ssize_t rows, Py_ssize_t n) {
    for (Py_ssize_t r = 0; r < rows; r++) {
        float *ar = a + r * 3 * n, *rr = rec + r * 3 * n;
        if (b_rec)
            for (Py_ssize_t j = 0; j < 3 * n; j++)
                rr[j] = rr[j] + b_rec[j];
        for (Py_ssize_t j = 0; j < 2 * n; j++)
            ar[j] = (ar[j] + rr[j]) * 0.5f;
    }
}

/* GRU, after tanh on z, r: finish the sigmoid (t * 0.5 + 0.5), keep aux = rec_h, and
 * a_h = a_h + r * aux (the input of the second tanh) */
MULTIVERSION
static void gru_mid_kernel(float *restrict a, const float *restrict rec, float *restrict aux,
                           Py_ssize_t rows, Py_ssize_t n) {
    for (Py_ssize_t r = 0; r < rows; r++) {
        float *ar = a + r * 3 * n, *xr = aux + r * n;
        const float *rr = rec + r * 3 * n;
        for (Py_ssize_t j = 0; j < 2 * n; j++)
            ar[j] = ar[j] * 0.5f + 0.5f;
        for (Py_ssize_t j = 0; j < n; j++) {
            xr[j] = rr[2 * n + j];
            ar[2 * n + j] = ar[2 * n + j] + ar[n + j] * xr[j];
        }
    }
}

/* GRU, after hh = tanh(a_h): h' = (h - hh) * z + hh */
MULTIVERSION
static void gru_out_kernel(const float *restrict a, const float *restrict h, float *restrict out,
                           Py_ssize_t rows, Py_ssize_t n) {
    for (Py_ssize_t r = 0; r < rows; r++) {
        const float *ar = a + r * 3 * n;
        for (Py_ssize_t j = 0; j < n; j++) {
            Py_ssize_t k = r * n + j;
            out[k] = (h[k] - ar[2 * n + j]) * ar[j] + ar[2 * n + j];
        }
    }
}

/* GRU (reset_after) backward through one step, with the twin's precomputed derivatives
 * inline (e = h_prev - hh; dgate = (1 - y) y for z, r and 1 - y y for hh):
 *   da_z = (dh e) dg_z;  dh_z = dh z;  da_h = (dh - dh_z) dg_h;  da_r = (da_h aux) dg_r;
 *   drec = (da_z, da_r, da_h r) */
MULTIVERSION
static void gru_back_kernel(const float *restrict dh, const float *restrict h_prev,
                            const float *restrict a, const float *restrict aux,
                            float *restrict da, float *restrict drec, float *restrict dh_z,
                            Py_ssize_t rows, Py_ssize_t n) {
    for (Py_ssize_t r = 0; r < rows; r++) {
        const float *ar = a + r * 3 * n;
        float *dar = da + r * 3 * n, *drr = drec + r * 3 * n;
        for (Py_ssize_t j = 0; j < n; j++) {
            Py_ssize_t k = r * n + j;
            float z = ar[j], rr = ar[n + j], hh = ar[2 * n + j];
            float dz = dh[k] * z;
            float dah = (dh[k] - dz) * (1.0f - hh * hh);
            float daz = (dh[k] * (h_prev[k] - hh)) * ((1.0f - z) * z);
            float dar_ = (dah * aux[k]) * ((1.0f - rr) * rr);
            dh_z[k] = dz;
            dar[j] = daz;
            dar[n + j] = dar_;
            dar[2 * n + j] = dah;
            drr[j] = daz;
            drr[n + j] = dar_;
            drr[2 * n + j] = dah * rr;
        }
    }
}

/* tanh(x) for float32, as x P(x^2) / Q(x^2) on x clamped to [-9, 9], the result clamped to
 * [-1, 1] (P, Q of degree 4, fitted to tanh's relative error: at most 6 ulp, 0.8 on average;
 * P(0) = Q(0) = 1, Q >= 1). NaN stays NaN, -0 stays -0, +-inf give +-1. The NumPy twin is
 * lamina/kernels/tanh32.py. `out` may be `x`. */
#define TANH_P1 0.13398495316505432f
#define TANH_P2 0.0035161729902029037f
#define TANH_P3 2.0941321054124273e-05f
#define TANH_P4 1.3802950782348944e-08f
#define TANH_Q1 0.46731820702552795f
#define TANH_Q2 0.025955718010663986f
#define TANH_Q3 0.0003319017414469272f
#define TANH_Q4 7.962582344589464e-07f

/* On the bits: |x| clamped by an integer minimum (non-negative floats order as their bits;
 * NaN and inf clamp to 9 too), the result's magnitude capped at 1.0 the same way, x's sign
 * put back, and a NaN x returned as it is. Integer selections and masks vectorize on AVX2;
 * float comparisons that may trap on NaN keep GCC's loop scalar. */
#define TANH_CLAMP_BITS 0x41100000 /* 9.0f */
#define ONE_BITS 0x3f800000        /* 1.0f */
#define INF_BITS 0x7f800000

static inline float tanh32_one(float x) {
    int32_t bits, ab, rb; /* signed: AVX2 compares signed integers only (magnitudes < 2^31) */
    memcpy(&bits, &x, 4);
    int32_t mag = bits & 0x7fffffff;
    ab = mag < TANH_CLAMP_BITS ? mag : TANH_CLAMP_BITS;
    float a;
    memcpy(&a, &ab, 4);
    float t = a * a;
    float p = ((((TANH_P4 * t + TANH_P3) * t + TANH_P2) * t + TANH_P1) * t + 1.0f) * a;
    float q = (((TANH_Q4 * t + TANH_Q3) * t + TANH_Q2) * t + TANH_Q1) * t + 1.0f;
    float r = p / q;
    memcpy(&rb, &r, 4);
    rb = (rb < ONE_BITS ? rb : ONE_BITS) | (bits & (int32_t)0x80000000u);
    int32_t keep = -(int32_t)(mag > INF_BITS); /* all ones where x is NaN: a mask, as a select
                                                  here became a branch around the division */
    rb = (rb & ~keep) | (bits & keep);
    memcpy(&r, &rb, 4);
    return r;
}

MULTIVERSION
static void tanh32_kernel(const float *x, float *out, Py_ssize_t len) {
    for (Py_ssize_t e = 0; e < len; e++)
        out[e] = tanh32_one(x[e]);
}

/* in place on the columns [start, stop) of a (rows, width) array */
MULTIVERSION
static void tanh32_cols_kernel(float *a, Py_ssize_t rows, Py_ssize_t width, Py_ssize_t start,
                               Py_ssize_t stop) {
    for (Py_ssize_t r = 0; r < rows; r++) {
        float *row = a + r * width;
        for (Py_ssize_t e = start; e < stop; e++)
            row[e] = tanh32_one(row[e]);
    }
}

/* --- argument handling ---------------------------------------------------------------- */

/* Borrow args[i] as a C-contiguous float32 array of rows x (k n) elements. */
static float *block(Buffers *b, PyObject *obj, int writable, Py_ssize_t rows, Py_ssize_t width,
                    const char *what) {
    Py_buffer *v = borrow(b, obj, writable, "f", -1, what);
    if (!v)
        return NULL;
    if (v->len / 4 != rows * width) {
        PyErr_Format(PyExc_ValueError, "%s must have %zd x %zd elements, got %zd", what, rows,
                     width, v->len / 4);
        return NULL;
    }
    return (float *)v->buf;
}

/* The (rows, n) of a gate block `a` (rows, gates n) */
static int gate_shape(PyObject *obj, int gates, Py_ssize_t *rows, Py_ssize_t *n,
                      const char *what) {
    Py_buffer v;
    if (PyObject_GetBuffer(obj, &v, PyBUF_ND) < 0)
        return -1;
    int ok = v.ndim == 2 && v.shape[1] % gates == 0;
    if (ok) {
        *rows = v.shape[0];
        *n = v.shape[1] / gates;
    } else
        PyErr_Format(PyExc_ValueError, "%s must be a 2-D (batch, %d * units) array", what, gates);
    PyBuffer_Release(&v);
    return ok ? 0 : -1;
}

/* Parse the arguments of kernel `fn`: `names` (comma-separated, for messages) and `spec`,
 * two characters per argument: 'r' read, 'w' written, 'o' read or None; then the width in
 * gate blocks ('1', '3', '4') of a (rows, width n) array, or 'b' for one bias row of `gates`
 * blocks. rows and n come from argument `gate_arg`, a (rows, gates n) array. */
static int parse(Buffers *b, const char *fn, const char *names, const char *spec, int gate_arg,
                 int gates, PyObject *const *args, Py_ssize_t nargs, float **p, Py_ssize_t *rows,
                 Py_ssize_t *n) {
    int count = (int)strlen(spec) / 2;
    char label[64], what[64];
    if (check_nargs(fn, nargs, count) < 0)
        return -1;
    const char *name = names;
    for (int i = 0; i < count; i++) {
        size_t len = strcspn(name, ",");
        snprintf(label, sizeof label, "%s: %.*s", fn, (int)len, name);
        if (i == gate_arg) {
            snprintf(what, sizeof what, "%s", label);
            if (gate_shape(args[i], gates, rows, n, what) < 0)
                return -1;
        }
        name += len + (name[len] == ',');
    }
    name = names;
    for (int i = 0; i < count; i++) {
        size_t len = strcspn(name, ",");
        snprintf(label, sizeof label, "%s: %.*s", fn, (int)len, name);
        name += len + (name[len] == ',');
        char mode = spec[2 * i], width = spec[2 * i + 1];
        if (mode == 'o' && args[i] == Py_None) {
            p[i] = NULL;
            continue;
        }
        Py_ssize_t r = width == 'b' ? 1 : *rows, w = (width == 'b' ? gates : width - '0') * *n;
        if (!(p[i] = block(b, args[i], mode == 'w', r, w, label)))
            return -1;
    }
    return 0;
}

/* Define the Python function `fn` calling `call` on the parsed float pointers p[]. */
#define KERNEL(fn, names, spec, gate_arg, gates, call)                                       \
    static PyObject *fn(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {           \
        Buffers b = {.count = 0};                                                            \
        float *p[MAX_BUFFERS];                                                               \
        Py_ssize_t rows = 0, n = 0;                                                          \
        int ok = parse(&b, #fn, names, spec, gate_arg, gates, args, nargs, p, &rows, &n) == 0; \
        if (ok) {                                                                            \
            Py_BEGIN_ALLOW_THREADS call;                                                     \
            Py_END_ALLOW_THREADS                                                             \
        }                                                                                    \
        release(&b);                                                                         \
        if (!ok)                                                                             \
            return NULL;                                                                     \
        Py_RETURN_NONE;                                                                      \
    }

KERNEL(lstm_cell, "a,c_prev,c", "w4r1w1", 0, 4, lstm_cell_kernel(p[0], p[1], p[2], rows, n))
KERNEL(lstm_back, "dh,dc,a,c_prev,tc,da", "r1w1r4r1r1w4", 2, 4,
       lstm_back_kernel(p[0], p[1], p[2], p[3], p[4], p[5], rows, n))
KERNEL(gru_pre, "a,rec,b_rec", "w3w3ob", 0, 3, gru_pre_kernel(p[0], p[1], p[2], rows, n))
KERNEL(gru_mid, "a,rec,aux", "w3r3w1", 0, 3, gru_mid_kernel(p[0], p[1], p[2], rows, n))
KERNEL(gru_out, "a,h,out", "r3r1w1", 0, 3, gru_out_kernel(p[0], p[1], p[2], rows, n))
KERNEL(gru_back, "dh,h_prev,a,aux,da,drec,dh_z", "r1r1r3r1w3w3w1", 2, 3,
       gru_back_kernel(p[0], p[1], p[2], p[3], p[4], p[5], p[6], rows, n))

/* tanh32(x, out): out = tanh32(x), C-contiguous float32 arrays of one size (out may be x) */
static PyObject *tanh32(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    if (check_nargs("tanh32", nargs, 2) < 0)
        return NULL;
    Py_buffer *x = borrow(&b, args[0], 0, "f", -1, "tanh32: x");
    Py_buffer *out = x ? borrow(&b, args[1], 1, "f", -1, "tanh32: out") : NULL;
    int ok = out != NULL && out->len == x->len;
    if (out != NULL && !ok)
        PyErr_Format(PyExc_ValueError, "tanh32: out has %zd elements, x %zd", out->len / 4,
                     x->len / 4);
    if (ok) {
        Py_BEGIN_ALLOW_THREADS tanh32_kernel((const float *)x->buf, (float *)out->buf, x->len / 4);
        Py_END_ALLOW_THREADS
    }
    release(&b);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

/* tanh32_cols(a, start, stop): a[:, start:stop] = tanh32(a[:, start:stop]), a 2-D C-contiguous */
static PyObject *tanh32_cols(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    if (check_nargs("tanh32_cols", nargs, 3) < 0)
        return NULL;
    Py_ssize_t start = PyLong_AsSsize_t(args[1]), stop = PyLong_AsSsize_t(args[2]);
    if (PyErr_Occurred())
        return NULL;
    Py_buffer *a = borrow(&b, args[0], 1, "f", 2, "tanh32_cols: a");
    int ok = a != NULL && 0 <= start && start <= stop && stop <= a->shape[1];
    if (a != NULL && !ok)
        PyErr_Format(PyExc_ValueError, "tanh32_cols: columns [%zd, %zd) outside 0..%zd", start,
                     stop, a->shape[1]);
    if (ok) {
        Py_ssize_t rows = a->shape[0], width = a->shape[1];
        Py_BEGIN_ALLOW_THREADS tanh32_cols_kernel((float *)a->buf, rows, width, start, stop);
        Py_END_ALLOW_THREADS
    }
    release(&b);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"tanh32", (PyCFunction)(void (*)(void))tanh32, METH_FASTCALL,
     "tanh32(x, out): a vectorized float32 tanh (at most 6 ulp), out may be x."},
    {"tanh32_cols", (PyCFunction)(void (*)(void))tanh32_cols, METH_FASTCALL,
     "tanh32_cols(a, start, stop): tanh32 in place on a[:, start:stop]."},
    {"lstm_cell", (PyCFunction)(void (*)(void))lstm_cell, METH_FASTCALL,
     "lstm_cell(a, c_prev, c): gates from tanh of the half-scaled a, in place; c = f c_prev + i g."},
    {"lstm_back", (PyCFunction)(void (*)(void))lstm_back, METH_FASTCALL,
     "lstm_back(dh, dc, a, c_prev, tc, da): one LSTM step backward (dc in place)."},
    {"gru_pre", (PyCFunction)(void (*)(void))gru_pre, METH_FASTCALL,
     "gru_pre(a, rec, b_rec): rec += b_rec; a_zr = (a_zr + rec_zr) * 0.5, in place."},
    {"gru_mid", (PyCFunction)(void (*)(void))gru_mid, METH_FASTCALL,
     "gru_mid(a, rec, aux): a_zr = a_zr * 0.5 + 0.5; aux = rec_h; a_h += r * aux."},
    {"gru_out", (PyCFunction)(void (*)(void))gru_out, METH_FASTCALL,
     "gru_out(a, h, out): out = (h - hh) * z + hh."},
    {"gru_back", (PyCFunction)(void (*)(void))gru_back, METH_FASTCALL,
     "gru_back(dh, h_prev, a, aux, da, drec, dh_z): one GRU step backward."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_rnn",
                                    "Fused recurrent-step kernels for lamina.", -1, methods};

PyMODINIT_FUNC PyInit__rnn(void) { return PyModule_Create(&module); }
