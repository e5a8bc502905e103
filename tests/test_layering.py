"""The shape of the house, checked from the source (`ast`, nothing imported).

Floors, lowest first; a unit (a subpackage or top-level module of lamina) may import units on
its own floor or below, never above, and no two units may import each other, directly or
through others (no cycle between units). Function-local imports count like the others: they
are for keeping `import lamina` fast, not for hiding a dependency.

A module that imports nothing of lamina, or only such modules (`naming`, `lazy`, `registry`,
`utils/progbar.py`, ...), is a leaf: importing it cannot make a cycle, so any floor may.

The symbolic floor (KerasTensor, operations) sits between the engine and the ops: the ops
import it for one thing, wrapping the public ops so that KerasTensor arguments record nodes.
`callbacks` share the models' floor: the training loop calls them and they import nothing
of it (they receive the model as an object).
"""
import ast
import functools
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "lamina"

FLOORS = [
    {"_native", "engine"},
    {"symbolic"},
    {"ops", "random", "backend", "tree", "dtype_policies", "naming", "lazy", "registry", "codec",
     "quantizers"},
    {"activations", "initializers", "regularizers", "constraints", "losses", "metrics",
     "optimizers", "kernels", "layers", "mixed_precision"},
    {"models", "trainers", "callbacks", "config"},
    {"saving", "datasets", "preprocessing", "validation", "plot", "utils", "demo", "applications",
     "__main__", "distribution", "export", "compat", "wrappers", "keras_tuner", "visualization"},
    {"__init__"},  # `lamina` itself: the public facade over everything
]

# Known exceptions, each (importer unit, imported unit) with the reason. Keep this short.
EXCEPTIONS = {
    # Model.save / save_weights / load_weights / to_json are thin facades over lamina.saving,
    # and the functional config (models/functional_config.py) writes through saving's codec:
    # saving sits a floor above models and imports nothing of them.
    ("models", "saving"): "facade",
    # keras.config (read by fit for max_epochs) forwards enable_unsafe_deserialization to saving
    ("config", "saving"): "facade",
    # BackupAndRestore and ModelCheckpoint write their files through lamina.saving (atomic
    # writer, weights store, random state); saving imports nothing of callbacks.
    ("callbacks", "saving"): "checkpoint callbacks",
}



def _module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _unit(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path, module):
    """(imported lamina module, line) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{a.name}" for a in node.names]  # a submodule, or a name of base
        else:
            continue
        for name in names:
            if name == "lamina" or name.startswith("lamina."):
                yield name, node.lineno


@functools.lru_cache(maxsize=1)
def _graph():
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    imports = {m: [(n, line) for n, line in _imports(p, m)] for m, p in modules.items()}
    resolved = {}
    for m, names in imports.items():
        # "from lamina.ops import math": lamina.ops.math if that module exists, else lamina.ops
        resolved[m] = {(n if n in modules else n.rpartition(".")[0], line) for n, line in names
                       if n in modules or n.rpartition(".")[0] in modules}
    leaves, grown = set(), True
    while grown:  # a module importing only leaves (or nothing of lamina) is a leaf too
        new = {m for m, targets in resolved.items() if m != "lamina" and m not in leaves
               and all(t == m or t in leaves for t, _ in targets)}
        leaves |= new
        grown = bool(new)
    edges = {}
    for m, targets in resolved.items():
        for t, line in targets:
            a, b = _unit(m), _unit(t)
            if a != b and t not in leaves and t != "lamina":
                edges.setdefault((a, b), []).append(f"{m}:{line}")
    return edges


def _floor(unit):
    for i, floor in enumerate(FLOORS):
        if unit in floor:
            return i
    raise AssertionError(f"lamina.{unit} is on no floor of tests/test_layering.py: add it to FLOORS")


def test_every_unit_imports_only_its_floor_or_below():
    upward = [f"{a} -> {b} ({', '.join(where[:3])})" for (a, b), where in sorted(_graph().items())
              if _floor(b) > _floor(a) and (a, b) not in EXCEPTIONS]
    assert not upward, "imports that go up a floor:\n" + "\n".join(upward)


def test_the_engine_imports_nothing_above_it():
    above = sorted(b for (a, b) in _graph() if a in ("engine", "_native"))
    assert above == [], above


def test_no_cycle_between_units():
    graph = {}
    for a, b in _graph():
        if a != "__init__":
            graph.setdefault(a, set()).add(b)
    cycles, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for unit in sorted(graph):
        if unit not in state:
            visit(unit, [unit])
    assert not cycles, "import cycles between units:\n" + "\n".join(cycles)


def _function_local_imports():
    """(module, line, source text) of every lamina import inside a function."""
    for path in sorted(ROOT.rglob("*.py")):
        module, text = _module_name(path), path.read_text()
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for sub in ast.walk(node):
                    if isinstance(sub, (ast.Import, ast.ImportFrom)) and sub is not node:
                        name = sub.module if isinstance(sub, ast.ImportFrom) else sub.names[0].name
                        if name and (name == "lamina" or name.startswith("lamina.")):
                            yield module, name, sub.lineno, lines[sub.lineno - 1]


def test_every_function_local_import_says_why():
    """`# noqa: PLC0415  (the reason)`: to keep `import lamina` fast, a subclass in the module
    imported, ..."""
    silent = [f"{m}:{line}: {text.strip()}" for m, name, line, text in _function_local_imports()
              if "PLC0415  (" not in text]
    assert not silent, "function-local imports without a reason:\n" + "\n".join(silent)


def test_the_check_sees_the_known_arrows():
    edges = _graph()
    assert ("ops", "symbolic") in edges and ("layers", "ops") in edges and ("models", "layers") in edges
    assert ("trainers", "losses") in edges  # a function-local import counts too
