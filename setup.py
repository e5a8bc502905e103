"""Build the optional C kernels (lamina/_native). Everything else is in pyproject.toml.

`optional=True`: without a working C compiler the install still succeeds and lamina uses
its NumPy implementation of the same kernels (bitwise-identical results, slower).
"""
import sys

from setuptools import Extension, setup

# IEEE float32 semantics exactly as NumPy's: no FMA contraction, no fast-math reassociation;
# -fno-math-errno only lets sqrtf vectorize (it changes no result).
UNIX_FLAGS = ["-O3", "-std=c11", "-fno-math-errno", "-ffp-contract=off"]

setup(
    ext_modules=[
        Extension(
            f"lamina._native.{name}",
            sources=[f"lamina/_native/{name}.c"],
            depends=["lamina/_native/native_args.h", "lamina/_native/dconv_isa.h"],
            extra_compile_args=[] if sys.platform == "win32" else UNIX_FLAGS,
            optional=True,
        )
        # fused optimizer, convolution (memory-bound passes; direct AVX-512), recurrent-step and normalization kernels; a bounded spin-wait
        for name in ("_optim", "_conv", "_dconv", "_rnn", "_norm", "_spin")
    ]
)
