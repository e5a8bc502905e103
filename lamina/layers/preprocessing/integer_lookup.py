"""`IntegerLookup`: integer tokens -> contiguous indices (or vectors), and back."""
from lamina.layers.preprocessing.data_layer import as_int_array
from lamina.layers.preprocessing.index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Map arbitrary integers (ids, years, codes) to indices from a vocabulary.

    With the defaults, index 0 is the OOV token -1 and the vocabulary starts at 1;
    `mask_token` (e.g. 0) takes index 0. num_oov_indices > 1 puts OOV integers in bucket
    `value % num_oov_indices` (oov_method="farmhash": FarmHash64 of the decimal string).
    output_mode: "int" (int64 indices, the input's shape), "one_hot", "multi_hot", "count"
    or "tf_idf" (float32 vectors). invert=True maps indices back to the integers (OOV ->
    `oov_token`).
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError("IntegerLookup: only vocabulary_dtype='int64' is supported (as in "
                             f"Keras), got {vocabulary_dtype!r}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         vocabulary_dtype=vocabulary_dtype, idf_weights=idf_weights,
                         invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, name=name, **kwargs)

    def _to_keys(self, data):
        return as_int_array(data, f"IntegerLookup layer {self.name!r}")

    def _parse_token(self, line):
        return int(line)

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
