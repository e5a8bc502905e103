"""Attributes of a package imported on first use, to keep `import lamina` fast.

`__getattr__, __dir__ = lazy.exports(__name__, globals(), {"Name": "lamina.pkg.module"})` in
a package's `__init__.py` makes `pkg.Name` import its module when first read (then it is an
ordinary attribute), and lists it in `dir(pkg)` (tab completion, `keras.layers.<TAB>`).
"""
import importlib


def exports(package, namespace, names):
    def __getattr__(name):
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
