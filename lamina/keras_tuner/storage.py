"""A search's files: `<directory>/<project_name>/oracle.json` (tuner kind, seed, objective,
trial ids) and, per trial, `trial_<id>/trial.json` (values, score, metrics, status) and
`trial_<id>/checkpoint.weights.npz` (the best epoch's weights).

Reading them back (resuming a search) trusts nothing: the JSON may hold only numbers, strings,
booleans and null where this module expects them, trial ids are digits (no paths), and the
weights load with `allow_pickle=False`. Anything else raises ValueError naming the file and
the field.
"""
import json
import os
import re

import numpy as np

from lamina.keras_tuner.hyperparameters import VALUE_TYPES

FORMAT = "lamina.keras_tuner"
_MAX_JSON_BYTES = 4 * 2**20
_ID = re.compile(r"^[0-9]{2,6}$")
_STATUSES = ("COMPLETED", "FAILED")


def _write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True, allow_nan=True)
    os.replace(tmp, path)


def _read_json(path):
    if os.path.getsize(path) > _MAX_JSON_BYTES:
        raise ValueError(f"{path}: larger than {_MAX_JSON_BYTES} bytes, not a tuner file")
    with open(path) as f:
        try:
            obj = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(obj).__name__}")
    return obj


def _number(path, field, value, allow_none=True):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{path}: field {field!r} must be a number, got {value!r:.80}")
    return value


def _name(path, field, value):
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError(f"{path}: field {field!r} must be a name (a string of at most 200 "
                         f"characters), got {value!r:.80}")
    return value


def trial_dir(project_dir, trial_id):
    if not _ID.match(trial_id):
        raise ValueError(f"trial id must be digits, got {trial_id!r:.40}")
    return os.path.join(project_dir, f"trial_{trial_id}")


def save_oracle(project_dir, tuner_kind, seed, objective, trial_ids):
    _write_json(os.path.join(project_dir, "oracle.json"), {
        "format": FORMAT, "version": 1, "tuner": tuner_kind, "seed": seed,
        "objective": objective.get_config(), "trial_ids": list(trial_ids)})


def load_oracle(project_dir):
    path = os.path.join(project_dir, "oracle.json")
    obj = _read_json(path)
    if obj.get("format") != FORMAT:
        raise ValueError(f"{path}: not a lamina.keras_tuner file (format={obj.get('format')!r:.40})")
    seed = obj.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"{path}: field 'seed' must be an integer, got {seed!r:.40}")
    objective = obj.get("objective")
    if not isinstance(objective, dict) or objective.get("direction") not in ("min", "max"):
        raise ValueError(f"{path}: field 'objective' must be {{name, direction}}, got "
                         f"{objective!r:.80}")
    ids = obj.get("trial_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) and _ID.match(i) for i in ids):
        raise ValueError(f"{path}: field 'trial_ids' must be a list of digit strings")
    return {"tuner": _name(path, "tuner", obj.get("tuner")), "seed": seed,
            "objective": (_name(path, "objective.name", objective.get("name")),
                          objective["direction"]), "trial_ids": ids}


def save_trial(project_dir, trial, weights):
    folder = trial_dir(project_dir, trial.trial_id)
    os.makedirs(folder, exist_ok=True)
    if weights is not None:
        tmp = os.path.join(folder, "checkpoint.tmp.npz")
        np.savez(tmp, *[np.asarray(w) for w in weights])
        os.replace(tmp, os.path.join(folder, "checkpoint.weights.npz"))
    _write_json(os.path.join(folder, "trial.json"), {
        "trial_id": trial.trial_id, "hyperparameters": {"values": trial.hyperparameters.values},
        "score": trial.score, "best_step": trial.best_step, "metrics": trial.metrics,
        "status": trial.status, "message": trial.message, "seed": trial.seed})


def load_trial(project_dir, trial_id):
    """The stored record of a trial as a dict of checked plain values, or None if absent."""
    path = os.path.join(trial_dir(project_dir, trial_id), "trial.json")
    if not os.path.exists(path):
        return None
    obj = _read_json(path)
    if obj.get("trial_id") != trial_id:
        raise ValueError(f"{path}: field 'trial_id' is {obj.get('trial_id')!r:.20}, expected "
                         f"{trial_id!r}")
    hps = obj.get("hyperparameters")
    values = hps.get("values") if isinstance(hps, dict) else None
    if not isinstance(values, dict):
        raise ValueError(f"{path}: field 'hyperparameters.values' must be an object")
    for key, value in values.items():
        _name(path, "hyperparameters.values", key)
        if not isinstance(value, VALUE_TYPES):
            raise ValueError(f"{path}: hyperparameter {key!r} must be a number, string or "
                             f"boolean, got {value!r:.80}")
    metrics = obj.get("metrics")
    if not isinstance(metrics, dict):
        raise ValueError(f"{path}: field 'metrics' must be an object")
    metrics = {_name(path, "metrics", k): _number(path, f"metrics.{k}", v, False)
               for k, v in metrics.items()}
    status = obj.get("status")
    if status not in _STATUSES:
        raise ValueError(f"{path}: field 'status' must be one of {_STATUSES}, got {status!r:.40}")
    message = obj.get("message")
    if message is not None and not isinstance(message, str):
        raise ValueError(f"{path}: field 'message' must be a string or null")
    best_step = _number(path, "best_step", obj.get("best_step"))
    return {"values": values, "score": _number(path, "score", obj.get("score")),
            "best_step": best_step, "metrics": metrics, "status": status,
            "message": None if message is None else message[:2000]}


def load_weights(project_dir, trial_id):
    """The best-epoch weights stored for a trial (a list of arrays), or None."""
    path = os.path.join(trial_dir(project_dir, trial_id), "checkpoint.weights.npz")
    if not os.path.exists(path):
        return None
    with np.load(path, allow_pickle=False) as f:
        arrays = [f[f"arr_{i}"] for i in range(len(f.files))]
    for a in arrays:
        if a.dtype.kind not in "biuf":
            raise ValueError(f"{path}: weights must be numeric arrays, got dtype {a.dtype}")
    return arrays
