/* Fused float32 optimizer updates: one pass over the weights instead of ~9 NumPy passes.
 *
 * Each kernel performs exactly the same IEEE single-precision operations, in the same order,
 * as the NumPy rule in lamina/optimizers/<name>.py `_update_flat` (built with
 * -ffp-contract=off and without -ffast-math, so no FMA contraction or reassociation): the
 * results are bitwise identical to the NumPy path, which stays the fallback and the reference.
 * Arguments are C-contiguous float32 buffers (NumPy arrays) of equal length, then Python
 * floats that are already float32 values.
 */
#include "native_args.h"
#include <math.h>

MULTIVERSION
static void rmsprop_kernel(float *restrict w, const float *restrict g, float *restrict v,
                           Py_ssize_t n, float rho, float omr, float lr, float eps) {
    for (Py_ssize_t i = 0; i < n; i++) {
        float gi = g[i];
        float vi = v[i] * rho + (gi * gi) * omr;  /* v <- rho v + (1 - rho) g^2 */
        v[i] = vi;
        w[i] = w[i] - (gi / sqrtf(vi + eps)) * lr; /* w <- w - lr g / sqrt(v + eps) */
    }
}

MULTIVERSION
static void adam_kernel(float *restrict w, const float *restrict g, float *restrict m,
                        float *restrict v, float *restrict vhat, Py_ssize_t n, float omb1,
                        float omb2, float alpha, float eps) {
    for (Py_ssize_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = m[i] + (gi - m[i]) * omb1;      /* m <- m + (1 - b1)(g - m) */
        float vi = v[i] + (gi * gi - v[i]) * omb2; /* v <- v + (1 - b2)(g^2 - v) */
        m[i] = mi;
        v[i] = vi;
        if (vhat) { /* amsgrad: the running maximum of v, NaN-propagating as np.maximum */
            float h = vhat[i];
            vi = (h != h || h >= vi) ? h : vi;
            vhat[i] = vi;
        }
        w[i] = w[i] - (mi / (sqrtf(vi) + eps)) * alpha; /* w <- w - alpha m / (sqrt(v) + eps) */
    }
}

MULTIVERSION
static void sgd_kernel(float *restrict w, const float *restrict g, float *restrict mom,
                       Py_ssize_t n, float lr, float momentum, int nesterov) {
    if (!mom) {
        for (Py_ssize_t i = 0; i < n; i++)
            w[i] = w[i] - g[i] * lr;
        return;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        float step = g[i] * lr;
        float vi = mom[i] * momentum - step; /* v <- momentum v - lr g */
        mom[i] = vi;
        w[i] = w[i] + (nesterov ? vi * momentum - step : vi);
    }
}

/* --- argument handling ---------------------------------------------------------------- */

/* Borrow obj as a writable C-contiguous float32 buffer of n elements (n < 0: take its size). */
static float *borrow_floats(Buffers *b, PyObject *obj, Py_ssize_t *n, const char *what) {
    Py_buffer *view = borrow(b, obj, 1, "f", -1, what);
    if (!view)
        return NULL;
    Py_ssize_t len = view->len / 4;
    if (*n >= 0 && len != *n) {
        PyErr_Format(PyExc_ValueError, "%s has %zd elements, expected %zd", what, len, *n);
        return NULL;
    }
    *n = len;
    return (float *)view->buf;
}

static int floats(PyObject *const *args, Py_ssize_t first, Py_ssize_t count, float *out) {
    for (Py_ssize_t i = 0; i < count; i++) {
        double d = PyFloat_AsDouble(args[first + i]);
        if (d == -1.0 && PyErr_Occurred())
            return -1;
        out[i] = (float)d;
    }
    return 0;
}

/* rmsprop(w, g, v, rho, 1 - rho, lr, epsilon) */
static PyObject *rmsprop(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    Py_ssize_t n = -1;
    float c[4];
    if (check_nargs("rmsprop", nargs, 7) < 0 || floats(args, 3, 4, c) < 0)
        return NULL;
    float *w = borrow_floats(&b, args[0], &n, "w");
    float *g = w ? borrow_floats(&b, args[1], &n, "g") : NULL;
    float *v = g ? borrow_floats(&b, args[2], &n, "v") : NULL;
    if (v) {
        Py_BEGIN_ALLOW_THREADS
        rmsprop_kernel(w, g, v, n, c[0], c[1], c[2], c[3]);
        Py_END_ALLOW_THREADS
    }
    release(&b);
    if (!v)
        return NULL;
    Py_RETURN_NONE;
}

/* adam(w, g, m, v, vhat or None, 1 - beta_1, 1 - beta_2, alpha, epsilon) */
static PyObject *adam(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    Py_ssize_t n = -1;
    float c[4];
    if (check_nargs("adam", nargs, 9) < 0 || floats(args, 5, 4, c) < 0)
        return NULL;
    float *w = borrow_floats(&b, args[0], &n, "w");
    float *g = w ? borrow_floats(&b, args[1], &n, "g") : NULL;
    float *m = g ? borrow_floats(&b, args[2], &n, "m") : NULL;
    float *v = m ? borrow_floats(&b, args[3], &n, "v") : NULL;
    float *vhat = NULL;
    int ok = v != NULL;
    if (ok && args[4] != Py_None)
        ok = (vhat = borrow_floats(&b, args[4], &n, "vhat")) != NULL;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        adam_kernel(w, g, m, v, vhat, n, c[0], c[1], c[2], c[3]);
        Py_END_ALLOW_THREADS
    }
    release(&b);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

/* sgd(w, g, momentum buffer or None, lr, momentum, nesterov) */
static PyObject *sgd(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Buffers b = {.count = 0};
    Py_ssize_t n = -1;
    float c[2];
    if (check_nargs("sgd", nargs, 6) < 0 || floats(args, 3, 2, c) < 0)
        return NULL;
    int nesterov = PyObject_IsTrue(args[5]);
    if (nesterov < 0)
        return NULL;
    float *w = borrow_floats(&b, args[0], &n, "w");
    float *g = w ? borrow_floats(&b, args[1], &n, "g") : NULL;
    float *mom = NULL;
    int ok = g != NULL;
    if (ok && args[2] != Py_None)
        ok = (mom = borrow_floats(&b, args[2], &n, "momentum")) != NULL;
    if (ok) {
        Py_BEGIN_ALLOW_THREADS
        sgd_kernel(w, g, mom, n, c[0], c[1], nesterov);
        Py_END_ALLOW_THREADS
    }
    release(&b);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"rmsprop", (PyCFunction)(void (*)(void))rmsprop, METH_FASTCALL,
     "rmsprop(w, g, v, rho, one_minus_rho, lr, epsilon): fused RMSprop step, in place."},
    {"adam", (PyCFunction)(void (*)(void))adam, METH_FASTCALL,
     "adam(w, g, m, v, vhat, one_minus_beta_1, one_minus_beta_2, alpha, epsilon): fused Adam step."},
    {"sgd", (PyCFunction)(void (*)(void))sgd, METH_FASTCALL,
     "sgd(w, g, momentum, lr, momentum_factor, nesterov): fused SGD step, in place."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_optim",
                                    "Fused float32 optimizer kernels for lamina.", -1, methods};

PyMODINIT_FUNC PyInit__optim(void) { return PyModule_Create(&module); }
