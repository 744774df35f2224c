"""Accuracy sweeps: every float32 bit pattern, or 10^7 random and edge float64 inputs.

    python tools/ulp_sweep.py [--fn elu celu selu elu_grad_x ...] [--alpha 1.7] [--stride 1]
    python tools/ulp_sweep.py --fn elu celu --alpha 1 0.3 [--random-alphas 20 --seed 0]
    python tools/ulp_sweep.py --fn elu_grad_x selu_grad_x --grads random [--stride 97]
    python tools/ulp_sweep.py --float64 [--n 10000000] [--fn elu celu elu_grad_x] [--alpha 1.7]
    python tools/ulp_sweep.py --any-alpha [--float64]

Prints, per function, the max error in ULP of the exact value (|got - exact| / spacing) and
the max number of float32 steps between the result and the correctly rounded value, against
a float64 reference (libm's expm1/exp in double, in a compiled parallel loop: its own error,
< 1 ULP of float64, is invisible at float32 resolution; about 20 s per function over every
float32 on 2 cores).  Negative inputs are swept in full (the exponential branch), for the
gradients from y negative outputs y (every negative float32, y < -alpha included: the
formula holds there too); non-negative ones are x itself (value) or grad (gradient).
``--stride N`` takes every N-th bit pattern for a quick run.  Exit status 1 when a bound is
exceeded (ELU/CELU 1 ULP, SELU and gradients 2 ULP).  ``--fn all``: every function.

``--any-alpha`` bounds ELU's error for every alpha at once (B(x) below: the error at x that
no alpha can exceed, from the kernel's hi + lo and the reference alone), over every negative
float32, or with ``--float64`` over the float64 inputs below, and CELU's at every quotient
x / alpha (``celu_alpha_bound``); exit status 1 if either reaches 1.  In float32 it also
searches CELU where its bound is largest, for how near real alphas come (``celu_search``).

``--grads random`` gives the gradients grads of random sign and magnitude (2^-140 to 2^20)
instead of 1, so that their results also reach the subnormals and the smallest normals.

``--float64`` checks the float64 activations and gradients on ``--n`` inputs
(default 10^7: the edge values, a uniform spread over the branch [-40, 0], and magnitudes
log-uniform from 2^-1074 to 2^10; gradients with grad = 1, or with ``--grads random``
grads of random sign and magnitude 2^-60 to 2^7), against a longdouble reference
(64-bit significand: its own error is ~2^-11 of a float64 ULP; ``tests/test_accuracy.py``
checks it against mpmath).  For CELU the quotient
x / alpha is rounded in longdouble first, which can move the reference by
|x / alpha| * 2^-64 relative: up to 0.01 of a float64 ULP for |x / alpha| <= 40; the
gradient's reference takes that rounding back (``exp_quotient64``), as its x / alpha
reaches 600."""

from __future__ import annotations

import argparse
import functools
import math
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import numba
import numpy as np
from numba import njit, prange

import elu_numba as en
from elu_numba import _math
from elu_numba._math import SELU_SCALE_ALPHA

# SELU_SCALE * SELU_ALPHA from the paper's digits (exact), in longdouble (64-bit significand)
_SELU_SA = np.longdouble(str(Decimal(_math._SELU_DIGITS[0]) * Decimal(_math._SELU_DIGITS[1])))
BOUND = {"elu": 1.0, "celu": 1.0, "selu": 2.0}


# float32 functions swept, and their code in the compiled measure (_reference32)
FNS32 = (
    "elu", "celu", "selu",
    "elu_grad_x", "celu_grad_x", "selu_grad_x",
    "elu_grad_y", "celu_grad_y", "selu_grad_y",
)  # fmt: skip


@njit(inline="always")
def _reference32(code, x, a, g):
    """The float64 value of function ``FNS32[code]`` at the float32 input x (an output y for
    the gradients from y) with grad g: libm's expm1 / exp in double (< 1 ULP of float64, far
    below float32 resolution), an algorithm independent of the kernels'.  From y the formula
    is PyTorch's (is_result), with the float64 ``SELU_SCALE_ALPHA``: y itself has lost what
    the formula cannot get back (``tests/test_accuracy.py::test_grad_from_y_ulp``)."""
    if code == 0:
        return a * math.expm1(x)
    if code == 1:
        return a * math.expm1(x / a)
    if code == 2:
        return SELU_SCALE_ALPHA * math.expm1(x)
    if code == 3:
        return g * (a * math.exp(x))
    if code == 4:
        return g * math.exp(x / a)
    if code == 5:
        return g * (SELU_SCALE_ALPHA * math.exp(x))
    # from y, rounded once where the kernels round twice (g * (y + alpha)): g * y is exact
    # in float64 (two 24-bit significands)
    if code == 6:
        return _math.fma(g, a, g * x)
    if code == 7:  # g * y / alpha + g: the quotient with its exact remainder, then g
        q = g * x / a
        return (g + q) + (_math.fma(-q, a, g * x) / a if abs(q) != np.inf else 0.0)
    return _math.fma(g, SELU_SCALE_ALPHA, g * x)


