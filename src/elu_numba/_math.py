"""The math of elu_numba, written once.

Every kernel in the package -- the njit loops in :mod:`elu_numba._cpu`, the ufuncs in
:mod:`elu_numba.ufuncs`, the functions in :mod:`elu_numba.scalar` and the CUDA kernels in
:mod:`elu_numba.cuda` -- is built from the scalar functions defined here.

All arithmetic is done in float64.  A float32 input is widened, computed with a shorter
polynomial (relative error < 2**-30) and rounded once when stored, so every float32 result is
within 1 ULP of the correctly rounded one, ``alpha`` included.  float64 uses a longer polynomial
(relative error < 2**-60).

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
from fractions import Fraction

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
_EXP_LO = -750.0  # exp(x) rounds to 0 in float64 below -745.2; 2**(k+64) stays normal

# h(r) = (expm1(r) - r) / r**2 on |r| <= ln(2)/2, lowest power first (tools/fit_expm1.py 5 / 10)
_H32 = (
    0.500000001353873,
    0.16666666681704215,
    0.04166646419740569,
    0.008333310844647862,
    0.0013933730715792083,
    0.00019891080463998843,
)
_H64 = (
    0.5,
    0.1666666666666667,
    0.04166666666666667,
    0.008333333333326084,
    0.0013888888888883711,
    0.0001984126987500228,
    2.480158732567746e-05,
    2.755725517000089e-06,
    2.755727347871858e-07,
    2.5105312729622103e-08,
    2.09147553258932e-09,
)


# -- bit casts: one LLVM bitcast each; the pure-Python versions serve the CUDA simulator ----
def f64_bits(x):
    """The IEEE-754 bits of a float64 as an int64."""
    return int(np.array(x, dtype=np.float64).view(np.int64))


def bits_f64(i):
    """The float64 whose IEEE-754 bits are the int64 ``i``."""
    # mask: a Python int does not wrap like int64 does (``bits << 52`` in expm1_neg)
    return float(np.array(i & 0xFFFF_FFFF_FFFF_FFFF, dtype=np.uint64).view(np.float64))


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


def fma(a, b, c):
    """a * b + c rounded once (the hardware FMA in compiled code)."""
    a, b, c = float(a), float(b), float(c)
    if not all(map(math.isfinite, (a, b, c))):
        return a * b + c
    return float(Fraction(a) * Fraction(b) + Fraction(c))


@intrinsic
def _fma_f64(typingctx, a, b, c):
    if not (a == b == c == types.float64):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@overload(fma, inline="always")
def _fma_impl(a, b, c):
    return lambda a, b, c: _fma_f64(np.float64(a), np.float64(b), np.float64(c))


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
        hi = fma(r2, fma(c[5], r, c[4]), fma(c[3], r, c[2]))
        return fma(r2, hi, fma(c[1], r, c[0]))
    c = _H64
    r4 = r2 * r2
    lo = fma(r2, fma(c[3], r, c[2]), fma(c[1], r, c[0]))
    mid = fma(r2, fma(c[7], r, c[6]), fma(c[5], r, c[4]))
    top = fma(r2, c[10], fma(c[9], r, c[8]))
    return fma(r4, fma(r4, top, mid), lo)


@jitable
def _reduce(x, lo, single):
    """Clamp x to [lo, 0] (NaN stays NaN); return (t, r, c): x = k ln2 + r + c, bits(t) = k + C.

    ``c`` is the rounding error of ``r`` (float64 only; the float32 path does not need it).
    """
    x = 0.0 if x > 0.0 else x
    x = lo if x < lo else x
    t = fma(x, _LOG2E, _MAGIC)
    k = t - _MAGIC
    hi = fma(k, -_LN2_HI, x)  # exact: _LN2_HI has 32 bits and |k| < 2**11
    if single:
        return t, hi, 0.0
    lo_ = k * _LN2_LO
    r = hi - lo_
    return t, r, (hi - r) - lo_


@jitable
def _pow2(t, extra):
    """2**(k + extra) from the magic sum t (bits(t) = k + C): shift k into the exponent."""
    return bits_f64((f64_bits(t) << 52) + _ONE_BITS + (extra << 52))


@jitable
def scaled_expm1(x, x_lo, alpha, single):
    """alpha * expm1(x + x_lo) for x <= 0 as float64 (x > 0 is treated as 0; NaN gives NaN).

    float64: expm1 = (s - 1) + s*r + s*(r*r*h + c), with s = 2**k.  The first two terms are
    exact and are added error-free (Fast2Sum, |s - 1| >= |s*r|), the product with alpha is
    split error-free with an FMA, so the result is rounded once: within 1 ULP for any alpha.
    """
    t, r, c = _reduce(np.float64(x), _EXPM1_LO, single)
    s = _pow2(t, 0)
    q = r * r * _h(r, single)
    if single:
        return alpha * fma(s, r + q, s - 1.0)
    a = s - 1.0
    b = s * r
    big = a + b
    # the reduction's residue c + x_lo enters with the factor exp(r) = 1 + r + q
    tail = fma(s, fma(c + x_lo, 1.0 + (r + q), q), b - (big - a))
    hi = alpha * big
    return hi + fma(alpha, tail, fma(alpha, big, -hi))


@jitable
def expm1_neg(x, single):
    """expm1(x) for x <= 0 as float64 (x > 0 is treated as 0; NaN gives NaN)."""
    return scaled_expm1(x, 0.0, 1.0, single)


@jitable
def scaled_exp(x, x_lo, g, alpha, single):
    """g * alpha * exp(x + x_lo) for x <= 0 as float64 (x > 0 is treated as 0).

    ``alpha * 2**k`` is exact, so ``alpha * exp(x)`` is one FMA; the product is formed with
    2**(k+64) and scaled back last, so results in the subnormal range are rounded only once.
    """
    t, r, c = _reduce(np.float64(x), _EXP_LO, single)
    q = r * r * _h(r, single)
    p = r + fma(c + x_lo, 1.0 + (r + q), q)
    s = alpha * _pow2(t, _EXP_SHIFT)
    return (g * fma(s, p, s)) * _EXP_UNSCALE


@jitable
def _divide(x, alpha):
    """x / alpha as an unevaluated sum u + u_lo (u_lo: the rounding error, exact via FMA).

    CELU feeds u_lo into the range reduction, so exp(x / alpha) is not spoiled by the
    rounding of the quotient (which would cost |x / alpha| * 2**-53 relative error).
    """
    u = np.float64(x) / alpha
    return u, (fma(-u, alpha, np.float64(x)) / alpha if u > _EXP_LO else 0.0)


# -- the activations: f(x, alpha) -> float64 ------------------------------------------------
# The forward functions return x itself where x >= 0 (so -0.0 stays -0.0) and take the
# exponential branch where x < 0 or x is NaN; at x == 0 both branches give 0.
@jitable
def elu(x, alpha):
    """ELU: x if x > 0 else alpha * expm1(x)."""
    return np.float64(x) if x >= 0 else scaled_expm1(x, 0.0, alpha, is_single(x))


@jitable
def selu(x, alpha):
    """SELU: SELU_SCALE * (x if x > 0 else SELU_ALPHA * expm1(x)); ``alpha`` is unused."""
    return SELU_SCALE * x if x >= 0 else scaled_expm1(x, 0.0, SELU_SCALE_ALPHA, is_single(x))


@jitable
def celu(x, alpha):
    """CELU: x if x > 0 else alpha * expm1(x / alpha)  (alpha != 0)."""
    if x >= 0:
        return np.float64(x)
    u, u_lo = _divide(x, alpha)
    return scaled_expm1(u, u_lo, alpha, is_single(x))


@jitable
def relu(x, alpha):
    """ReLU: x if x > 0 else 0 (NaN propagates; -0.0 stays -0.0); ``alpha`` is unused."""
    return 0.0 if x < 0 else np.float64(x)


# -- gradients from the input: f(grad, x, alpha) -> float64 --------------------------------
# The branch at 0 is the exponential one (x <= 0), as in the ELU paper.
@jitable
def elu_grad_x(g, x, alpha):
    """dL/dx = g if x > 0 else g * alpha * exp(x)."""
    return np.float64(g) if x > 0 else scaled_exp(x, 0.0, np.float64(g), alpha, is_single(x))


@jitable
def selu_grad_x(g, x, alpha):
    """dL/dx = g * SELU_SCALE if x > 0 else g * SELU_SCALE * SELU_ALPHA * exp(x)."""
    if x > 0:
        return g * SELU_SCALE
    return scaled_exp(x, 0.0, np.float64(g), SELU_SCALE_ALPHA, is_single(x))


@jitable
def celu_grad_x(g, x, alpha):
    """dL/dx = g if x > 0 else g * exp(x / alpha)."""
    if x > 0:
        return np.float64(g)
    u, u_lo = _divide(x, alpha)
    return scaled_exp(u, u_lo, np.float64(g), 1.0, is_single(x))


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
    """dL/dx = g if y > 0 else g * (y / alpha + 1), computed as g * ((y + alpha) / alpha)."""
    return np.float64(g) if y > 0 else g * ((np.float64(y) + alpha) / alpha)


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
