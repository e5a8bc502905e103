"""The random state saved with a model, so that resuming training is exact.

Dropout, GaussianNoise, the recurrent cells' dropout and the random image layers each draw
from their own `lamina.random.SeedGenerator`; shuffling draws from lamina's global
generator (the one `set_random_seed` seeds). A resumed `fit` repeats an uninterrupted run
bit for bit only if all of these continue where they stopped, so `.keras` files and
`BackupAndRestore` backups store their positions as JSON:

    {"format": 1, "global": <state>, "generators": {"layers/dropout/seed_generator": <state>}}

where <state> holds the PCG64 position as plain ints (`lamina.random.get_state`). Keras
does not save seed-generator state at all, so in a `.keras` zip this is a separate member,
`lamina_random_state.json`, that Keras never opens: the weights layout stays Keras's.
Reading it checks every field and never resolves anything from the file to code.
"""
import json

import numpy as np

from lamina import random as lrandom
from lamina.saving import state
from lamina.codec.errors import CorruptFileError

MEMBER = "lamina_random_state.json"
FORMAT = 1


def generators(model):
    """[(path, SeedGenerator)] for every generator a layer of `model` holds as an attribute,
    named by the layer's saving path and the attribute ("layers/dropout/seed_generator")."""
    from lamina.layers.base.layer import Layer  # noqa: PLC0415  (layers import saving: no cycle)

    out = []
    for path, obj in state.walk(model):
        if not isinstance(obj, Layer):
            continue
        for name in sorted(vars(obj)):
            value = obj.__dict__[name]
            if isinstance(value, lrandom.SeedGenerator):
                out.append((f"{path}/{name}" if path else name, value))
    return out


def collect(model):
    """The random state of `model`'s generators and of the global generator (a dict)."""
    return {"format": FORMAT, "global": lrandom.get_state(),
            "generators": {path: gen.get_state() for path, gen in generators(model)}}


def to_json(model):
    return json.dumps(collect(model), sort_keys=True)


def restore(model, saved, source, restore_global=True):
    """Move `model`'s generators (and the global one) to the positions in `saved` (from
    `collect`, possibly read from a file). Everything is checked before anything changes;
    generators the file does not mention keep their state. Errors name `source`."""
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise CorruptFileError(f"{MEMBER}: unknown random-state format "
                               f"{saved.get('format') if isinstance(saved, dict) else saved!r:.80}", source)
    stored = saved.get("generators", {})
    if not isinstance(stored, dict):
        raise CorruptFileError(f"{MEMBER}: 'generators' must be an object", source)
    plan = [(gen, stored[path], path) for path, gen in generators(model) if path in stored]
    if restore_global:
        plan.append((None, saved.get("global"), "global"))
    probe = np.random.default_rng(0)  # validate on a scratch generator first
    for _, value, path in plan:
        try:
            lrandom.set_state(probe, value)
        except ValueError as e:
            raise CorruptFileError(f"{MEMBER}: the state of {path!r} is invalid ({e})", source) from None
    for gen, value, _ in plan:
        lrandom.set_state(None if gen is None else gen.rng, value)
