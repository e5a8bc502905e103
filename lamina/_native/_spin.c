/* The threads' two C helpers (lamina/engine/threads.py, rowsplit.py): a bounded spin-wait for
 * lamina's row-split helper thread, and the calling thread's denormal flushing.
 *
 * Spin-wait.
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

/* Denormal flushing: float arithmetic on subnormal numbers (|x| < 1.2e-38 in float32) takes
 * a microcode assist on Intel cores, ~100x slower (a 128x96 @ 96x32 product: 8 us -> 1 ms).
 * A recurrent network's gradients through hundreds of timesteps decay into that range. With
 * FTZ (results flushed to zero) and DAZ (subnormal inputs read as zero) set in the thread's
 * control register, the same work keeps its normal speed, as in TensorFlow's and XLA's CPU
 * threads. The register is per thread: `flush_denormals(on)` sets the calling thread's and
 * returns its previous state; `denormals_flushed()` reads it. */
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#define FLUSH_BITS 0x8040u /* MXCSR: FTZ (bit 15) | DAZ (bit 6) */
static int get_flush(void) { return (_mm_getcsr() & FLUSH_BITS) == FLUSH_BITS; }
static int set_flush(int on) {
    unsigned csr = _mm_getcsr();
    _mm_setcsr(on ? (csr | FLUSH_BITS) : (csr & ~FLUSH_BITS));
    return 1;
}
#elif defined(__aarch64__)
#define FLUSH_BITS (1ull << 24) /* FPCR.FZ */
static unsigned long long read_fpcr(void) {
    unsigned long long v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    return v;
}
static int get_flush(void) { return (read_fpcr() & FLUSH_BITS) != 0; }
static int set_flush(int on) {
    unsigned long long v = read_fpcr();
    v = on ? (v | FLUSH_BITS) : (v & ~FLUSH_BITS);
    __asm__ __volatile__("msr fpcr, %0" : : "r"(v));
    return 1;
}
#else
#define NO_FLUSH_CONTROL
static int get_flush(void) { return 0; }
static int set_flush(int on) { return !on; } /* no known register: only "off" is honoured */
#endif

static PyObject *denormals_flushed(PyObject *self, PyObject *unused) {
    return PyBool_FromLong(get_flush());
}

static PyObject *flush_denormals(PyObject *self, PyObject *arg) {
    int on = PyObject_IsTrue(arg);
    if (on < 0)
        return NULL;
    int before = get_flush();
    if (!set_flush(on)) {
        PyErr_SetString(PyExc_NotImplementedError,
                        "flush_denormals(True): this CPU architecture has no known flush-to-zero "
                        "control; lamina computes with subnormal numbers there");
        return NULL;
    }
    return PyBool_FromLong(before);
}

static PyMethodDef methods[] = {
    {"flush_denormals", flush_denormals, METH_O,
     "flush_denormals(on) -> bool: set (True) or clear the calling thread's flush-to-zero and "
     "denormals-are-zero modes; returns the previous state."},
    {"denormals_flushed", denormals_flushed, METH_NOARGS,
     "denormals_flushed() -> bool: whether the calling thread flushes subnormal floats to zero."},
    {"post", post, METH_NOARGS, "post(): raise the flag the helper's wait() polls."},
    {"wait", wait_posted, METH_O,
     "wait(us) -> bool: spin (GIL released) until post() or `us` microseconds; clears the flag."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_spin",
                                    "Bounded spin-wait for the row-split helper thread; per-thread denormal flushing.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__spin(void) {
    PyObject *m = PyModule_Create(&module);
#ifdef NO_FLUSH_CONTROL
    int can_flush = 0;
#else
    int can_flush = 1;
#endif
    /* FLUSH_SUPPORTED: whether flush_denormals(True) can work on this architecture */
    if (m != NULL && PyModule_AddIntConstant(m, "FLUSH_SUPPORTED", can_flush) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
