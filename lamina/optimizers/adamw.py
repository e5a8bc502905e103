"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""
from lamina.optimizers.adam import Adam


class AdamW(Adam):
    """Adam whose weights also decay, decoupled from the gradient.

    Each step first applies  w <- w - w * weight_decay * lr  (the base class's decoupled
    decay, skipping variables excluded with `exclude_from_weight_decay`), then Adam's rule:
        m <- m + (g - m) * (1 - beta_1);   v <- v + (g^2 - v) * (1 - beta_2)
        w <- w - lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        name="adamw",
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            name=name,
            weight_decay=weight_decay,
            **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
