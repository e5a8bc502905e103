/* A bounded spin-wait for lamina's row-split helper thread (lamina/engine/rowsplit.py).
 *
 * The helper sleeps on a semaphore between products; on a virtual machine waking a sleeping
 * thread on the other core takes 0.1-0.3 ms, a third of an MLP step's product. So after each
 * product the helper first calls `wait(us)`: with the GIL released, it polls a flag that
 * the caller raises with `post()` before each split product, for at most `us` microseconds
 * (then it sleeps on the semaphore as before). The spin is bounded, so on a busy machine the
 * helper gives its core back within `us`; it never delays the caller, which computes the
 * blocks the helper has not claimed itself.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdatomic.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

static atomic_int posted = 0;

static double now_us(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static PyObject *post(PyObject *self, PyObject *unused) {
    atomic_store_explicit(&posted, 1, memory_order_release);
    Py_RETURN_NONE;
}

static PyObject *wait_posted(PyObject *self, PyObject *arg) {
    double us = PyFloat_AsDouble(arg);
    if (us == -1.0 && PyErr_Occurred())
        return NULL;
    int got = 0;
    Py_BEGIN_ALLOW_THREADS
    double deadline = now_us() + us;
    for (unsigned i = 0;; i++) {
        if (atomic_load_explicit(&posted, memory_order_acquire) &&
            atomic_exchange_explicit(&posted, 0, memory_order_acq_rel)) {
            got = 1;
            break;
        }
        if ((i & 63) == 63 && now_us() >= deadline)
            break;
        CPU_RELAX();
    }
    Py_END_ALLOW_THREADS
    return PyBool_FromLong(got);
}

static PyMethodDef methods[] = {
    {"post", post, METH_NOARGS, "post(): raise the flag the helper's wait() polls."},
    {"wait", wait_posted, METH_O,
     "wait(us) -> bool: spin (GIL released) until post() or `us` microseconds; clears the flag."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_spin",
                                    "Bounded spin-wait for the row-split helper thread.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__spin(void) { return PyModule_Create(&module); }
