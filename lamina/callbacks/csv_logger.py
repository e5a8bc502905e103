"""`CSVLogger`: stream each epoch's logs to a CSV file (one row per epoch, flushed)."""
import collections.abc
import csv
import os

import numpy as np

from lamina.callbacks.callback import Callback


def _cell(value):
    """Strings and scalars as they are; 1-D iterables (arrays, lists) as "[a, b, ...]"."""
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
            isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Writes `epoch` then the log keys in sorted order (the keys of the first epoch; a key
    missing later is written as "NA"). The file is flushed after every row, so the rows of
    finished epochs survive a crash.

    filename: path of the CSV file. separator: the field delimiter.
    append: True appends to an existing file (no second header), False overwrites it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        # as Keras: a text file and the csv module's "excel" dialect ("\r\n" line ends)
        self.csv_file = open(self.filename, mode)  # noqa: SIM115  (closed in on_train_end)
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            # validation metrics the model will produce but this epoch skipped
            for name in getattr(self.model, "metrics_names", None) or []:
                if name.startswith("val_") and name not in self.keys:
                    self.keys.append(name)
        if self.writer is None:
            sep = self.sep

            class Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
