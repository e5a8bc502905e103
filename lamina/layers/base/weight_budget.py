"""`WeightBudget`: a cap on the weight bytes layers may create while a saved model is rebuilt."""


class WeightBudget:
    """The bytes of weights layers may still create, while a saved model is rebuilt from its
    config: a config asking for absurd sizes (a corrupt or hostile file) then fails before
    the memory is allocated, instead of after. Used as `with WeightBudget(n, source): ...`."""

    current = None

    def __init__(self, nbytes, source):
        self.left = int(nbytes)
        self.source = source

    def take(self, nbytes, what):
        if nbytes > self.left:
            raise ValueError(
                f"{what} would need {nbytes:,} bytes, more than the weights stored in "
                f"{self.source!r} can fill ({self.left:,} bytes left): the file's config does not "
                "match its weights (a corrupt or hostile file)")
        self.left -= nbytes

    def __enter__(self):
        self._outer, WeightBudget.current = WeightBudget.current, self
        return self

    def __exit__(self, *exc):
        WeightBudget.current = self._outer
