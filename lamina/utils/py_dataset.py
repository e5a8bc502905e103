"""`PyDataset` (alias `Sequence`): a dataset of batches defined by `__len__`/`__getitem__`."""


class PyDataset:
    """Subclass and define `__len__` (the number of batches) and `__getitem__(i)` (batch i,
    as `(x, y)` or `(x, y, sample_weight)`); `on_epoch_end` is called after each epoch.

    `workers`, `use_multiprocessing` and `max_queue_size` are accepted for Keras
    compatibility; lamina reads batches in the training thread, in order.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) returning a batch")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__() (the number of batches)")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_end(self):
        """Called at the end of every epoch (e.g. to reshuffle)."""


Sequence = PyDataset
