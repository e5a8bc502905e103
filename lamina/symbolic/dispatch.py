"""Symbolic dispatch for the public `lamina.ops` namespace, in one place.

Keras 3 lets `keras.ops.*` take symbolic `KerasTensor`s (from `keras.Input` or a layer
called on one): the call then records an operation node of a functional model instead of
computing. `install(namespace)` replaces each public op function of `lamina.ops` with a
wrapper of the same signature that first runs the op eagerly, as before; only when that
raises and an argument is a KerasTensor does it hand over to `lamina.symbolic.operation.trace`.
So the eager path pays one extra Python call (a few tens of nanoseconds, measured by
benchmarks/ops_overhead.py) and the op definitions themselves stay untouched.

The wrappers are generated from each function's signature (no `*args, **kwargs`
repacking, which would cost about 0.1 us per call); the op modules keep the raw functions,
which lamina uses internally.
"""
import inspect
import marshal
import os
import sys
import types
import zlib

from lamina import registry

# one factory per distinct signature (228 ops have 94): compiling is most of the import cost
_TEMPLATE = """
def _make_{index}(_f, _name, _sym, _trace, _D):
    def op({params}):
        try:
            return _f({call})
        except Exception:
            if _sym(locals()):
                return _trace(_name, _f, locals())
            raise
    return op
"""


_RAW = {}  # public op name -> the op function itself (what the wrappers call)


def op_function(name):
    """The op function behind public `lamina.ops.<name>`; only wrapped public ops qualify,
    so a name read from a saved file can reach nothing else."""
    fn = registry.builtin("operation", name)
    if fn is None:
        raise ValueError(f"lamina.ops has no op {name!r} that can be a functional-model node")
    return fn


def _any_symbolic(values):
    from lamina.symbolic.keras_tensor import any_symbolic  # noqa: PLC0415  (only once an op fails)

    return any_symbolic(list(values.values()))


def _trace(name, fn, values):
    from lamina.symbolic.operation import trace  # noqa: PLC0415  (operation.py imports this module)

    return trace(name, fn, values)


def parameters(fn):
    """(positional names, *args name, keyword-only names, **kwargs name, defaults by name),
    read from the code object (much cheaper than inspect.signature at import)."""
    code = fn.__code__
    names = code.co_varnames
    npos, nkw = code.co_argcount, code.co_kwonlyargcount
    positional, kwonly = names[:npos], names[npos:npos + nkw]
    rest = iter(names[npos + nkw:])
    varargs = next(rest) if code.co_flags & inspect.CO_VARARGS else None
    varkw = next(rest) if code.co_flags & inspect.CO_VARKEYWORDS else None
    pos_defaults = fn.__defaults__ or ()
    defaults = dict(zip(positional[npos - len(pos_defaults):], pos_defaults))
    defaults.update(fn.__kwdefaults__ or {})
    return positional, varargs, kwonly, varkw, defaults


def _signature_code(fn):
    """(parameter list, call arguments, defaults) reproducing `fn`'s signature."""
    positional, varargs, kwonly, varkw, defaults = parameters(fn)
    params, call, values = [], [], []

    def with_default(name):
        if name not in defaults:
            return name
        values.append(defaults[name])
        return f"{name}=_D[{len(values) - 1}]"

    for name in positional:  # passed on positionally: the cheapest call
        params.append(with_default(name))
        call.append(name)
    if varargs:
        params.append("*" + varargs)
        call.append("*" + varargs)
    elif kwonly:
        params.append("*")
    for name in kwonly:
        params.append(with_default(name))
        call.append(f"{name}={name}")
    if varkw:
        params.append("**" + varkw)
        call.append("**" + varkw)
    return ", ".join(params), ", ".join(call), tuple(values)


def _is_op(name, value):
    return (not name.startswith("_") and type(value) is types.FunctionType
            and value.__module__.startswith("lamina.ops"))


