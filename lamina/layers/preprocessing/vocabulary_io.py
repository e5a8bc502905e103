"""How the lookup layers keep their vocabulary outside the config, as Keras 3 does: the
asset `vocabulary.txt` of a `.keras` archive (one token a line, special tokens first), the
TF-IDF weights as saved variables, and vocabulary files named by the user."""
import os

import numpy as np

VOCAB_FILE = "vocabulary.txt"


class VocabularyIO:
    """Saving hooks of `IndexLookup` (see `lamina.saving.assets`)."""

    def _read_vocabulary_file(self, path):
        from lamina.registry import in_safe_mode  # noqa: PLC0415

        kind = type(self).__name__
        if in_safe_mode():
            raise ValueError(
                f"{kind}: refusing to read the vocabulary file {path!r} named in a model file "
                "while loading with safe_mode=True (it could be any file); load with "
                "safe_mode=False if you trust the model")
        if not os.path.isfile(path):
            raise ValueError(f"{kind}: vocabulary file {path!r} does not exist")
        if self.output_mode == "tf_idf":
            raise ValueError(f"{kind}: output_mode='tf_idf' cannot read a vocabulary file; "
                             "pass the vocabulary and idf_weights as lists")
        with open(path, encoding="utf-8") as f:
            return [self._parse_token(line) for line in split_lines(f.read())]

    def save_own_variables(self, store):
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = self.idf_weights

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf":
            weights = store.get("idf_weights", store.get("0"))
            if weights is not None:
                self.idf_weights = np.asarray(weights, dtype=np.float32)

    def _asset_files(self):
        """{file name: bytes} of the `.keras` assets (the vocabulary, unless in the config)."""
        if self.input_vocabulary is not None:
            return {}
        text = "\n".join(str(t) for t in self.get_vocabulary())
        return {VOCAB_FILE: text.encode("utf-8")}

    def _load_asset_files(self, files):
        if self.input_vocabulary is not None or VOCAB_FILE not in files:
            return
        lines = split_lines(files[VOCAB_FILE].decode("utf-8"))
        values = [self._parse_token(line) for line in lines]
        specials = self.get_vocabulary()[:self._token_start_index()]
        tokens = values[len(specials):] if values[:len(specials)] == specials else values
        self._set_tokens(tokens)

    def save_assets(self, dir_path):
        """Keras's API: write the assets into the folder `dir_path`."""
        for name, data in self._asset_files().items():
            with open(os.path.join(dir_path, name), "wb") as f:
                f.write(data)

    def load_assets(self, dir_path):
        """Keras's API: read the assets written by `save_assets` from `dir_path`."""
        path = os.path.join(dir_path, VOCAB_FILE)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                self._load_asset_files({VOCAB_FILE: f.read()})


def split_lines(text):
    """The lines of a vocabulary file (split on "\\n" only: tokens may hold other line
    separators such as U+2028); Windows line ends and trailing empty lines are dropped."""
    lines = text.split("\n")
    while lines and lines[-1] in ("", "\r"):
        lines.pop()
    if lines and all(line.endswith("\r") for line in lines[:-1]) and len(lines) > 1:
        lines = [line.removesuffix("\r") for line in lines]
    return lines
