/* Direct 2-D convolution kernels for float32, channels-last, stride 1, no dilation, in
 * AVX-512 (lamina/ops/_direct_conv.py).
 *
 * Why: im2col + BLAS copies every window into a matrix 9x the input's size and multiplies
 * it by a kernel of 32-64 columns, a shape OpenBLAS runs at 50-70% of a core's peak (packing
 * the tall operand costs as much as the arithmetic). Here each output tile's windows are read
 * in place from the padded input: a tile of R pixels x NZ vectors of output channels is held
 * in registers and takes, for every kernel offset and input channel, NZ weight vectors times R
 * broadcast input values (one FMA each).
 *
 * Arithmetic: these are compute kernels like the BLAS they replace, not twins of a NumPy
 * computation. Each output is one running FMA sum in a fixed order (offsets row-major, then
 * input channels; for the kernel gradient, pixels in order), the same whatever the tiling,
 * the thread or the machine load, and the same on every AVX-512 machine. The Python side
 * checks them against a float64 reference (tests/test_direct_conv.py).
 *
 *   forward(x, w, out, s0, s1, pt, pl): out[n, p, :] = sum_{a, b, c} xp[n, h+a, w+b, c] w[a, b, c, :]
 *       for samples s0 <= n < s1; x (N, H, W, Cin), w (kh, kw, Cin, Cout), out (N, Ho, Wo,
 *       Cout); xp is x with pt rows and pl columns of zeros before it and as many after as
 *       make (Ho + kh - 1, Wo + kw - 1) (each sample padded in a scratch buffer, in cache).
 *   kernel_grad(x, g, gk, s0, s1, pt, pl): gk[a, b, c, :] = sum_{n, h, w} xp[n, h+a, w+b, c]
 *       g[n, h, w, :] over samples s0 <= n < s1 (gk overwritten).
 * Both need Cout a multiple of 16 and release the GIL (two threads run two sample ranges).
 * `supported()` is false on a CPU without AVX-512F (the caller then uses im2col + BLAS).
 */
#include "native_args.h"