@njit(inline="always")
def _ordered(r):
    """The float32 r's place on the ordered integer line of the bit patterns."""
    i = np.int64(_math._bitcast_f32_i32(r))
    return -(i & 0x7FFFFFFF) if i < 0 else i


@njit(parallel=True)
def _worst32(code, x, got, a, g):
    """(max ULP error, max steps from the correctly rounded value) of ``got`` against
    ``_reference32`` on x; g empty for grad = 1.  An error is |got - ref| / the spacing of
    float32 at ref rounded to float32 (0 where got is that value, or both are NaN); a NaN
    where the reference is a number (or the reverse), or a finite value where the reference
    rounds to an infinity, counts as an infinite error."""
    blocks = 1024
    per = (x.size + blocks - 1) // blocks
    worst = np.zeros(blocks)
    worst_steps = np.zeros(blocks, np.int64)
    for b in prange(blocks):
        w, ws = 0.0, 0
        for i in range(b * per, min(x.size, (b + 1) * per)):
            ref = _reference32(code, np.float64(x[i]), a, np.float64(g[i]) if g.size else 1.0)
            r32 = np.float32(ref)
            v = got[i]
            if v == r32 or (np.isnan(v) and np.isnan(ref)):
                continue
            if np.isnan(v) or np.isnan(ref):
                w = np.inf
                ws = 1 << 40
                continue
            err = abs(np.float64(v) - ref) / np.float64(np.spacing(abs(r32)))
            w = max(w, err if err == err else np.inf)  # ref beyond float32 (inf spacing)
            ws = max(ws, abs(_ordered(v) - _ordered(r32)))
        worst[b] = w
        worst_steps[b] = ws
    return worst.max(), worst_steps.max()


def reference32(fn: str, x: np.ndarray, a: float, g: np.ndarray | None = None) -> np.ndarray:
    """``_reference32`` over an array, in float64 (for the tests of the measure)."""
    code = FNS32.index(fn)
    gg = np.ones_like(x) if g is None else g
    return np.array([_reference32(code, float(v), a, float(w)) for v, w in zip(x, gg, strict=True)])


def worst32(fn: str, x: np.ndarray, got: np.ndarray, a: float, g=None) -> tuple[float, int]:
    """(max ULP error, max steps) of the float32 results ``got`` of ``fn`` at x (grad g)."""
    gg = np.empty(0, np.float32) if g is None else np.ascontiguousarray(g, np.float32)
    w, s = _worst32(FNS32.index(fn), x, np.ascontiguousarray(got, np.float32), a, gg)
    return float(w), int(s)


def compute(fn: str, x: np.ndarray, a: float, g: np.ndarray | None = None) -> np.ndarray:
    """``fn`` through the library's API at x (the output y for the gradients from y)."""
    if "_grad_" in fn:
        name, source = fn.rsplit("_", 1)
        kw = {} if fn.startswith("selu") else {"alpha": a}
        kw[source] = x
        return getattr(en, name)(np.ones_like(x) if g is None else g, **kw)
    f = getattr(en, fn)
    return f(x) if fn == "selu" else f(x, a)


def random_grads(n: int, seed: int) -> np.ndarray:
    """n float32 grads of random sign and magnitude 2^-140 to 2^20 (log-uniform): the
    gradients' results then reach the subnormal range and the smallest normal numbers."""
    rng = np.random.default_rng(seed)
    g = np.exp2(rng.integers(-140, 20, n).astype(np.float64)) * rng.uniform(1.0, 2.0, n)
    return np.where(rng.random(n) < 0.5, -g, g).astype(np.float32)


def sweep(
    fn: str, alpha: float, stride: int = 1, chunk: int = 1 << 24, grads: str = "ones"
) -> tuple[float, int]:
    """(max ULP error, max steps from the correctly rounded value) over the negative floats
    (inputs x, or outputs y for the gradients from y).  Gradients take grad = 1, or
    ``grads="random"``: ``random_grads``."""
    a = float(np.float32(alpha))  # alpha is cast to the array's dtype
    worst, worst_steps = 0.0, 0
    start = 0x80000000  # -0.0: the sign bit set, all negative floats and -inf, -NaNs
    for lo in range(start, 1 << 32, chunk * stride):
        bits = np.arange(lo, min(lo + chunk * stride, 1 << 32), stride, dtype=np.uint64)
        x = bits.astype(np.uint32).view(np.float32)
        g = random_grads(x.size, lo) if grads == "random" and "_grad_" in fn else None
        with np.errstate(all="ignore"):  # the gradients from y at y = -inf: -inf + inf
            got = compute(fn, x, alpha, g)
        w, s = worst32(fn, x, got, a, g)
        worst, worst_steps = max(worst, w), max(worst_steps, s)
    return worst, worst_steps


