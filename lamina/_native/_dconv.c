/* Direct 2-D convolution kernels for float32, channels-last, stride 1, no dilation, in
 * AVX-512 or AVX2 + FMA (lamina/ops/_direct_conv.py; the kernels themselves: dconv_isa.h).
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
 * input channels; for the kernel gradient, blocks of ~128 pixels each summed in order, then
 * the block sums in order), the same whatever the tiling,
 * the vector width (AVX-512 and AVX2 give the same bits), the thread or the machine load.
 * The Python side checks them against a float64 reference (tests/test_direct_conv.py).
 *
 *   forward(x, w, out, s0, s1, pt, pl): out[n, p, :] = sum_{a, b, c} xp[n, h+a, w+b, c] w[a, b, c, :]
 *       for samples s0 <= n < s1; x (N, H, W, Cin), w (kh, kw, Cin, Cout), out (N, Ho, Wo,
 *       Cout); xp is x with pt rows and pl columns of zeros before it and as many after as
 *       make (Ho + kh - 1, Wo + kw - 1) (each sample padded in a scratch buffer, in cache).
 *   kernel_grad(x, g, gk, s0, s1, pt, pl): gk[a, b, c, :] = sum_{n, h, w} xp[n, h+a, w+b, c]
 *       g[n, h, w, :] over samples s0 <= n < s1 (gk overwritten).
 * Both need Cout a multiple of 16 and release the GIL (two threads run disjoint sample ranges).
 * `supported()` is false on a CPU with neither (the caller then uses im2col + BLAS).
 */
#include "native_args.h"

#include <stdlib.h>

#define MAX_R 24 /* the most pixels of a forward tile; fewer output pixels use im2col */
#define MAX_TAPS 4096 /* kh * kw at most: the forward keeps their offsets on the stack */

typedef void (*fwd_fn)(const float *const *, const float *, Py_ssize_t, const Py_ssize_t *, int,
                       Py_ssize_t, float *);
typedef void (*kg_fn)(const float *, const float *, float *, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                      Py_ssize_t, Py_ssize_t);
typedef struct {
    int nz, r;
    fwd_fn fn;
} FwdTile;
typedef struct {
    int nz, r;
    kg_fn fn;
} KgTile;

/* One call's shapes: x (n, h, w, cin) unpadded, the kernel (kh, kw, cin, cout), the output
 * (n, ho, wo, cout), samples s0..s1, pt rows and pl columns of zeros before x (and as many
 * after as make the padded input (ho + kh - 1, wo + kw - 1)). */
typedef struct {
    Py_ssize_t n, h, w, cin, kh, kw, cout, ho, wo, s0, s1, pt, pl;
} Geometry;

typedef void (*conv_fn)(const float *x, const float *other, float *res, float *scratch,
                        const Geometry *q);

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

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_KERNELS 1

