"""Write the list of Keras 3's public names to tests/data/keras_names.json.

Run OUTSIDE lamina's environment, in a throw-away virtualenv that has the `keras` package
(Keras is never a lamina dependency):

    python -m venv /tmp/kvenv && /tmp/kvenv/bin/pip install keras
    KERAS_BACKEND=numpy /tmp/kvenv/bin/python tools/keras_names.py tests/data/keras_names.json

The output maps each public namespace (``keras``, ``keras.layers``, ``keras.ops.numpy``...) to
the sorted names that `dir()` shows without a leading underscore, minus the submodules that
are listed as namespaces of their own. tests/test_keras_coverage.py reads it.
"""

import importlib
import json
import os
import sys
import types

NAMESPACES = [
    "keras",
    "activations",
    "applications",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "distribution",
    "dtype_policies",
    "export",
    "initializers",
    "layers",
    "legacy",
    "losses",
    "metrics",
    "mixed_precision",
    "models",
    "ops",
    "ops.image",
    "ops.linalg",
    "ops.nn",
    "ops.numpy",
    "optimizers",
    "optimizers.schedules",
    "preprocessing",
    "quantizers",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
    "visualization",
    "wrappers",
]


def _public(module):
    return sorted(n for n in dir(module) if not n.startswith("_"))


def collect():
    import keras

    namespaces = {}
    queue = [("keras" if n == "keras" else f"keras.{n}") for n in NAMESPACES]
    # keras.applications.<family> and keras.datasets.<name> are namespaces too
    seen = set()
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        module = importlib.import_module(name)
        names = []
        for attr in _public(module):
            value = getattr(module, attr)
            if isinstance(value, types.ModuleType):
                child = f"{name}.{attr}"
                if name in ("keras.applications", "keras.datasets") and value.__name__.startswith(
                    "keras"
                ):
                    queue.append(child)
                if child in queue or child in seen or child.removeprefix("keras.") in NAMESPACES:
                    continue  # a namespace of its own
                if value.__name__.startswith("keras"):
                    continue  # internal submodule re-export (e.g. keras.src)
            names.append(attr)
        namespaces[name] = names
    return {
        "keras_version": keras.__version__,
        "backend": os.environ.get("KERAS_BACKEND"),
        "namespaces": dict(sorted(namespaces.items())),
    }


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "numpy")
    out = collect()
    text = json.dumps(out, indent=1) + "\n"
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text)
    total = sum(len(v) for v in out["namespaces"].values())
    print(f"keras {out['keras_version']}: {len(out['namespaces'])} namespaces, {total} names")
