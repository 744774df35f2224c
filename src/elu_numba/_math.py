"""The math of elu_numba, written once.

Every kernel in the package -- the njit loops in :mod:`elu_numba._cpu`, the ufuncs in
:mod:`elu_numba.ufuncs`, the functions in :mod:`elu_numba.scalar` and the CUDA kernels in
:mod:`elu_numba.cuda` -- is built from the scalar functions defined here.

The activations (``elu``, ``selu``, ``celu``) compute in the array's own precision: float32
(and float16) in float32 -- 16 lanes per AVX-512 vector, 8 per AVX2 one -- and float64 in
float64.  Their core, ``_expm1_parts``, is a branch-free expm1 for x <= 0 that LLVM
vectorizes whole:

1. clamp ``x`` so that nothing overflows: an integer min on the bits (x in [lo, 0] keeps
   its value; x > 0, NaN and anything below lo become lo: the callers select x itself for
   those), float32 in one ``vpminsd``, float64 in one ``vpminsq`` on AVX-512 and a
   compare and a blend on AVX2 (no 64-bit integer min there);
2. ``k = round(x / ln 2)`` by adding a magic constant (no round instruction, no float->int
   conversion, which AVX2 lacks for float64); ``r = x - k ln2`` in one FMA with ln2 the
   nearest value to ln 2 in the dtype: ``r`` is exact (a multiple of the smaller spacing of
   x and k ln2 below ln(2)/2), only the constant's own error is left;
3. ``2**k`` from the integer bits of the magic sum: the magic constant's low bits hold the
   exponent bias, so ``bits << mantissa`` is 2**k in one shift;
4. ``expm1(x) = (2**k - 1) + 2**k r + 2**k r**2 h(r)``: the first two terms are exact and
   are added error-free, ``h`` is a polynomial (``tools/fit_expm1.py``) evaluated by
   Horner's rule (``horner``; the float64 alpha = 1 kernel by Horner's rule in r**2 over
   pairs of coefficients, ``poly``: half the dependency chain; the float32 alpha = 1
   kernel with a polynomial of one degree less, ``_H32_UNIT``), and the result
   is handed back as ``hi + lo`` so that ``alpha * expm1`` is one FMA, rounded once.

float64 also adds back the error of its ln2 constant (2^-55.3, times k).  Every result is
within 1 ULP of the exact value for any alpha (``tools/ulp_sweep.py`` sweeps every float32).

The gradients from x need ``exp`` over the whole range (down to the subnormals, times
``grad``).  For float32 (and float16) ELU and SELU the reduction and the polynomial run in
float32 and only the product ``g * alpha * 2**k * (1 + e)`` in float64 (``scaled_exp32``:
within 1.2 ULP, no range limit); float64, and CELU (which divides by alpha first), compute in
float64 (``scaled_exp``) and round once.  The gradients from y are one multiply and an add.

CELU divides by alpha without a division: 1 / alpha (prescaled by a power of 2 at the ends
of the range, ``_reciprocal``) is computed once per call, the quotient is corrected once (two
FMAs: it is then the division's, nearly always) and its remaining error is carried by its
exact remainder, one FMA.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from ._options import jitable

# the SELU paper's constants (Klambauer et al. 2017, 32 digits), as decimal strings
_SELU_DIGITS = ("1.6732632423543772848170429916717", "1.0507009873554804934193349852946")
SELU_ALPHA = float(_SELU_DIGITS[0])
SELU_SCALE = float(_SELU_DIGITS[1])
# scale * alpha, the float64 nearest to the product of the paper's values (the gradients'
# constant).  The product of the two float64 constants, which PyTorch uses, is one step
# below it (1.06 ULP from the true value); with it float64 ``selu_grad(x=)`` reached
# 2.71 ULP of the exact gradient, 1.70 with this one (until 2026-12-05;
# ``tests/test_accuracy.py`` holds float64 gradients to 2 ULP since).
_SELU_SCALE_ALPHA = Fraction(_SELU_DIGITS[0]) * Fraction(_SELU_DIGITS[1])  # exact
SELU_SCALE_ALPHA = float(_SELU_SCALE_ALPHA)

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 with 33 significant bits: k * _LN2_HI is exact
_LN2_LO = 1.9082149292705877e-10  # ln 2 - _LN2_HI
# 1.5 * 2**52 + 1023: adding it rounds to an integer k, kept in the low bits as k + 1023 (the
# exponent bias), so that those bits shifted left by 52 are those of 2**k.  (Until
# 2026-12-05 the bias was added after the shift: one integer add per vector more.)
_MAGIC = 6755399441056767.0
_EXP_SHIFT = 64  # scaled_exp builds 2**(k+64) where 2**k or alpha * 2**k is tiny (see there)
# exp(x) rounds to 0 in float64 below -745.2; the gradients clamp x here, where k = -1087
# and scaled_exp's 2**(k+64) has the bits of +0.0: g * alpha * 0 below (for |g * alpha| <
# 2**8 the exact value rounds to 0 there too).  r = x - k ln2 = +0.151 >= 0 there, so
# that fma(s, p, s) keeps the sign of s = alpha * 0 (a p < 0 would make it +0.0).  k is
# -1087 from x = -753.10 on: an infinite g gives NaN (inf * 0) from there
_EXP_LO = -753.3
_DEEP_K = -1000  # scaled_exp scales the lanes where 2**k or |alpha| * 2**k < 2**-1000

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
# The float64 gradients' h where they have no alpha factor (``scaled_exp`` with alpha
# None, and CELU's), evaluated over pairs of coefficients (``poly``): degree 9, the
# minimax of exp(r) = 1 + r + r*r*h(r)'s relative error, which is all the gradient needs
# (``tools/fit_expm1.py 9 --minimax --exp``: 2^-56.8 with the coefficients rounded, 0.15 of
# an ULP at worst).  ``_H64`` keeps expm1's relative accuracy near 0, which ELU's forward
# needs, at one degree more (and Estrin's scheme, two multiplications more): 2 of the
# loop's 18 FMA-unit operations per vector.
_H64_EXP = (
    0.5000000000000011,
    0.16666666666666408,
    0.04166666666652813,
    0.008333333333496928,
    0.001388888894424415,
    0.0001984126950272411,
    2.480149239281451e-05,
    2.7557588442043684e-06,
    2.7630522033246196e-07,
    2.4999850357080563e-08,
)
# The float32 alpha = 1 kernel's h (``_expm1_unit``): degree 4, the minimax of expm1's
# relative error (``tools/fit_expm1.py 4 --minimax``, rounded to float32: 2^-25.8 where the
# degree-5 h above has 2^-30.8).  One FMA less per element; every negative float32 is still
# within 1 ULP: 0.947 at most instead of 0.881 (``tools/ulp_sweep.py --fn elu --alpha 1``).
# The general kernels keep degree 5: alpha * expm1 has one rounding more to absorb.
_H32_UNIT = (
    0.4999999701976776,
    0.16666541993618011,
    0.04166720435023308,
    0.00836664717644453,
    0.001388249802403152,
)
# The float32 gradients' h (``fast_exp32``, ``scaled_exp32``): degree 4, the minimax of
# exp(r) = 1 + r + r*r*h(r)'s relative error, which is all a gradient needs (``python
# tools/fit_expm1.py 4 --minimax --exp --float32``: 2^-27.84 with the coefficients rounded to
# float32, 0.07 of an ULP at worst, where the degree-5 ``_H32`` gives 2^-30 at one FMA more).
# Until 2026-12-07 they evaluated ``_H32``: the float32 gradient loop from x at alpha = 1 took
# 12 FMAs and multiplies and 2 blends per 8 values, 11 and none now (its selects went the
# same day, ``elu_grad_x_fast32``; ``python benchmarks/grad_ab.py`` times both loops).
_H32_EXP = tuple(
    np.float32(c)
    for c in (
        0.4999999403953552,
        0.1666651964187622,
        0.041668400168418884,
        0.00836885068565607,
        0.0013814320554956794,
    )
)


# -- bit casts: one LLVM bitcast each; the pure-Python versions serve the CUDA simulator ----
def f64_bits(x):
    """The IEEE-754 bits of a float64 as an int64."""
    return int(np.array(x, dtype=np.float64).view(np.int64))


def bits_f64(i):
    """The float64 whose IEEE-754 bits are the int64 ``i``."""
    # mask: a Python int does not wrap like int64 does (``bits << 52`` in expm1_neg)
    return float(np.array(int(i) & 0xFFFF_FFFF_FFFF_FFFF, dtype=np.uint64).view(np.float64))


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


@overload(f64_bits)
def _f64_bits_impl(x):
    return lambda x: _bitcast_f64_i64(np.float64(x))


@overload(bits_f64)
def _bits_f64_impl(i):
    return lambda i: _bitcast_i64_f64(np.int64(i))


@intrinsic
def _bitcast_f32_i32(typingctx, x):
    if x != types.float32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return types.int32(types.float32), codegen


@intrinsic
def _bitcast_i32_f32(typingctx, i):
    if i != types.int32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


@intrinsic
def _freeze(typingctx, x):
    if not isinstance(x, (types.Float, types.Integer)):  # integers: float16 bits
        return None

    def codegen(context, builder, signature, args):
        instr = ir.instructions.Instruction(builder.block, args[0].type, "freeze", [args[0]])
        builder._insert(instr)
        return instr

    return x(x), codegen


@intrinsic
def _always_inline_llvm(typingctx):
    def codegen(context, builder, signature, args):
        builder.function.attributes.add("alwaysinline")
        return context.get_dummy_value()

    return types.void(), codegen


def always_inline():
    """Mark the function that calls this ``alwaysinline`` for LLVM (no instruction; nothing
    in Python).  For the entry functions the kernels' loops call whose size is near LLVM's
    inlining threshold: a loop that calls its function instead stays scalar (``celu_grad_x``
    in float64 took 12.3 instead of 1.6 ns per element in L1 when its clamp of 2026-12-05
    tipped it over).  A function around such a function has its size once it is inlined
    there, so the public wrappers call this too: ``ufuncs.celu``, whose float64 ufunc loop
    called it element by element, and every function of ``elu_numba.scalar``, for a
    user's loop (until 2026-12-07).  Numba inlines this one call in its own IR, so the
    attribute lands on the caller."""


@overload(always_inline, inline="always")
def _always_inline_impl():
    return lambda: _always_inline_llvm()


def fma(a, b, c):
    """a * b + c rounded once (the hardware FMA in compiled code).

    Three float32 arguments give a float32 (the float32 FMA), anything else a float64.
    """
    single = all(isinstance(v, np.float32) for v in (a, b, c))
    a, b, c = float(a), float(b), float(c)
    if not all(map(math.isfinite, (a, b, c))):
        r = a * b + c
    else:
        r = Fraction(a) * Fraction(b) + Fraction(c)
        if r == 0:  # a Fraction has no -0.0; then a * b is exact and IEEE's sign rule applies
            r = a * b + c
    # float32: rounded via float64 (a double rounding only matters in rare ties; this pure
    # Python version serves the CUDA simulator alone)
    return np.float32(float(r)) if single else float(r)


@intrinsic
def _fma_native(typingctx, a, b, c):
    if not (a == b == c and a in (types.float32, types.float64)):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return a(a, a, a), codegen


@overload(fma)
def _fma_impl(a, b, c):
    if a == b == c == types.float32:
        return lambda a, b, c: _fma_native(a, b, c)
    return lambda a, b, c: _fma_native(np.float64(a), np.float64(b), np.float64(c))


def is_single(x):
    """True when ``x`` is a float32 (or float16), or an array of them: it then takes the
    shorter polynomial."""
    x = getattr(x, "dtype", x)
    return x in (np.float32, np.float16) or isinstance(x, (np.float32, np.float16))


def _element(x):
    """The element type of an array type, else x's own type (in the overloads' typing)."""
    return x.dtype if isinstance(x, types.Array) else x


@overload(is_single)
def _is_single_impl(x):
    x = _element(x)
    single = isinstance(x, types.Float) and x.bitwidth <= 32
    return lambda x: single


@jitable
def _nonpositive(x):
    """x where x <= 0 or NaN, +0.0 where x > 0: the gradients' clamp of the exponential side.

    Decided on the bits (0 < bits <= bits of +inf), not by ``x > 0``: the callers select g
    where x > 0, and with the same compare in both places LLVM drops this clamp as redundant
    on the lanes they keep.  The discarded lanes then computed exp(x) unclamped, and rounding
    that to float32 overflowed: a flag the ufuncs report (seen with NumPy 2.2 and 2.5,
    2026-12-05).  Freezing x does not stop it (LLVM moves the freeze to the load), and a
    compare LLVM could relate to ``x > 0`` (``x > 1``: 0.65 ns per element) may be folded
    by a later LLVM.  Since the ufuncs clear the flags their results do not explain
    (``_cpu._settle_flags``, 2026-12-05) the gradients' exp no longer needs it (its price:
    0.71 instead of 0.62 ns per element in L1 in the float32 general loop); what still calls
    it: the float64 gradients' deep path and ``celu_grad_x`` before its division (and the
    float form of the forward clamp, which CPUs without AVX-512 ran until 2026-12-07 and
    ``benchmarks/poly_ab.py`` still times)."""
    b = to_bits(x)
    return like(x, 0.0) if (b > 0) & (b <= to_bits(like(x, np.inf))) else x


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
def _reduce(x, lo, single, exact=True):
    """Clamp x to [lo, 0] (NaN stays NaN); return (t, r, c): x = k ln2 + r + c, bits(t) = k + C.

    ``c`` is the rounding error of ``r`` (float64 with ``exact`` only; the float32 path does
    not need it).  ``exact=False`` (float64), and ``single`` (float32 results computed in
    float64: CELU's gradient from x): r = x - k ln2 rounded once (one FMA with ln 2's low
    part) and c = 0: up to half an ULP of r, |r| <= ln2 / 2, which moves exp(r) by at most
    0.35 of its ULP (see ``scaled_exp``).  Until 2026-12-07 ``single`` left ln 2's low part
    out: k * 1.9e-10 for k down to -150, up to 0.4 of a float32 ULP (float32 CELU's
    gradient from x 0.890 ULP at alpha 1.7, x = -144.94969; 0.502 with it).
    lo = -inf: no clamp at all, for callers that keep the result only where x is in
    [-745, 0] or NaN: a lane x > 0 computes exp(x) itself (garbage, inf or NaN), which
    they discard.  Its FP flags are all it leaves: the ufuncs clear those their results do
    not explain (``_cpu._settle_flags``).  The clamp of x > 0 cost the float64 gradients'
    loop of blocks in range 5 of 46 instructions per vector and 11% of its time in L1
    (2026-12-05).
    """
    if lo != -np.inf:
        x = _nonpositive(x)
        x = lo if x < lo else x
    t = fma(x, _LOG2E, _MAGIC)
    k = t - _MAGIC
    hi = fma(k, -_LN2_HI, x)  # exact: _LN2_HI has 32 bits and |k| < 2**11
    if single or not exact:
        return t, fma(k, -_LN2_LO, hi), 0.0
    lo_ = k * _LN2_LO
    r = hi - lo_
    return t, r, (hi - r) - lo_


@jitable
def _pow2(t, extra):
    """2**(k + extra) from the magic sum t (the low bits of t are k + 1023): shift them into
    the exponent (k + extra from -1023 on; k + extra = -1023 gives +0.0)."""
    return bits_f64((f64_bits(t) << 52) + (extra << 52))


# -- the forward core: expm1 in the array's own precision, as an unevaluated sum -----------
def to_bits(x):
    """The IEEE-754 bits of a float32 (as int32) or float64 (as int64)."""
    if isinstance(x, np.float32):
        return int(np.array(x, dtype=np.float32).view(np.int32))
    return f64_bits(x)


def from_bits(i, like_x):
    """The float of ``like_x``'s type (float32 or float64) whose bits are the integer ``i``
    (wrapped to that width: Numba does integer arithmetic in int64)."""
    if isinstance(like_x, np.float32):
        return np.float32(np.array(int(i) & 0xFFFF_FFFF, dtype=np.uint32).view(np.float32))
    return bits_f64(i)


@overload(to_bits)
def _to_bits_impl(x):
    if x == types.float32:
        return lambda x: _bitcast_f32_i32(x)
    if x == types.float64:
        return lambda x: _bitcast_f64_i64(x)


@overload(from_bits)
def _from_bits_impl(i, like_x):
    if like_x == types.float32:
        return lambda i, like_x: _bitcast_i32_f32(np.int32(i))
    if like_x == types.float64:
        return lambda i, like_x: _bitcast_i64_f64(np.int64(i))


def _split(c: Fraction, dtype) -> tuple:
    """c as hi + lo in ``dtype`` with hi <= c, so lo >= 0 (lo * -0.0 keeps the sign of 0)."""
    hi = dtype(float(c))
    if Fraction(float(hi)) > c:
        hi = np.nextafter(hi, dtype(0.0))
    return hi, dtype(float(c - Fraction(float(hi))))


_LN2 = Fraction("0.69314718055994530941723212145817656807550013436026")


# The float64 clamp is the integer min on the bits, as float32's (vpminsd): one vpminsq on
# AVX-512, a vpcmpgtq and a vblendvpd on AVX2, which has no 64-bit integer min.  Until
# 2026-12-07 CPUs without AVX-512 took a float form instead (x > 0 to 0 by a compare on
# the bits, ``_nonpositive``, then a vmaxpd with lo), decided from the CPU's features.  On
# the AMD EPYC Zen 3 VM (``znver3``, AVX2, 2026-12-07) the integer form took less time side
# by side (``python benchmarks/poly_ab.py``, which still builds the float form: slot 12 of
# the constants): the float64 ELU loop at alpha = 1 0.669 ns per element instead of 0.747
# on 2^20 values in parallel, 1.345 instead of 1.441 on 2^13 serial (medians of 60 rounds),
# as it had on the AVX-512 VMs (Intel Xeon ``icelake-server`` 2026-12-04: 5-7% less; Zen 4
# 2026-12-05: 0.69 against 0.73 ns per element in L1), with the same bits on every lane
# the callers keep (``tests/test_semantics.py``).  The float form could not be
# a plain vminpd and vmaxpd: LLVM dropped that clamp in the lanes the caller's select
# discards, and the ufuncs raised overflow flags with NumPy 2.2 and 2.5 (2026-12-05).


def _constants(dtype, lo: float, h: tuple, h_unit: tuple) -> tuple:
    """The constants of the forward math in ``dtype`` (their types pick the code)."""
    f = np.dtype(dtype).type
    mant = np.finfo(dtype).nmant  # 23 or 52
    ibits = np.int32 if f is np.float32 else np.int64
    # ln 2 as the nearest value in the dtype: r = x - k*ln2 is then exact (see _expm1_parts)
    # and the constant's own error ln2_lo is all that is left (2^-28.9 in float32, where it
    # moves the result by < 0.04 ULP and is ignored; 2^-55.3 in float64, corrected)
    ln2_hi = f(float(_LN2))
    ln2_lo = f(float(_LN2 - Fraction(float(ln2_hi))))
    return (
        f(lo),  # 0: expm1(x) rounds to -1 below this
        f(_LOG2E),  # 1
        # 2: adding it rounds to an integer k; its low bits are k + the exponent bias, so
        # bits(magic + k) << mant is the float 2**k
        f(1.5 * 2.0**mant + (np.finfo(dtype).maxexp - 1)),
        ln2_hi,  # 3: ln 2 rounded to nearest
        ln2_lo,  # 4: ln 2 - ln2_hi
        mant,  # 5
        ibits(f(lo).view(ibits)),  # 6: bits of lo (the float32 clamp is an integer min)
        tuple(f(c) for c in h),  # 7: h
        f(1.0),  # 8
        _split(_SELU_SCALE_ALPHA, f),  # 9: hi + lo
        # 10: hi + lo of the float64 SELU_SCALE (float64: lo = 0, x > 0 gives SELU_SCALE * x)
        _split(Fraction(SELU_SCALE), f),
        f is np.float64,  # 11: float64: the ln2_lo correction
        False,  # 12: the float64 clamp as a float max (only benchmarks/poly_ab.py: True)
        tuple(f(c) for c in h_unit),  # 13: h of the alpha = 1 kernel (_expm1_unit)
    )


_F32 = _constants(np.float32, -18.0, _H32, _H32_UNIT)  # expm1 rounds to -1 below x = -17.33
_F64 = _constants(np.float64, -40.0, _H64, _H64)  # ... and below x = -37.4 in float64


@jitable
def _upper_pairs11(r, r2, c):
    """c[2] + c[3] r + ... + c[10] r**8 over pairs of coefficients in r2."""
    q = fma(r2, c[10], fma(c[9], r, c[8]))
    q = fma(r2, q, fma(c[7], r, c[6]))
    q = fma(r2, q, fma(c[5], r, c[4]))
    return fma(r2, q, fma(c[3], r, c[2]))


@jitable
def _pairs11(r, r2, c):
    return fma(r2, _upper_pairs11(r, r2, c), fma(c[1], r, c[0]))


@jitable
def _horner5(r, c):
    return fma(fma(fma(fma(c[4], r, c[3]), r, c[2]), r, c[1]), r, c[0])


@jitable
def _horner6(r, c):
    q = fma(fma(fma(fma(c[5], r, c[4]), r, c[3]), r, c[2]), r, c[1])
    return fma(q, r, c[0])


@jitable
def _horner11(r, c):  # the float64 h by Horner's rule: benchmarks/poly_ab.py's baseline
    q = fma(fma(fma(fma(c[10], r, c[9]), r, c[8]), r, c[7]), r, c[6])
    q = fma(fma(fma(fma(fma(q, r, c[5]), r, c[4]), r, c[3]), r, c[2]), r, c[1])
    return fma(q, r, c[0])


_HORNER = {5: _horner5, 6: _horner6, 11: _horner11}


def horner(r, c):
    """c[0] + c[1] r + c[2] r**2 + ... by Horner's rule, for the 5 or 6 float32 coefficients
    of h (and the 11 float64 ones, which no kernel evaluates this way since 2026-12-08; the
    benchmarks compare against it): one FMA per coefficient and nothing else.

    The general float32 kernel (``_expm1_parts``, any alpha) keeps it: with pairs of
    coefficients (``poly``) the exhaustive float32 sweep of ELU at alpha = 1.7 rose from
    0.926 to 0.955 ULP and CELU at alpha = 1 from 0.820 to 0.883 (``tools/ulp_sweep.py``,
    2026-12-03), a thinner margin for a bound that must hold for every alpha.
    """
    return _HORNER[len(c)](r, c)


@overload(horner)
def _horner_impl(r, c):
    return _HORNER[len(c)]


@jitable
def _horner5_r2(r, r2, c):
    return _horner5(r, c)


@jitable
def _pairs10(r, r2, c):  # _pairs11 less its top coefficient
    q = fma(r2, fma(c[9], r, c[8]), fma(c[7], r, c[6]))
    q = fma(r2, q, fma(c[5], r, c[4]))
    q = fma(r2, q, fma(c[3], r, c[2]))
    return fma(r2, q, fma(c[1], r, c[0]))


_POLY = {5: _horner5_r2, 10: _pairs10, 11: _pairs11}


@jitable
def _horner6_r2(r, r2, c):
    return _horner6(r, c)


@jitable
def _tail_pairs11(r, r2, c):
    """c[0] + r (c[1] + r q), q = c[2] + c[3] r + ... over pairs in r2."""
    return fma(fma(_upper_pairs11(r, r2, c), r, c[1]), r, c[0])


_PARTS_POLY = {6: _horner6_r2, 11: _tail_pairs11}


def parts_poly(r, r2, c):
    """h(r) for the general kernels' ``_expm1_parts``, given r2 = r*r: the 6 float32
    coefficients by Horner's rule (``horner``); the 11 float64 ones as
    ``c0 + r (c1 + r q)``, its last two steps by Horner's rule and q = c2 + c3 r + ... over
    pairs of coefficients in r2, as ``poly`` does.

    The split keeps the float64 bound for every alpha at 0.9645 ULP, as Horner's rule in r
    had it, where pairs all the way reach 0.9993 and Estrin's scheme 1.0452
    (``python tools/ulp_sweep.py --any-alpha --float64``, 2026-12-08): the two low terms,
    which carry most of h, are rounded as before.  The chain is 6 FMAs after r2 instead of
    10; the serial loops in L1 took 0.93x (ELU at alpha 1.7), 0.92-0.93x (SELU) and 0.94x
    (CELU at 1.7) the time of Horner's rule (``python benchmarks/tree_ab.py``, AMD EPYC Zen
    3 VM, 2026-12-08; docs/speed-log.md).  float32 keeps Horner's rule (see ``horner``).
    """
    return _PARTS_POLY[len(c)](r, r2, c)


@overload(parts_poly)
def _parts_poly_impl(r, r2, c):
    return _PARTS_POLY[len(c)]


def poly(r, r2, c):
    """c[0] + c[1] r + c[2] r**2 + ... for the coefficients of h, given r2 = r*r: for the 11
    and 10 float64 coefficients (``_H64``, ``_H64_EXP``) Horner's rule in r2 over pairs of
    coefficients, ``(c0 + c1 r) + r2 ((c2 + c3 r) + r2 (...))``; for the 5 float32 ones
    (``_H32_UNIT``) Horner's rule.

    The pairs take one FMA per coefficient, as Horner's rule in r, and the caller's r*r,
    which it needs anyway, but half the dependency chain (6 FMAs after r2 instead of 10).
    Used by the alpha = 1 kernel (``_expm1_unit``).  Measured side by side in one process
    (Intel Xeon VM ``icelake-server``, 2026-12-03, ``python benchmarks/poly_ab.py``):
    float64 0.73-0.77 ns per element instead of 0.77-0.83 on 2^20 values in parallel,
    1.42-1.43 instead of 1.53-1.54 on 2^13 serial (256-bit loops then; in the kernels'
    512-bit shape, 2026-12-04: 0.50-0.53 instead of 0.53-0.59, and 0.67-0.96 instead of
    0.69-1.04); float64 ELU on 10^7 inputs 0.888 ULP at
    most (0.852 with Horner's rule).  float32 gained nothing (within 3%) and lost accuracy
    (every negative float32: 0.935 ULP instead of 0.881), so it keeps Horner's rule.

    The float64 gradients without an alpha factor (``scaled_exp``: ELU's at alpha = 1,
    CELU's) take it for ``_H64_EXP`` since 2026-12-08, where they had Horner's rule in r (9
    FMAs in a chain, 5 now): the serial loops in L1 took 0.82-0.93x the time, the same
    instructions (``python benchmarks/tree_ab.py``, AMD EPYC Zen 3 VM; docs/speed-log.md).
    The general kernels' ``_expm1_parts`` cannot take it whole: with pairs all the way, or
    with Estrin's scheme, its float64 bound for every alpha rose from 0.9645 ULP to 0.9993
    or 1.0452 (``python tools/ulp_sweep.py --any-alpha --float64``, 2026-12-08); it takes
    pairs for all but the last two steps (``parts_poly``).
    """
    return _POLY[len(c)](r, r2, c)


@overload(poly)
def _poly_impl(r, r2, c):
    return _POLY[len(c)]


@jitable
def _reduce_parts(x, K):
    """Clamp x and reduce it: (k, r, s) with x = k ln2 + r (+ k ln2_lo in float64), s = 2**k.

    The clamp is one signed integer min on the bits (float64 on AVX2: a compare and a
    blend) -- a float in [lo, 0] (-0.0 included) has bits below those of lo; every x > 0,
    NaN or x < lo has bits above, so they all become lo (the callers select x itself where
    x >= 0 or NaN), and the discarded lanes raise no overflow flag (the ufuncs report them).
    ``K[12]`` (only ``benchmarks/poly_ab.py`` sets it) takes the float form that CPUs
    without AVX-512 ran until 2026-12-07: x > 0 to 0 by a compare on the bits
    (``_nonpositive``), then a float max with lo; NaN stays NaN.
    """
    lo_x, log2e, magic, ln2_hi, ln2_lo, mant, lo_bits, h, one = K[:9]
    if K[12]:
        z = _nonpositive(x)
        z = lo_x if z < lo_x else z
    else:
        xb = to_bits(x)
        z = from_bits(xb if xb < lo_bits else lo_bits, x)
    t = fma(z, log2e, magic)
    k = t - magic
    # exact: |r| <= ln2/2 is a multiple of the smaller spacing of z and k*ln2_hi
    r = fma(k, -ln2_hi, z)
    return k, r, from_bits(to_bits(t) << mant, t)


@jitable
def _expm1_parts(x, K):
    """expm1(x) for x <= 0 in x's precision as an unevaluated sum (hi, lo).

    ``K`` is ``_F32`` or ``_F64``.  x > 0 and NaN give no meaningful value (the callers
    select x itself there).  With s = 2**k and r = x - k ln2:
    expm1 = (s - 1) + s*r + s*r*r*h(r).  The
    first two terms are exact and are added error-free (Fast2Sum: |s - 1| >= |s*r| for k < 0,
    s - 1 = 0 for k = 0); the rest is small.  So ``alpha*hi + alpha*lo`` (one FMA) is within
    1 ULP for any alpha, in float32 without a float64 anywhere.  A caller whose input has a
    low part x_lo adds x_lo * e^x = x_lo * (1 + (hi + lo)) (to first order in x_lo: CELU).
    """
    ln2_lo, h, one = K[4], K[7], K[8]
    k, r, s = _reduce_parts(x, K)
    sm1 = s - one
    sr = s * r
    hi = sm1 + sr
    tail = sr - (hi - sm1)
    if K[11]:  # the true r is r - k*ln2_lo: to first order expm1 moves by -s*k*ln2_lo*(1+r)
        sk = s * k
        tail = fma(fma(sk, r, sk), -ln2_lo, tail)
    return hi, fma(sr * r, parts_poly(r, r * r, h), tail)


@jitable
def _expm1_unit(x, K):
    """expm1(x) for x <= 0 in x's precision, rounded (within 1 ULP): (s - 1) + s*e, one FMA.

    The leaner form for alpha = 1: e = r + r*r*h(r) = expm1(r) is rounded once, then
    s*e + (s - 1) once more (s*e is exact, s - 1 too).  ``e``'s rounding costs at most a
    quarter of the result's ULP (|s*e| <= 0.21 where the result is >= 0.29), so the whole is
    within 1 ULP -- but alpha * (this) would not be: the general kernels use _expm1_parts.
    float32 evaluates a polynomial of one degree less (``_H32_UNIT``, error 2^-25.8, up to
    0.4 ULP where k = 0): measured on every negative float32, 0.947 ULP at most.
    Clamped to [lo, 0] (see _reduce_parts): x > 0 gives 0 or expm1(lo) and NaN gives
    expm1(lo) or NaN, so the result is <= x for every x >= 0, and >= x for every x < 0
    (expm1(x) > x there).
    """
    h, one = K[13], K[8]  # float32: the degree-4 h (_H32_UNIT)
    k, r, s = _reduce_parts(x, K)
    r2 = r * r
    if K[11]:
        # the true r is r - c, c = k*ln2_lo: expm1 moves by -c*(1+r).  The c*r part is left
        # out: at most 2^-57.8 (k = -1, s = 1/2), 0.07 ULP of the result; 2^-k smaller below
        e = r + fma(r2, poly(r, r2, h), -(k * K[4]))
    else:
        e = fma(r2, poly(r, r2, h), r)
    return fma(s, e, s - one)


def work(x):
    """The constants for x's type: float32 (and float16, computed in float32) or float64."""
    return _F32 if is_single(x) else _F64


@overload(work)
def _work_impl(x):
    single = isinstance(x, types.Float) and x.bitwidth <= 32
    return (lambda x: _F32) if single else (lambda x: _F64)


def real(x):
    """x as the type the math computes in: float32 for float32 and float16, else float64."""
    return np.float32(x) if is_single(x) else np.float64(x)


@overload(real)
def _real_impl(x):
    if isinstance(x, types.Float) and x.bitwidth <= 32:
        return lambda x: np.float32(x)
    return lambda x: np.float64(x)


@jitable
def _exponent(alpha):
    """The exponent of |alpha| (a float64's biased exponent field less 1023)."""
    return ((f64_bits(np.float64(alpha)) >> 52) & 0x7FF) - 1023


@jitable
def deep_k(alpha):
    """The k below which ``scaled_exp`` scales 2**k up: from there on 2**k and |alpha| * 2**k
    are both >= 2**-1000 (for every finite alpha; a subnormal or zero alpha scales every
    lane), -1000 for |alpha| >= 1.  Depends on alpha alone: LLVM computes it once per call.
    (Without the bound on 2**k itself, a large alpha left lanes with k < -1022 unscaled,
    whose 2**k the exponent bits cannot hold: +inf for ``elu_grad(-7e133, x=-725.4,
    alpha=2**900)``, found the same day by the test of every block's bits.)"""
    return np.float64(max(_DEEP_K - _exponent(alpha), _DEEP_K))


@jitable
def _deep_alpha(alpha):
    """(alpha * 2**-e, 2**(e - 64)) with e = alpha's exponent clamped to [0, 64]: the factors
    of a deep lane of ``scaled_exp``.  Depends on alpha alone (once per call)."""
    e = min(max(_exponent(alpha), 0), _EXP_SHIFT)
    return alpha * bits_f64((1023 - e) << 52), bits_f64((1023 + e - _EXP_SHIFT) << 52)


@jitable
def scaled_exp(x, x_lo, g, alpha, single, deep=True):
    """g * alpha * exp(x + x_lo) for x <= 0 as float64 (x > 0 is treated as 0 with ``deep``,
    and gives garbage without: the callers discard it); x_lo None: 0; alpha None: no factor
    (ELU's gradient at alpha = 1, CELU's at every alpha).

    With s = alpha * 2**k (exact while normal), ``fma(s, p, s)`` is alpha * exp(x) rounded
    once and g times it rounds once more, into the subnormal range too.  Where 2**k or s
    would be tiny (k < ``deep_k(alpha)``: x < -692 for |alpha| >= 1) the lane computes with
    (alpha * 2**-e) * 2**(k+64) and multiplies by 2**(e-64) last (e: alpha's exponent,
    clamped to [0, 64], ``_deep_alpha``), so that s keeps its bits and g * fma(s, p, s)
    stays below 2**90 * |g| (for a large alpha, the true product and its overflow).  Until
    2026-12-05 every lane computed with alpha * 2**(k+64), and g * alpha * exp(x)
    overflowed to inf for |g * alpha| > 2**960 (a float64 gradient of 1e300 at x = -1e-4
    gave inf).  Those lanes round twice where the result is subnormal, and for
    |alpha| < 2**-4 the scaled s may itself be subnormal there.  Below x = -753.3 (the
    clamp, ``_EXP_LO``; -inf included) 2**(k+64) is +0.0 and the result g * alpha * 0: a
    zero with the product's sign, right while |g * alpha| < 2**8, and NaN for an infinite g
    (inf * 0, as in PyTorch, whose exp(x) is 0 there).  Until 2026-12-05 the clamp was at
    -750 and gave g * alpha * exp(-750): 2e-323 for g = 1000 at x = -inf, inf for g = inf.

    alpha None: q = g * 2**k is exact (while normal) and ``fma(q, p, q)`` rounds once, so
    the result has one rounding where g * fma(s, p, s) has two.  That margin pays for a
    leaner exp without x_lo: r = x - k ln2 rounded once (``_reduce`` with exact=False, up
    to 0.35 of an ULP of exp(r)), and p = fma(r*r, h, r) with exp's own polynomial
    (``_H64_EXP``: degree 9, 0.15 ULP) rounded once (0.5): within 1.5 ULP by this count,
    1.015 measured with grad = 1 and 1.143 with random grads (``python tools/ulp_sweep.py
    --float64 --fn elu_grad_x --alpha 1 [--grads random]``, 10^7 inputs, 2026-12-05),
    where the two-rounding form gave 0.821 and 1.529; with h over pairs of coefficients
    (``poly``, 2026-12-08) 1.014 and 1.195.  With an alpha,
    s's path keeps r's rounding error c (``exact``) and expm1's polynomial: its two
    roundings leave no room (1.868 ULP with random grads; the lean reduction alone took
    that to 1.937).  A zero q (g = +-0, or g * 2**k below the subnormals) and an infinite
    one (g = +-inf) give q itself (``_times_one_plus``): the FMA would give +0.0 for p < 0
    whatever q's sign, and NaN (inf - inf) for an infinite q and p <= 0.  The deep
    lanes take q = g * 2**(k+64) and multiply by 2**-64 last (alpha = 1's ``_deep_alpha``).
    Until 2026-12-05, evening, these cases took s's path with alpha = 1: the float64
    gradient loop from x at alpha = 1 took 40 instructions (19 of them on the FMA units)
    per 8 values and 0.86-0.89 ns per element in L1, where it takes 30 (16) and 0.74 now
    (``python tools/loop_ops.py --fn elu_grad_x-unit --time``, Zen 4 VM).

    ``deep=False``: the caller knows that no lane has k < ``deep_k(alpha)`` (the kernels'
    blocks whose x are all >= ``fast_grad_lo``), and the scale, its selects and the final
    multiply are left out; the lanes compute the same bits as with ``deep``.
    """
    exact = x_lo is not None or alpha is not None
    t, r, c = _reduce(np.float64(x), _EXP_LO if deep else -np.inf, single, exact)
    if x_lo is None and alpha is None:
        r2 = r * r
        p = fma(r2, poly(r, r2, _H64_EXP), r)
    elif x_lo is None:
        # exp(r + c) - 1 = p_r + c * (1 + r) + c * q: the last term is below 2^-59 (|c| <=
        # 2^-55, q = r*r*h(r) < 0.065) and left out, so c * (1 + r) is ready before h(r)
        # and joins it in one FMA: 5% less time per element than r + (p_r + c * (1 + r))
        # (``tools/loop_ops.py --fn elu_grad_x-unit --time``, Zen 4 VM, 2026-12-05)
        p = r + fma(r * r, _h(r, single), fma(c, r, c))
    else:
        # CELU: x_lo, the quotient's error, reaches 2^-43, and x_lo * q counts.  exp's h
        # (``_H64_EXP``, ``poly``) in float64: 73 instead of 76 instructions per 8 values
        r2 = r * r
        h = _h(r, single) if single else poly(r, r2, _H64_EXP)
        q = r2 * h
        p = r + fma(r2, h, fma(x_lo, 1.0 + (r + q), fma(c, r, c)))
    if alpha is None:
        if deep:
            low = t - _MAGIC < deep_k(1.0)
            q = g * _pow2(t, _EXP_SHIFT if low else 0)
            return _times_one_plus(q, p) * (_DEEP_UNSCALE if low else 1.0)
        return _times_one_plus(g * _pow2(t, 0), p)
    if deep:
        low = t - _MAGIC < deep_k(alpha)  # (t - _MAGIC is _reduce's k: LLVM computes it once)
        a_deep, unscale = _deep_alpha(alpha)
        s = (a_deep if low else alpha) * _pow2(t, _EXP_SHIFT if low else 0)
        return (g * _with_sign_of(fma(s, p, s), s)) * (unscale if low else 1.0)
    s = alpha * _pow2(t, 0)
    # alpha = +-0: s is a zero, and the FMA's sum of two zeros is +0.0 where p < 0
    return g * _with_sign_of(fma(s, p, s), s)


_DEEP_UNSCALE = 2.0**-_EXP_SHIFT  # the deep lanes' last factor where alpha is None (1)


@jitable
def _times_one_plus(q, p):
    """q (1 + p) rounded once, ``fma(q, p, q)``, for a float64 q = g * 2**k and p = expm1(r)
    (|p| < 0.42; NaN for a NaN x, whose 2**k may be anything), with two repairs.  A zero q
    keeps its sign (``_with_sign_of``: the FMA's sum of two zeros is +0.0 where p < 0).  An
    infinite q gives q: the FMA's q * p + q is inf - inf, NaN where p <= 0, and there the
    result is q + p, q itself for a number p and NaN for a NaN one (``elu_grad(inf,
    x=-1.0)`` was NaN at alpha = 1, and CELU's gradient at every alpha, until 2026-12-07,
    where the paths with an alpha factor, PyTorch and the scalar function give inf).  An
    add, a compare and a blend per vector more; the paths with an alpha keep the sign
    repair alone (their s = alpha * 2**k is finite, and g multiplies after the FMA).  (A
    select of q where q + q == q, zeros and infinities at once, was one operation less, but
    gave 0 for a NaN x whose 2**k came out 0.)"""
    res = _with_sign_of(fma(q, p, q), q)
    return res if res == res else q + p


@jitable
def _with_sign_of(res, q):
    """res = fma(q, p, q) with q's sign where q is a zero (the FMA's +0.0 for p < 0): q's sign
    bit or'ed into res's bits, one ``vpternlogq``.  Wherever q is not zero the two signs
    agree already (1 + p > 0), and a NaN's sign means nothing.  A select on res != 0 took a
    compare on the FMA units: 0.78 against 0.74 ns per element in L1.  float32 or float64
    (res and q of one type); the sign bit is the bits of -0.0."""
    return from_bits(to_bits(res) | (to_bits(q) & to_bits(like(res, -0.0))), res)


# float32 g * alpha * exp(x) rounds to 0 below x = -281.4 for every float32 g and alpha
# (|g * alpha| < 2**256), whatever the reduction gives there.  From x = -708.74 on k is
# -1023, so that the float64 2**k built from its bits is +0.0: x = -inf (and every x below)
# gives g * alpha * 0, NaN for an infinite g (until 2026-12-05 the clamp was at -300 and
# gave inf there).  At the clamp r = +0.090 >= 0, so that fma(alpha, e, alpha) keeps the
# sign of alpha = -0.0 (at -709.1, r < 0 made it +0.0)
_EXP32_LO = -709.0
_F32_TO_F64_BIAS = (1023 - 127) << 52  # a float32 exponent bias in bits << 52 made float64's


@jitable
def scaled_exp32(x, g, alpha):
    """g * alpha * exp(x) for a float32 (or float16) x <= 0, as float64 (x > 0: garbage, which
    the callers discard; its FP flags the ufuncs clear).

    exp(x) = 2**k (1 + e) with the reduction and e = expm1(r) in float32 (16 lanes per
    AVX-512 vector): r = x - k ln2 in two FMAs (the first exact, the second, with ln 2's
    float32 error, rounded once: at most 2^-26 where |r| >= 1/4), e by the gradients'
    float32 polynomial (``_H32_EXP``: 2^-27.8 of exp(r); rounded once: at most 2^-26, |e| <
    0.42).  Then in float64: q = g * alpha * 2**k (2**k exact, g * alpha within 2^-53) and
    q + q e in one FMA, so no float32 range limit applies (down to x = -281.4, where the
    float32 result stops being 0, 2**-406 times a subnormal g stays a normal float64).  The
    two float32 roundings move 1 + e by at most 2^-26 (1 + 1 / 0.70), 0.6 of a float32 ULP
    at worst, the polynomial 0.07 more; the caller's rounding to float32 adds half: within
    1.2 ULP (0.87 measured on every 97th negative float32 with ``_H32``'s degree 5,
    ``tools/ulp_sweep.py``), where the float64 path (``scaled_exp``) gives 0.5.  NaN stays
    NaN (the clamp is a select).
    """
    K = _F32
    z = np.float32(x)
    z = np.float32(_EXP32_LO) if z < np.float32(_EXP32_LO) else z
    t = fma(z, K[1], K[2])
    k = t - K[2]
    r = fma(k, -K[4], fma(k, -K[3], z))
    e = fma(r * r, horner(r, _H32_EXP), r)
    # 2**k as float64 from t's bits (their low bits are k + 127)
    s = bits_f64((np.int64(to_bits(t)) << 52) + _F32_TO_F64_BIAS)
    # alpha = +-0: the FMA's sum of two zeros would be +0.0 where e < 0 (see _with_sign_of)
    return (np.float64(g) * s) * _with_sign_of(fma(alpha, np.float64(e), alpha), alpha)


# -- the float32 gradient from x without float64, where its range allows ----------------------
# g * alpha * exp(x) in float32 alone, for x >= FAST_GRAD_LO and 2^-20 <= |alpha| <= 2^20:
# there alpha * 2**k (k >= -87) and alpha * exp(x) are normal float32 numbers, so no float64
# is needed for the range.  The kernels run it on a block of a float32 array only when every
# x of the block is >= FAST_GRAD_LO (NaN is not), else the block takes ``_grad_exp``.
#
# float64's variants (below, ``elu_grad_x_fast64``) are the general functions without the
# deep scale of ``scaled_exp`` (CELU's also without ``_divide``'s clamp): the same bits
# where they run.  (An earlier float64 loop of
# 2026-12-05, with the forward polynomial by pairs and other bits, was not kept.)
FAST_GRAD_LO = -60.0
_FAST_ALPHA_MIN, _FAST_ALPHA_MAX = 2.0**-20, 2.0**20


@jitable
def fast_grad_lo(alpha, x):
    """The least x for which the ``FAST_GRAD`` functions hold with this alpha, in the type of
    the array ``x``: FAST_GRAD_LO for a float32 ``x`` with alpha None (alpha = 1) or in
    [2^-20, 2^20] in magnitude, else NaN (never: every ``x >= lo`` is False).  For a float64
    ``x``: the x above which no lane of ``scaled_exp`` is scaled (k >= ``deep_k(alpha)``),
    -692.4 for |alpha| >= 1."""
    if not is_single(x):
        a = 1.0 if alpha is None else np.float64(alpha)
        return like(x, (deep_k(a) + 1.0) * _LN2_HI)
    ok = True
    if alpha is not None:
        m = abs(np.float64(alpha))
        ok = m >= _FAST_ALPHA_MIN and m <= _FAST_ALPHA_MAX
    return like(x, FAST_GRAD_LO if ok else np.nan)


@jitable
def fast_exp32(x, d):
    """(s, e) with exp(x + d) = s (1 + e), s = 2**k, for float32 x in [FAST_GRAD_LO, 0], in
    float32 (16 lanes per AVX-512 vector, no conversion): the reduction and the polynomial
    of ``scaled_exp32``.  d None: 0; else a small float32 (|d| < 2^-16, CELU's quotient
    remainder) added to the reduction's low part, r = hi + (d - k ln2_lo) with hi = x - k
    ln2_hi exact: r still rounds once, and d - k ln2_lo rounds to 2^-24 of itself, below
    2^-40.  No clamp: the blocks that run it have every x >= FAST_GRAD_LO (no NaN), and x >
    0 gives garbage (inf, NaN) that the callers discard (ELU's at alpha = 1 passes x = 0
    there instead); its FP flags the ufuncs clear.  Until 2026-12-05 x was clamped to
    [FAST_GRAD_LO, 0] on the bits of -|x| for those flags: 2 of 53 instructions per 32
    values."""
    K = _F32
    z = np.float32(x)  # (float64 kernels compile this but never run it)
    t = fma(z, K[1], K[2])
    k = t - K[2]
    hi = fma(k, -K[3], z)
    r = fma(k, -K[4], hi) if d is None else hi + fma(k, -K[4], d)
    return from_bits(to_bits(t) << K[5], t), fma(r * r, horner(r, _H32_EXP), r)


@jitable
def fast_scaled(a, e):
    """a (1 + e) as hi + lo: hi = a + a e rounded once, lo = a e - (hi - a) its rounding
    error, exact up to a rounding far below hi's ULP (a - hi is exact, by Sterbenz:
    0.70 <= hi / a <= 1.42).  Then g * (hi + lo) is one FMA, ``fma(g, hi, g * lo)``,
    rounded once; with ``fast_exp32``'s s and e and a = alpha * s (exact while normal), the
    float32 e's two roundings (0.6 ULP at worst, as in ``scaled_exp32``) and that last
    rounding are all the error.  No intermediate overflows or underflows where
    ``fast_grad_lo`` allows (|hi| < 2^21, >= 2^-108): where g * alpha * exp(x) does, the
    FMA rounds it as the exact value would be."""
    hi = fma(a, e, a)
    return hi, fma(a, e, a - hi)


@jitable
def _grad_exp(g, x, alpha):
    """g * alpha * exp(x) for x <= 0 as float64: ``scaled_exp32`` for float32 and float16,
    ``scaled_exp`` for float64 (alpha None: 1, rounded once there)."""
    if is_single(x):
        return scaled_exp32(x, g, 1.0 if alpha is None else np.float64(alpha))
    return scaled_exp(x, None, np.float64(g), alpha, False)


@jitable
def _reciprocal(a):
    """(pre, inv) such that w / a is (w * pre) * inv: CELU divides by alpha without a division.

    Both depend on alpha alone, so in the kernels' loops (alpha a scalar) LLVM computes them
    once per call and the loop has multiplications only: a packed division (``vdivps`` /
    ``vdivpd``) has a fraction of a multiply's throughput.  ``pre`` is 1, or 2**64 where
    |alpha| < 2**-100 (float32) / 2**-996 (float64) and 2**-64 where |alpha| > 2**100 /
    2**996, so that ``inv`` is a normal number for every finite alpha != 0: 1 / alpha would
    overflow for a subnormal alpha and lose bits for a huge one.  Scaling w by a power of 2
    is exact (CELU's w is clamped to [lo * alpha, 0], so it cannot overflow; where it
    underflows, w / alpha underflows too).  (w * pre) * inv is within 1.5 ULP of w / alpha;
    the callers add the remainder w - alpha * u (one FMA), so the quotient's rounding does
    not reach their result.  The remainder is exact where u is within 1 ULP of the quotient
    (nearly always); otherwise it needs one bit more and is rounded once: half an ULP of a
    term that is itself below 2 ULP of u (times alpha).
    """
    one = like(a, 1.0)
    shift = like(a, 2.0**64)
    big = like(a, 2.0**100 if is_single(a) else 2.0**996)
    m = abs(a)
    pre = shift if m < one / big else (one / shift if m > big else one)
    return pre, one / (a * pre)


@jitable
def _tiny_scale(a, below32, below64):
    """(ps, post): (2**64, 2**-64) in float32 where |alpha| < ``below32``, (2**128, 2**-128)
    in float64 where |alpha| < ``below64``, else (1, 1).  ELU passes 2**-100 / 2**-900, CELU
    2**59 / 2**890 (below).

    ELU and CELU compute with alpha * ps (and CELU with x * ps: CELU is homogeneous,
    celu(c x; c alpha) = c celu(x; alpha)) and multiply the result by post once.  With a tiny
    alpha a result can lie near the subnormal range, where each of the error-free terms
    (``alpha * lo`` and CELU's remainder term) would be rounded to the subnormal grid on its
    own: 1.04 ULP (ELU) and 1.30 ULP (CELU) off, measured.  Scaled, they are normal numbers,
    and post rounds the sum once (exact where the result is normal).  Both depend on alpha
    alone: in the kernels' loops LLVM computes them once per call; the loop pays one
    multiply (two in CELU).  Below these alphas every result of ELU or CELU that reaches the
    subnormal range could need it; above, ELU's lower term is below 1/16 of the result's ULP.

    CELU's results also reach the bottom binades where x does, at any alpha: with x in the
    smallest binade its remainder term was rounded to the subnormal grid, 1.056 ULP off at
    alpha = 3e-30 (x = -2.1653249e-38; 1.000 at alpha = 1.7 for subnormal x).  So CELU scales
    wherever alpha * 2**64 (2**128) times its clamp (-18 alpha, -40 alpha) stays finite:
    the scaled x is then >= 2**-85 (2**-946), and for a larger alpha a tiny x / alpha
    underflows to 0 or is exact with its remainder, which then carries x whole (until
    2026-12-06 CELU scaled below ELU's thresholds only).  Scaling by a power of 2 is exact:
    elsewhere the same bits, for the multiplies the loop paid already.
    """
    one = like(a, 1.0)
    big = like(a, 2.0**64 if is_single(a) else 2.0**128)
    tiny = like(a, below32 if is_single(a) else below64)
    small = abs(a) < tiny
    return (big if small else one), (one / big if small else one)  # one / big: a constant


@jitable
def _divide(x, alpha, clamp=True):
    """x / alpha as an unevaluated sum u + u_lo (u_lo: the rounding error, exact via FMA).

    CELU feeds u_lo into the range reduction, so exp(x / alpha) is not spoiled by the
    rounding of the quotient (which would cost |x / alpha| * 2**-53 relative error).

    x is first clamped to ``_EXP_LO * |alpha|`` (a select: NaN stays NaN), below which
    exp(x / alpha) is 0 to ``scaled_exp`` anyway: so the quotient cannot overflow (x =
    -1e308, alpha = 0.5) and its remainder is never inf - inf (x = -inf); where u is at or
    below ``_EXP_LO`` the remainder changes no bit (2**k is 0 there).  Until 2026-12-05 a
    select dropped the remainder there instead, after computing it: the result was the
    same, but the ufuncs raised the overflow or invalid flag from the discarded lane.
    ``clamp`` False: no clamp, for the kernels' loop on blocks where every x / alpha is
    >= -692.4 (``celu_grad_x_fast64``; the loops that run it on every element redo those
    below, and the ufuncs check the block first): 57 instead of 61 instructions per 8
    values (``python tools/loop_ops.py --fn celu_grad_x``).
    """
    a = np.float64(alpha)
    pre, inv = _reciprocal(a)
    d = a * pre  # scaled: for a subnormal alpha, v and d are normal, so the remainder below
    lo = _EXP_LO * abs(d)  # is exact (unscaled it could fall below the subnormal grid)
    v = np.float64(x) * pre
    if clamp:
        v = lo if v < lo else v
    u = v * inv
    return u, fma(-u, d, v) * inv


# -- the activations: f(x, alpha) -> float64 ------------------------------------------------
# The forward functions return x itself (times SELU's scale) where x >= 0 or x is NaN (so
# -0.0 stays -0.0) and take the exponential branch where x < 0.
# Both sides are computed and one is chosen: the loops store a blend.  float32 and float16
# compute in float32, everything else in float64.
#
# The functions that take ``alpha = None`` for alpha = 1: the kernels then run leaner code
# (ELU, CELU: the expm1 ``_expm1_unit``, also within 1 ULP; the gradients from x of ELU and
# CELU: ELU's, a multiply and an FMA in the float32 loop, ``elu_grad_x_fast``); a value may
# be one step away from the general kernel's at alpha = 1.0.  The njit kernels and these
# four ufuncs (a scalar alpha of 1) run it; the scalar functions, a ufunc's array alpha and
# the GPU kernels run the general one.
# They test ``alpha is None``: Numba prunes the branch that the argument's type rules out
# before typing it, so a kernel compiles only the code it runs (measured 2026-12-04, when
# the helpers were still inlined in Numba's IR: the float32 ufunc loops with their alpha = 1
# path, first compile on the Zen 4 VM, ELU 16.7 s instead of 18.2, CELU 40.7 s instead of
# 42.7, against 13-14 and 30-32 s without that path).
UNIT_ALPHA = ("elu", "celu", "elu_grad_x", "celu_grad_x")


@jitable
def elu(x, alpha):
    """ELU: x if x > 0 else alpha * expm1(x)."""
    v = real(x)
    if alpha is None:
        # alpha = 1 (None): the leaner expm1, and one max instead of a compare and a blend:
        # expm1 >= x for x < 0 and <= x for x >= 0 (see _expm1_unit), and x comes back
        # where it is NaN or -0.0 (vmaxps returns its second operand for those)
        neg = _expm1_unit(v, work(v))
        return neg if neg > v else v
    a0 = like(v, alpha)
    # a tiny alpha: computed scaled up, the result scaled back
    ps, post = _tiny_scale(a0, 2.0**-100, 2.0**-900)
    # alpha = +-0: computed with +-1 and the result times +0.0, a zero with the product's
    # sign (the FMA's sum of two zeros would be +0.0 whatever their signs).  Both are
    # alpha's alone: LLVM computes them once per call
    zero = a0 == 0
    a = math.copysign(like(v, 1.0), a0) if zero else a0 * ps
    post = like(v, 0.0) if zero else post
    hi, lo = _expm1_parts(v, work(v))
    neg = fma(a, hi, a * lo) * post
    if v < 0:
        return neg
    # x = +-0 takes the exponential branch: alpha * expm1(x) = alpha * x, x itself for
    # alpha > 0 (the sign flips for alpha < 0 or -0.0); NaN and x > 0 give x
    vb, sign = to_bits(v), to_bits(like(v, -0.0))
    flip = to_bits(a0) & sign  # alpha's sign bit, once per call
    return from_bits(vb ^ flip if (vb & ~sign) == 0 else vb, v)


@jitable
def selu(x, alpha):
    """SELU: SELU_SCALE * (x if x > 0 else SELU_ALPHA * expm1(x)); ``alpha`` is unused.

    The constants are hi + lo pairs in x's precision: each product is rounded once."""
    v = real(x)
    K = work(v)
    hi, lo = _expm1_parts(v, K)
    (sa, sa_lo), (sc, sc_lo) = K[9], K[10]
    neg = fma(sa, hi, fma(sa_lo, hi, sa * lo))
    pos = sc * v if sc_lo == 0 else fma(sc, v, sc_lo * v)  # (folded) 0 * inf would be NaN
    return neg if v < 0 else pos


@jitable
def celu(x, alpha):
    """CELU: x if x > 0 else alpha * expm1(x / alpha)  (alpha != 0)."""
    always_inline()  # float64: past LLVM's threshold since its clamp to -alpha (2026-12-06)
    if alpha is None:
        # alpha = 1 (None): expm1(x / 1) is elu(x)'s, the same kernel and bits
        return elu(x, alpha)
    v = real(x)
    a = _celu_alpha(like(v, alpha))
    floor = -a if a > 0 else like(a, np.nan)
    K = work(v)
    # w = v clamped to [lo * a, 0] (selects: NaN stays NaN), so v / a cannot overflow; below
    # lo * a the result rounds to -alpha anyway
    lo_a = K[0] * a
    w = lo_a if v < lo_a else (K[8] - K[8] if v > 0 else v)
    # w and alpha scaled by ps, the result by post, unless alpha is huge (see _tiny_scale)
    ps, post = _tiny_scale(a, 2.0**59, 2.0**890)
    a, w = a * ps, w * ps
    pre, inv = _reciprocal(a)
    u = (w * pre) * inv
    # one correction step, u + (w - a*u) / a: u is then the quotient rounded to nearest, or
    # next to it.  (w * pre) * inv alone is up to 1.5 ULP off, and its remainder term below
    # is then up to 3x larger, as are its roundings: float32 CELU at alpha = 1.7 rose to 1.008
    # ULP (x = -0.5474841, one of all 2^31 negative floats; 2026-12-04 to 12-06)
    u = fma(fma(-u, a, w) * pre, inv, u)
    # rem = w - a*u by FMA (exact, see _reciprocal): the quotient's error d = w/a - u times a.
    # a * expm1(u + d) = a * expm1(u) + rem * e^u * (1 + d/2 + ...), and e^u = 1 + (hi + lo):
    # the remainder term is rem * (1 + (hi + lo)), one addition and one FMA.  (Until
    # 2026-12-07 it was s * rem * (1 + r), three operations, which leaves out rem * s * r*r/2:
    # up to about 0.06 ULP, too much for a bound valid for every alpha, see
    # ``tools/ulp_sweep.py --any-alpha``.)  For tiny x, a*u + rem is x itself, even where u
    # is subnormal (hi + lo is then u, tiny).
    rem = fma(-u, a, w)
    hi, lo = _expm1_parts(u, K)
    # a * lo inside the FMA, unrounded: the remainder term, below the result's ULP, takes the
    # rounding instead (until 2026-12-06 a * lo was rounded on its own: 1.0015 ULP at alpha
    # = 3e-30, x = -9.066675e-31)
    neg = fma(a, hi, fma(a, lo, fma(rem, hi + lo, rem)))
    # at least -alpha (one vmaxps, -alpha being a per-call constant): CELU's range, so no
    # correctly rounded value moves.  Where the clamp lo * a overflows, alpha > max / 18
    # (float32; max / 40 in float64), x = -inf stays -inf there and the remainder is
    # -inf + inf: that NaN becomes -alpha here (until 2026-12-06 celu(-inf, 3e38) was NaN).
    # An invalid alpha (0 from _celu_alpha) keeps its NaN: the bound is NaN there
    neg = neg * post
    neg = neg if neg > floor else floor
    return neg if v < 0 else v


@jitable
def relu(x, alpha):
    """ReLU: x if x > 0 else 0 (NaN propagates; -0.0 stays -0.0); ``alpha`` is unused."""
    return 0.0 if x < 0 else np.float64(x)


# -- gradients from the input: f(grad, x, alpha) -> float64 --------------------------------
# The branch at 0 is the exponential one (x <= 0), as in the ELU paper.
@jitable
def elu_grad_x(g, x, alpha):
    """dL/dx = g if x > 0 else g * alpha * exp(x) (alpha None: 1, see UNIT_ALPHA)."""
    # both sides computed, then a select (see celu_grad_x)
    neg = _grad_exp(g, x, alpha)
    return np.float64(g) if x > 0 else neg


@jitable
def elu_grad_x_fast32(g, x, alpha):
    """``elu_grad_x`` for a float32 x >= FAST_GRAD_LO or > 0, in float32 alone (see
    ``fast_exp32``): the kernels' loop on blocks where that holds.

    alpha None (alpha = 1): g * 2**k is exact (or, below the smallest normal number, off by
    at most half a subnormal step, 0.71 of the result's after the factor 1 + e), so the
    result is ``fma(g * 2**k, e, g * 2**k)``, rounded once: 2 operations instead of 5.  And
    no select: x > 0 is computed as x = +0.0 (one ``vminps``, which keeps NaN), where k = 0
    and e = +-0.0 give g itself, as the select did (on the Zen 3 VM a blend takes an FMA
    unit's turn, a min does not: ``benchmarks/cpu_ports.py``).

    A zero keeps the sign of the exact product: the FMAs' sum of two zeros would be +0.0
    where g * 2**k (or g) is -0.0 and the other term +0.0 (e < 0, lo < 0).  Only there is
    the sum zero (any other exact sum is nonzero and rounds with its own sign), so the
    result then needs the sign of g * 2**k (g times alpha), which ``_with_sign_of`` ors
    into it: any nonzero result has that sign already.  Until 2026-12-07 a compare and a
    select did it (a blend, an FMA unit's turn on Zen 3)."""
    g = np.float32(g)
    if alpha is None:
        s, e = fast_exp32(_zero_above(np.float32(x)), None)
        return _times_exp32(g * s, e)
    s, e = fast_exp32(x, None)
    a = np.float32(alpha)
    hi, lo = fast_scaled(a * s, e)
    # a zero g gives a zero with the sign of g * a: its sign bit or'ed in (no select)
    neg = _with_sign_of(fma(g, hi, g * lo), from_bits(to_bits(g) ^ to_bits(a), g))
    return g if x > 0 else neg


@jitable
def selu_grad_x_fast32(g, x, alpha):
    """``selu_grad_x`` on the same terms as ``elu_grad_x_fast``: the constants as float32
    hi + lo pairs (``_F32[9]``, ``_F32[10]``), each product rounded once; g = +-0.0 gives
    itself (see there)."""
    (sa, sa_lo), (sc, sc_lo) = _F32[9], _F32[10]
    g = np.float32(g)
    s, e = fast_exp32(x, None)
    hi, lo = fast_scaled(sa * s, e)
    a_lo = sa_lo * s
    neg = _with_sign_of(fma(g, hi, g * (lo + fma(a_lo, e, a_lo))), g)
    return fma(sc, g, sc_lo * g) if x > 0 else neg


@jitable
def celu_grad_x_fast32(g, x, alpha):
    """``celu_grad_x``'s loop for blocks in range: at alpha = 1 (None) ELU's
    (``elu_grad_x_fast``); at another alpha in [2^-20, 2^20] g * exp(x / alpha) in float32
    alone, for x >= FAST_GRAD_LO * alpha (``fast_grad_lo_celu``).

    u = x * (1 / alpha) (1 / alpha once per call, a normal float32 in that range) is up to
    1.5 ULP off the quotient; d = (x - alpha u) / alpha, the remainder (exact by FMA: see
    ``_reciprocal``) times 1 / alpha, is the rest of it to 2^-24 of d, and exp(u + d) is
    ``fast_exp32``'s with d in the reduction: the same roundings as
    ELU's loop at alpha = 1, whose g * 2**k (1 + e) then follows (see
    ``elu_grad_x_fast32``).  Until 2026-12-07 CELU's float32 gradient computed every block
    in float64 (``scaled_exp``, 8 lanes per vector), 68 instructions per 8 values against
    this loop's ELU-like 16 lanes: within 0.51 ULP there (still so for the blocks out of
    range), within ELU's 1.3 here."""
    always_inline()  # with celu_grad_x inlined into it, past LLVM's threshold
    if alpha is None:
        return elu_grad_x_fast32(g, x, alpha)
    g = np.float32(g)
    a = np.float32(alpha)
    inv = np.float32(1.0) / a
    z = _zero_above(np.float32(x))
    u = z * inv
    s, e = fast_exp32(u, fma(-u, a, z) * inv)
    return _times_exp32(g * s, e)


@jitable
def _zero_above(x):
    """x > 0 as +0.0, x itself where x <= 0 or NaN (one ``vminps``/``vminpd``): the
    gradients without an alpha factor compute exp(0) = 1 there, which gives g itself, so
    that they need no select of x > 0."""
    zero = like(x, 0.0)
    return zero if x > zero else x


@jitable
def _times_exp32(gs, e):
    """gs (1 + e) rounded once, for gs = g * 2**k in float32 (the loops without an alpha
    factor, ``elu_grad_x_fast32`` at alpha = 1 and CELU's): a zero gs gives a zero with its
    sign (``_with_sign_of``: an and and an or, where a select on gs != 0 took a compare
    and a blend, and the blend an FMA unit's turn on Zen 3)."""
    return _with_sign_of(fma(gs, e, gs), gs)


@jitable
def fast_grad_lo_celu(alpha, x):
    """``fast_grad_lo`` for CELU: at alpha = 1 (None) ELU's; at another alpha, for a float32
    x, FAST_GRAD_LO * alpha where 2^-20 <= alpha <= 2^20 (so that x / alpha >= -60 within
    a rounding, and 1 / alpha is a normal float32), else NaN (the general loop).  For a
    float64 x, in the same range of alpha, alpha times ELU's bound at alpha = 1 (-692.4):
    from there on x / alpha, rounded, has k >= ``deep_k(1.0)`` in ``scaled_exp``, so the
    variant gives ``celu_grad_x``'s bits (until 2026-12-07 float64 had no variant at alpha
    != 1: 77 instructions per 8 values, 1.4x ELU's time from memory)."""
    if alpha is None:
        return fast_grad_lo(alpha, x)
    a = np.float64(alpha)
    ok = a >= _FAST_ALPHA_MIN and a <= _FAST_ALPHA_MAX
    lo = FAST_GRAD_LO if is_single(x) else np.float64(fast_grad_lo(None, x))
    return like(x, lo * a if ok else np.nan)


# -- the float64 gradients from x where no lane needs scaled_exp's deep scale ---------------
# The same bits as the general functions (``deep=False`` drops a select and a multiply that
# are the identity there), so every entry point agrees wherever the blocks fall.
@jitable
def elu_grad_x_fast64(g, x, alpha):
    """``elu_grad_x`` for float64 x >= ``fast_grad_lo(alpha, x)``, x > 0 or x NaN (NaN
    either way; the ufuncs' block check lets NaN x through).  At alpha = 1 (None) x > 0 is
    computed as x = 0, which gives g itself (as ``elu_grad_x_fast32``): no select."""
    if alpha is None:
        z = _zero_above(np.float64(x))
        return scaled_exp(z, None, np.float64(g), None, False, False)
    neg = scaled_exp(x, None, np.float64(g), alpha, False, False)
    return np.float64(g) if x > 0 else neg


@jitable
def selu_grad_x_fast64(g, x, alpha):
    """``selu_grad_x`` on the same terms as ``elu_grad_x_fast64``."""
    neg = scaled_exp(x, None, np.float64(g), SELU_SCALE_ALPHA, False, False)
    return g * SELU_SCALE if x > 0 else neg


@jitable
def celu_grad_x_fast64(g, x, alpha):
    """``celu_grad_x`` for float64 x >= ``fast_grad_lo_celu(alpha, x)``, x > 0 or x NaN: at
    alpha = 1 (None) ELU's, at another alpha ``celu_grad_x`` without the deep scale and the
    quotient's clamp (``_celu_grad_exp``)."""
    always_inline()  # with _celu_grad_exp inlined into it, past LLVM's threshold
    if alpha is None:
        return elu_grad_x_fast64(g, x, alpha)
    return _celu_grad_exp(g, x, alpha, False)


@jitable
def fast_grad_lo_selu(alpha, x):
    """``fast_grad_lo`` for SELU: float64 with SELU's own constant (``alpha`` plays no part
    in SELU; its float32 loop keeps the range check of the alpha it is given)."""
    if is_single(x):
        return fast_grad_lo(alpha, x)
    return fast_grad_lo(None, x)  # SELU_SCALE_ALPHA has alpha = 1's exponent


def _per_precision(single, double):
    """A function ``f(g, x, alpha)`` that runs ``single`` for a float32 (or float16) x and
    ``double`` for a float64 one, chosen when it is compiled (each has its own return type)."""

    def fn(g, x, alpha):
        return (single if is_single(x) else double)(g, x, alpha)

    @overload(fn)
    def _impl(g, x, alpha):
        e = _element(x)
        return single if isinstance(e, types.Float) and e.bitwidth <= 32 else double

    return fn


elu_grad_x_fast = _per_precision(elu_grad_x_fast32, elu_grad_x_fast64)
selu_grad_x_fast = _per_precision(selu_grad_x_fast32, selu_grad_x_fast64)
celu_grad_x_fast = _per_precision(celu_grad_x_fast32, celu_grad_x_fast64)


# The gradients whose kernels have a loop for blocks in the common range (float32: float32
# alone; float64: without the deep scale), with the function that gives the least x of that
# range for an alpha (NaN: none).
FAST_GRAD = {
    "elu_grad_x": (elu_grad_x_fast, fast_grad_lo),
    "selu_grad_x": (selu_grad_x_fast, fast_grad_lo_selu),
    "celu_grad_x": (celu_grad_x_fast, fast_grad_lo_celu),
}


@jitable
def selu_grad_x(g, x, alpha):
    """dL/dx = g * SELU_SCALE if x > 0 else g * SELU_SCALE_ALPHA * exp(x)."""
    neg = _grad_exp(g, x, SELU_SCALE_ALPHA)
    return g * SELU_SCALE if x > 0 else neg


@jitable
def celu_grad_x(g, x, alpha):
    """dL/dx = g if x > 0 else g * exp(x / alpha) (alpha None: 1, ELU's, see UNIT_ALPHA)."""
    always_inline()
    if alpha is None:
        return elu_grad_x(g, x, alpha)
    return _celu_grad_exp(g, x, alpha, True)


@jitable
def _celu_grad_exp(g, x, alpha, deep):
    """``celu_grad_x`` at an alpha (not None), in float64.  ``deep`` False: the float64
    kernels' loop for blocks where every x / alpha is >= -692.4 (``fast_grad_lo_celu``),
    without ``scaled_exp``'s deep scale and ``_divide``'s clamp, with the same bits there.

    Both sides computed, then a select.  Behind a branch, LLVM would drop the clamps that
    the x <= 0 side makes redundant, and the vectorized loop would compute the discarded
    lanes unclamped (exp(89) overflows the float32 result: a flag in the ufuncs), or load
    an array alpha only in the x <= 0 lanes (zeros elsewhere) and divide by it.  x > 0 is
    taken as 0, so a huge x does not overflow x / alpha in the discarded lanes either."""
    always_inline()  # called from two places in a ufunc's loop: LLVM inlined only one
    xn = _nonpositive(np.float64(x))
    u, u_lo = _divide(xn, _celu_alpha(np.float64(alpha)), deep)
    neg = scaled_exp(u, u_lo, np.float64(g), None, is_single(x), deep)
    return np.float64(g) if x > 0 else neg


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
    """dL/dx = g * SELU_SCALE if y > 0 else g * (y + SELU_SCALE_ALPHA)."""
    return g * SELU_SCALE if y > 0 else g * (y + SELU_SCALE_ALPHA)


@jitable
def celu_grad_y(g, y, alpha):
    """dL/dx = g if y > 0 else g * (y / alpha + 1), computed as g * ((y + alpha) / alpha).

    The quotient by a multiplication with 1 / alpha (``_reciprocal``), in float64 corrected by
    its exact remainder and by the rounding error of y + alpha (Fast2Sum), so that the quotient
    is rounded about once, and the product once more: two roundings.  (Until 2026-12-05 the
    sum's error was left out, three roundings: 2.30 ULP at alpha = the largest float64 in
    ``tests/test_accuracy.py::test_celu_extreme_alphas``.)  float32 y and alpha add exactly
    in float64 here (or within 2^-53 of a float32 ULP), so float32 needs neither step.
    For |alpha| > 2**996 a y that the sum absorbs makes ``err * pre`` underflow: an
    underflow flag in the ufunc (ignored unless ``np.errstate(under="raise")``), and a
    correction far below the result's ULP."""
    # computed before the select, y > 0 taken as 0: see celu_grad_x.  Older LLVMs (Numba
    # 0.60) still load an array alpha only in the y <= 0 lanes, zeros elsewhere: a divisor
    # 0 becomes 1, so no divide-by-zero flag comes from there
    yn = 0.0 if y > 0 else np.float64(y)
    a = np.float64(alpha)
    valid = a > 0
    d = a if valid else 1.0
    pre, inv = _reciprocal(d)
    # NaN with "invalid" where alpha is no CELU alpha (see _celu_alpha): 0 * inf, computed
    # (a NaN constant would raise no flag); where alpha is one, inf, and no flag
    inv = inv if valid else _celu_alpha(a) * np.inf
    total = yn + a
    s = total * pre
    q = s * inv
    if not is_single(y):  # float64: one correction step (exact remainder) rounds q as s / d
        # Fast2Sum, larger magnitude first: total + err = yn + a exactly.  (2Sum's
        # total - yn overflows at alpha near the largest float; yn <= 0 < a, so neither
        # difference here can.)
        big, small = (a, yn) if a >= -yn else (yn, a)
        err = small - (total - big)
        # where q is infinite (y = -inf, or a quotient beyond the float64 range: y < -alpha
        # cannot come from CELU) the correction is inf - inf: q stands, -inf as in float32
        # and PyTorch (until 2026-12-05 it gave NaN there; the ufunc's invalid flag remains)
        fixed = fma(fma(-q, d * pre, s) + err * pre, inv, q)
        q = q if abs(q) == np.inf else fixed
    neg = g * q
    return np.float64(g) if y > 0 else neg


@jitable
def _celu_alpha(alpha):
    """CELU's alpha where it is > 0, else 0 (alpha <= 0 or NaN), in alpha's type.

    CELU divides by alpha and is defined here for alpha > 0 only (the API raises
    ValueError for others; PyTorch accepts a negative alpha).  The ufuncs and the scalar
    functions take any alpha, per element: with 0 the exponential branch gives NaN with
    "invalid" (0 / 0), NumPy's answer outside a function's domain (``np.log(-1.0)``),
    where a negative alpha gave numbers that were neither the formula's nor NaN (until
    2026-12-06: ``celu(-1, -1)`` gave 1.0).  Depends on alpha alone: the kernels compute it
    once per call, and an array alpha's loop pays a compare and a select."""
    return alpha if alpha > 0 else like(alpha, 0.0)


@jitable
def relu_grad_y(g, y, alpha):
    """dL/dx = g if y > 0 else 0 (NaN in y gives NaN)."""
    return np.float64(g) if y > 0 else (0.0 if y <= 0 else np.float64(y))


def like(x, v):
    """``v`` as x's float type: float32 for a float32 x, float64 otherwise.  ``v = None``
    stands for an alpha of 1 (see ``UNIT_ALPHA``)."""
    v = 1.0 if v is None else v
    return np.float32(v) if isinstance(x, np.float32) else np.float64(v)


@overload(like)
def _like_impl(x, v):
    x = _element(x)
    f = np.float32 if isinstance(x, types.Float) and x.bitwidth == 32 else np.float64
    if isinstance(v, types.NoneType):
        one = f(1.0)
        return lambda x, v: one
    return lambda x, v: f(v)
