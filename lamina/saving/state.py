"""Which arrays a model saves, under which paths, in Keras 3's order.

Keras walks a model as a tree of "saveables": a Sequential or functional model first
lists its layers (container "layers", each named by its class in snake_case: "dense",
"dense_1", ... in the model's layer order), then its other attributes that hold layers or
an optimizer (sorted by name, private ones last). Each saveable stores its own variables,
trainable first, as "0", "1", .... Paths therefore depend on the architecture, not on
layer names, so weights load into a freshly built copy of the model.
"""
import warnings

import numpy as np

from lamina.codec.errors import ArchitectureMismatchError
from lamina.naming import to_snake_case
from lamina.layers.base.layer import Layer
from lamina.optimizers.base import Optimizer


def _not_saved(obj):
    """The attributes `obj`'s classes declare as not saveable children (`_not_saved`)."""
    return {name for klass in type(obj).__mro__ for name in klass.__dict__.get("_not_saved", ())}


def _is_layer(obj):
    return isinstance(obj, Layer)


def _is_optimizer(obj):
    return isinstance(obj, Optimizer)


def _saveable(obj):
    return _is_layer(obj) or _is_optimizer(obj)


def _join(path, name):
    return f"{path}/{name}" if path else name


def model_layers(model):
    """The layers a model lists under "layers", in Keras's order (None: not a container)."""
    if hasattr(model, "_stack"):
        return list(model._stack)
    if hasattr(model, "_nodes") and getattr(model, "inputs", None) is not None:
        return keras_functional_order(model)
    return None


def walk(root):
    """[(path, object)] for every saveable under `root`, in Keras's order."""
    out, visited = [], set()

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        out.append((path, obj))
        if _is_optimizer(obj):
            return
        layers = model_layers(obj)
        if layers is not None:
            container(layers, _join(path, "layers"))
        names = sorted(vars(obj), key=lambda n: "~" + n if n.startswith("_") else n)
        skipped = _not_saved(obj)
        for name in names:
            if name in skipped or name.startswith("__"):
                continue
            value = obj.__dict__[name]
            if _saveable(value):
                visit(value, _join(path, name))
            elif isinstance(value, (list, tuple, dict)):
                container(value, _join(path, name))

    def container(items, path):
        used = {}
        for item in (items.values() if isinstance(items, dict) else items):
            if not _saveable(item):
                continue
            name = to_snake_case(type(item).__name__)
            if name in used:
                used[name] += 1
                name = f"{name}_{used[name]}"
            else:
                used[name] = 0
            visit(item, _join(path, name))

    visit(root, "")
    return out


def own_variables(obj):
    """The variables an object stores itself: trainable first, then the others."""
    if _is_optimizer(obj):
        return list(obj.variables)
    if _is_layer(obj) and obj.quantization_mode is not None:
        return obj.quantized_variables()  # Keras's order for the quantization mode
    own = list(obj.__dict__.get("_own_variables", []))
    return [v for v in own if v.trainable] + [v for v in own if not v.trainable]


def keras_trainable_order(model):
    """The model's trainable variables in the order Keras lists them."""
    out, seen = [], set()

    def visit(layer, trainable):
        trainable = trainable and layer.trainable
        for v in layer.__dict__.get("_own_variables", []):
            if v.trainable and trainable and id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        children = model_layers(layer)
        for child in children if children is not None else layer._layers:
            if _is_layer(child):  # keras.ops operations in a functional graph hold no state
                visit(child, trainable)

    visit(model, True)
    return out


def keras_functional_order(model):
    """A functional model's layers and keras.ops operations in Keras's `map_graph` order (the
    order `Functional` keeps them in: see lamina.models.functional.keras_order)."""
    return list(model._operations)


# --- saving ------------------------------------------------------------------------------

def save_state(model, writer):
    """Write every saveable's own variables (Keras's paths) into `writer`."""
    for path, obj in walk(model):
        if _is_optimizer(obj):
            arrays = optimizer_arrays(model, obj)
        elif _custom_state(obj, "save_own_variables"):
            store = {}
            obj.save_own_variables(store)
            arrays = [store[k] for k in sorted(store, key=lambda k: (len(k), k))]
        else:
            arrays = [np.asarray(v.data) for v in own_variables(obj)]
        writer.put(path, getattr(obj, "name", None), arrays)


def _custom_state(obj, method):
    return _is_layer(obj) and getattr(type(obj), method, None) is not getattr(Layer, method, None)


def optimizer_arrays(model, opt):
    """The optimizer's state in Keras's layout: its slots follow Keras's trainable-variable
    order, whatever order lamina built it in."""
    current = list(opt.variables)
    order = _keras_order_names(model, opt)
    if order is None:
        return [np.asarray(v.data) for v in current]
    by_name = {v.name: v for v in current}
    return [np.asarray(by_name[n].data) for n in order]


def _keras_order_names(model, opt):
    """Names of the optimizer's variables if built in Keras's order (None: same order as
    now, or not determinable)."""
    if not opt.built:
        return None
    keras_order = keras_trainable_order(model)
    built_with = list(getattr(opt, "_trainable_variables", []))
    if [id(v) for v in built_with] == [id(v) for v in keras_order]:
        return None
    names = [v.name for v in opt.variables]
    if len(set(names)) != len(names) or {id(v) for v in built_with} != {id(v) for v in keras_order}:
        return None
    try:
        fresh = type(opt).from_config(opt.get_config())
        fresh.build(keras_order)
    except Exception:  # noqa: BLE001  (a custom optimizer we cannot rebuild: keep its order)
        return None
    fresh_names = [v.name for v in fresh.variables]
    return fresh_names if sorted(fresh_names) == sorted(names) else None


