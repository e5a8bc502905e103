"""`AdditiveAttention` (Bahdanau-style): scores = sum(scale * tanh(query + key), axis=-1)."""

from lamina import ops
from lamina.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Attention with additive scores and a learned per-feature `scale` (glorot_uniform,
    shape (dim,)) when use_scale=True; inputs [query, value] or [query, value, key]."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        kwargs.pop("score_mode", None)
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate(input_shape)
        self.concat_score_weight = None
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(
                name="scale", shape=(input_shape[0][-1],), initializer="glorot_uniform"
            )

    def _scores(self, query, key):
        t = ops.tanh(
            ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        )  # (B, Tq, Tv, d)
        return ops.sum(t if self.scale is None else ops.multiply(self.scale, t), axis=-1)

    def get_config(self):
        config = super().get_config()
        config.pop("score_mode", None)
        return config
