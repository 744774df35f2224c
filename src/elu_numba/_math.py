"""The math of elu_numba, written once.

Every kernel in the package -- the njit loops in :mod:`elu_numba._cpu`, the ufuncs in
:mod:`elu_numba.ufuncs`, the functions in :mod:`elu_numba.scalar` and the CUDA kernels in
:mod:`elu_numba.cuda` -- is built from the scalar functions defined here.

All arithmetic is done in float64.  A float32 input is widened, computed with a shorter
polynomial (relative error < 2**-30) and rounded once when stored, so every float32 result is
within 1 ULP of the correctly rounded one, ``alpha`` included.  float64 uses a longer polynomial
(relative error < 2**-54).

expm1 for x <= 0, branch-free so that LLVM vectorizes the whole loop:

1. clamp: ``x = min(x, 0)`` and ``x = max(x, LO)`` written as selects that keep NaN;
2. reduce: ``k = round(x / ln 2)`` with the add-a-magic-constant trick (no round instruction,
   no float->int conversion, which AVX2 lacks for float64), ``r = x - k ln 2`` with a
   Cody-Waite split of ln 2, so ``|r| <= ln(2)/2``;
3. ``expm1(r) = r + r*r*h(r)`` with a polynomial ``h`` (fitted by ``tools/fit_expm1.py``):
   no cancellation near 0;
4. ``2**k`` is built from the integer bits of the magic sum (``bits << 52`` plus the bias);
5. ``expm1(x) = 2**k * expm1(r) + (2**k - 1)``, ``exp(x) = 2**k * expm1(r) + 2**k``.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from ._options import jitable

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SELU_SCALE_ALPHA = SELU_SCALE * SELU_ALPHA

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 with 33 significant bits: k * _LN2_HI is exact
_LN2_LO = 1.9082149292705877e-10  # ln 2 - _LN2_HI
_MAGIC = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer, kept in the low bits
_ONE_BITS = 0x3FF0000000000000  # bits of 1.0 (exponent bias << 52)
_EXP_SHIFT = 64  # exp() builds 2**(k+64) and scales by 2**-64 so subnormal results stay right
_EXP_UNSCALE = 2.0**-_EXP_SHIFT
_EXPM1_LO = -60.0  # expm1(x) rounds to -1 in float64 for x < -38
_EXP_LO = -760.0  # exp(x) rounds to 0 in float64 for x < -745.2

# h(r) = (expm1(r) - r) / r**2 on |r| <= ln(2)/2, lowest power first (tools/fit_expm1.py 5 / 9)
_H32 = (
    0.500000001353873,
    0.16666666681704215,
    0.04166646419740569,
    0.008333310844647862,
    0.0013933730715792083,
    0.00019891080463998843,
)
_H64 = (
    0.5000000000000001,
    0.16666666666666669,
    0.041666666666623824,
    0.008333333333330039,
    0.0013888888917367081,
    0.00019841269863171557,
    2.4801521057868204e-05,
    2.7557268276905696e-06,
    2.7620201591031547e-07,
    2.5100472505694996e-08,
)


# -- bit casts: one LLVM bitcast each; the pure-Python versions serve the CUDA simulator ----
def f64_bits(x):
    """The IEEE-754 bits of a float64 as an int64."""
    return int(np.array(x, dtype=np.float64).view(np.int64))


def bits_f64(i):
    """The float64 whose IEEE-754 bits are the int64 ``i``."""
    return float(np.array(i, dtype=np.int64).view(np.float64))


@intrinsic
def _bitcast_f64_i64(typingctx, x):
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _bitcast_i64_f64(typingctx, i):
    if i != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@overload(f64_bits, inline="always")
def _f64_bits_impl(x):
    return lambda x: _bitcast_f64_i64(np.float64(x))


@overload(bits_f64, inline="always")
def _bits_f64_impl(i):
    return lambda i: _bitcast_i64_f64(np.int64(i))


def is_single(x):
    """True when ``x`` is a float32 (or float16): it then takes the shorter polynomial."""
    return isinstance(x, (np.float32, np.float16))


@overload(is_single, inline="always")
def _is_single_impl(x):
    single = isinstance(x, types.Float) and x.bitwidth <= 32
    return lambda x: single


# -- the expm1 core ------------------------------------------------------------------------
@jitable
def _h(r, single):
    """h(r) = (expm1(r) - r) / r**2, Estrin's scheme (short dependency chains)."""
    r2 = r * r
    if single:
        c = _H32
        return (c[0] + c[1] * r) + r2 * ((c[2] + c[3] * r) + r2 * (c[4] + c[5] * r))
    c = _H64
    r4 = r2 * r2
    lo = (c[0] + c[1] * r) + r2 * (c[2] + c[3] * r)
    mid = (c[4] + c[5] * r) + r2 * (c[6] + c[7] * r)
    return lo + r4 * (mid + r4 * (c[8] + c[9] * r))