# --- loading -----------------------------------------------------------------------------

def load_state(model, reader, source, skip_mismatch=False, nan_check=True):
    """Check every stored array against the model, then assign them all (all or nothing).

    Raises ArchitectureMismatchError naming the first layer whose weights do not fit.
    """
    plan, problems, unused = [], [], set(reader.paths())
    optimizer_plan = None
    for path, obj in walk(model):
        entry = reader.get(path)
        unused.discard(path)
        if _is_optimizer(obj):
            optimizer_plan = (obj, entry)
            continue
        if _custom_state(obj, "load_own_variables"):
            if entry is not None:
                plan.append((obj, None, {k: entry.read(k) for k in entry.keys()}))
            continue
        variables = own_variables(obj)
        count = 0 if entry is None else len(entry)
        if count != len(variables):
            problems.append(_count_message(obj, path, len(variables), count))
            continue
        for i, v in enumerate(variables):
            shape = entry.shape(str(i)) if str(i) in entry else None
            if shape != tuple(v.shape):
                problems.append(
                    f"layer {obj.name!r} ({type(obj).__name__}, stored at {path!r}): weight "
                    f"{v.name!r} has shape {tuple(v.shape)} in the model but "
                    f"{shape if shape is not None else 'is missing'} in the file")
                break
        else:
            plan.append((obj, variables, entry))
    extra = sorted(p for p in unused if p and not p.startswith("optimizer")
                   and reader.get(p) is not None and len(reader.get(p)))
    if extra and not problems:
        problems.append(
            f"the file has weights at {extra[0]!r} (layer {reader.name_of(extra[0]) or '?'}) that "
            "the model has no place for: it was saved from a different architecture")
    if problems:
        msg = problems[0] + (f" (and {len(problems) - 1} more mismatch(es))" if len(problems) > 1 else "")
        msg += ". The file was saved from a model of another architecture; build the same model before loading."
        if not skip_mismatch:
            raise ArchitectureMismatchError(msg, source)
        warnings.warn(f"{source}: skipping mismatched weights: {msg}", stacklevel=3)
    nonfinite = []
    loaded = []
    for obj, variables, entry in plan:
        if variables is None:
            loaded.append((obj, None, entry))
            if nan_check and any(_nonfinite(a) for a in entry.values()):
                nonfinite.append(obj.name)
            continue
        arrays = [entry.read(str(i)) for i in range(len(variables))]
        if nan_check and any(_nonfinite(a) for a in arrays):
            nonfinite.append(obj.name)
        loaded.append((obj, variables, arrays))
    opt_arrays = _read_optimizer(model, optimizer_plan, source)
    for obj, variables, arrays in loaded:
        if variables is None:
            obj.load_own_variables(arrays)
            continue
        for v, a in zip(variables, arrays):
            v.assign(a)
        _after_load(obj)
    if opt_arrays is not None:
        _, targets, arrays = opt_arrays
        for v, a in zip(targets, arrays):
            v.assign(a)
    if nonfinite:
        warnings.warn(
            f"{source}: the weights of layer(s) {nonfinite} contain NaN or infinite values: the "
            "model had diverged when it was saved (learning rate too high? inputs not "
            "normalized?)", RuntimeWarning, stacklevel=3)


def _count_message(obj, path, expected, found):
    return (f"layer {obj.name!r} ({type(obj).__name__}, stored at {path!r}) has {expected} "
            f"weight(s) but the file has {found} there")


def _nonfinite(a):
    a = np.asarray(a)
    return a.dtype.kind == "f" and not np.isfinite(a).all()


def _after_load(layer):
    finalize = getattr(layer, "_finalize", None)  # e.g. Normalization's cached views
    if callable(finalize) and getattr(layer, "built", False):
        finalize()


def _read_optimizer(model, optimizer_plan, source):
    """(optimizer, its variables in file order, arrays) to assign, or None (with a warning
    when the state cannot be used)."""
    if optimizer_plan is None:
        return None
    opt, entry = optimizer_plan
    if entry is None or len(entry) == 0:
        return None
    if not opt.built and getattr(model, "built", False):
        trainable = keras_trainable_order(model)
        if trainable and _slot_count_matches(opt, trainable, len(entry)):
            opt.build(trainable)
    targets = list(opt.variables)
    if len(targets) != len(entry):
        warnings.warn(
            f"{source}: skipping the optimizer state: optimizer {opt.name!r} has "
            f"{len(targets)} variables but the file stores {len(entry)} (another optimizer, "
            "or an unbuilt one)", stacklevel=4)
        return None
    order = _keras_order_names(model, opt)
    if order is not None:
        by_name = {v.name: v for v in targets}
        targets = [by_name[n] for n in order]
    arrays = []
    for i, v in enumerate(targets):
        shape = entry.shape(str(i)) if str(i) in entry else None
        if shape != tuple(v.shape):
            warnings.warn(
                f"{source}: skipping the optimizer state: variable {v.name!r} has shape "
                f"{tuple(v.shape)} but the file stores {shape}", stacklevel=4)
            return None
        arrays.append(entry.read(str(i)))
    return opt, targets, arrays


def _slot_count_matches(opt, trainable, stored):
    """Would building `opt` on `trainable` give `stored` variables? (checked on a copy)"""
    try:
        probe = type(opt).from_config(opt.get_config())
        probe.build(trainable)
        return len(probe.variables) == stored
    except Exception:  # noqa: BLE001
        return False
