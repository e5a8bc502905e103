"""The gradient checker itself: it must pass correct gradients and catch wrong ones."""
import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.engine.tensor import data_of, record
from lamina.utils import check_gradients


def wrong_square(x):
    a = data_of(x)
    return record(a * a, (x,), lambda g, need: (g * a,))  # missing factor 2


def test_correct_gradient_passes_and_wrong_one_fails(rng):
    x = rng.standard_normal((3, 4))
    assert check_gradients(lambda t: ops.square(t), x) < 1e-8
    assert check_gradients(wrong_square, x) > 0.4


def test_fortran_ordered_input_is_perturbed(rng):
    x = rng.standard_normal((4, 3)).T  # a transposed view: Fortran order
    err, details = check_gradients(lambda t: ops.exp(t), x, return_details=True)
    assert err < 1e-8
    analytic, numeric, _ = details[0]
    assert np.all(numeric != 0)  # the perturbation reached the value the function reads
    np.testing.assert_allclose(numeric, analytic, rtol=1e-6)


def test_variables_are_checked_in_place(rng):
    w = lamina.Variable(rng.standard_normal((3, 2)), dtype="float64")
    x = rng.standard_normal((5, 3))
    assert check_gradients(lambda a, v: ops.tanh(a @ v), x, w) < 1e-7
    with pytest.raises(TypeError, match="float64"):
        check_gradients(lambda v: v * 2, lamina.Variable(np.ones(2)))
