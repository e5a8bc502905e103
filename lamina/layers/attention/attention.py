"""`Attention` (Luong dot-product) and `MultiHeadAttention` (Vaswani et al.), as Keras 3.

Attention([query (B, Tq, dim), value (B, Tv, dim), key?]) -> (B, Tq, dim):
softmax(scores(query, key)) @ value, with scores q.k ("dot", times a learned `scale` with
`use_scale`) or sum(tanh(scale * (q + k))) ("concat").

MultiHeadAttention(num_heads, key_dim)(query (B, T, dim), value (B, S, dim_v), key?):
per head, softmax(q k^T / sqrt(key_dim)) v on projected inputs, then an output projection
to (B, T, output_shape or dim). Weights as Keras's EinsumDense sublayers "query", "key",
"value" (kernel (dim, heads, key_dim), bias (heads, key_dim)) and "attention_output"
(kernel (heads, value_dim, out), bias (out,)).

Masks: the query/value masks carried by the inputs (e.g. from Embedding(mask_zero=True)) or
passed explicitly hide padded keys; `use_causal_mask` hides future positions.
"""
import difflib

import numpy as np

from lamina import ops, regularizers
from lamina import random as lrandom
from lamina.engine.tensor import Tensor, data_of
from lamina.layers.base.layer import Layer
from lamina.layers.base.named_params import NamedParams
from lamina.kernels import linear as fused
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.ops.fused_attention import attention as _fused_attention

_NEG = 1.0e9  # added (negated) to masked scores, as Keras


def _mask_of(t):
    return t._keras_mask if isinstance(t, Tensor) else None


def _symbolic(t):
    return isinstance(t, KerasTensor)


def _causal(tq, tv):
    return np.tril(np.ones((tq, tv), bool))


def _masked_softmax(scores, mask):
    if mask is not None:
        hidden = ops.cast(ops.logical_not(mask), scores.dtype)
        scores = ops.subtract(scores, ops.multiply(_NEG, hidden))
    return ops.softmax(scores, axis=-1)


class Attention(Layer):
    """Dot-product (Luong-style) attention over a list [query, value] or [query, value, key]."""

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            close = difflib.get_close_matches(str(score_mode), ["dot", "concat"], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Attention: score_mode must be 'dot' or 'concat', got {score_mode!r}{hint}"
            )
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self.seed_generator = lrandom.SeedGenerator(seed)
        self.supports_masking = True

    def _validate(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            got = type(inputs).__name__
            if isinstance(inputs, (list, tuple)):
                got += f" of length {len(inputs)}"
            raise ValueError(
                f"{name} layer must be called on a list [query, value] or [query, value, key], "
                f"got {got}"
            )
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(
                f"{name} layer: mask must be a list [query_mask, value_mask], got {mask!r}"
            )

    def build(self, input_shape):
        self._validate(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -1, -2))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        q, k = ops.expand_dims(query, -2), ops.expand_dims(key, -3)  # (B, Tq, 1, d), (B, 1, Tv, d)
        s = ops.add(q, k)
        if self.scale is not None:
            s = ops.multiply(self.scale, s)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(s), axis=-1))

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate(inputs, mask)
        if mask is None:
            mask = [_mask_of(t) for t in inputs]
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask, v_mask = mask[0], mask[1]
        scores = self._scores(q, k)
        score_mask = None if v_mask is None else ops.expand_dims(ops.cast(v_mask, "bool"), -2)
        if use_causal_mask:
            causal = _causal(scores.shape[-2], scores.shape[-1])[None]
            score_mask = causal if score_mask is None else ops.logical_and(score_mask, causal)
        weights = _masked_softmax(scores, score_mask)
        if training and self.dropout > 0:
            weights = lrandom.dropout(weights, self.dropout, seed=self.seed_generator)
        result = ops.matmul(weights, v)
        if q_mask is not None:
            result = ops.multiply(result, ops.expand_dims(ops.cast(q_mask, result.dtype), -1))
            result._keras_mask = q_mask
        if return_attention_scores:
            return result, weights
        return result

    def compute_mask(self, inputs, mask=None):
        if mask is None and isinstance(inputs, (list, tuple)):
            mask = [_mask_of(t) for t in inputs]
        if not mask or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[1][-1])

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout}


class _Projection(Layer):
    """Keras's EinsumDense as used by MultiHeadAttention: a kernel of shape `kernel_shape`
    whose first `n_in` axes contract the inputs' last `n_in` axes, plus a bias."""

    def __init__(self, kernel_shape, n_in, use_bias, owner, **kwargs):
        super().__init__(**kwargs)
        self.kernel_shape, self.n_in, self.use_bias = tuple(kernel_shape), n_in, use_bias
        self._owner = owner  # private: not tracked as a sublayer

    def build(self, input_shape=None):
        o = self._owner
        self.kernel = self.add_weight(
            shape=self.kernel_shape, name="kernel", initializer=o.kernel_initializer,
            regularizer=o.kernel_regularizer, constraint=o.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self.kernel_shape[self.n_in:], name="bias", initializer=o.bias_initializer,
                regularizer=o.bias_regularizer, constraint=o.bias_constraint)

    def call(self, x):
        shape = tuple(np.shape(data_of(x)))
        k_in = int(np.prod(self.kernel_shape[:self.n_in]))
        out_shape = self.kernel_shape[self.n_in:]
        k = ops.reshape(self.kernel, (k_in, -1))
        b = None if self.bias is None else ops.reshape(self.bias, (-1,))
        lead = shape[:len(shape) - self.n_in]
        y = fused.linear(ops.reshape(x, lead + (k_in,)), k, b)
        return ops.reshape(y, lead + out_shape)

    def get_config(self):
        return {**super().get_config(), "kernel_shape": list(self.kernel_shape)}


