"""`lamina.registry`: the one decoder of Keras's object dict, a leaf module, and the audit of
every place lamina turns a string into code (none may take the string from a file)."""
import ast
import pathlib

import pytest

import lamina
from lamina import registry

_ROOT = pathlib.Path(lamina.__file__).parent


def _calls(tree):
    """(name, node) of each call; builtins (eval, exec, compile, __import__) only when
    called by their bare name (not `model.compile`, `re.compile`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute):
                if f.attr not in ("eval", "exec", "compile", "__import__"):
                    yield f.attr, node
            else:
                yield getattr(f, "id", None), node


def test_registry_is_a_leaf():
    tree = ast.parse((_ROOT / "registry.py").read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = [a.name for n in top for a in n.names] + [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.startswith("lamina")], names


# every call that can turn a string into code, with why its string never comes from a file
_ALLOWED = {
    ("__init__.py", "import_module"): "lamina's own lazy subpackages, names fixed in code",
    ("lazy.py", "import_module"): "a package's lazy exports, module names fixed in code",
    ("applications/__init__.py", "import_module"): "its family submodules on first use, names fixed in code",
    ("registry.py", "import_module"): "the lamina package of a kind, from the constant _PROVIDERS",
    ("datasets/_npz.py", "Unpickler"): "RestrictedUnpickler: NumPy array globals only",
    ("datasets/_npz.py", "load"): "RestrictedUnpickler(...).load(): NumPy array globals only",
    ("validation/workers.py", "load"): "pickle of our own temporary file, just written",
    ("symbolic/dispatch.py", "exec"): "wrappers generated at import from lamina's own op signatures",
    ("symbolic/dispatch.py", "compile"): "the same generated wrapper source",
    ("compat/__init__.py", "import_module"): "the lamina module an aliased `import keras...` in the "
                                             "user's own code stands for (only under lamina.*)",
    ("compat/runner.py", "exec"): "`lamina run notebook.ipynb`: the cells the user asked to run",
    ("compat/runner.py", "compile"): "the same notebook cells",
}


def test_audit_of_string_to_code_calls():
    found = {}
    for path in sorted(_ROOT.rglob("*.py")):
        rel = path.relative_to(_ROOT).as_posix()
        for name, node in _calls(ast.parse(path.read_text())):
            if name in ("import_module", "__import__", "eval", "exec", "compile"):
                found.setdefault((rel, name), []).append(node.lineno)
            if name in ("load", "loads", "Unpickler") and "pickle" in ast.unparse(node.func):
                found.setdefault((rel, "load" if name != "Unpickler" else name), []).append(node.lineno)
    unexpected = {k: v for k, v in found.items() if k not in _ALLOWED}
    assert not unexpected, unexpected
    assert ("registry.py", "import_module") in found


@pytest.mark.parametrize(("kind", "obj"), [
    ("layer", lambda: lamina.layers.Dense(3, activation="relu")),
    ("optimizer", lambda: lamina.optimizers.Adam(0.01)),
    ("schedule", lambda: lamina.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)),
    ("loss", lambda: lamina.losses.Huber(delta=2.0)),
    ("metric", lambda: lamina.metrics.Precision(thresholds=0.3)),
    ("initializer", lambda: lamina.initializers.RandomNormal(stddev=0.2)),
    ("regularizer", lambda: lamina.regularizers.L1L2(l1=0.1, l2=0.2)),
    ("constraint", lambda: lamina.constraints.MaxNorm(3.0)),
])
def test_every_kind_round_trips_through_the_one_codec(kind, obj):
    original = obj()
    config = registry.serialize(original, kind)
    assert config["module"] == registry.KERAS_MODULES[kind] and config["registered_name"] is None
    again = registry.deserialize(config, kind)
    assert type(again) is type(original) and again.get_config() == original.get_config()


def test_names_resolve_only_in_the_tables():
    assert registry.resolve("adam", "optimizer") is lamina.optimizers.Adam  # Keras: any case
    assert registry.resolve("relu", "activation", function=True) is lamina.activations.relu
    assert registry.resolve("Dense", module="keras.src.layers.core.dense") is lamina.layers.Dense
    # Keras's private module paths pick the table: a metric is not read as the same-named loss
    metric = registry.resolve("MeanSquaredError", module="keras.src.metrics.regression_metrics")
    assert metric is lamina.metrics.MeanSquaredError is not lamina.losses.MeanSquaredError
    assert registry.resolve("ExponentialDecay", module="keras.src.optimizers.schedules.learning_"
                            "rate_schedule") is lamina.optimizers.schedules.ExponentialDecay
    with pytest.raises(registry.UnknownObjectError, match="unknown class 'path'.*never imports"):
        registry.resolve("path", module="os")
    with pytest.raises(registry.UnknownObjectError, match="'relu' where a schedule"):
        registry.resolve("relu", "schedule", module="keras.activations", function=True)
    with pytest.raises(registry.UnknownObjectError, match="Did you mean 'Dense'"):
        registry.resolve("Dens", "layer")


def test_user_objects_resolve_by_custom_objects_scope_or_registration():
    class Mine(lamina.layers.Layer):
        pass

    assert registry.resolve("Mine", custom_objects={"Mine": Mine}) is Mine
    with registry.CustomObjectScope({"Mine": Mine}):
        assert registry.resolve("Mine", "layer") is Mine
    registry.register_keras_serializable(package="registry_test")(Mine)
    try:
        assert registry.resolve("Mine", registered="registry_test>Mine") is Mine
        assert registry.serialize(Mine(), "layer")["registered_name"] == "registry_test>Mine"
    finally:
        registry.GLOBAL_CUSTOM_OBJECTS.pop("registry_test>Mine")
        registry.GLOBAL_CUSTOM_NAMES.pop(Mine)


def test_objects_holding_code_need_safe_mode_off():
    config = {"module": "keras.layers", "class_name": "Lambda",
              "config": {"name": "l", "function": {"class_name": "function", "config": "twice"}}}

    def twice(x):
        return x * 2

    with pytest.raises(registry.UnsafeObjectError, match="refusing to load Lambda layer 'l'"):
        registry.deserialize(config, "layer", {"twice": twice})
    layer = registry.deserialize(config, "layer", {"twice": twice}, safe_mode=False)
    assert layer.function is twice