@jitable
def _reduce(x, lo, single):
    """Clamp x to [lo, 0] (NaN stays NaN), return (t, r) with x = k ln2 + r, bits(t) = k + C."""
    x = 0.0 if x > 0.0 else x
    x = lo if x < lo else x
    t = x * _LOG2E + _MAGIC
    k = t - _MAGIC
    r = x - k * _LN2_HI
    if not single:
        r = r - k * _LN2_LO
    return t, r


@jitable
def expm1_neg(x, single):
    """expm1(x) for x <= 0 as float64 (x > 0 is treated as 0; NaN gives NaN)."""
    t, r = _reduce(np.float64(x), _EXPM1_LO, single)
    p = r + r * r * _h(r, single)
    s = bits_f64((f64_bits(t) << 52) + _ONE_BITS)
    return s * p + (s - 1.0)


@jitable
def exp_neg(x, single):
    """exp(x) for x <= 0 as float64, accurate down to the subnormals (x > 0 is treated as 0)."""
    t, r = _reduce(np.float64(x), _EXP_LO, single)
    p = r + r * r * _h(r, single)
    s = bits_f64((f64_bits(t) << 52) + _ONE_BITS + (_EXP_SHIFT << 52))
    return (s * p + s) * _EXP_UNSCALE


# -- the activations: f(x, alpha) -> float64 ------------------------------------------------
# The forward functions return x itself where x >= 0 (so -0.0 stays -0.0) and take the
# exponential branch where x < 0 or x is NaN; at x == 0 both branches give 0.
@jitable
def elu(x, alpha):
    """ELU: x if x > 0 else alpha * expm1(x)."""
    return np.float64(x) if x >= 0 else alpha * expm1_neg(x, is_single(x))


@jitable
def selu(x, alpha):
    """SELU: SELU_SCALE * (x if x > 0 else SELU_ALPHA * expm1(x)); ``alpha`` is unused."""
    return SELU_SCALE * x if x >= 0 else SELU_SCALE_ALPHA * expm1_neg(x, is_single(x))


@jitable
def celu(x, alpha):
    """CELU: x if x > 0 else alpha * expm1(x / alpha)  (alpha != 0)."""
    return np.float64(x) if x >= 0 else alpha * expm1_neg(np.float64(x) / alpha, is_single(x))


@jitable
def relu(x, alpha):
    """ReLU: x if x > 0 else 0 (NaN propagates; -0.0 stays -0.0); ``alpha`` is unused."""
    return 0.0 if x < 0 else np.float64(x)


# -- gradients from the input: f(grad, x, alpha) -> float64 --------------------------------
# The branch at 0 is the exponential one (x <= 0), as in the ELU paper.
@jitable
def elu_grad_x(g, x, alpha):
    """dL/dx = g if x > 0 else g * alpha * exp(x)."""
    return np.float64(g) if x > 0 else g * (alpha * exp_neg(x, is_single(x)))


@jitable
def selu_grad_x(g, x, alpha):
    """dL/dx = g * SELU_SCALE if x > 0 else g * SELU_SCALE * SELU_ALPHA * exp(x)."""
    return g * SELU_SCALE if x > 0 else g * (SELU_SCALE_ALPHA * exp_neg(x, is_single(x)))


@jitable
def celu_grad_x(g, x, alpha):
    """dL/dx = g if x > 0 else g * exp(x / alpha)."""
    return np.float64(g) if x > 0 else g * exp_neg(np.float64(x) / alpha, is_single(x))


@jitable
def relu_grad_x(g, x, alpha):
    """dL/dx = g if x > 0 else 0 (NaN in x gives NaN)."""
    return np.float64(g) if x > 0 else (0.0 if x <= 0 else np.float64(x))


# -- gradients from the output y = f(x) (needs alpha >= 0) ---------------------------------
@jitable
def elu_grad_y(g, y, alpha):
    """dL/dx = g if y > 0 else g * (y + alpha)."""
    return np.float64(g) if y > 0 else g * (y + alpha)


@jitable
def selu_grad_y(g, y, alpha):
    """dL/dx = g * SELU_SCALE if y > 0 else g * (y + SELU_SCALE * SELU_ALPHA)."""
    return g * SELU_SCALE if y > 0 else g * (y + SELU_SCALE_ALPHA)


@jitable
def celu_grad_y(g, y, alpha):
    """dL/dx = g if y > 0 else g * (y / alpha + 1)."""
    return np.float64(g) if y > 0 else g * (np.float64(y) / alpha + 1.0)


@jitable
def relu_grad_y(g, y, alpha):
    """dL/dx = g if y > 0 else 0 (NaN in y gives NaN)."""
    return np.float64(g) if y > 0 else (0.0 if y <= 0 else np.float64(y))





def like(x, v):
    """``v`` as x's float type: float32 for a float32 x, float64 otherwise."""
    return np.float32(v) if isinstance(x, np.float32) else np.float64(v)


@overload(like, inline="always")
def _like_impl(x, v):
    if isinstance(x, types.Float) and x.bitwidth == 32:
        return lambda x, v: np.float32(v)
    return lambda x, v: np.float64(v)