class MultiHeadAttention(NamedParams, Layer):
    """`MultiHeadAttention(num_heads, key_dim, value_dim=None, dropout=0.0, ...)`."""

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for arg, val in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(val, (int, np.integer)) or val <= 0:
                raise ValueError(
                    f"MultiHeadAttention: {arg} must be a positive integer, got {val!r}"
                )
        if attention_axes is not None:
            raise NotImplementedError(
                "MultiHeadAttention(attention_axes=...) is not supported by lamina: attention runs "
                "over axis 1 (the sequence axis); reshape the inputs to (batch, length, features)"
            )
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        if isinstance(output_shape, (list, tuple)):
            if len(output_shape) != 1:
                raise NotImplementedError(
                    "MultiHeadAttention: only a 1-D output_shape (an integer) is supported"
                )
            output_shape = output_shape[0]
        self.output_shape_arg = output_shape
        self.attention_axes = attention_axes
        self.flash_attention = flash_attention
        self._init_params(kernel=(kernel_initializer, kernel_regularizer, kernel_constraint),
                          bias=(bias_initializer, bias_regularizer, bias_constraint))
        self.seed = seed
        self.seed_generator = lrandom.SeedGenerator(seed)
        self.supports_masking = True

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        h = self.num_heads
        out_dim = self.output_shape_arg or query_shape[-1]
        def proj(shape, n_in, name):
            return _Projection(shape, n_in, self.use_bias, self, name=name, dtype=self._dtype_policy)

        self._query_dense = proj((query_shape[-1], h, self.key_dim), 1, "query")
        self._key_dense = proj((key_shape[-1], h, self.key_dim), 1, "key")
        self._value_dense = proj((value_shape[-1], h, self.value_dim), 1, "value")
        self._output_dense = proj((h, self.value_dim, out_dim), 2, "attention_output")
        for sub in (self._query_dense, self._key_dense, self._value_dense, self._output_dense):
            sub._build_for(None)
            self._layers.append(sub)

    def __call__(self, query, value=None, key=None, **kwargs):
        if value is None:
            raise TypeError(
                "MultiHeadAttention needs `query` and `value` (for self-attention pass the same "
                "tensor twice: mha(x, x))"
            )
        value, key = (t if t is None or _symbolic(t) or isinstance(t, Tensor)
                      else self._convert_input(t) for t in (value, key))
        if not self.built:
            shapes = [None if t is None else tuple(t.shape) for t in (query, value, key)]
            self._build_shapes = shapes[0]
            self.build(*shapes)
            self.built = True
        return super().__call__(query, value=value, key=key, **kwargs)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        key = value if key is None else key
        query_mask = _mask_of(query) if query_mask is None else query_mask
        value_mask = _mask_of(value) if value_mask is None else value_mask
        key_mask = _mask_of(key) if key_mask is None else key_mask
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask, attention_mask,
                                    use_causal_mask)
        q = self._query_dense(query)  # (B, T, H, K)
        k = self._key_dense(key)  # (B, S, H, K)
        v = self._value_dense(value)  # (B, S, H, V)
        if not return_attention_scores and not (training and self.dropout > 0):
            # the chain below as one graph node (same forward values)
            hidden = None if mask is None else np.logical_not(np.asarray(data_of(mask), bool))
            out, _ = _fused_attention(q, k, v, 1.0 / float(np.sqrt(self.key_dim)), hidden)
            out = self._output_dense(out)
            if query_mask is not None:
                out._keras_mask = query_mask
            return out
        q = ops.multiply(q, 1.0 / float(np.sqrt(self.key_dim)))
        # (B, H, T, K) @ (B, H, K, S) -> (B, H, T, S)
        scores = ops.matmul(ops.transpose(q, (0, 2, 1, 3)), ops.transpose(k, (0, 2, 3, 1)))
        probs = _masked_softmax(scores, None if mask is None else ops.expand_dims(mask, 1))
        dropped = probs
        if training and self.dropout > 0:
            dropped = lrandom.dropout(probs, self.dropout, seed=self.seed_generator)
        out = ops.transpose(ops.matmul(dropped, ops.transpose(v, (0, 2, 1, 3))), (0, 2, 1, 3))
        out = self._output_dense(out)  # (B, T, out_dim)
        if query_mask is not None:
            out._keras_mask = query_mask
        if return_attention_scores:
            return out, probs
        return out

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask):
        t, s = np.shape(data_of(query))[1], np.shape(data_of(value))[1]
        auto = None
        if query_mask is not None:
            auto = np.asarray(data_of(query_mask), bool)[:, :, None]  # (B, T, 1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = np.asarray(data_of(m), bool)[:, None, :]  # (B, 1, S)
                auto = m if auto is None else auto & m
        if use_causal_mask:
            c = _causal(t, s)[None]
            auto = c if auto is None else auto & c
        if attention_mask is not None:
            a = np.asarray(data_of(attention_mask), bool)
            auto = a if auto is None else auto & a
        return auto

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        return tuple(query_shape[:-1]) + (self.output_shape_arg or query_shape[-1],)

    def compute_output_spec(self, query, value=None, key=None, **kwargs):
        out = KerasTensor(self.compute_output_shape(query.shape), dtype=self.compute_dtype)
        if kwargs.get("return_attention_scores"):
            scores = (query.shape[0], self.num_heads, query.shape[1], value.shape[1])
            return out, KerasTensor(scores, dtype=self.compute_dtype)
        return out

    def get_config(self):
        return {
            **super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
            "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
            "output_shape": self.output_shape_arg, "attention_axes": self.attention_axes,
            **self._params_config(),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "seed": self.seed,
        }
