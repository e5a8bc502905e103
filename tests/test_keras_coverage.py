"""Coverage of Keras 3's public API: which `keras.*` names lamina has, per namespace.

tests/data/keras_names.json is Keras's list (made by tools/keras_names.py in a throw-away
environment that has Keras); tests/data/lamina_covered.json is the set lamina had when it
was last written. `pytest -s tests/test_keras_coverage.py` prints the table;
`python tests/test_keras_coverage.py --write` rewrites the covered set (only ever grow it).
"""

import json
import sys
from pathlib import Path

import pytest

import lamina

DATA = Path(__file__).parent / "data"
KERAS = json.loads((DATA / "keras_names.json").read_text())
COVERED_FILE = DATA / "lamina_covered.json"

# Bound by nature to another engine (JAX, Flax, PyTorch, TensorFlow SavedModels, Orbax,
# multi-device meshes): present, but constructing them raises NotImplementedError saying why.
ENGINE_BOUND = {
    "keras.layers": ["FlaxLayer", "JaxLayer", "TFSMLayer", "TorchModuleWrapper"],
    "keras.callbacks": ["OrbaxCheckpoint"],
    "keras.export": ["ExportArchive"],
    "keras.distribution": [
        "DataParallel",
        "DeviceMesh",
        "LayoutMap",
        "ModelParallel",
        "TensorLayout",
    ],
}


def _resolve(namespace):
    """`keras.ops.nn` -> lamina.ops.nn (by attribute, so lazy namespaces load), or None."""
    module = lamina
    for part in namespace.split(".")[1:]:
        module = getattr(module, part, None)
        if module is None:
            return None
    return module


def coverage():
    """{namespace: sorted names lamina has}."""
    out = {}
    for namespace, names in KERAS["namespaces"].items():
        module = _resolve(namespace)
        out[namespace] = sorted(n for n in names if module is not None and hasattr(module, n))
    return out


def table(have):
    rows = [f"{'namespace':40s} {'keras':>5s} {'lamina':>6s} {'engine':>6s} {'%':>6s}"]
    totals = [0, 0, 0]
    for namespace, names in KERAS["namespaces"].items():
        bound = len(ENGINE_BOUND.get(namespace, ()))
        n, h = len(names), len(set(have[namespace]) - set(ENGINE_BOUND.get(namespace, ())))
        totals = [totals[0] + n, totals[1] + h, totals[2] + bound]
        pct = f"{100 * h / (n - bound):5.1f}" if n - bound else "    -"
        rows.append(f"{namespace:40s} {n:5d} {h:6d} {bound:6d} {pct:>6s}")
    n, h, bound = totals
    rows.append(
        f"{'total (engine-bound names excluded)':40s} {n:5d} {h:6d} {bound:6d} "
        f"{100 * h / (n - bound):5.1f}"
    )
    return "\n".join(rows)


def test_coverage_table_and_no_name_lost():
    have = coverage()
    print(f"\nKeras {KERAS['keras_version']} public names covered by lamina:\n{table(have)}")
    covered = json.loads(COVERED_FILE.read_text())
    lost = {ns: sorted(set(names) - set(have.get(ns, ()))) for ns, names in covered.items()}
    lost = {ns: names for ns, names in lost.items() if names}
    assert not lost, f"names that lamina had are gone: {lost}"


def test_names_covered_file_matches_keras_list():
    for namespace, names in json.loads(COVERED_FILE.read_text()).items():
        assert set(names) <= set(KERAS["namespaces"][namespace]), namespace


@pytest.mark.parametrize(
    "namespace,name", [(ns, n) for ns, names in ENGINE_BOUND.items() for n in names]
)
def test_engine_bound_names_raise_not_implemented_saying_why(namespace, name):
    cls = getattr(_resolve(namespace), name)
    with pytest.raises(NotImplementedError, match="lamina") as info:
        cls()
    assert len(str(info.value)) > 40, str(info.value)


def test_unbuilt_lazy_namespace_probes_as_absent(monkeypatch):
    # libraries probe with hasattr(); a lazy namespace whose module does not exist yet
    # must give AttributeError (False), not ModuleNotFoundError
    monkeypatch.setattr(lamina, "_LAZY", lamina._LAZY | {"not_built_yet"})
    assert hasattr(lamina, "not_built_yet") is False
    assert isinstance(hasattr(lamina, "applications"), bool)


if __name__ == "__main__":
    if "--write" in sys.argv:
        COVERED_FILE.write_text(json.dumps(coverage(), indent=1) + "\n")
    print(table(coverage()))