def _wrap_all(functions):
    """{name: dispatching wrapper} for {name: op function}; records the raw functions."""
    specs = {n: _signature_code(fn) for n, fn in functions.items()}
    patterns = {}
    for params, call, _ in specs.values():
        patterns.setdefault((params, call), len(patterns))
    source = "".join(_TEMPLATE.format(index=i, params=p, call=c) for (p, c), i in patterns.items())
    scope = {}
    exec(_compiled(source), scope)  # noqa: S102
    wrappers = {}
    for n, fn in functions.items():
        params, call, defaults = specs[n]
        make = scope[f"_make_{patterns[params, call]}"]
        wrapper = make(fn, n, _any_symbolic, _trace, defaults)
        wrapper.__name__ = n
        wrapper.__doc__ = fn.__doc__
        wrapper.__module__ = fn.__module__
        wrapper.__qualname__ = n
        wrapper.__wrapped__ = fn
        wrappers[n] = wrapper
        _RAW[n] = fn
    return wrappers


_CACHE_DIR = os.path.join(os.path.dirname(__file__), "__pycache__")


def _compiled(source):
    """The code object of the generated wrappers, cached beside this module's bytecode as
    Python caches a module's (~12 ms of `import lamina` saved): read when present, written
    unless bytecode writing is off (PYTHONDONTWRITEBYTECODE); keyed by the source's CRC and
    length and the interpreter's cache tag, so a changed op signature makes a new file."""
    key = f"{zlib.crc32(source.encode()):08x}{len(source):x}"
    name = f"<lamina.ops symbolic dispatch {key}>"
    path = os.path.join(_CACHE_DIR, f"dispatch-{key}.{sys.implementation.cache_tag}.bin")
    try:
        with open(path, "rb") as f:
            code = marshal.loads(f.read())
        if code.co_filename == name:
            return code
    except (OSError, EOFError, ValueError, TypeError, AttributeError):
        pass
    code = compile(source, name, "exec")
    if not sys.dont_write_bytecode:
        try:  # atomically, so a concurrent import never reads half a file
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "wb") as f:
                f.write(marshal.dumps(code))
            os.replace(tmp, path)
        except OSError:  # a read-only install: compile each time
            pass
    return code


def install(namespace):
    """Wrap every public op function in `namespace` (the `lamina.ops` module dict), and the
    ops of `keras.ops.image` (their names are distinct from the flat ones)."""
    namespace.update(_wrap_all({n: v for n, v in namespace.items() if _is_op(n, v)}))
    image = namespace.get("image")
    if isinstance(image, types.ModuleType):
        own = {n: v for n, v in vars(image).items() if _is_op(n, v) and n not in _RAW}
        for n, wrapper in _wrap_all(own).items():
            setattr(image, n, wrapper)
    _share_with_submodules(namespace)
    registry.register_builtins("operation", _RAW, write_names=False)


# Keras 3's sub-namespaces of keras.ops; lamina's implementation modules of the same names
# get the dispatching wrappers of the functions they share with the flat namespace
_SUBMODULES = ("core", "image", "linalg", "math", "nn")


def _share_with_submodules(namespace):
    """`keras.ops.linalg.inv(x)` / `keras.ops.nn.relu(x)` on KerasTensors too, and a
    `keras.ops.numpy` namespace holding every flat op (Keras's numpy-like ops)."""
    for sub in _SUBMODULES:
        module = namespace.get(sub)
        if not isinstance(module, types.ModuleType):
            continue
        for name, raw in _RAW.items():
            if module.__dict__.get(name) is raw:
                setattr(module, name, namespace[name])
    numpy_ns = types.ModuleType("lamina.ops.numpy", "keras.ops.numpy: the NumPy-like ops "
                                "(the same functions as lamina.ops.<name>).")
    for name in _RAW:
        if name in namespace:  # the flat ops (not the image ones)
            setattr(numpy_ns, name, namespace[name])
    namespace.setdefault("numpy", numpy_ns)

