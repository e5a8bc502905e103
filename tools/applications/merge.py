import json, re
ref = json.load(open("/tmp/apps/ref.json"))
sig = {}
import itertools
for line in itertools.chain(open("/tmp/apps/sig.log"), open("/tmp/apps/sig2.log")):
    parts = line.split()
    if len(parts) == 3 and re.fullmatch(r"[0-9a-f]{32}", parts[1]):
        sig[parts[0]] = parts[1]
table = {}
for k, r in ref.items():
    if k not in sig:
        continue
    table[k] = {key: r[key] for key in ("fn", "kwargs", "name", "n_layers", "trainable", "non_trainable",
                                         "output_shape", "input_shape", "first", "last", "mid")}
    table[k]["sig"] = sig[k]
json.dump(table, open("/work/wt/apps/tests/data/applications/keras_architectures.json", "w"), indent=0)
print(len(table), "of", len(ref))
