# Deep Learning with Python (2nd ed.), chapter 3: second-order gradients with nested tapes, as printed.
# lamina's backward pass runs in NumPy, so this raises a NotImplementedError that says so.
import tensorflow as tf
time = tf.Variable(0.)
with tf.GradientTape() as outer_tape:
    with tf.GradientTape() as inner_tape:
        position =  4.9 * time ** 2
    speed = inner_tape.gradient(position, time)
acceleration = outer_tape.gradient(speed, time)
print("acceleration", float(acceleration))