/* AVX-512: 32 registers of 16 floats; tiles of 24 accumulators (16 for the gradient) */
#define SFX(name) name##_avx512
#define TGT __attribute__((target("avx512f,fma")))
#define V __m512
#define VL 16
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VBCAST(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define VADD(a, b) _mm512_add_ps((a), (b))
#define FWD_TILES(X) X(4, 6) X(2, 12) X(1, 24)
#define KG_TILES(X) X(2, 8) X(2, 4) X(2, 2) X(2, 1) X(1, 8) X(1, 4) X(1, 2) X(1, 1)
#include "dconv_isa.h"
#undef SFX
#undef TGT
#undef V
#undef VL
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VBCAST
#undef VFMA
#undef VADD
#undef FWD_TILES
#undef KG_TILES

/* AVX2 + FMA: 16 registers of 8 floats; tiles of 12 accumulators, 16 channels wide */
#define SFX(name) name##_avx2
#define TGT __attribute__((target("avx2,fma")))
#define V __m256
#define VL 8
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VBCAST(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VADD(a, b) _mm256_add_ps((a), (b))
#define FWD_TILES(X) X(2, 6)
#define KG_TILES(X) X(2, 6) X(2, 4) X(2, 2) X(2, 1)
#include "dconv_isa.h"

#else
#define HAVE_KERNELS 0
#endif

/* The instruction set in use: "avx512", "avx2" or "" (none: the caller uses im2col). */
static const char *isa = NULL;

static const char *best_isa(void) {
#if HAVE_KERNELS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"))
        return "avx512";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "avx2";
#endif
    return "";
}

static conv_fn pick(int grad) {
#if HAVE_KERNELS
    if (!strcmp(isa, "avx512"))
        return grad ? kernel_grad_avx512 : forward_avx512;
    if (!strcmp(isa, "avx2"))
        return grad ? kernel_grad_avx2 : forward_avx2;
#endif
    return NULL;
}

static int cpu_ok(void) {
    if (!isa)
        isa = best_isa();
    return isa[0] != 0;
}

static PyObject *supported(PyObject *self, PyObject *noargs) { return PyBool_FromLong(cpu_ok()); }

/* use(name): run the kernels of instruction set `name` ("avx512", "avx2"; "" for the best this
 * CPU has), which the CPU must support; returns the set used before (tests run both). */
static PyObject *use(PyObject *self, PyObject *arg) {
    const char *name = PyUnicode_AsUTF8(arg);
    if (!name)
        return NULL;
    cpu_ok();
    PyObject *before = PyUnicode_FromString(isa);
    const char *best = best_isa();
    if (!name[0] || !strcmp(name, best) || (!strcmp(name, "avx2") && !strcmp(best, "avx512"))) {
        isa = !name[0] ? best : !strcmp(name, "avx2") ? "avx2" : "avx512";
        return before;
    }
    Py_XDECREF(before);
    PyErr_Format(PyExc_ValueError, "use: this CPU does not run the %R kernels (best: '%s')", arg,
                 best);
    return NULL;
}

/* Shared argument checks of forward(x, w, out, s0, s1, pt, pl) and
 * kernel_grad(x, g, gk, s0, s1, pt, pl): padding >= 0 on every side. */
static int parse(const char *name, PyObject *const *args, Py_ssize_t nargs, Buffers *b,
                 Py_buffer **x, Py_buffer **other, Py_buffer **res, Geometry *q, int grad) {
    if (check_nargs(name, nargs, 7) < 0)
        return -1;
    if (!cpu_ok()) {
        PyErr_Format(PyExc_RuntimeError, "%s: this CPU has neither AVX-512F nor AVX2 (check "
                     "supported())", name);
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
    if (q->kh * q->kw > MAX_TAPS) {
        PyErr_Format(PyExc_ValueError, "%s: a %zdx%zd window has more than %d offsets", name,
                     q->kh, q->kw, MAX_TAPS);
        return -1;
    }
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
    conv_fn fn = ok ? pick(grad) : NULL;
    if (fn) {
        Py_BEGIN_ALLOW_THREADS
        fn(x->buf, other->buf, res->buf, scratch, &q);
        Py_END_ALLOW_THREADS
    }
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
    {"use", use, METH_O, "use(name): run the 'avx512' or 'avx2' kernels ('' = best); returns the previous."},
    {"forward", (PyCFunction)(void (*)(void))forward, METH_FASTCALL,
     "forward(x, w, out, s0, s1, pt, pl): stride-1 convolution of samples s0..s1 into out."},
    {"kernel_grad", (PyCFunction)(void (*)(void))kernel_grad, METH_FASTCALL,
     "kernel_grad(x, g, gk, s0, s1, pt, pl): gk = the kernel gradient over samples s0..s1."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_dconv",
                                    "Direct convolution kernels for lamina.", -1, methods};

PyMODINIT_FUNC PyInit__dconv(void) { return PyModule_Create(&module); }
