/* Shared by lamina's C kernels: multiversioning, and borrowing NumPy arrays as buffers with
 * clear errors (METH_FASTCALL functions, no NumPy headers needed). */
#ifndef LAMINA_NATIVE_ARGS_H
#define LAMINA_NATIVE_ARGS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
/* one compiled copy per instruction set, picked at load time */
#define MULTIVERSION __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MULTIVERSION
#endif

#ifndef MAX_BUFFERS
#define MAX_BUFFERS 6
#endif

typedef struct {
    Py_buffer views[MAX_BUFFERS];
    int count;
} Buffers;

static void release(Buffers *b) {
    for (int i = 0; i < b->count; i++)
        PyBuffer_Release(&b->views[i]);
    b->count = 0;
}

/* Borrow obj as a C-contiguous array of `ndim` dimensions (any when negative) whose format is
 * one of `formats` (single characters, e.g. "fd"); NULL with an exception otherwise. */
static Py_buffer *borrow(Buffers *b, PyObject *obj, int writable, const char *formats,
                         int ndim, const char *what) {
    if (b->count >= MAX_BUFFERS) {
        PyErr_SetString(PyExc_RuntimeError, "lamina native kernel: too many buffers");
        return NULL;
    }
    Py_buffer *view = &b->views[b->count];
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0)
        return NULL;
    b->count++;
    const char *f = view->format ? view->format : "B";
    if (f[0] == '=' || f[0] == '@')
        f++;
    if (strlen(f) != 1 || !strchr(formats, f[0])) {
        const char *names = formats[0] == 'B'      ? "uint8"
                            : strlen(formats) > 1 ? "float32 or float64"
                                                  : "float32";
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous %s array (buffer format '%s')",
                     what, names, view->format ? view->format : "B");
        return NULL;
    }
    if (ndim >= 0 && view->ndim != ndim) {
        PyErr_Format(PyExc_ValueError, "%s must have %d dimensions, got %d", what, ndim,
                     view->ndim);
        return NULL;
    }
    return view;
}

static int check_nargs(const char *name, Py_ssize_t nargs, Py_ssize_t expected) {
    if (nargs != expected) {
        PyErr_Format(PyExc_TypeError, "%s takes %zd arguments (%zd given)", name, expected, nargs);
        return -1;
    }
    return 0;
}

#endif
