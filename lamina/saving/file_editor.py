"""`keras.saving.KerasFileEditor`: inspect and edit the weights of a `.keras` (or
`.weights.h5` / `.weights.npz`) file without building its model, then write them out as a
weights file that `model.load_weights` reads.

The weights are read with lamina's one reader (weights_store, through `open_weights`) into
`weights_dict`, nested by saveable path as Keras shows it:
{"layers": {"dense": {"0": kernel, "1": bias}}, "optimizer": {...}}. Objects are named by
their last path element when that is unique, else by their full path ("layers/dense").
"""
import json

import numpy as np

from lamina.saving import files, state, weights_store
from lamina.saving.saving_api import _CONFIG, _METADATA, open_weights


def _insert(tree_, path, arrays):
    node = tree_
    for part in [p for p in path.split("/") if p]:
        node = node.setdefault(part, {})
    node.update(arrays)


class KerasFileEditor:
    """`KerasFileEditor(filepath)`: `summary()`, `compare(model)`, `rename_object`,
    `delete_object`, `add_object`, `delete_weight`, `add_weights`, `save(path)`."""

    def __init__(self, filepath):
        self.filepath = str(filepath)
        path = files.check_extension(self.filepath, files.ALL_EXTS, "KerasFileEditor")
        data = files.read_bytes(path)
        self.config = self.metadata = None
        reader, archive = open_weights(data, path)
        try:
            if archive is not None:
                self.config = archive.read_json(_CONFIG)
                self.metadata = archive.read_json(_METADATA) if archive.has(_METADATA) else None
            self.weights_dict = {}
            self.object_metadata = {}  # path -> {"name": stored object name}
            for p in sorted(reader.paths()):
                entry = reader.get(p)
                _insert(self.weights_dict, p, {k: np.asarray(entry.read(k)) for k in entry.keys()})
                name = reader.name_of(p)
                if name is not None:
                    self.object_metadata["/" + p if p else "/"] = {"name": name}
        finally:
            reader.close()
            if archive is not None:
                archive.close()

    # --- inspecting ---------------------------------------------------------------------------

    def _lines(self, node, indent=0):
        out = []
        for key, value in node.items():
            if isinstance(value, dict):
                out.append("  " * indent + f"{key}/")
                out.extend(self._lines(value, indent + 1))
            else:
                out.append("  " * indent + f"{key}: shape={tuple(value.shape)}, dtype={value.dtype}")
        return out

    def summary(self):
        """Print the file's objects and weights (shapes and dtypes); returns the text."""
        head = [f"Keras model file {self.filepath}"]
        if self.metadata:
            head.append("Saved with Keras " + str(self.metadata.get("keras_version", "?")))
        text = "\n".join(head + self._lines(self.weights_dict))
        print(text)
        return text

    def compare(self, reference_model):
        """Check the file's weights against `reference_model`'s (paths and shapes); prints
        each difference and returns {"status", "error_count", "match_count"}."""
        ref = {}
        for p, obj in state.walk(reference_model):
            if p == "optimizer" or p.startswith("optimizer/"):
                continue
            arrays = [np.asarray(v.data) for v in state.own_variables(obj)]
            if arrays:
                _insert(ref, p, {str(i): a for i, a in enumerate(arrays)})
        target = {k: v for k, v in self.weights_dict.items() if k != "optimizer"}
        checked = set()  # a difference found in the first pass is not reported again
        errors, matches = self._compare(target, ref, "", "saved file", "reference model", checked)
        extra, _ = self._compare(ref, target, "", "reference model", "saved file", checked)
        errors += extra
        if errors == 0:
            print(f"Comparison successful: the saved file is compatible with the reference model "
                  f"({matches} matching weight{'s' if matches != 1 else ''})")
        else:
            print(f"Found {errors} error{'s' if errors != 1 else ''}: the saved file is not "
                  "compatible with the reference model")
        return {"status": "success" if errors == 0 else "error", "error_count": errors,
                "match_count": matches}

    def _compare(self, target, ref, prefix, target_name, ref_name, checked):
        errors = matches = 0
        for key, value in ref.items():
            path = f"{prefix}/{key}"
            if path in checked:
                continue
            if key not in target:
                errors += 1
                checked.add(path)
                what = "Object" if isinstance(value, dict) else "Weight"
                print(f"...{what} {path} present in {ref_name}, missing from {target_name}")
            elif isinstance(value, dict):
                e, m = self._compare(target[key], value, path, target_name, ref_name, checked)
                errors, matches = errors + e, matches + m
            elif np.shape(target[key]) != np.shape(value):
                errors += 1
                checked.add(path)
                print(f"...Weight shape mismatch for {path}: {ref_name} {np.shape(value)}, "
                      f"{target_name} {np.shape(target[key])}")
            else:
                matches += 1
        return errors, matches

    # --- editing ------------------------------------------------------------------------------

    def _parent_of(self, name):
        """(dict holding the object, its key) for a leaf name (unique) or a full path."""
        if "/" in name:
            parts = name.strip("/").split("/")
            node = self.weights_dict
            for part in parts[:-1]:
                if not isinstance(node.get(part), dict):
                    raise ValueError(f"Path '{name}' not found in the file.")
                node = node[part]
            if parts[-1] not in node:
                raise ValueError(f"Path '{name}' not found in the file.")
            return node, parts[-1]
        found = []

        def visit(node):
            for key, value in node.items():
                if key == name:
                    found.append(node)
                if isinstance(value, dict):
                    visit(value)

        visit(self.weights_dict)
        if not found:
            raise ValueError(f"Name '{name}' does not appear in the file; use summary() to list "
                             "the objects")
        if len(found) > 1:
            raise ValueError(f"Name '{name}' occurs more than once in the file; pass its full path")
        return found[0], name

    def rename_object(self, object_name, new_name):
        if "/" in new_name:
            raise ValueError(f"new_name must be a leaf name, not a path: {new_name!r}")
        parent, key = self._parent_of(object_name)
        parent[new_name] = parent.pop(key)

    def delete_object(self, object_name):
        parent, key = self._parent_of(object_name)
        del parent[key]

    def add_object(self, object_path, weights):
        """Add the object `object_path` with `weights` ({name: array})."""
        if not isinstance(weights, dict):
            raise ValueError("add_object: `weights` must be a dict {weight name ('0', '1', ...): "
                             f"array}}, got {type(weights).__name__}")
        parts = object_path.strip("/").split("/")
        node = self.weights_dict
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                raise ValueError(f"Path '{'/'.join(parts[:-1])}' not found in the file.")
            node = node[part]
        node[parts[-1]] = {str(k): np.asarray(v) for k, v in weights.items()}

    def delete_weight(self, object_name, weight_name):
        parent, key = self._parent_of(object_name)
        if weight_name not in parent[key]:
            raise ValueError(f"Weight {weight_name!r} not found in object {object_name!r}; its "
                             f"weights are {list(parent[key])}")
        del parent[key][weight_name]

    def add_weights(self, object_name, weights):
        if not isinstance(weights, dict):
            raise ValueError("add_weights: `weights` must be a dict {weight name: array}, got "
                             f"{type(weights).__name__}")
        parent, key = self._parent_of(object_name)
        parent[key].update({str(k): np.asarray(v) for k, v in weights.items()})

    # --- writing ------------------------------------------------------------------------------

    def save(self, filepath):
        """Write the (edited) weights to `filepath` (`.weights.h5`, or `.weights.npz`)."""
        path = files.check_extension(str(filepath), files.WEIGHT_EXTS, "KerasFileEditor.save")
        writer = weights_store.H5Writer() if path.endswith(".h5") else weights_store.NpzWriter()

        def write(node, prefix):
            arrays = {k: v for k, v in node.items() if not isinstance(v, dict)}
            if arrays:
                meta = self.object_metadata.get("/" + prefix if prefix else "/", {})
                writer.put(prefix, meta.get("name"), arrays)
            for key, value in node.items():
                if isinstance(value, dict) and value:
                    write(value, f"{prefix}/{key}" if prefix else key)

        write(self.weights_dict, "")
        files.atomic_write(path, writer.getvalue())

    resave_weights = save

    def __repr__(self):
        return f"<KerasFileEditor {self.filepath!r}: {json.dumps(sorted(self.weights_dict))}>"
