"""`GroupQueryAttention` (Ainslie et al. 2023): num_query_heads query heads share
num_key_value_heads key/value heads (each key/value head serves num_query_heads /
num_key_value_heads query heads), as Keras 3, with optional output gate and sliding window."""

import numpy as np

from lamina import ops
from lamina import random as lrandom
from lamina.layers.attention.attention import MultiHeadAttention, _masked_softmax, _Projection


class GroupQueryAttention(MultiHeadAttention):
    """layer(query, value, key=None, ...) -> (batch, T, query features); the masks and
    `use_causal_mask` work as in MultiHeadAttention; `sliding_window` w keeps |i - j| < w."""

    def __init__(
        self,
        head_dim,
        num_query_heads,
        num_key_value_heads,
        dropout=0.0,
        use_bias=True,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        for arg, val in (
            ("head_dim", head_dim),
            ("num_query_heads", num_query_heads),
            ("num_key_value_heads", num_key_value_heads),
        ):
            if isinstance(val, bool) or not isinstance(val, (int, np.integer)) or val <= 0:
                raise ValueError(
                    f"GroupQueryAttention: {arg} must be a positive integer, got {val!r}"
                )
        if num_query_heads % num_key_value_heads:
            raise ValueError(
                f"GroupQueryAttention: num_query_heads ({num_query_heads}) must be a multiple of "
                f"num_key_value_heads ({num_key_value_heads})"
            )
        if sliding_window is not None and (
            not isinstance(sliding_window, int) or sliding_window <= 0
        ):
            raise ValueError(
                f"GroupQueryAttention: sliding_window must be a positive int or None, got {sliding_window!r}"
            )
        super().__init__(
            num_query_heads,
            head_dim,
            dropout=dropout,
            use_bias=use_bias,
            flash_attention=flash_attention,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            seed=seed,
            **kwargs,
        )
        self.head_dim, self.num_query_heads = int(head_dim), int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self.sliding_window, self.use_gate = sliding_window, bool(use_gate)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        hq, hkv, d = self.num_query_heads, self.num_key_value_heads, self.head_dim

        def proj(shape, n_in, name):
            return _Projection(shape, n_in, self.use_bias, self, name=name, dtype=self._dtype_policy)

        subs = [proj((query_shape[-1], hq, d), 1, "query"), proj((key_shape[-1], hkv, d), 1, "key")]
        self._query_dense, self._key_dense = subs
        self._gate_dense = None
        if self.use_gate:
            self._gate_dense = proj((query_shape[-1], hq, d), 1, "gate")
            subs.append(self._gate_dense)
        self._value_dense = proj((value_shape[-1], hkv, d), 1, "value")
        self._output_dense = proj((hq, d, query_shape[-1]), 2, "attention_output")
        subs += [self._value_dense, self._output_dense]
        for sub in subs:
            sub._build_for(None)
            self._layers.append(sub)

    def _attention_mask(
        self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
    ):
        mask = super()._attention_mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
        )
        if self.sliding_window is not None:
            t, s = query.shape[1], value.shape[1]
            band = (np.abs(np.arange(t)[:, None] - np.arange(s)[None, :]) < self.sliding_window)[
                None
            ]
            mask = band if mask is None else mask & band
        return mask

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        from lamina.layers.attention.attention import _mask_of  # noqa: PLC0415  (same package helper)

        key = value if key is None else key
        query_mask = _mask_of(query) if query_mask is None else query_mask
        value_mask = _mask_of(value) if value_mask is None else value_mask
        key_mask = _mask_of(key) if key_mask is None else key_mask
        mask = self._attention_mask(
            query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
        )
        gate = ops.sigmoid(self._gate_dense(query)) if self._gate_dense is not None else None
        q = self._query_dense(query)  # (B, T, Hq, D)
        k = ops.repeat(self._key_dense(key), self.num_repeats, axis=2)  # (B, S, Hq, D)
        v = ops.repeat(self._value_dense(value), self.num_repeats, axis=2)
        q = ops.multiply(q, 1.0 / float(np.sqrt(self.head_dim)))
        scores = ops.matmul(
            ops.transpose(q, (0, 2, 1, 3)), ops.transpose(k, (0, 2, 3, 1))
        )  # (B, Hq, T, S)
        probs = _masked_softmax(scores, None if mask is None else ops.expand_dims(mask, 1))
        dropped = probs
        if training and self.dropout > 0:
            dropped = lrandom.dropout(probs, self.dropout, seed=self.seed_generator)
        out = ops.transpose(
            ops.matmul(dropped, ops.transpose(v, (0, 2, 1, 3))), (0, 2, 1, 3)
        )  # (B, T, Hq, D)
        if gate is not None:
            out = ops.multiply(out, gate)
        out = self._output_dense(out)
        if return_attention_scores:
            return out, probs
        return out

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tuple(query_shape)

    def compute_output_spec(self, query, value=None, key=None, **kwargs):
        from lamina.symbolic.keras_tensor import KerasTensor  # noqa: PLC0415  (symbolic calls only)

        out = KerasTensor(tuple(query.shape), dtype=self.compute_dtype)
        if kwargs.get("return_attention_scores"):
            return out, KerasTensor(
                (query.shape[0], self.num_query_heads, query.shape[1], value.shape[1]),
                dtype=self.compute_dtype,
            )
        return out

    def get_config(self):
        config = super().get_config()
        for key in ("num_heads", "key_dim", "value_dim", "output_shape", "attention_axes"):
            config.pop(key, None)
        return {
            **config,
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
        }
