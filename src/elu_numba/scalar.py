"""Scalar versions of every function, for your own ``@numba.njit`` code (also callable from
Python).  They compute with the same code as the array kernels and return the input's float
type (float32 in, float32 out; float64, Python floats, integers and bools give float64).
float16 scalars are not supported here (Numba raises NotImplementedError): convert them to
float32, as the array functions do.  Each is inlined into the code that calls it
(``_math.always_inline``), so that LLVM can vectorize a loop over them: until 2026-12-07
float64 ``celu`` and ``celu_grad_x``, past LLVM's inlining threshold, were called element
by element from a user's loop, 9.0-9.4 ns per element instead of 1.5-1.9.

>>> import numba, numpy as np
>>> from elu_numba import scalar
>>> @numba.njit
... def total(xs):
...     s = 0.0
...     for v in xs:
...         s += scalar.elu(v, 1.0)
...     return s
>>> round(total(np.array([-1.0, 2.0])), 6)
1.367879
"""

from __future__ import annotations

from . import _math
from ._options import scalar_jit

__all__ = [
    "celu",
    "celu_grad_x",
    "celu_grad_y",
    "elu",
    "elu_grad_x",
    "elu_grad_y",
    "relu",
    "relu_grad_x",
    "relu_grad_y",
    "selu",
    "selu_grad_x",
    "selu_grad_y",
]

like = _math.like


@scalar_jit
def elu(x, alpha=1.0):
    """``x if x > 0 else alpha * expm1(x)``."""
    _math.always_inline()
    return like(x, _math.elu(x, alpha))


@scalar_jit
def selu(x):
    """``SELU_SCALE * (x if x > 0 else SELU_ALPHA * expm1(x))``."""
    _math.always_inline()
    return like(x, _math.selu(x, 1.0))


@scalar_jit
def celu(x, alpha=1.0):
    """``x if x > 0 else alpha * expm1(x / alpha)``; NaN for x < 0 where alpha <= 0."""
    _math.always_inline()
    return like(x, _math.celu(x, alpha))


@scalar_jit
def relu(x):
    """``x if x > 0 else 0``; NaN propagates."""
    _math.always_inline()
    return like(x, _math.relu(x, 0.0))


@scalar_jit
def elu_grad_x(g, x, alpha=1.0):
    """``g if x > 0 else g * alpha * exp(x)``."""
    _math.always_inline()
    return like(g, _math.elu_grad_x(g, x, alpha))


@scalar_jit
def elu_grad_y(g, y, alpha=1.0):
    """``g if y > 0 else g * (y + alpha)`` (alpha >= 0)."""
    _math.always_inline()
    return like(g, _math.elu_grad_y(g, y, alpha))


@scalar_jit
def selu_grad_x(g, x):
    """``g * SELU_SCALE`` if x > 0 else ``g * SELU_SCALE_ALPHA * exp(x)``."""
    _math.always_inline()
    return like(g, _math.selu_grad_x(g, x, 1.0))


@scalar_jit
def selu_grad_y(g, y):
    """``g * SELU_SCALE`` if y > 0 else ``g * (y + SELU_SCALE_ALPHA)``."""
    _math.always_inline()
    return like(g, _math.selu_grad_y(g, y, 1.0))


@scalar_jit
def celu_grad_x(g, x, alpha=1.0):
    """``g if x > 0 else g * exp(x / alpha)``; NaN for x <= 0 where alpha <= 0."""
    _math.always_inline()
    return like(g, _math.celu_grad_x(g, x, alpha))


@scalar_jit
def celu_grad_y(g, y, alpha=1.0):
    """``g if y > 0 else g * (y / alpha + 1)``; NaN for y <= 0 where alpha <= 0."""
    _math.always_inline()
    return like(g, _math.celu_grad_y(g, y, alpha))


@scalar_jit
def relu_grad_x(g, x):
    """``g if x > 0 else 0``; NaN in x gives NaN."""
    _math.always_inline()
    return like(g, _math.relu_grad_x(g, x, 0.0))


@scalar_jit
def relu_grad_y(g, y):
    """``g if y > 0 else 0``; NaN in y gives NaN."""
    _math.always_inline()
    return like(g, _math.relu_grad_y(g, y, 0.0))