#include <stdlib.h>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_AVX512 1
#define TGT __attribute__((target("avx512f,fma")))
typedef __m512 V;
#define VL 16
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VBCAST(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#else
#define HAVE_AVX512 0
#endif

#if HAVE_AVX512

/* Forward tile: R consecutive output pixels (their windows at px[r]) x NZ*16 channels. */
#define FWD_TILE(NZ, R)                                                                          \
    static TGT void fwd_##NZ##_##R(const float *const *px, const float *w, Py_ssize_t cout,       \
                                   const Py_ssize_t *toff, int taps, Py_ssize_t cin, float *out) { \
        V acc[R][NZ];                                                                            \
        for (int r = 0; r < R; r++)                                                              \
            for (int z = 0; z < NZ; z++)                                                         \
                acc[r][z] = VZERO();                                                             \
        for (int t = 0; t < taps; t++) {                                                         \
            const float *wt = w + (Py_ssize_t)t * cin * cout;                                    \
            const float *q[R];                                                                   \
            for (int r = 0; r < R; r++)                                                          \
                q[r] = px[r] + toff[t];                                                          \
            for (Py_ssize_t c = 0; c < cin; c++) {                                               \
                V wv[NZ];                                                                        \
                for (int z = 0; z < NZ; z++)                                                     \
                    wv[z] = VLOAD(wt + c * cout + z * VL);                                       \
                for (int r = 0; r < R; r++) {                                                    \
                    V b = VBCAST(q[r][c]);                                                       \
                    for (int z = 0; z < NZ; z++)                                                 \
                        acc[r][z] = VFMA(b, wv[z], acc[r][z]);                                   \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
        for (int r = 0; r < R; r++)                                                              \
            for (int z = 0; z < NZ; z++)                                                         \
                VSTORE(out + r * cout + z * VL, acc[r][z]);                                      \
    }

FWD_TILE(4, 6)
FWD_TILE(2, 12)
FWD_TILE(1, 24)

typedef void (*fwd_fn)(const float *const *, const float *, Py_ssize_t, const Py_ssize_t *, int,
                       Py_ssize_t, float *);

#define MAX_R 24

/* One sample of x (h, w, cin) with `pt` rows and `pl` columns of zeros before it, in the
 * (hp, wp, cin) scratch whose borders are already zero; x itself when there is no padding. */
static const float *padded(const float *xn, float *scratch, Py_ssize_t h, Py_ssize_t w,
                           Py_ssize_t cin, Py_ssize_t hp, Py_ssize_t wp, Py_ssize_t pt,
                           Py_ssize_t pl) {
    if (h == hp && w == wp)
        return xn;
    for (Py_ssize_t r = 0; r < h; r++)
        memcpy(scratch + ((r + pt) * wp + pl) * cin, xn + r * w * cin, sizeof(float) * w * cin);
    return scratch;
}

static TGT void forward_f32(const float *x, const float *w, float *out, float *scratch,
                            Py_ssize_t s0, Py_ssize_t s1, Py_ssize_t h, Py_ssize_t wd,
                            Py_ssize_t pt, Py_ssize_t pl, Py_ssize_t ho, Py_ssize_t wo,
                            Py_ssize_t cin, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t cout) {
    Py_ssize_t hp = ho + kh - 1, wp = wo + kw - 1, pixels = ho * wo;
    int taps = (int)(kh * kw);
    Py_ssize_t toff[taps];
    for (Py_ssize_t a = 0; a < kh; a++)
        for (Py_ssize_t b = 0; b < kw; b++)
            toff[a * kw + b] = (a * wp + b) * cin;
    const float *px[MAX_R];
    for (Py_ssize_t n = s0; n < s1; n++) {
        const float *xn = padded(x + n * h * wd * cin, scratch, h, wd, cin, hp, wp, pt, pl);
        float *on = out + n * pixels * cout;
        Py_ssize_t co = 0;
        while (co < cout) {
            /* the widest channel block that fits: 64, 32 or 16 channels */
            int nz = cout - co >= 64 ? 4 : cout - co >= 32 ? 2 : 1;
            int R = nz == 4 ? 6 : nz == 2 ? 12 : 24;
            fwd_fn fn = nz == 4 ? fwd_4_6 : nz == 2 ? fwd_2_12 : fwd_1_24;
            for (Py_ssize_t p0 = 0; p0 < pixels; p0 += R) {
                /* the last tile overlaps the one before: its pixels get the same values */
                Py_ssize_t p = p0 + R <= pixels ? p0 : pixels - R;
                for (int r = 0; r < R; r++) {
                    Py_ssize_t q = p + r;
                    px[r] = xn + ((q / wo) * wp + q % wo) * cin;
                }
                fn(px, w + co, cout, toff, taps, cin, on + p * cout + co);
            }
            co += nz * VL;
        }
    }
}

/* Kernel-gradient tile: RC input channels x NZ*16 output channels at one kernel offset,
 * accumulated in registers over the pixels of rows h0..h1 of one sample. */
#define KG_TILE(NZ, RC)                                                                          \
    static TGT void kg_##NZ##_##RC(const float *x, const float *g, float *gk, Py_ssize_t rows,    \
                                   Py_ssize_t wo, Py_ssize_t wp, Py_ssize_t cin,                 \
                                   Py_ssize_t cout) {                                            \
        V acc[RC][NZ];                                                                           \
        for (int r = 0; r < RC; r++)                                                             \
            for (int z = 0; z < NZ; z++)                                                         \
                acc[r][z] = VLOAD(gk + r * cout + z * VL);                                       \
        for (Py_ssize_t h = 0; h < rows; h++) {                                                  \
            const float *xr = x + h * wp * cin, *gr = g + h * wo * cout;                         \
            for (Py_ssize_t j = 0; j < wo; j++) {                                                \
                V gv[NZ];                                                                        \
                for (int z = 0; z < NZ; z++)                                                     \
                    gv[z] = VLOAD(gr + j * cout + z * VL);                                       \
                for (int r = 0; r < RC; r++) {                                                   \
                    V b = VBCAST(xr[j * cin + r]);                                               \
                    for (int z = 0; z < NZ; z++)                                                 \
                        acc[r][z] = VFMA(b, gv[z], acc[r][z]);                                   \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
        for (int r = 0; r < RC; r++)                                                             \
            for (int z = 0; z < NZ; z++)                                                         \
                VSTORE(gk + r * cout + z * VL, acc[r][z]);                                       \
    }

KG_TILE(2, 8)
KG_TILE(2, 4)
KG_TILE(2, 2)
KG_TILE(2, 1)
KG_TILE(1, 8)
KG_TILE(1, 4)
KG_TILE(1, 2)
KG_TILE(1, 1)

typedef void (*kg_fn)(const float *, const float *, float *, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                      Py_ssize_t, Py_ssize_t);

static TGT void kernel_grad_f32(const float *x, const float *g, float *gk, float *scratch,
                                Py_ssize_t s0, Py_ssize_t s1, Py_ssize_t h, Py_ssize_t wd,
                                Py_ssize_t pt, Py_ssize_t pl, Py_ssize_t ho, Py_ssize_t wo,
                                Py_ssize_t cin, Py_ssize_t kh, Py_ssize_t kw, Py_ssize_t cout) {
    static const kg_fn table[2][4] = {{kg_1_8, kg_1_4, kg_1_2, kg_1_1},
                                      {kg_2_8, kg_2_4, kg_2_2, kg_2_1}};
    Py_ssize_t hp = ho + kh - 1, wp = wo + kw - 1;
    memset(gk, 0, sizeof(float) * kh * kw * cin * cout);
    /* rows per block: ~128 pixels, so a block's inputs and gradients stay in L1/L2 */
    Py_ssize_t step = wo >= 128 ? 1 : 128 / wo;
    for (Py_ssize_t n = s0; n < s1; n++) {
        const float *xn = padded(x + n * h * wd * cin, scratch, h, wd, cin, hp, wp, pt, pl);
        for (Py_ssize_t h0 = 0; h0 < ho; h0 += step) {
            Py_ssize_t rows = h0 + step <= ho ? step : ho - h0;
            const float *gb = g + (n * ho + h0) * wo * cout;
            for (Py_ssize_t a = 0; a < kh; a++)
                for (Py_ssize_t b = 0; b < kw; b++) {
                    const float *xb = xn + ((h0 + a) * wp + b) * cin;
                    float *gt = gk + (a * kw + b) * cin * cout;
                    for (Py_ssize_t co = 0; co < cout;) {
                        int nz = cout - co >= 32 ? 2 : 1;
                        for (Py_ssize_t c = 0; c < cin;) {
                            Py_ssize_t left = cin - c;
                            int k = left >= 8 ? 0 : left >= 4 ? 1 : left >= 2 ? 2 : 3;
                            table[nz - 1][k](xb + c, gb + co, gt + c * cout + co, rows, wo, wp,
                                             cin, cout);
                            c += 8 >> k;
                        }
                        co += nz * VL;
                    }
                }
        }
    }
}

#endif /* HAVE_AVX512 */

static int cpu_ok(void) {
#if HAVE_AVX512
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static PyObject *supported(PyObject *self, PyObject *noargs) { return PyBool_FromLong(cpu_ok()); }

/* Shared argument checks of forward(x, w, out, s0, s1, pt, pl) and
 * kernel_grad(x, g, gk, s0, s1, pt, pl): x (N, H, W, Cin) unpadded, the output (N, Ho, Wo,
 * Cout) with Ho + kh - 1 - H - pt >= 0 rows of zeros below and likewise columns. */
typedef struct {
    Py_ssize_t n, h, w, cin, kh, kw, cout, ho, wo, s0, s1, pt, pl;
} Geometry;

static int parse(const char *name, PyObject *const *args, Py_ssize_t nargs, Buffers *b,
                 Py_buffer **x, Py_buffer **other, Py_buffer **res, Geometry *q, int grad) {
    if (check_nargs(name, nargs, 7) < 0)
        return -1;
    if (!cpu_ok()) {
        PyErr_Format(PyExc_RuntimeError, "%s: this CPU has no AVX-512F (check supported())", name);
        return -1;
    }
    Py_ssize_t v[4];
    for (int i = 0; i < 4; i++) {
        v[i] = PyLong_AsSsize_t(args[3 + i]);
        if (v[i] == -1 && PyErr_Occurred())
            return -1;
    }
    q->s0 = v[0], q->s1 = v[1], q->pt = v[2], q->pl = v[3];
    char what[3][24];
    snprintf(what[0], sizeof what[0], "%s: x", name);
    snprintf(what[1], sizeof what[1], "%s: %s", name, grad ? "g" : "w");
    snprintf(what[2], sizeof what[2], "%s: %s", name, grad ? "gk" : "out");
    *x = borrow(b, args[0], 0, "f", 4, what[0]);
    *other = *x ? borrow(b, args[1], 0, "f", 4, what[1]) : NULL;
    *res = *other ? borrow(b, args[2], 1, "f", 4, what[2]) : NULL;
    if (!*res)
        return -1;
    Py_buffer *k = grad ? *res : *other, *o = grad ? *other : *res;
    q->n = (*x)->shape[0], q->h = (*x)->shape[1], q->w = (*x)->shape[2], q->cin = (*x)->shape[3];
    q->kh = k->shape[0], q->kw = k->shape[1], q->cout = k->shape[3];
    q->ho = o->shape[1], q->wo = o->shape[2];
    Py_ssize_t pb = q->ho + q->kh - 1 - q->h - q->pt, pr = q->wo + q->kw - 1 - q->w - q->pl;
    if (k->shape[2] != q->cin || q->cout % 16 || o->shape[0] != q->n || o->shape[3] != q->cout ||
        q->pt < 0 || q->pl < 0 || pb < 0 || pr < 0 || q->ho * q->wo < MAX_R || q->s0 < 0 ||
        q->s0 > q->s1 || q->s1 > q->n) {
        PyErr_Format(PyExc_ValueError,
                     "%s: shapes do not fit (input (%zd, %zd, %zd, %zd), kernel (%zd, %zd, %zd, "
                     "%zd), output (%zd, %zd, %zd, %zd), padding top %zd left %zd, samples "
                     "%zd..%zd); need Cout a multiple of 16, padding >= 0 on every side and at "
                     "least %d output pixels",
                     name, q->n, q->h, q->w, q->cin, q->kh, q->kw, k->shape[2], q->cout,
                     o->shape[0], q->ho, q->wo, o->shape[3], q->pt, q->pl, q->s0, q->s1, MAX_R);
        return -1;
    }
    return 0;
}

/* The padded-sample scratch (zeros: only its interior is ever written), or NULL with
 * MemoryError; none needed without padding. */
static float *scratch_for(const Geometry *q, int *failed) {
    *failed = 0;
    Py_ssize_t hp = q->ho + q->kh - 1, wp = q->wo + q->kw - 1;
    if (hp == q->h && wp == q->w)
        return NULL;
    float *s = calloc((size_t)(hp * wp * q->cin), sizeof(float));
    if (!s) {
        PyErr_NoMemory();
        *failed = 1;
    }
    return s;
}

static PyObject *run(PyObject *const *args, Py_ssize_t nargs, int grad) {
    Buffers b = {.count = 0};
    Py_buffer *x, *other, *res;
    Geometry q;
    const char *name = grad ? "kernel_grad" : "forward";
    int ok = parse(name, args, nargs, &b, &x, &other, &res, &q, grad) == 0, failed = 0;
    float *scratch = ok ? scratch_for(&q, &failed) : NULL;
    ok = ok && !failed;
#if HAVE_AVX512
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        (grad ? kernel_grad_f32 : forward_f32)(x->buf, other->buf, res->buf, scratch, q.s0, q.s1,
                                               q.h, q.w, q.pt, q.pl, q.ho, q.wo, q.cin, q.kh,
                                               q.kw, q.cout);
        Py_END_ALLOW_THREADS
    }
#endif
    free(scratch);
    release(&b);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *forward(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return run(args, nargs, 0);
}

static PyObject *kernel_grad(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return run(args, nargs, 1);
}

static PyMethodDef methods[] = {
    {"supported", supported, METH_NOARGS, "supported(): whether this CPU runs these kernels."},
    {"forward", (PyCFunction)(void (*)(void))forward, METH_FASTCALL,
     "forward(x, w, out, s0, s1, pt, pl): stride-1 convolution of samples s0..s1 into out."},
    {"kernel_grad", (PyCFunction)(void (*)(void))kernel_grad, METH_FASTCALL,
     "kernel_grad(x, g, gk, s0, s1, pt, pl): gk = the kernel gradient over samples s0..s1."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_dconv",
                                    "Direct convolution kernels for lamina.", -1, methods};

PyMODINIT_FUNC PyInit__dconv(void) { return PyModule_Create(&module); }
