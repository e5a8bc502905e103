"""`ReversibleEmbedding`: an Embedding that can also map vectors back to vocabulary logits
(`reverse=True`), with the transposed embedding matrix (tied) or a matrix of its own."""

from lamina import ops
from lamina.layers.core.embedding import Embedding


class ReversibleEmbedding(Embedding):
    """layer(ids) -> vectors; layer(vectors, reverse=True) -> logits (..., input_dim), i.e.
    vectors @ embeddings^T (tie_weights) or @ reverse_embeddings (output_dim, input_dim);
    logit_soft_cap c gives c * tanh(logits / c)."""

    def __init__(
        self,
        input_dim,
        output_dim,
        tie_weights=True,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        reverse_dtype=None,
        logit_soft_cap=None,
        **kwargs,
    ):
        super().__init__(
            input_dim,
            output_dim,
            embeddings_initializer=embeddings_initializer,
            embeddings_regularizer=embeddings_regularizer,
            embeddings_constraint=embeddings_constraint,
            mask_zero=mask_zero,
            **kwargs,
        )
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        if getattr(self, "embeddings", None) is not None:
            return
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer,
                name="reverse_embeddings",
            )

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        kernel = ops.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs, kernel = (
                ops.cast(inputs, self.reverse_dtype),
                ops.cast(kernel, self.reverse_dtype),
            )
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        return None if not self.mask_zero else super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse:
            return (*input_shape[:-1], self.input_dim)
        return (*input_shape, self.output_dim)

    def compute_output_spec(self, inputs, reverse=False):
        from lamina.symbolic.keras_tensor import KerasTensor  # noqa: PLC0415  (symbolic calls only)

        if reverse:
            return KerasTensor(
                self.compute_output_shape(inputs.shape, reverse=True), dtype=self.compute_dtype
            )
        return super().compute_output_spec(inputs)

    def get_config(self):
        return {
            **super().get_config(),
            "tie_weights": self.tie_weights,
            "reverse_dtype": self.reverse_dtype,
            "logit_soft_cap": self.logit_soft_cap,
        }
