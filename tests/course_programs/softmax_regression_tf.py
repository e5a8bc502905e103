# A course-style low-level TensorFlow exercise: softmax regression on three Gaussian blobs with
# tf.Variable, tf.GradientTape, tf.data, tf.function and
# tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(...)), written as TensorFlow 2 courses do.
import numpy as np
import tensorflow as tf

tf.random.set_seed(0)
rng = np.random.default_rng(0)
centers = np.array([[0.0, 3.0], [3.0, 0.0], [-3.0, -3.0]], dtype=np.float32)
labels = rng.integers(0, 3, size=900)
features = (centers[labels] + rng.normal(size=(900, 2))).astype(np.float32)
one_hot_labels = tf.one_hot(labels, depth=3)

W = tf.Variable(tf.random.normal([2, 3], stddev=0.1), name="W")
b = tf.Variable(tf.zeros([3]), name="b")

def logits_of(x):
    return tf.matmul(x, W) + b

@tf.function
def train_step(x, y, learning_rate=0.1):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits_of(x)))
    dW, db = tape.gradient(loss, [W, b])
    W.assign_sub(learning_rate * dW)
    b.assign_sub(learning_rate * db)
    return loss

dataset = tf.data.Dataset.from_tensor_slices((features, one_hot_labels)).shuffle(900).batch(64)
for epoch in range(10):
    losses = []
    for x_batch, y_batch in dataset:
        losses.append(train_step(x_batch, y_batch))
    tf.print("epoch", epoch, "loss", tf.reduce_mean(tf.stack(losses)))

predictions = tf.argmax(logits_of(features), axis=1)
accuracy = tf.reduce_mean(tf.cast(tf.equal(predictions, labels), tf.float32))
print(f"accuracy: {float(accuracy):.3f}")
