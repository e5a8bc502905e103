"""`StringLookup`: strings -> integer indices (or vectors), and back with invert=True."""
from lamina.layers.preprocessing.data_layer import as_string_array
from lamina.layers.preprocessing.index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Map strings to indices from a vocabulary (given, or learned by `adapt`).

    With the defaults, index 0 is the OOV token "[UNK]" and the vocabulary starts at 1;
    `mask_token` (e.g. "") takes index 0 and shifts the rest by one. num_oov_indices > 1
    spreads OOV strings over that many buckets by FarmHash64, as Keras. output_mode: "int"
    (int64 indices, the input's shape), "one_hot", "multi_hot", "count" or "tf_idf"
    (float32 vectors of vocabulary_size(); see `encoding`). invert=True maps indices back
    to strings (a NumPy str array; OOV and unknown indices give `oov_token`).
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         vocabulary_dtype="string", **kwargs)

    def _to_keys(self, data):
        return as_string_array(data, f"StringLookup layer {self.name!r}", self.encoding)

    def _parse_token(self, line):
        return line

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]  # always strings: Keras does not write it
        return {**config, "encoding": self.encoding}