def values64(n: int, seed: int = 0) -> np.ndarray:
    """n float64 inputs <= 0 (and the edge values): where the exponential branch is taken."""
    rng = np.random.default_rng(seed)
    edges = np.array(
        [-0.0, -5e-324, -2.2250738585072014e-308, -1e-300, -2.0**-60, -1e-8, -1e-4,
         -0.34657359027997264, -0.5, -np.log(2), -1.0, -17.33, -36.7, -37.4, -38.0, -40.0,
         -709.0, -745.2, -1e300, -np.inf, np.nan]
    )  # fmt: skip
    half = (n - edges.size) // 2
    spread = -rng.uniform(0.0, 40.0, half)
    mags = -np.exp2(rng.uniform(-1074.0, 10.0, n - edges.size - half))
    return np.concatenate([edges, spread, mags])


def _split_ld(v: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """v = hi + lo exactly (longdouble), hi with at most 64 - ``bits`` significant bits."""
    c = np.longdouble(2.0**bits + 1.0)
    with np.errstate(invalid="ignore", over="ignore"):  # inf and NaN give NaN pieces
        t = v * c
        hi = t - (t - v)
        return hi, v - hi


def exp_quotient64(x: np.ndarray, a: float) -> np.ndarray:
    """exp(x / a) in longdouble with the quotient's rounding error taken back: u = x / a is
    rounded (2^-64 relative, up to 0.3 of a float64 ULP of exp at |u| = 700); its remainder
    x - u a is computed exactly from 32-bit pieces of u and a, and exp moves by rem / a."""
    d, al = x.astype(np.longdouble), np.longdouble(a)
    u = d / al
    uh, ul = _split_ld(u, 32)
    ah, alo = _split_ld(al, 32)
    with np.errstate(invalid="ignore"):  # inf / NaN x: u's value is all that counts there
        rem = (((d - uh * ah) - uh * alo) - ul * ah) - ul * alo
        corr = np.where(np.isfinite(u), rem / al, 0)
    return np.exp(u) * (1 + corr)


def reference64(fn: str, x: np.ndarray, a: float) -> np.ndarray:
    d, al = x.astype(np.longdouble), np.longdouble(a)
    return {
        "elu": al * np.expm1(d),
        "celu": al * np.expm1(d / al),
        "selu": _SELU_SA * np.expm1(d),  # the exact product (the kernel's hi + lo)
        "elu_grad_x": al * np.exp(d),
        "celu_grad_x": exp_quotient64(x, a),
        "selu_grad_x": _SELU_SA * np.exp(d),
        # from y (x here is y): the formulas' sums, exact or rounded once in longdouble
        "elu_grad_y": d + al,
        "celu_grad_y": (d + al) / al,
        "selu_grad_y": d + np.longdouble(SELU_SCALE_ALPHA),
    }[fn]


def ulp_error(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|got - ref| in ULP of got's dtype (float32 or float64) at ref (ref in longdouble, or
    float64 for float32 results); 0 where got is ref rounded, or both are NaN."""
    r = ref.astype(got.dtype)
    with np.errstate(invalid="ignore"):  # inf - inf where both are infinite (equal, below)
        sp = np.spacing(np.abs(r)).astype(np.longdouble)
        err = np.abs(got.astype(np.longdouble) - ref) / sp
    same = (got == r) | (np.isnan(got) & np.isnan(ref))
    return np.where(same, 0.0, err.astype(np.float64))


def random_grads64(n: int, seed: int) -> np.ndarray:
    """n float64 grads of random sign and magnitude 2^-60 to 2^7 (log-uniform): within the
    range where the gradients' clamp below x = -745 holds (|grad * alpha| < 2^8)."""
    rng = np.random.default_rng(seed)
    g = np.exp2(rng.uniform(-60.0, 7.0, n))
    return np.where(rng.random(n) < 0.5, -g, g)


def sweep64(
    fn: str, alpha: float, n: int = 10**7, chunk: int = 1 << 22, grads: str = "ones"
) -> float:
    """The max ULP error of the float64 ``fn`` over ``values64(n)`` (as y for the gradients
    from y; times alpha for CELU and its gradient from x, whose branch is x / alpha);
    gradients with grad = 1, or ``grads="random"``: ``random_grads64``."""
    x = values64(n)
    if fn.startswith("celu") and not fn.endswith("_y"):
        with np.errstate(over="ignore"):  # CELU's branch is x / alpha in [-40, 0]: x scaled
            x = x * alpha
    worst = 0.0
    for lo in range(0, n, chunk):
        xs = x[lo : lo + chunk]
        g = random_grads64(xs.size, lo) if grads == "random" else np.ones_like(xs)
        if "_grad_" in fn:
            with np.errstate(invalid="ignore"):  # from y at y = -inf: -inf + alpha * ...
                got = compute(fn, xs, alpha, g)
            ref = g.astype(np.longdouble) * reference64(fn, xs, alpha)
        else:
            got, ref = compute(fn, xs, alpha), reference64(fn, xs, alpha)
        worst = max(worst, float(ulp_error(got, ref).max()))
    return worst


def random_alphas(n: int, seed: int) -> list[float]:
    """n alphas log-uniform over [2^-126, 2^126] (float32 values): "any alpha", sampled."""
    rng = np.random.default_rng(seed)
    return [float(np.float32(v)) for v in np.exp2(rng.uniform(-126.0, 126.0, n))]


# -- "any alpha": a bound on ELU's error that no alpha can exceed ---------------------------
# ELU's exponential branch is R = fl(alpha*hi + p), p = fl(alpha*lo) (one FMA, ``_math.elu``),
# with hi + lo from ``_math._expm1_parts(x)``: they do not depend on alpha.  Against the
# exact T = alpha * E, E = expm1(x), with u = 2^-24 (float32) or 2^-53 (float64):
#
# * alpha * (hi + lo - E): rel = |hi + lo - E| / |E| / u of T's ULPs at most, since a normal
#   T has a spacing (ULP) > |T| u.  alpha moves only where T lies within its binade; the
#   error counts most where |T| is just below a power of 2 (a spacing of |T| u).
# * p - alpha*lo: at most half of p's ULP, which is T's times a power of 2 that depends on
#   where T lies; where |T| is just below a power of 2 it is 0.5 * 2^floor(log2(2 rho)), rho
#   = |lo / E| (``step``).  Both terms grow as |T| nears the top of its binade, so that is
#   where they peak together.  A p below the normal range is off by at most half the smallest
#   subnormal: where alpha >= 2^-100 (2^-900, below that ``_math._tiny_scale`` computes with
#   alpha times 2^64 (2^128)), that is smin / 2 / (alpha_min |E| u) of T's ULPs, and never
#   more than |alpha lo|, rho / u (``sub_p``).
# * the last rounding: half an ULP (also where R crosses a power of 2, as long as the rest
#   is below half an ULP).
#
# So B(x) = 1/2 + rel + max(step, sub_p) for every alpha >= alpha_min whose result is
# normal.  A smaller alpha computes with alpha * 2^64 (2^128): a normal result scales back
# exactly, and its p lies below the normal range only where rho < 2^-64 (float32; adding
# 2^-40 of an ULP at most, which B takes in).  Results below the normal range: an alpha >=
# alpha_min is off by 1/2 + rel / 2 + min(1/2, rho / 2u) at most (the subnormal spacing
# exceeds |T| 2u there); a smaller one rounds its scaled result first and then to the
# subnormal grid: 1/2 + B / 2 at most (the first spacing, scaled back, is at most half the
# last; its p is below the normal range only where rho < 2^-40, adding 2^-16, unless the
# result rounds to 0).  B(x) is the largest of the three.  |T| < |alpha| (E > -1): no
# finite alpha overflows.  alpha = 1 runs a kernel of its own
# (``_math._expm1_unit``), which the exhaustive sweep at alpha = 1 covers; alpha = +-0 gives
# exact zeros; a negative alpha, the same errors as |alpha|.

# u, the smallest subnormal, the smallest normal, and the alpha below which ELU scales
_LIMITS = {
    np.float32: (2.0**-24, 2.0**-149, 2.0**-126, 2.0**-100),
    np.float64: (2.0**-53, 2.0**-1074, 2.0**-1022, 2.0**-900),
}


@njit(parallel=True)
def _parts(x, hi, lo):
    for i in prange(x.size):
        hi[i], lo[i] = _math._expm1_parts(x[i], _math.work(x[i]))


def _parts_and_exact(x: np.ndarray):
    """(hi, lo, E) of ``_math._expm1_parts`` at each x and the exact E = expm1(x), in a wider
    type: double for float32 (libm's error, < 2^-52 relative, moves B by < 2^-28),
    longdouble for float64 (~2^-64: ~2^-11)."""
    hi, lo = np.empty_like(x), np.empty_like(x)
    _parts(x, hi, lo)
    wide = np.longdouble if x.dtype == np.float64 else np.float64
    with np.errstate(all="ignore"):  # x = -0.0, NaN: the callers leave them out
        return hi.astype(wide), lo.astype(wide), np.expm1(x.astype(wide))


def _bound(dt, hi, err, hi_err, lo_max, mag, floor):
    """B of one input for every alpha whose result is normal (see above), with (CELU: bounds
    of) err >= |hi + lo - E|, hi_err >= |hi - E|, lo_max >= |lo| and mag <= |E| (E the exact
    expm1, lo the low part: CELU's with its remainder term), and the error ``floor`` that a
    p below the normal range can add (in ULPs).  Also rel and rho (see above)."""
    u = _LIMITS[dt][0]
    with np.errstate(all="ignore"):
        rel = err / mag / u
        rho = lo_max / mag
        m, ex = np.frexp(2 * rho)  # 2 rho = m 2^ex, m in [0.5, 1): floor(log2(2 rho-)) below
        step = np.where(rho > 0, np.ldexp(np.ones_like(rho) / 2, ex - 1 - (m == 0.5)), 0)
        normal = 0.5 + rel + np.maximum(step, floor)
        # Where hi is a power of 2, alpha * hi is a float with a spacing of at least
        # |alpha hi| u on either side; if also |lo| < |hi| u / 2 (less a little for p's
        # rounding), the FMA's sum lies within half of it, and every alpha's result is alpha
        # * hi itself: off by |hi - E| / |E| / u.  In float32 that is x < -17.33 (hi = -1:
        # s - 1 rounds for k <= -25, and hi + lo is half an ULP off), where the general bound
        # would be 1.0000000099 (x = -17.674215) and the error is at most 0.354
        pow2 = (np.abs(np.frexp(hi)[0]) == 0.5) & (lo_max < np.abs(hi) * u / 2 * (1 - 2 * u))
        return np.where(pow2, np.minimum(normal, hi_err / mag / u), normal), rel, rho


def elu_alpha_bound(x: np.ndarray) -> np.ndarray:
    """B(x) of ELU at each float32 or float64 x < 0 (NaN elsewhere): no alpha's error at x
    exceeds it."""
    dt = x.dtype.type
    u, smin, nmin, amin = _LIMITS[dt]
    hi, lo, e = _parts_and_exact(x)
    with np.errstate(all="ignore"):
        mag = np.abs(e)
        err = np.abs((hi - e) + lo)
        sub_p = np.minimum(smin / (2 * amin * mag * u), np.abs(lo) / mag / u)
        floor = np.maximum(sub_p, 2.0**-40)
        normal, rel, rho = _bound(dt, hi, err, np.abs(hi - e), np.abs(lo), mag, floor)
        sub_t = np.where(amin * mag < nmin, 0.5 + rel / 2 + np.minimum(0.5, rho / (2 * u)), 0)
        b = np.maximum(np.maximum(normal, 0.5 + (normal + 2.0**-16) / 2), sub_t)
    return np.where(x < 0, b.astype(np.float64), np.nan)


def _max_over_float32(bound, start: int, stop: int, stride: int, chunk: int):
    """(max of ``bound(x)``, its x) over the float32 bit patterns start..stop (every
    ``stride``-th), chunks on Numba's threads (NumPy releases the GIL in its loops)."""

    def one(lo: int) -> tuple[float, float]:
        bits = np.arange(lo, min(lo + chunk * stride, stop), stride, dtype=np.uint64)
        x = bits.astype(np.uint32).view(np.float32)
        b = bound(x)
        if np.isnan(b).all():  # the NaN bit patterns, or none in the bound's range
            return 0.0, 0.0
        i = int(np.nanargmax(b))
        return float(b[i]), float(x[i])

    with ThreadPoolExecutor(numba.get_num_threads()) as pool:
        return max(pool.map(one, range(start, stop, chunk * stride)))


def elu_alpha_bound32(stride: int = 1, chunk: int = 1 << 22) -> tuple[float, float]:
    """(max of B(x), its x) over every negative float32 (every ``stride``-th bit pattern)."""
    return _max_over_float32(elu_alpha_bound, 0x80000001, 1 << 32, stride, chunk)


# -- "any alpha": CELU's bound ---------------------------------------------------------------
# CELU's branch (``_math.celu``) is ELU's at the quotient.  w = x (clamped to [lo alpha, 0])
# and alpha, both times a power of 2 for most alphas (see ``_math._tiny_scale``; no digit
# changes), give u = w / alpha rounded (within 1.5 ULP: ``_math._reciprocal`` and one
# correction step), rem = w - alpha u (one FMA: exact, or rounded once), the parts hi + lo of
# expm1(u), and R = fl(alpha hi + fl(alpha lo + c)) with c = fl(rem (1 + fl(hi + lo))).  With
# d = w / alpha - u (|d| <= dmax, ``d_ulps`` spacings of u) that is ELU's R at u with
# lo' = lo + c / alpha against E' = expm1(u + d) = E + e^u (e^d - 1), E = expm1(u):
#
#   c / alpha - (E' - E) = d (1 + e1) ((1 + eta)(1 + theta) - 1) + d ((1 + e1) - e^u)
#                          - e^u (e^d - 1 - d)
#
# (|eta|, |theta| <= u the roundings of rem and of c, 1 + e1 - e^u = (hi + lo - E) + zeta
# (hi + lo), |zeta| <= u), so |hi + lo' - E'| <= |hi + lo - E| + dmax (2.01 u |1 + e1| +
# |hi + lo - E| + 1.01 u |hi + lo|) + 0.51 e^u dmax^2, and |E'| >= |E| - dE, dE = e^u dmax
# (1 + 2 dmax).  ELU's B then holds with these bounds in place of rel, rho and |hi - E|
# (``_bound``).  The remainder term is second-order in d: dmax of 2^10 ULP instead of 4 moves
# the maximum by less than 2^-9.  Until 2026-12-07 the term was s rem (1 + r), which leaves
# out e^u d r^2 / 2, up to 0.06 ULP: no bound below 1 was possible.
#
# Normal quotients only, with u >= lo (1 + 2^-20): the result T = alpha E' is then normal and
# at least 2^-86 (float32; 2^-947 in float64): |celu(x)| >= min(|x|, alpha) / 2, and x and
# alpha are scaled by 2^64 (2^128) where alpha < 2^59 (2^890), elsewhere T >= 2^59 2^-126
# / 2.  So a p below the normal range adds at most smin / 2 / (T_min u) ULP (2^-40 in
# float32).  A result the scaling puts below the normal range rounds twice: 1/2 + B / 2 at
# most.  Elsewhere:
# * |x / alpha| < 2^-126 (2^-1022): the exact value is x (1 + x / (2 alpha) + ...), which
#   rounds to x, and the kernel returns x: hi + lo = u (or 0) is too small to move rem
#   (1 + e1) = rem, and alpha u + rem = w (tested on random alphas and inputs there).
# * x < lo alpha: w is fl(lo alpha), u lies within a few ULP of lo, where hi = -1 and the
#   ``pow2`` case of ``_bound`` holds (``celu_alpha_bound`` checks that), so R = -alpha
#   exactly, and the exact value lies within e^lo / u ULP of -alpha (0.26 in float32, 0.04
#   in float64).
_CELU_T_MIN = {np.float32: 2.0**-86, np.float64: 2.0**-947}
_CELU_LO = {np.float32: float(_math._F32[0]), np.float64: float(_math._F64[0])}


def _celu_normal(u: np.ndarray, d_ulps: float) -> np.ndarray:
    """CELU's B(u) where the result is normal (``_bound`` with the remainder term's bounds)."""
    dt = u.dtype.type
    eps, smin, _, _ = _LIMITS[dt]
    hi, lo, e = _parts_and_exact(u)
    with np.errstate(all="ignore"):
        w = u.astype(e.dtype)
        dmax = d_ulps * np.spacing(np.abs(w))
        eu = np.exp(w)  # e^u (e + 1 loses its relative accuracy where e nears -1)
        pe = np.abs((hi - e) + lo)
        hl = np.abs(hi + lo)
        one_e1 = eu + pe + 1.01 * eps * hl  # >= |1 + fl(hi + lo)|
        d_e = eu * dmax * (1 + 2 * dmax)
        err = pe + dmax * (2.01 * eps * one_e1 + pe + 1.01 * eps * hl) + 0.51 * eu * dmax**2
        lo_max = np.abs(lo) + dmax * one_e1 * (1 + 2.01 * eps)
        mag = np.abs(e) - d_e
        floor = smin / (2 * _CELU_T_MIN[dt] * eps)
        return _bound(dt, hi, err, np.abs(hi - e) + d_e, lo_max, mag, floor)[0]


def celu_alpha_bound(u: np.ndarray, d_ulps: float = 4.0) -> np.ndarray:
    """B(u) of CELU at each float32 or float64 quotient u (see above): no alpha's error where
    x / alpha rounds to u exceeds it.  NaN outside [lo (1 + 2^-20), -smallest normal]."""
    nmin = _LIMITS[u.dtype.type][2]
    normal = _celu_normal(u, d_ulps)
    with np.errstate(invalid="ignore"):
        b = np.maximum(normal, 0.5 + normal / 2)
        ok = (u <= -nmin) & (u >= _CELU_LO[u.dtype.type] * (1 + 2.0**-20))
    return np.where(ok, b.astype(np.float64), np.nan)


def celu_clamp_check(dt, d_ulps: float = 4.0) -> float:
    """The largest B(u) of CELU's quotients within 2^-20 of lo, where the comment above needs
    R = -alpha exactly: the ``pow2`` case with hi = -1 (B = |hi - E'| / |E'| / u < 1/2
    there, and every other case gives at least 1/2); NaN if any u there is not one."""
    lo_u = _CELU_LO[dt]
    u = np.linspace(lo_u * (1 + 2.0**-20), lo_u * (1 - 2.0**-20), 4097).astype(dt)
    b = _celu_normal(u, d_ulps)  # below 1/2 only in the pow2 case
    hi, _, _ = _parts_and_exact(u)
    return float(b.max()) if (hi == -1).all() and b.max() < 0.5 else float("nan")


def celu_alpha_bound32(stride: int = 1, chunk: int = 1 << 22, d_ulps: float = 4.0):
    """(max of CELU's B(u), its u) over every normal negative float32 quotient u >= lo (1 +
    2^-20) (every ``stride``-th bit pattern)."""
    bound = functools.partial(celu_alpha_bound, d_ulps=d_ulps)
    return _max_over_float32(bound, 0x80800000, 0xFF800000, stride, chunk)


def worst_alphas(x: float, n: int, dtype=np.float32) -> np.ndarray:
    """n alphas of ``dtype`` that put alpha * expm1(x) just below -1 (T's spacing is then
    smallest against T, where B(x) is reached): the largest alpha with alpha * |E| < 1
    and the n - 1 below it."""
    d = np.dtype(dtype).type
    e = abs(float(np.expm1(np.longdouble(x))))
    a = d(1.0 / e)
    while float(a) * e >= 1.0:
        a = np.nextafter(a, d(0))
    out = [a]
    for _ in range(n - 1):
        out.append(np.nextafter(out[-1], d(0)))
    return np.array(out, dtype)


def elu_error_at(x: float, alphas: np.ndarray) -> np.ndarray:
    """The error in ULP of ``elu_numba.elu`` at x for each alpha (the library's own call),
    against the exact value in longdouble (~2^-11 of a float64 ULP)."""
    x = np.array([x], alphas.dtype)
    got = np.array([en.elu(x, float(a))[0] for a in alphas])
    return ulp_error(got, alphas.astype(np.longdouble) * np.expm1(x.astype(np.longdouble)))


def celu_search(
    points: int = 40, tries: int = 2000, stride: int = 97
) -> tuple[float, float, float]:
    """(worst error, its x, its alpha) of float32 CELU where an error is likeliest to come
    near 1 ULP: how near its bound (``celu_alpha_bound``) real alphas come.  At the
    ``points`` quotients u with the largest B(u) among every ``stride``-th negative float32,
    ``tries`` alphas that put alpha * expm1(u) just below a power of 2 (``worst_alphas``,
    also times 2^-3 and 2^5), and x = alpha * u rounded and its two neighbours: x / alpha
    is then u or next to it, off by a fraction of its ULP that the alphas vary.  Through
    ``elu_numba.ufuncs.celu`` (the same function, alpha per element)."""
    from elu_numba import ufuncs

    bits = np.arange(0x80000001, 0xFF800000, stride, dtype=np.uint64)
    us = bits.astype(np.uint32).view(np.float32)
    us = us[np.argsort(np.nan_to_num(celu_alpha_bound(us)))[::-1][:points]]
    worst = (0.0, 0.0, 0.0)
    for u in us:
        al = worst_alphas(float(u), tries)
        al = np.concatenate([al * np.float32(2.0**j) for j in (-3, 0, 5)]).astype(np.float32)
        x0 = (al.astype(np.float64) * np.float64(u)).astype(np.float32)
        x = np.concatenate([x0, np.nextafter(x0, np.float32(-np.inf)), np.nextafter(x0, 0)])
        a = np.tile(al, 3)
        err = ulp_error(ufuncs.celu(x, a), reference64("celu", x, a))
        i = int(np.argmax(err))
        if err[i] > worst[0]:
            worst = (float(err[i]), float(x[i]), float(a[i]))
    return worst


def alpha_bound_report(float64: bool, stride: int = 1, n: int = 10**7, tries: int = 4096):
    """(max of B(x), a line that reports it): over every negative float32 (every
    ``stride``-th) or ``values64(n)``; and the worst error of the library's ``elu`` at that x
    over ``tries`` alphas placed where B is reached (``worst_alphas``): how near the bound
    real alphas come."""
    if float64:
        x = values64(n)
        b = elu_alpha_bound(x)
        i = int(np.nanargmax(b))
        bound, at, dt, inputs = float(b[i]), float(x[i]), np.float64, f"{n} float64 inputs"
    else:
        bound, at = elu_alpha_bound32(stride)
        dt, inputs = np.float32, "every negative float32" + (f" / {stride}" if stride > 1 else "")
    seen = float(elu_error_at(at, worst_alphas(at, tries, dt)).max())
    return bound, (
        f"elu {np.dtype(dt).name} any alpha, {inputs}: error <= {bound:.4f} ULP "
        f"(B(x) at most, at x = {at!r}); {tries} alphas placed there: {seen:.3f} ULP at worst"
    )


def celu_bound_report(float64: bool, stride: int = 1, n: int = 10**7):
    """(max of CELU's B(u), a line that reports it): over every normal float32 quotient in
    its range (every ``stride``-th) or ``values64(n)`` as quotients; with the clamp's
    case (``celu_clamp_check``)."""
    dt = np.float64 if float64 else np.float32
    if float64:
        u = values64(n)
        b = celu_alpha_bound(u)
        i = int(np.nanargmax(b))
        bound, at, inputs = float(b[i]), float(u[i]), f"{n} float64 quotients"
    else:
        bound, at = celu_alpha_bound32(stride)
        inputs = "every normal float32 quotient" + (f" / {stride}" if stride > 1 else "")
    clamp = celu_clamp_check(dt)
    return max(bound, clamp), (
        f"celu {np.dtype(dt).name} any alpha, {inputs}: error <= {bound:.4f} ULP (B(u) at "
        f"most, at u = x / alpha = {at!r}); below lo * alpha: -alpha, {clamp:.4f} ULP at most"
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--fn",
        nargs="+",
        choices=(*FNS32, "all"),
        default=["elu", "celu", "selu", "elu_grad_x"],
        help="the functions (default: %(default)s); all: every one",
    )
    p.add_argument("--alpha", type=float, nargs="+", default=[1.7], help="one or more alphas")
    p.add_argument(
        "--random-alphas",
        type=int,
        default=0,
        metavar="N",
        help="N more alphas, log-uniform over the normal float32 range (seed --seed)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--stride", type=int, default=1)
    p.add_argument("--float64", action="store_true", help="float64: random and edge inputs")
    p.add_argument("--n", type=int, default=10**7, help="float64 inputs (default 10^7)")
    p.add_argument(
        "--grads",
        choices=("ones", "random"),
        default="ones",
        help="the gradients' grad: 1, or random signs and magnitudes 2^-140..2^20 (float32), "
        "2^-60..2^7 (--float64)",
    )
    p.add_argument(
        "--any-alpha",
        action="store_true",
        help="ELU's and CELU's bounds for every alpha (B, see alpha_bound_report and "
        "celu_bound_report), and in float32 CELU's worst error where its bound is largest "
        "(celu_search); --fn, --alpha and --grads do not apply",
    )
    args = p.parse_args(argv)
    if args.any_alpha:
        bound, line = alpha_bound_report(args.float64, args.stride, args.n)
        print(line, flush=True)
        cbound, line = celu_bound_report(args.float64, args.stride, args.n)
        print(line, flush=True)
        ok = bound < BOUND["elu"] and cbound < BOUND["celu"]
        if args.float64:
            return 0 if ok else 1
        err, x, a = celu_search(stride=max(97, args.stride))
        print(
            f"celu float32, searched where its bound is largest: {err:.3f} ULP at worst "
            f"(x = {x!r}, alpha = {a!r})"
        )
        return 0 if ok and err <= cbound else 1
    if "all" in args.fn:
        args.fn = list(FNS32)
    alphas = args.alpha + random_alphas(args.random_alphas, args.seed)
    ok = True
    for alpha in alphas:
        for fn in args.fn:
            bound = BOUND.get(fn, 2.0)
            if args.float64:
                worst = sweep64(fn, alpha, args.n, grads=args.grads)
                tail = f"n={args.n} max ULP {worst:.3f} (bound {bound:g})"
                fn_ = f"{fn:12s} float64"
            else:
                worst, n = sweep(fn, alpha, args.stride, grads=args.grads)
                tail = (
                    f"max ULP {worst:.3f} (bound {bound:g}), "
                    f"max {n} step(s) from the correctly rounded value"
                )
                fn_ = f"{fn:12s}"
            ok &= worst <= bound
            print(f"{fn_} alpha={alpha:<6.8g} {tail}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
